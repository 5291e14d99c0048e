"""Fused loss ops: one pass over the logits instead of several (log-softmax + pick + mean)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function


def check_class_targets(target: np.ndarray, n_classes: int, op: str, ignore_index: int | None = None) -> Any:
    """Raise IndexError naming the first class index outside 0..n_classes-1 (``ignore_index`` aside);
    return the mask of ignored targets, or None when none is ignored. One pass when every target is a
    valid class (as unsigned, a negative int64 is huge, so one max covers both ends)."""
    if not target.size:
        return None
    if target.dtype == np.int64:
        in_range = np.maximum.reduce(target.view(np.uint64), axis=None) < n_classes
    else:
        in_range = 0 <= target.min() and target.max() < n_classes
    if in_range and not (ignore_index is not None and 0 <= ignore_index < n_classes):
        return None
    ignored = target == ignore_index
    valid = target[~ignored]
    if valid.size and (valid.min() < 0 or valid.max() >= n_classes):
        bad = valid[(valid < 0) | (valid >= n_classes)][0]
        raise IndexError(f"{op}: target {bad} is out of bounds for {n_classes} classes (valid: 0..{n_classes - 1})")
    return ignored if ignored.any() else None


class CrossEntropy(Function):
    """Mean (or sum, or per-sample) cross-entropy of logits (N, C) against class indices (N,).

    Forward: log-softmax by log-sum-exp, then -logp[n, t_n]. Backward: (softmax − onehot)·g, the
    classic one-line gradient. Rows whose target is ``ignore_index`` count for nothing.
    """
    torch_name = "NllLossBackward0"

    fresh_grads = True

    def forward(ctx, logits, target, reduction="mean", ignore_index=-100):
        n, n_classes = logits.shape
        ignored = check_class_targets(target, n_classes, "cross_entropy", ignore_index)  # checked where used
        if ignored is not None:
            target = np.where(ignored, 0, target)
        # (ufunc.reduce directly: the ndarray methods add a Python layer, and these arrays are small)
        shifted = logits - np.maximum.reduce(logits, axis=1, keepdims=True)
        exp = np.exp(shifted)
        sums = np.add.reduce(exp, axis=1, keepdims=True)
        losses = np.log(sums.reshape(n))
        rows = np.arange(n)
        losses -= shifted[rows, target]
        if ignored is not None:
            losses[ignored] = 0
        ctx.saved_tensors = (exp, sums, rows, target, ignored)
        ctx.reduction = reduction
        ctx.count = n - int(ignored.sum()) if ignored is not None else n
        if reduction == "mean":  # (every row ignored: the mean of nothing is nan, as torch)
            return np.asarray(np.add.reduce(losses) / ctx.count if ctx.count else np.nan, dtype=logits.dtype)
        if reduction == "sum":
            return np.asarray(np.add.reduce(losses), dtype=logits.dtype)
        return losses

    def backward(ctx, grad):
        exp, sums, rows, target, ignored = ctx.saved_tensors
        if ctx.reduction == "none":
            probs = exp / sums
            probs[rows, target] -= 1
            if ignored is not None:
                probs[ignored] = 0
            probs *= grad.reshape(-1, 1)
            return probs, None
        scale = grad / ctx.count if ctx.reduction == "mean" else grad
        probs = exp * (scale / sums)  # (softmax − onehot)·scale, with the scale folded into one pass
        probs[rows, target] -= scale
        if ignored is not None:
            probs[ignored] = 0
        return probs, None
