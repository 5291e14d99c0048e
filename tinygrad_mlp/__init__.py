"""tinygrad_mlp: a small, fast, honest autograd framework on numpy, with a PyTorch-style API.

>>> import tinygrad_mlp as tg
>>> x = tg.tensor([1.0, -2.0], requires_grad=True)
>>> (x.relu() * 3).sum().backward()
>>> x.grad
tensor([3., 0.])
"""

from . import autograd, data, dtypes, functional, linalg, metrics, nn, optim, registry, state, testing, train  # noqa: E402
from .args import Size
from .compile import compile  # noqa: A004 - torch's name: tg.compile(step)
from .device import accelerator, backends, cuda, device, get_default_device, mps, set_default_device
from .dtypes import (  # noqa: A004
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
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
    uint16,
    uint32,
    uint64,
)
from .factories import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    multinomial,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .function import Function
from .registry import TOPLEVEL as _TOPLEVEL
from .rng import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .state import (
    detect_anomaly,
    enable_grad,
    get_default_dtype,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_default_dtype,
    set_grad_enabled,
)
from .tensor import Tensor
from .tensor_api import set_printoptions
from .toplevel import *  # noqa: F403 - torch-style free functions that are not ops: tg.is_tensor, tg.argmax, ...
from .toplevel import __all__ as _toplevel_all
from .utils.gradcheck import gradcheck
from .utils.serialization import load, save

__version__ = "0.1.0"

# Every registered op as a free function: tg.exp(x), tg.max(x, 1), tg.cat([...]); ops registered later are
# found by __getattr__ below.
globals().update({_name: _fn for _name, _fn in _TOPLEVEL.items() if _name not in globals()})


def __getattr__(name: str):
    if name == "plot":  # matplotlib is imported only when tg.plot is first used
        import importlib

        return importlib.import_module(".plot", __name__)
    return registry.lookup(_TOPLEVEL, __name__, name)
