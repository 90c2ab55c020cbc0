"""mnistcore: a readable NumPy engine for fully connected ReLU networks on MNIST (no torch needed)."""
from .data import DataFileError, load_mnist, read_idx
from .load import load_params
from .net import backward, cross_entropy, forward, losses, sgd_step, softmax
from .optim import adam_init, adam_step, momentum_init, momentum_step, optimizer
from .params import N_CLASSES, N_PIXELS, Forward, Grads, ModelFileError, Params
from .photo import ImageFileError, preprocess_photo
from .preprocess import preprocess_canvas, scale_input
from .save import npz_bytes, pth_bytes, safetensors_bytes
from .train_loop import Settings, init_params, train_step

__all__ = ["DataFileError", "Forward", "Grads", "ImageFileError", "ModelFileError", "N_CLASSES", "N_PIXELS",
           "Params", "Settings", "adam_init", "adam_step", "backward", "cross_entropy", "forward",
           "init_params", "load_mnist", "load_params", "losses", "momentum_init", "momentum_step", "npz_bytes",
           "optimizer", "preprocess_canvas", "preprocess_photo", "pth_bytes", "read_idx", "safetensors_bytes",
           "scale_input", "sgd_step", "softmax", "train_step"]
