"""Stateless functions in torch.nn.functional's style, each composed of tensor ops.

>>> import tinygrad_mlp as tg
>>> import tinygrad_mlp.functional as F
>>> F.relu(tg.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .tensor import Tensor, _as_tensor

# --- activations -------------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.leaky_relu(negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.elu(alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.selu()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return input.tanh()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    return input.softplus(beta, threshold)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    return input.gelu(approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.silu()


swish = silu


def softmax(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    return input.log_softmax(dim)


def heaviside(input: Tensor, value: float = 0.0) -> Tensor:  # noqa: A002
    """Step function; its gradient is zero everywhere (forward only)."""
    return input.heaviside(value)


step = heaviside


def identity(input: Tensor) -> Tensor:  # noqa: A002
    return input


# --- layers ----------------------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias`` as one fused op; weight is (out_features, in_features)."""
    x = _as_tensor(input)
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"linear: input of shape {tuple(x.shape)} does not fit weight of shape {tuple(weight.shape)}: "
            f"last dimension {x.shape[-1] if x.ndim else None} != in_features {weight.shape[1]}"
        )
    if x.dtype != weight.dtype:
        raise RuntimeError(
            f"linear: input dtype {x.dtype} != weight dtype {weight.dtype}; convert the input "
            f"(e.g. x.float()) or the model (model.double())"
        )
    return ops.Linear.apply(x, weight, bias)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float = 0.0) -> Tensor:  # noqa: A002
    """Constant padding, torch's order: ``(left, right)`` for the last dim, then the one before…"""
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is supported, got {mode!r}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim or any(p < 0 for p in pad):
        raise ValueError(
            f"pad: expected an even number (at most 2 x {input.ndim}) of non-negative sizes, got {pad}"
        )
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return ops.Pad.apply(input, pad=tuple(widths), value=value)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class indices (int) to a one-hot int64 tensor with ``num_classes`` columns."""
    idx = np.asarray(tensor._data if isinstance(tensor, Tensor) else tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {idx.dtype}")
    if num_classes < 0:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got min {idx.min()} max {idx.max()}")
    return Tensor(np.eye(num_classes, dtype=np.int64)[idx])
