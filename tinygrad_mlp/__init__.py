"""tinygrad_mlp: a small, fast, honest autograd framework on numpy, with a PyTorch-style API.

>>> import tinygrad_mlp as tg
>>> x = tg.tensor([1.0, -2.0], requires_grad=True)
>>> (x.relu() * 3).sum().backward()
>>> x.grad
tensor([3., 0.])
"""

from . import data, dtypes, functional, metrics, nn, optim, train  # noqa: E402
from .device import backends, cuda, device
from .dtypes import (  # noqa: A004
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from .function import Function
from .rng import Generator, manual_seed
from .tensor import (
    Tensor,
    arange,
    cat,
    concat,
    concatenate,
    detect_anomaly,
    empty,
    empty_like,
    enable_grad,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    is_anomaly_enabled,
    is_grad_enabled,
    linspace,
    no_grad,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    set_default_dtype,
    set_grad_enabled,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)
from .toplevel import *  # noqa: F403 - torch-style free functions: tg.exp(x), tg.matmul(a, b), ...
from .toplevel import __all__ as _toplevel_all
from .utils.gradcheck import gradcheck
from .utils.serialization import load, save

__version__ = "0.1.0"
