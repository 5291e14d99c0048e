"""Fused loss ops: one pass over the logits instead of several (log-softmax + pick + mean)."""

from __future__ import annotations

import numpy as np

from ..function import Function


class CrossEntropy(Function):
    """Mean (or sum, or per-sample) cross-entropy of logits (N, C) against class indices (N,).

    Forward: log-softmax by log-sum-exp, then -logp[n, t_n]. Backward: (softmax − onehot)·g, the
    classic one-line gradient. Rows whose target is ``ignore_index`` count for nothing.
    """

    def forward(ctx, logits, target, reduction="mean", ignore_index=-100):
        n = logits.shape[0]
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        sums = exp.sum(axis=1)
        rows = np.arange(n)
        ignored = None  # ignore_index=None: the caller checked that no row is ignored
        if ignore_index is not None:
            ignored = target == ignore_index
            if ignored.any():
                target = np.where(ignored, 0, target)
            else:
                ignored = None
        losses = np.log(sums)
        losses -= shifted[rows, target]
        if ignored is not None:
            losses[ignored] = 0
        ctx.save_for_backward(exp, sums, target, ignored)
        ctx.reduction = reduction
        ctx.count = n - int(ignored.sum()) if ignored is not None else n
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.asarray(losses.sum() / ctx.count, dtype=logits.dtype)
        if reduction == "sum":
            return np.asarray(losses.sum(), dtype=logits.dtype)
        return losses

    def backward(ctx, grad):
        exp, sums, target, ignored = ctx.saved_tensors
        sums = sums.reshape(-1, 1)
        if ctx.reduction == "none":
            probs = exp / sums
            probs[np.arange(len(target)), target] -= 1
            if ignored is not None:
                probs[ignored] = 0
            probs *= grad.reshape(-1, 1)
            return probs, None
        scale = grad / ctx.count if ctx.reduction == "mean" else grad
        probs = exp * (scale / sums)  # (softmax − onehot)·scale, with the scale folded into one pass
        probs[np.arange(len(target)), target] -= scale
        if ignored is not None:
            probs[ignored] = 0
        return probs, None
