"""Stateless functions in torch.nn.functional's style, each composed of tensor ops.

>>> import tinygrad_mlp as tg
>>> import tinygrad_mlp.functional as F
>>> F.relu(tg.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops, rng
from .args import array_of, as_tensor
from .ops.elementwise import where
from .ops.loss import check_class_targets
from .registry import FUNCTIONAL, lookup
from .tensor import Tensor

# --- activations -------------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.leaky_relu(negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.elu(alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.selu()






def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.silu()


swish = silu






heaviside = FUNCTIONAL["heaviside"]
step = heaviside


def identity(input: Tensor) -> Tensor:  # noqa: A002
    return input


# --- layers ----------------------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias`` as one fused op; weight is (out_features, in_features)."""
    x = as_tensor(input)
    check_linear_input(x, weight, "linear")
    return ops.Linear.apply(x, weight, bias)


def check_linear_input(x: Any, weight: Tensor, who: Any) -> None:
    """The input of ``x @ weight.T``: its last dimension must be in_features, its dtype the weight's.
    ``who`` (a name, or the nn.Linear) is formatted only for the error message."""
    xa = x._data if isinstance(x, Tensor) else np.asarray(x)  # (attribute reads: this runs on every step)
    wa = weight._data
    shape = xa.shape
    if not shape or shape[-1] != wa.shape[1] or (xa.dtype is not wa.dtype and xa.dtype != wa.dtype):
        _linear_input_error(shape, xa.dtype, wa, who)


def _linear_input_error(shape: tuple, dtype: np.dtype, wa: np.ndarray, who: Any) -> None:
    if not isinstance(who, str):
        who = f"Linear({who.in_features}→{who.out_features})"
    if not shape or shape[-1] != wa.shape[1]:
        raise ValueError(f"{who} got input of shape {tuple(shape)}: last dimension {shape[-1] if shape else None} "
                         f"!= in_features {wa.shape[1]}")
    raise RuntimeError(f"{who}: input dtype {dtype} != weight dtype {wa.dtype}; convert the input "
                       f"(e.g. x.float()) or the model (model.double())")


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float = 0.0) -> Tensor:  # noqa: A002
    """Constant padding, torch's order: ``(left, right)`` for the last dim, then the one before…"""
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is supported, got {mode!r}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: expected an even number (at most 2 x {input.ndim}) of sizes, got {pad}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    out = input
    if any(lo > 0 or hi > 0 for lo, hi in widths):
        out = ops.Pad.apply(input, pad=tuple((max(lo, 0), max(hi, 0)) for lo, hi in widths), value=value)
    if any(lo < 0 or hi < 0 for lo, hi in widths):  # negative sizes crop, as torch's
        crop = tuple(slice(-min(lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, out.shape))
        if any(c.start > c.stop for c in crop):
            raise RuntimeError(f"pad: padding {pad} would give a negative size for input of shape {tuple(input.shape)}")
        out = out[crop]
    return out


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class indices (int) to a one-hot int64 tensor with ``num_classes`` columns."""
    idx = np.asarray(array_of(tensor))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {idx.dtype}")
    if num_classes < 0:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got min {idx.min()} max {idx.max()}")
    return Tensor(np.eye(num_classes, dtype=np.int64)[idx])


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,  # noqa: A002
            generator: Any = None) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    if input.numel() == 0:
        return input
    dt = array_of(input).dtype  # (the numpy dtype: input.dtype is tg's)
    keep = rng.dropout_keep_mask(input.shape, p, dt, generator)  # torch's bernoulli_(1 - p) stream
    return input * Tensor(keep.astype(dt) / dt.type(1 - p))


# --- losses --------------------------------------------------------------------------------------------

REDUCTIONS = ("mean", "sum", "none")


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,  # noqa: ARG001
                   dim: int = -1) -> Tensor:
    """Softmax of ``(logits + g) / tau`` with Gumbel noise ``g = -log(Exp(1))``, drawn from torch's stream
    (the same seed gives torch's sample). ``hard=True``: the one-hot of the largest, with the soft sample's
    gradient (straight through). ``eps`` is unused, as in torch.

    >>> import tinygrad_mlp as tg
    >>> _ = tg.manual_seed(0)
    >>> tg.nn.functional.gumbel_softmax(tg.zeros(1, 3), hard=True).tolist()
    [[0.0, 0.0, 1.0]]
    """
    logits = as_tensor(logits)
    noise = -logits.detach().new_empty(tuple(logits.shape)).exponential_().log()
    soft = ((logits + noise) / tau).softmax(dim)
    if not hard:
        return soft
    picked = np.expand_dims(np.argmax(array_of(soft), axis=dim), dim)
    one_hot_arr = np.zeros(tuple(soft.shape), array_of(soft).dtype)
    np.put_along_axis(one_hot_arr, picked, 1.0, axis=dim)
    return Tensor(one_hot_arr) - soft.detach() + soft


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be one of {', '.join(REDUCTIONS)}; got {reduction!r}")


def _same_shape(input: Tensor, target: Tensor, op: str) -> None:  # noqa: A002
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{op}: input shape {tuple(input.shape)} and target shape {tuple(target.shape)} differ; "
            f"broadcasting them would silently compute the wrong loss (reshape one, e.g. target.view(-1, 1))"
        )


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error. (The textbook ½Σ(y−t)² is ``0.5 * mse_loss(y, t, reduction='sum')``.)"""
    target = as_tensor(target)
    _same_shape(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    target = as_tensor(target)
    _same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction, "l1_loss")


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:  # noqa: A002
    """Quadratic for |error| < delta, linear beyond (torch's HuberLoss)."""
    target = as_tensor(target)
    _same_shape(input, target, "huber_loss")
    err = (input - target).abs()
    quadratic = 0.5 * err * err
    linear = delta * (err - 0.5 * delta)
    return _reduce(where(err < delta, quadratic, linear), reduction, "huber_loss")


def smooth_l1_loss(input: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:  # noqa: A002
    """Huber loss divided by beta (torch's SmoothL1Loss); beta = 0 is the L1 loss."""
    target = as_tensor(target)
    _same_shape(input, target, "smooth_l1_loss")
    err = (input - target).abs()
    if beta == 0:
        return _reduce(err, reduction, "smooth_l1_loss")
    return _reduce(where(err < beta, 0.5 * err * err / beta, err - 0.5 * beta), reduction, "smooth_l1_loss")


def _class_targets(input: Tensor, target: Any, op: str, ignore_index: int | None = None) -> np.ndarray:
    """Check class-index targets against logits/log-probs (N, C, ...) or (C,) once, cheaply."""
    t = np.asarray(array_of(target))
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: class-index targets must be integers, got dtype {t.dtype} (use target.long(), or pass "
            f"probabilities with the same shape as the input {tuple(input.shape)})"
        )
    expected = input.shape[:1] + input.shape[2:] if input.ndim >= 2 else ()
    if t.shape != expected:
        raise ValueError(
            f"{op}: input of shape {tuple(input.shape)} needs class-index targets of shape {expected}, "
            f"got {t.shape}"
        )
    check_class_targets(t, input.shape[1] if input.ndim >= 2 else input.shape[0], op, ignore_index)
    return t


def nll_loss(input: Tensor, target: Any, weight: Tensor | None = None, ignore_index: int = -100,  # noqa: A002
             reduction: str = "mean") -> Tensor:
    """Negative log likelihood of class indices, given log-probabilities (N, C) or (N, C, d...)."""
    t = _class_targets(input, target, "nll_loss", ignore_index)
    class_dim = 1 if input.ndim >= 2 else 0
    ignored = t == ignore_index
    safe = np.where(ignored, 0, t)
    picked = ops.TakeAlongDim.apply(input, indices=np.expand_dims(safe, class_dim), dim=class_dim).squeeze(class_dim)
    dt = array_of(input).dtype
    w = np.ones(input.shape[class_dim], dtype=dt) if weight is None else array_of(as_tensor(weight))
    w_picked = np.where(ignored, 0, w[safe]).astype(dt)
    loss = -picked * Tensor(w_picked)
    if reduction == "mean":
        return loss.sum() / Tensor(np.asarray(w_picked.sum(), dtype=dt))
    return _reduce(loss, reduction, "nll_loss")


def cross_entropy(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,  # noqa: A002
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy from logits (log-softmax + NLL, stable), with class-index targets or class
    probabilities (one-hot) of the input's shape; ``weight``, ``ignore_index`` and
    ``label_smoothing`` as torch.

    >>> import tinygrad_mlp as tg
    >>> logits = tg.tensor([[2.0, 0.5, -1.0]])
    >>> round(tg.nn.functional.cross_entropy(logits, tg.tensor([0])).item(), 4)
    0.2413
    """
    t_arr = target._data if isinstance(target, Tensor) else np.asarray(target)
    x = input._data if isinstance(input, Tensor) else array_of(input)
    if weight is None and label_smoothing == 0 and x.ndim == 2 and t_arr.dtype.kind in "iu":
        # the common case as one fused op: log-softmax, pick and reduce in one pass
        if t_arr.shape != x.shape[:1]:
            _class_targets(input, t_arr, "cross_entropy", ignore_index)  # raises, naming the shapes
        if reduction not in REDUCTIONS:
            raise ValueError(f"cross_entropy: reduction must be one of {', '.join(REDUCTIONS)}; got {reduction!r}")
        return ops.CrossEntropy.apply(input, t_arr, reduction=reduction, ignore_index=ignore_index)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    class_dim = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[class_dim]
    w = None if weight is None else as_tensor(weight)
    if w is not None and w.shape != (n_classes,):
        raise ValueError(f"cross_entropy: weight must have shape ({n_classes},), got {tuple(w.shape)}")
    w_b = None if w is None else w.reshape((n_classes,) + (1,) * (input.ndim - class_dim - 1))
    logp = input.log_softmax(class_dim)
    if t_arr.dtype.kind == "f":  # probabilities / one-hot
        probs = as_tensor(target)
        if probs.shape != input.shape:
            raise ValueError(
                f"cross_entropy: probability targets must have the input's shape {tuple(input.shape)}, "
                f"got {tuple(probs.shape)}"
            )
        if label_smoothing > 0:
            probs = probs * (1 - label_smoothing) + label_smoothing / n_classes
        terms = logp * probs if w_b is None else logp * probs * w_b
        loss = -terms.sum(dim=class_dim)
        if reduction == "mean":
            return loss.sum() / (input.numel() // n_classes)
        return _reduce(loss, reduction, "cross_entropy")
    nll = nll_loss(logp, target, w, ignore_index, reduction)
    if label_smoothing == 0:
        return nll
    t = _class_targets(input, target, "cross_entropy", ignore_index)
    ignored = Tensor(t == ignore_index)
    smooth = -(logp if w_b is None else logp * w_b).sum(dim=class_dim)
    smooth = where(ignored, 0.0, smooth)
    if reduction == "mean":
        kept = t[t != ignore_index]
        denom = array_of(w)[kept].sum() if w is not None else kept.size
        smooth = smooth.sum() / Tensor(np.asarray(denom, dtype=array_of(input).dtype))
    else:
        smooth = _reduce(smooth, reduction, "cross_entropy")
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


def _safe_log(x: Tensor) -> Tensor:
    """log(x) clamped at -100 like torch's BCE, with no nan gradient where x == 0."""
    positive = array_of(x) > 0
    return where(Tensor(positive), where(Tensor(positive), x, 1.0).log(), -100.0).clamp(min=-100.0)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:  # noqa: A002
    """BCE of probabilities in [0, 1]; the logs are clamped at -100 as torch does."""
    target = as_tensor(target)
    _same_shape(input, target, "binary_cross_entropy")
    x = array_of(input)
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1):
        raise ValueError(
            f"binary_cross_entropy: input values must be probabilities in [0, 1], got min {np.nanmin(x):.4g} "
            f"max {np.nanmax(x):.4g} (apply sigmoid first, or use binary_cross_entropy_with_logits)"
        )
    _check_binary_targets(target, "binary_cross_entropy")
    loss = -(target * _safe_log(input) + (1 - target) * _safe_log(1 - input))
    if weight is not None:
        loss = loss * as_tensor(weight)
    return _reduce(loss, reduction, "binary_cross_entropy")


def _check_binary_targets(target: Tensor, op: str) -> None:
    t = array_of(target)
    if t.size and (t.min() < 0 or t.max() > 1):
        raise ValueError(f"{op}: targets must be in [0, 1], got min {t.min():.4g} max {t.max():.4g}")


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """BCE from logits in the stable form (1-t)·x + (1+(pw-1)·t)·softplus(-x)."""
    target = as_tensor(target)
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    _check_binary_targets(target, "binary_cross_entropy_with_logits")
    softplus_neg = (-input).softplus(threshold=np.inf)
    if pos_weight is None:
        loss = (1 - target) * input + softplus_neg
    else:
        log_weight = (as_tensor(pos_weight) - 1) * target + 1
        loss = (1 - target) * input + log_weight * softplus_neg
    if weight is not None:
        loss = loss * as_tensor(weight)
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


# Activations and other ops registered with functional=True (softmax, sigmoid, gelu, ...), including
# ops registered later: F.<name> finds them in the registry.
globals().update({name: fn for name, fn in FUNCTIONAL.items() if name not in globals()})


def __getattr__(name: str) -> Any:
    return lookup(FUNCTIONAL, __name__, name)
