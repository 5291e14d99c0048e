"""The rest of torch.nn's losses: hinge-embedding, soft-margin, multi-label and multi-class margin, triplet
(with a p-norm or any distance), Poisson and Gaussian negative log-likelihood.

Each ``F.`` form is a composition of differentiable tensor ops (the engine derives the gradients) and is
registered into ``tinygrad_mlp.functional``; the modules hold the options and call it.

>>> import tinygrad_mlp as tg
>>> x = tg.tensor([[0.1, 0.2, 0.4, 0.8]], requires_grad=True)
>>> loss = tg.functional.multi_margin_loss(x, tg.tensor([3]))
>>> loss.backward()
>>> round(loss.item(), 4), [round(g, 4) for g in x.grad.tolist()[0]]
(0.325, [0.25, 0.25, 0.25, -0.75])
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..args import array_of, as_tensor
from ..dtypes import torch_name
from ..ops.elementwise import where
from ..registry import register
from ..state import is_grad_enabled
from ..tensor import Tensor
from .loss import _Loss
from .module import Module
from .more_layers import PairwiseDistance

REDUCTIONS = ("mean", "sum", "none")

# --- shared checks ------------------------------------------------------------------------------------------------


def _legacy_reduction(size_average: Any, reduce: Any) -> str:
    """The reduction the deprecated ``size_average`` / ``reduce`` flags stand for (an unset flag counts as True),
    with torch's deprecation warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  UserWarning, stacklevel=3)
    return reduction


def _reduction(reduction: Any, size_average: Any = None, reduce: Any = None) -> str:
    """The reduction of the losses that read it as torch's enum: the legacy flags win, the old name
    'elementwise_mean' is 'mean' (with a warning), anything else unknown is a ValueError."""
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      UserWarning, stacklevel=3)
        return "mean"
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean() if loss.numel() else loss.sum() * math.nan  # the mean of nothing is nan, as torch's
    if reduction == "sum":
        return loss.sum()
    return loss


def _broadcast(a: tuple, b: tuple) -> tuple:
    """The shape ``a`` and ``b`` broadcast to, or torch's RuntimeError naming the first dimension that clashes."""
    a, b = tuple(a), tuple(b)
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {i}")
    return tuple(y if x == 1 else x for x, y in zip(pa, pb))


def _not_differentiable(op: str, name: str, t: Any) -> None:
    if isinstance(t, Tensor) and t.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument '{name}'. "
                           "This input cannot have requires_grad True.")


def _vector_or_matrix(input: Tensor) -> None:  # noqa: A002
    """The margin losses over classes take (C,), (N, C) with C > 0, or a scalar (one class)."""
    shape = tuple(input.shape)
    if not (len(shape) == 2 and shape[1] != 0 or len(shape) == 1 and shape[0] != 0 or not shape):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(shape)}")


def _long_target(t: np.ndarray) -> None:
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {torch_name(t.dtype)}")


def _same_ndim(anchor: Tensor, positive: Tensor, negative: Tensor) -> None:
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")


def _quiet(fn: Callable) -> Callable:
    """Run a loss without numpy's warnings: inf and nan arise where torch's do, and torch says nothing."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return wrapper


def _float_constant(x: Any, dtype: np.dtype) -> Tensor:
    return as_tensor(np.asarray(array_of(x), dtype=dtype))


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6) -> Tensor:
    """||x1 - x2 + eps||_p over the last dimension (of a scalar: over itself)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    _broadcast(x1.shape, x2.shape)
    diff = x1 - x2 + eps
    return (diff.reshape(1) if diff.ndim == 0 else diff).norm(p, -1)


def _log_sigmoid(x: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), in the stable form min(x, 0) - log1p(exp(-|x|))."""
    return -(-x).softplus(threshold=math.inf)


# --- F. forms -----------------------------------------------------------------------------------------------------


@_quiet
def hinge_embedding_loss(input: Tensor, target: Any, margin: float = 1.0, size_average: Any = None,  # noqa: A002
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    """``input`` where target is 1, max(0, margin - input) where it is -1 (other target values get both terms);
    input and target broadcast."""
    reduction = _reduction(reduction, size_average, reduce)
    input = as_tensor(input)  # noqa: A001
    t = np.asarray(array_of(target))
    _broadcast(t.shape, input.shape)
    below_margin = (margin - input).clamp(min=0)
    return _reduce(where(t != 1, below_margin, 0.0) + where(t != -1, input, 0.0), reduction)


@_quiet
def soft_margin_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)) elementwise (targets ±1); the target must broadcast to the input's shape."""
    reduction = _reduction(reduction, size_average, reduce)
    input = as_tensor(input)  # noqa: A001
    _not_differentiable("soft_margin_loss", "target", target)
    t = np.asarray(array_of(target))
    shape = _broadcast(input.shape, t.shape)
    if shape != tuple(input.shape):
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape {list(shape)}")
    t = _float_constant(t, array_of(input).dtype)
    return _reduce((-input * t).exp().log1p(), reduction)


@_quiet
def multilabel_soft_margin_loss(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
                                reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy from logits per class (targets in [0, 1]), optionally weighted per class, averaged
    over the classes (the last dimension): one value per sample."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    input, target = as_tensor(input), as_tensor(target)  # noqa: A001
    _broadcast(target.shape, input.shape)
    loss = -(target * _log_sigmoid(input) + (1 - target) * _log_sigmoid(-input))
    if weight is not None:
        weight = as_tensor(weight)
        _broadcast(loss.shape, weight.shape)
        loss = loss * weight
    if input.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    class_dim = input.ndim - 1  # (counted in the loss's dimensions, which a larger target may add to)
    loss = loss.sum(class_dim) / input.shape[-1]
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    return _reduce(loss, reduction)


@_quiet
def multilabel_margin_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: ``target`` (int64, the input's shape) lists each sample's classes, ended by the
    first -1; the loss sums max(0, 1 - (x[j] - x[i])) over listed classes j and unlisted classes i, over C."""
    reduction = _reduction(reduction, size_average, reduce)
    input = as_tensor(input)  # noqa: A001
    t = np.asarray(array_of(target))
    _vector_or_matrix(input)
    if input.ndim <= 1:
        n, c = 1, (input.shape[0] if input.ndim else 1)
        consistent = t.ndim <= 1 and t.size == c
    else:
        n, c = input.shape
        consistent = t.shape == (n, c)
    if not consistent:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: {list(input.shape)}")
    if n and ((t < -1) | (t >= c)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    if n:
        _long_target(t)
    t = t.reshape(n, c).astype(np.int64)
    listed = np.cumprod(t != -1, axis=1).astype(bool)  # the entries before the first -1
    counts = np.zeros((n, c), dtype=np.int64)  # how often each class is listed (a repeat counts again, as torch's)
    np.add.at(counts, (np.nonzero(listed)[0], t[listed]), 1)
    pairs = counts[:, :, None] * (counts == 0)[:, None, :]  # (sample, listed class j, unlisted class i)
    x = input.reshape(n, c)
    hinge = (1 - x.unsqueeze(2) + x.unsqueeze(1)).relu()  # (no gradient where the hinge is exactly 0, as torch's)
    hinge = where(pairs > 0, hinge * _float_constant(pairs, array_of(input).dtype), 0.0)
    loss = hinge.sum((1, 2)) / c
    return _reduce(loss.reshape(()) if input.ndim <= 1 else loss, reduction)


@_quiet
def multi_margin_loss(input: Tensor, target: Any, p: int = 1, margin: float = 1.0, weight: Any = None,  # noqa: A002
                      size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: for class index y, the sum over the other classes i of
    w[y] * max(0, margin - x[y] + x[i]) ** p, over C (p is 1 or 2)."""
    reduction = _reduction(reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None:
        weight = as_tensor(weight)
        if weight.ndim != 1:
            raise ValueError("weight must be one-dimensional")
        _not_differentiable("multi_margin_loss", "weight", weight)
    input = as_tensor(input)  # noqa: A001
    t = np.asarray(array_of(target))
    _vector_or_matrix(input)
    n = 1 if input.ndim <= 1 else input.shape[0]
    c = 1 if input.ndim == 0 else input.shape[-1]
    if not (t.ndim <= 1 and t.size == n):
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n}], but got {list(t.shape)}. Input has "
                           f"shape {list(input.shape)}.")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    dt = array_of(input).dtype
    _long_target(t)
    if weight is not None and array_of(weight).dtype != dt:
        raise RuntimeError(f"expected scalar type {torch_name(dt)} but found {torch_name(array_of(weight).dtype)}")
    if ((t < 0) | (t >= c)).any():
        raise RuntimeError("target out of range")
    y = t.reshape(n)
    x = input.reshape(n, c)
    hinge = (margin - x.gather(1, as_tensor(y[:, None])) + x).relu()  # (no gradient at exactly 0, as torch's)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * as_tensor(array_of(weight)[y][:, None])
    others = np.arange(c)[None, :] != y[:, None]
    loss = where(others, hinge, 0.0).sum(1) / c
    return _reduce(loss.reshape(t.shape), reduction)


@_quiet
def poisson_nll_loss(input: Tensor, target: Any, log_input: bool = True, full: bool = False,  # noqa: A002
                     size_average: Any = None, eps: float = 1e-8, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood of ``target`` given the rate ``exp(input)`` (``log_input``) or ``input``
    (then log(input + eps)); ``full`` adds Stirling's approximation of log(target!) where target > 1."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    input, target = as_tensor(input), as_tensor(target)  # noqa: A001
    t = array_of(target)
    if t.dtype.kind in "biu":
        target = _float_constant(t, array_of(input).dtype)
    _broadcast(target.shape, input.shape)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + where(~(t <= 1), stirling, 0.0)  # (a nan target keeps its nan term, as torch's)
    return _reduce(loss, reduction)


@_quiet
def gaussian_nll_loss(input: Tensor, target: Any, var: Any, full: bool = False, eps: float = 1e-6,  # noqa: A002
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood 0.5 * (log var + (input - target)² / var) (+ 0.5 log 2π if ``full``).

    ``var`` is a number, the input's shape, or the input's shape with one dimension of size 1 or the last one
    dropped (one variance shared along it). Variances below ``eps`` count as ``eps``, while their gradient
    passes as if they were not clamped (as torch's in-place clamp under no_grad)."""
    input = as_tensor(input)  # noqa: A001
    if isinstance(var, (int, float, np.number)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = as_tensor(np.full(input.shape, var, dtype=array_of(input).dtype))
    else:
        var = as_tensor(var)
        if (array_of(var) < 0).any():
            raise ValueError("var has negative entry/entries")
    in_shape, var_shape = tuple(input.shape), tuple(var.shape)
    if var_shape != in_shape:
        if in_shape[:-1] == var_shape:  # one variance per sample: broadcast it along the last dimension
            var = var.unsqueeze(-1)
        elif not (len(in_shape) == len(var_shape)
                  and sum(v for i, v in zip(in_shape, var_shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    below = array_of(var) < eps
    if below.any():  # eps where var < eps (exactly), with var's gradient passing through unchanged
        var = where(below, (var - var.detach()) + eps, var)
    target = as_tensor(target)
    diff_shape = _broadcast(input.shape, target.shape)
    _broadcast(diff_shape, var.shape)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


@_quiet
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) with d the p-norm distance
    ||x1 - x2 + eps||_p over the last dimension; ``swap`` uses min(d(a, n), d(p, n)) as the negative distance."""
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    anchor, positive, negative = as_tensor(anchor), as_tensor(positive), as_tensor(negative)
    _same_ndim(anchor, positive, negative)
    return _triplet(anchor, positive, negative, lambda x1, x2: _pairwise_distance(x1, x2, p, eps), margin, swap,
                    reduction)


def _triplet(anchor: Tensor, positive: Tensor, negative: Tensor, distance: Callable, margin: float, swap: bool,
             reduction: str) -> Tensor:
    d_pos = as_tensor(distance(anchor, positive))
    d_neg = as_tensor(distance(anchor, negative))
    if swap:
        d_swap = as_tensor(distance(positive, negative))
        _broadcast(d_neg.shape, d_swap.shape)
        d_neg = d_neg.minimum(d_swap)
    _broadcast(d_pos.shape, d_neg.shape)
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


@_quiet
def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable | None = None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """The triplet margin loss with any distance ``distance_function(x1, x2)`` (by default the pairwise 2-norm
    distance, eps 1e-6)."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    anchor, positive, negative = as_tensor(anchor), as_tensor(positive), as_tensor(negative)
    _same_ndim(anchor, positive, negative)
    distance = _pairwise_distance if distance_function is None else distance_function
    return _triplet(anchor, positive, negative, distance, margin, swap, reduction)


FUNCTIONS = (hinge_embedding_loss, soft_margin_loss, multilabel_soft_margin_loss, multilabel_margin_loss,
             multi_margin_loss, poisson_nll_loss, gaussian_nll_loss, triplet_margin_loss,
             triplet_margin_with_distance_loss)
for _fn in FUNCTIONS:
    register(_fn.__name__, function=_fn, tensor_method=False, toplevel=False, functional=True)
del _fn


# --- modules ------------------------------------------------------------------------------------------------------


class _MoreLoss(_Loss):
    """torch's loss base: the legacy ``size_average`` / ``reduce`` flags decide the reduction when given. The
    reduction is checked here, at construction, as this package's other losses do; the repr is torch's (no
    arguments)."""

    _elementwise_mean = True  # whether the F. form takes the deprecated 'elementwise_mean'

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        Module.__init__(self)
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        if reduction not in REDUCTIONS + (("elementwise_mean",) if self._elementwise_mean else ()):
            raise ValueError(f"{type(self).__name__}: reduction must be one of {', '.join(REDUCTIONS)}; "
                             f"got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return ""


def _weight_buffer(module: Module, weight: Any) -> None:
    module.register_buffer("weight", None if weight is None else as_tensor(weight))


class HingeEmbeddingLoss(_MoreLoss):
    """Whether pairs are similar (target 1: the input, a distance) or not (-1: max(0, margin - input))."""

    def __init__(self, margin: float = 1.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class SoftMarginLoss(_MoreLoss):
    """Two-class logistic loss log(1 + exp(-target * input)) for targets ±1."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_MoreLoss):
    """Multi-label one-versus-all loss from logits, averaged over the classes; ``weight`` per class (a buffer)."""

    _elementwise_mean = False

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        _weight_buffer(self, weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_MoreLoss):
    """Multi-label hinge loss; targets list class indices, ended by -1."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiMarginLoss(_MoreLoss):
    """Multi-class hinge loss (p = 1 or 2) with an optional per-class ``weight`` (a buffer)."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Any = None, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        _weight_buffer(self, weight)
        if p != 1 and p != 2:
            raise ValueError("only p == 1 and p == 2 supported")
        if self.weight is not None and self.weight.ndim != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got {self.weight.ndim}D "
                             f"instead")
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                 reduction=self.reduction)


class PoissonNLLLoss(_MoreLoss):
    """Poisson negative log-likelihood (counts as targets), the rate given as its log (``log_input``) or itself."""

    _elementwise_mean = False

    def __init__(self, log_input: bool = True, full: bool = False, size_average: Any = None, eps: float = 1e-8,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Any) -> Tensor:
        return poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                reduction=self.reduction)


class GaussianNLLLoss(_MoreLoss):
    """Gaussian negative log-likelihood with predicted mean (input) and variance (var)."""

    _elementwise_mean = False

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Any, var: Any) -> Tensor:  # noqa: A002
        return gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)


class TripletMarginLoss(_MoreLoss):
    """Triplet loss with the p-norm distance (anchor closer to the positive than to the negative by ``margin``)."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                   swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_MoreLoss):
    """Triplet loss with any distance function (by default a `PairwiseDistance`, a child module)."""

    _elementwise_mean = False

    def __init__(self, *, distance_function: Callable | None = None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} "
                             f"instead")
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin, self.swap = margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=self.distance_function,
                                                 margin=self.margin, swap=self.swap, reduction=self.reduction)
