"""Layers: containers, Linear, Dropout, normalisation and activation modules."""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from .. import functional as F
from .. import registry
from ..ops import Linear as LinearOp
from ..ops import LinearReLU as LinearReLUOp
from ..state import default_dtype, modify_in_place
from ..tensor import Tensor
from .init import kaiming_uniform_, uniform_
from .module import Module, Parameter

# --- containers ---------------------------------------------------------------------------------------


class Sequential(Module):
    """Modules applied one after the other; names are ``0``, ``1``, … (or an OrderedDict's keys).

    >>> import tinygrad_mlp as tg
    >>> model = tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.ReLU(), tg.nn.Linear(8, 3))
    >>> model(tg.zeros(5, 4)).shape, len(model), list(model.state_dict())[0]
    (tinygrad_mlp.Size([5, 3]), 3, '0.weight')
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module")
                self.add_module(str(i), m)

    fuse_linear_relu = True  # set False (here or on one model) to record Linear and ReLU as separate ops

    def forward(self, x: Any) -> Any:
        modules = list(self._modules.values())
        i, n = 0, len(modules)
        while i < n:
            m = modules[i]
            if (i + 1 < n and type(m) is Linear and type(modules[i + 1]) is ReLU and self.fuse_linear_relu
                    and not m._forward_hooks and not modules[i + 1]._forward_hooks):
                x = m.forward_relu(x)  # one fused op, the same numbers (see ops.LinearReLU)
                i += 2
            else:
                x = m(x)
                i += 1
        return x

    def __getitem__(self, idx: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        if not -len(items) <= idx < len(items):
            raise IndexError(f"Sequential: index {idx} is out of range for {len(items)} modules")
        return items[idx][1]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Put ``module`` at position ``index`` (negative counts from the end), shifting the later ones."""
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        index += n if index < 0 else 0
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)
        return self

    def pop(self, index: int | slice) -> Module:
        """Remove and return the module(s) at ``index`` (a slice gives a Sequential); the later ones move up."""
        removed = self[index]
        positions = range(len(self))[index]
        gone = set(positions) if isinstance(positions, range) else {positions}
        modules = [m for i, m in enumerate(self._modules.values()) if i not in gone]
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)
        return removed


class ModuleList(Module):
    """A list of modules whose parameters are registered."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for m in modules or []:
            self.append(m)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, idx: int | slice) -> Any:
        values = list(self._modules.values())
        return ModuleList(values[idx]) if isinstance(idx, slice) else values[idx]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class Identity(Module):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


# --- Linear ------------------------------------------------------------------------------------------


class Linear(Module):
    """y = x Wᵀ + b, with weight shaped (out_features, in_features) and torch's default init
    (kaiming_uniform_ with a=√5, i.e. U(±1/√in), for weight and bias).

    >>> import tinygrad_mlp as tg
    >>> layer = tg.nn.Linear(784, 256)
    >>> layer.weight.shape, layer(tg.zeros(32, 784)).shape
    (tinygrad_mlp.Size([256, 784]), tinygrad_mlp.Size([32, 256]))
    """

    column_major_from = 4096  # weights with at least this many elements are stored column-major

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None,
                 device: Any = None) -> None:
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
                raise ValueError(f"Linear: {name} must be a positive integer, got {n!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = dtype or default_dtype()
        # A large weight is stored column-major (the transpose of a C array): OpenBLAS runs its forward product
        # and weight gradient faster that way; a small one stays row-major, where the layout gains less than the
        # extra call costs (benchmarks/layout.py). The engine follows whichever layout a weight has.
        if in_features * out_features >= self.column_major_from:
            self.weight = Parameter(np.empty((in_features, out_features), dtype=dtype).T)
        else:
            self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        F.check_linear_input(x, self.weight, self)
        return LinearOp.apply(x, self.weight, self.bias)

    def forward_relu(self, x: Tensor) -> Tensor:
        """relu(self(x)) as one fused op."""
        F.check_linear_input(x, self.weight, self)
        return LinearReLUOp.apply(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# --- Dropout and normalisation ---------------------------------------------------------------------------


class Dropout(Module):
    """Zero each element with probability p in training (scaling the rest by 1/(1-p)); identity in eval."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be between 0 and 1, got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Normalise each feature over the batch; running statistics are used in eval mode.

    Input (N, C) or (N, C, L). Built from tensor ops (mean, var, sqrt); the running mean and
    (unbiased) variance are updated without recording, as torch does.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype: Any = None, device: Any = None) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = dtype or default_dtype()
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}) expects input (N, {self.num_features}) or "
                f"(N, {self.num_features}, L), got {tuple(x.shape)}"
            )
        dims = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, -1) if x.ndim == 2 else (1, -1, 1)
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            n = x.numel() // x.shape[1]
            if n <= 1 and self.training:
                raise ValueError(f"BatchNorm1d: expected more than 1 value per channel when training, "
                                 f"got input of shape {tuple(x.shape)}")
            mean = x.mean(dim=dims, keepdim=True)
            var = x.var(dim=dims, keepdim=True, correction=0)
            if self.training and self.track_running_stats:
                self._update_running(mean.detach().numpy().reshape(-1), var.detach().numpy().reshape(-1), n)
        else:
            mean = self.running_mean.reshape(shape)
            var = self.running_var.reshape(shape)
        out = (x - mean) / (var + self.eps).sqrt()
        if self.affine:
            out = out * self.weight.reshape(shape) + self.bias.reshape(shape)
        return out

    def _update_running(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        count, rm, rv = modify_in_place(self.num_batches_tracked, self.running_mean, self.running_var)
        count += 1
        momentum = self.momentum
        if momentum is None:  # cumulative moving average
            momentum = 1.0 / float(count)
        rm *= 1 - momentum
        rm += momentum * mean
        rv *= 1 - momentum
        rv += momentum * var * n / (n - 1)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class LayerNorm(Module):
    """Normalise over the last dims (``normalized_shape``) of each sample."""

    def __init__(self, normalized_shape: int | tuple, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: Any = None, device: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        dtype = dtype or default_dtype()
        self.weight = Parameter(np.ones(shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape, dtype=dtype)) if elementwise_affine and bias else None
        if self.weight is None:
            self.register_parameter("weight", None)
        if self.bias is None:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        k = len(self.normalized_shape)
        if tuple(x.shape[-k:]) != self.normalized_shape:
            raise ValueError(f"LayerNorm({self.normalized_shape}) got input of shape {tuple(x.shape)}")
        dims = tuple(range(x.ndim - k, x.ndim))
        mean = x.mean(dim=dims, keepdim=True)
        var = x.var(dim=dims, keepdim=True, correction=0)
        out = (x - mean) / (var + self.eps).sqrt()
        if self.weight is not None:
            out = out * self.weight
        if self.bias is not None:
            out = out + self.bias
        return out

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


# --- activation modules ------------------------------------------------------------------------------------


class ReLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return x.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return x.elu(self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x.selu()


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Softplus(Module):
    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Tensor) -> Tensor:
        return x.softplus(self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return x.gelu(self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x.silu()


class Softmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(self.dim if self.dim is not None else (0 if x.ndim in (0, 1, 3) else 1))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, x: Tensor) -> Tensor:
        return x.log_softmax(self.dim if self.dim is not None else (0 if x.ndim in (0, 1, 3) else 1))


class Step(Module):
    """Heaviside step activation (forward only: zero gradient, so layers below it do not learn)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.heaviside(0.0)


class Activation(Module):
    """The module of any registered activation op: ``Activation("softplus", beta=2.0)(x)`` is
    ``x.softplus(beta=2.0)``. A new op registered with ``activation=True`` gets one through `ACTIVATIONS`."""

    def __init__(self, op: str, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.op, self.args, self.kwargs = op, args, kwargs

    def forward(self, x: Tensor) -> Tensor:
        return getattr(x, self.op)(*self.args, **self.kwargs)

    def extra_repr(self) -> str:
        given = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return ", ".join([repr(self.op)] + given)


_ACTIVATION_MODULES = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "elu": ELU, "selu": SELU, "sigmoid": Sigmoid, "tanh": Tanh,
    "softplus": Softplus, "gelu": GELU, "silu": SiLU, "swish": SiLU, "identity": Identity, "step": Step,
}


class _Activations(Mapping):
    """Activation name -> Module class (for nn.MLP, the CLI, the playground): the modules above, and for any
    other op registered with ``activation=True`` a module bound to it, so a new activation needs no class here."""

    def __getitem__(self, name: str) -> Any:
        if name in _ACTIVATION_MODULES:
            return _ACTIVATION_MODULES[name]
        if name in registry.ACTIVATIONS:
            return functools.partial(Activation, name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(list(_ACTIVATION_MODULES) + [n for n in registry.ACTIVATIONS if n not in _ACTIVATION_MODULES])

    def __len__(self) -> int:
        return sum(1 for _ in self)


ACTIVATIONS = _Activations()
