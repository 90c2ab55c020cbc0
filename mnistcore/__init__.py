"""mnistcore: a readable NumPy engine for fully connected ReLU networks on MNIST (no torch needed)."""
from .data import DataFileError, load_mnist, read_idx
from .load import load_params
from .net import backward, cross_entropy, forward, losses, sgd_step, softmax
from .params import N_CLASSES, N_PIXELS, Forward, Grads, ModelFileError, Params
from .photo import ImageFileError, preprocess_photo
from .preprocess import preprocess_canvas, scale_input

__all__ = ["DataFileError", "Forward", "Grads", "ImageFileError", "ModelFileError", "N_CLASSES", "N_PIXELS", "Params",
           "backward", "cross_entropy", "forward", "load_mnist", "load_params", "losses",
           "preprocess_canvas", "preprocess_photo", "read_idx", "scale_input", "sgd_step", "softmax"]
