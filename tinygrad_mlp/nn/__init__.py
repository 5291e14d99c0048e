"""torch.nn's building blocks: Module, Parameter, layers, losses, init and utilities."""

from . import functional, init, utils  # noqa: I001
from .layers import (
    ACTIVATIONS,
    Activation,
    ELU,
    GELU,
    SELU,
    BatchNorm1d,
    Dropout,
    Flatten,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ModuleList,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Step,
    Tanh,
)
from .loss import (
    LOSSES,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .mlp import INITS, MLP
from .module import Module, Parameter
