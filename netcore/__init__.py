"""netcore: a small, fast NumPy network core with the semantics of *Deep Learning from Scratch*.

Depends on NumPy only. See docs/architecture.md for the contracts (layers, network, optimizers, trainer).
"""

from netcore.builders import build_cnn, build_deep_convnet, build_mlp, build_simple_convnet, weight_std
from netcore.conv import Conv2D, MaxPool2D, col2im, im2col
from netcore.data import DATASETS, DataError, Dataset, book_split, load_dataset, prefix, read_idx
from netcore.functions import accuracy, cross_entropy, softmax
from netcore.gradcheck import check_layer, check_network, numerical_gradient
from netcore.layers import Affine, BatchNorm, BatchNorm2D, Dropout, Flatten, Relu, Sigmoid, SoftmaxCrossEntropy, Tanh
from netcore.network import Network
from netcore.optim import OPTIMIZERS, make_optimizer, optimizer_hyperparams
from netcore.surface import trajectory
from netcore.trainer import History, TrainConfig, TrainData, train

__all__ = [
    "DATASETS", "OPTIMIZERS", "Affine", "BatchNorm", "BatchNorm2D", "Conv2D", "DataError", "Dataset", "Dropout",
    "Flatten", "History", "MaxPool2D", "Network", "Relu", "Sigmoid", "SoftmaxCrossEntropy", "Tanh", "TrainConfig",
    "TrainData", "accuracy", "book_split", "build_cnn", "build_deep_convnet", "build_mlp", "build_simple_convnet",
    "check_layer", "check_network", "col2im", "cross_entropy", "im2col", "load_dataset", "make_optimizer",
    "numerical_gradient", "optimizer_hyperparams", "prefix", "read_idx", "softmax", "train", "trajectory",
    "weight_std",
]
