"""The engine's error messages as patterns, so the app can show them in the visitor's language.

The engine raises its errors in English (ImageFileError from the photo reader, ModelFileError from the
loaders, the model card and the upload sandbox); `i18n.shown_error` finds the message's pattern here and
shows its translation with the placeholders filled from the message. A placeholder stands where the engine
writes a value into its message (an f-string's {...}); `{{` and `}}` are a message's own braces. PHRASES
are the engine's parts of a message that fill a placeholder (what a refused pickle does, what a file is
instead of a model), translated in turn. tests/test_engine_errors.py fails when a message has no pattern.
"""
from __future__ import annotations

from .catalogue import N_

PHOTO_ERRORS = (
    N_("The file is empty. Choose a PNG or JPEG photo of one digit."),
    N_("This file is not an image we can read. Choose a PNG or JPEG photo."),
    N_("The image is only {w} x {h} pixels. Send a photo at least {side} x {side}."),
    N_("The file has {mb} MB; photos up to {max} MB are read. Send a smaller photo."),
    N_("The image claims more than {n} million pixels; at most {max} million are read. Send a smaller photo."),
    N_("This image's header is damaged ({what}). Choose another photo."),
    N_("This is a {format} image; the app reads PNG and JPEG. Save it as PNG or JPEG."),
    N_("The image is {w} x {h} pixels ({n} million); at most {max} million are read. Send a smaller photo."),
    N_("This is an animated image. Send a still photo of one digit."),
    N_("The image is too large to read here. Send a smaller photo."),
    N_("The image could not be read: it looks truncated or damaged ({why}). Send the photo again or choose another "
       "one."),
)

# mnistcore/load.py, mnistcore/evaluate.py and mnistcore/preprocess.py's model card
LOAD_ERRORS = (
    N_("This file is empty. Save the weights with torch.save(model.state_dict(), path) and try that file."),
    N_("This file is damaged, cut short or not a model file. Save the weights with torch.save(model.state_dict(), "
       "path) and try that file."),
    N_("This file needs more memory to read than this app allows. Save the weights with "
       "torch.save(model.state_dict(), path) and try that file."),
    N_("This is not a model file. Upload a .pth file saved with torch.save(model.state_dict(), path), a .safetensors "
       "file, or an .npz file with arrays W1, b1, W2, b2, ..."),
    N_("This is {what}, not a model file. Upload a .pth file saved with torch.save(model.state_dict(), path), a "
       ".safetensors file, or an .npz file with arrays W1, b1, W2, b2, ..."),
    N_("This file is larger than {mb} MB, the most this app accepts; a network for MNIST digits takes a few MB."),
    N_("Cannot read {path}: {reason}. Check the path and try again."),
    N_("This file was opened in text mode; open it with open(path, 'rb') and try again."),
    N_("load_params takes a path, the file's bytes or a file opened with open(path, 'rb'), not a {type}."),
    N_("This is a zip archive, but neither a torch.save file nor an .npz file. Save the weights with "
       "torch.save(model.state_dict(), path) and try that file."),
    N_("This file holds a {type}, not a state_dict. Save the weights with torch.save(model.state_dict(), path) and "
       "try that file."),
    N_("This file holds no weights (it has {keys}). A checkpoint should keep them under 'state_dict' or "
       "'model_state_dict'. Save the weights with torch.save(model.state_dict(), path) and try that file."),
    N_("This .safetensors file's header is larger than {mb} MB; a network's takes a few kB. Save the weights again "
       "with safetensors.torch.save_file."),
    N_("This .safetensors file's header is damaged or lists more than {max} tensors. Save the weights with "
       "torch.save(model.state_dict(), path) and try that file."),
    N_("This file is damaged: the header of {name} is not valid."),
    N_("{name} holds {dtype} numbers, which this app does not read."),
    N_("This file is damaged: the data of {name} lies outside the file."),
    N_("This file is damaged: the data of {name} does not match its shape {shape}."),
    N_("{name} is not the weight or bias of a Linear layer; this app shows fully connected networks (Linear layers "
       "and ReLUs) only."),
    N_("{name} has no weight next to it. Save the weights with torch.save(model.state_dict(), path) and try that "
       "file."),
    N_("An .npz model holds arrays W1, b1, W2, b2, ... with each W shaped (inputs, outputs); this one holds "
       "{names}."),
    N_("This file is damaged: {name} is not an array saved by np.savez."),
    N_("{name} holds {dtype} values, not floating-point weights. Save plain float arrays with np.savez."),
    N_("This file is damaged or cut short: {name} does not hold the {shape} numbers its header declares."),
    N_("This looks like a convolutional network ({name} has shape {shape}); this app shows fully connected networks "
       "only."),
    N_("{name} has shape {shape}, which is not the weight of a Linear layer (a normalization layer?); this app shows "
       "Linear layers and ReLUs only."),
    N_("{name} has shape {shape}: a layer without units. Save the weights with torch.save(model.state_dict(), path) "
       "and try that file."),
    N_("Layer {l} ({name}) expects {inputs} inputs but layer {previous} ({previous_name}) gives {outputs}. Was this "
       "file saved from a different network?"),
    N_("Layer 1 ({name}) expects {inputs} inputs, but an MNIST image has {pixels} pixels (28x28). This app shows "
       "networks for MNIST digits only."),
    N_("The last layer ({name}) gives {outputs} outputs, but MNIST has {classes} classes (the digits 0-9). Was this "
       "file saved from a different network?"),
    N_("{bias} has shape {shape}, but {weight} gives {outputs} outputs. Was this file saved from a different "
       "network?"),
    N_("This network has {n} parameters, more than the {max} this app handles."),
    N_("{name} contains NaN or infinite values, so the network's outputs would be meaningless. Did the training "
       "diverge? Try an earlier checkpoint."),
    N_("{name} holds {dtype} numbers, not floating-point weights. Save the weights with "
       "torch.save(model.state_dict(), path) and try that file."),
    N_("{path} is a folder. Pass the path of a model file (.pth, .safetensors, .npz)."),
    N_("{path} does not exist. Pass the path of a model file (.pth, .safetensors, .npz)."),
    N_("This network maps {inputs} inputs to {outputs} outputs; MNIST needs 784 inputs (28x28 pixels) and 10 "
       "outputs (the digits)."),
    N_('This model card does not say how the model scales its input. Give it an "input_scaling" of {{"mean": 0.1307, '
       '"std": 0.3081}} (MNIST\'s), {{"mean": 0, "std": 1}} (pixels 0..1), or pick the scaling in the sidebar.'),
)

# mnistcore/torchfile.py: the pickle and zip readers
TORCH_ERRORS = (
    N_("This file is damaged: the data of storage '{storage}' is missing."),
    N_("This file is damaged: a storage's size is not a whole number of elements."),
    N_("This file is damaged or hostile: a tensor of {n} numbers repeats a storage of {size}. Save the weights with "
       "torch.save(model.state_dict(), path) and try that file."),
    N_("This file is damaged: a tensor reaches element {last} of a storage that holds only {size}."),
    N_("This file is damaged: a tensor's offset, shape or strides are not valid."),
    N_("This file holds more than {max} tensors, more than a network this app shows needs. Save the weights with "
       "torch.save(model.state_dict(), path) and try that file."),
    N_("This file is damaged: a parameter does not hold a tensor."),
    N_("This file is damaged or hostile: its pickle {what}, which torch.save never writes. Save the weights with "
       "torch.save(model.state_dict(), path) and try that file."),
    N_("This file holds a pickled Python object ({name}), probably a whole model saved with torch.save(model). A "
       "model file only needs its tensors: save the weights with torch.save(model.state_dict(), path) and load that "
       "file instead."),
    N_("This file tries to call {name} while loading, so it was refused: a model file only needs tensors. Load only "
       "files you trust, or save the weights with torch.save(model.state_dict(), path)."),
    N_("This file is damaged: it refers to data in a way torch.save never writes."),
    N_("This file uses storage views from a very old torch (before 0.4). Load it with torch and save it again with "
       "torch.save(model.state_dict(), path)."),
    N_("This file is damaged: storage '{storage}' is declared with two types."),
    N_("This file's pickle is larger than {mb} MB or damaged; a state_dict's takes a few kB. Save the weights with "
       "torch.save(model.state_dict(), path) and try that file."),
    N_("This file is damaged or cut short: its pickle is not valid. Save the weights with "
       "torch.save(model.state_dict(), path) and try that file."),
    N_("This archive has more than {max} members, more than a model file needs. Save the weights with "
       "torch.save(model.state_dict(), path) and try that file."),
    N_("This archive is damaged or hostile: two members have the same name."),
    N_("This archive compresses {name} with a method this app does not read (torch.save stores its members; "
       "np.savez_compressed deflates them). Save the weights with torch.save(model.state_dict(), path) and try that "
       "file."),
    N_("This archive's member {name} unpacks to more than {mb} MB, more than a model file this app reads. Save the "
       "weights with torch.save(model.state_dict(), path) and try that file."),
    N_("This is a Python pickle but not a file written by torch.save. Save the weights with "
       "torch.save(model.state_dict(), path)."),
    N_("This file is damaged: its list of storages is not valid."),
    N_("This file is damaged or cut short: a storage is missing."),
    N_("This file is damaged or cut short: a storage is larger than the file."),
)

# mnistapp/sandbox.py and mnistapp/keep.py: the app's own refusals, raised as ModelFileError too
APP_ERRORS = (
    N_("Reading this file took longer than {seconds} s, so it was stopped. The app is fine; save the weights with "
       "torch.save(model.state_dict(), path) and try that file."),
    N_("Reading this file needed more than {mb} MB of memory, so it was stopped. The app is fine; save the weights "
       "with torch.save(model.state_dict(), path) and try that file."),
    N_("Reading this file crashed the loader (exit status {status}), so it was refused. The app is fine; save the "
       "weights with torch.save(model.state_dict(), path) and try that file."),
    N_("This network has {n} hidden layers, more than the {max} this app shows (every page draws each one). Try a "
       "shallower network."),
    N_("Its file is missing or too big."),
    N_("Its file is not in the form the app keeps it."),
    N_("Its file is not the size it was kept with."),
)

ENGINE_ERRORS = PHOTO_ERRORS + LOAD_ERRORS + TORCH_ERRORS + APP_ERRORS

PHRASES = (
    # what a file is instead of a model (mnistcore.load.NOT_MODELS and a text file)
    N_("a PNG image"), N_("a JPEG image"), N_("a GIF image"), N_("a PDF document"), N_("a text file"),
    # a file that holds no tensors or arrays: "it has nothing"
    N_("nothing"),
    N_("not a valid path"),
    # what a refused pickle does (mnistcore.torchfile's check_pickle)
    N_("changes a value after putting it inside another"),
    N_("puts a value inside itself"),
    N_("nests values more than {depth} deep"),
    N_("uses the opcode {opcode}"),
    N_("has more than {n} opcodes"),
    N_("holds an integer of more than 64 bits"),
    N_("appends to something that is not a list"),
    N_("sets items of something that is not a dict"),
    N_("has a dict key that is neither a string nor an integer"),
    N_("stores memo entry {index} after only {n} opcodes"),
    N_("reads memo entry {index}, which was never stored"),
    N_("names a global with something other than strings"),
    N_("calls a function with arguments that are not a tuple"),
    N_("sets the state of something that is not an object"),
    N_("does not end with exactly one value"),
)
