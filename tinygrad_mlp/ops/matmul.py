"""Matrix products. 2-D products go through ``np.dot``, which calls BLAS even when the inner
dimension is 1 (numpy's ``@`` does not, and is ~8x slower for a batch of one)."""

from __future__ import annotations

import numpy as np

from ..args import array_of, as_tensor
from ..function import Function
from ..registry import register
from .elementwise import unbroadcast


def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.dot(a, b) if a.ndim == 2 and b.ndim == 2 else np.matmul(a, b)


class MatMul(Function):
    """``a @ b`` for 1-D, 2-D and batched ``(..., n, k) @ (..., k, m)`` with broadcast batch dims."""
    torch_name = "MmBackward0"

    fresh_grads = True

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _mm(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # Treat vectors as matrices: a (k,) as (1, k), b (k,) as (k, 1); the grad follows.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        grad_a = grad_b = None
        if need_a:
            grad_a = unbroadcast(_mm(g, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if need_b:
            grad_b = unbroadcast(_mm(np.swapaxes(a2, -1, -2), g), b2.shape).reshape(b.shape)
        return grad_a, grad_b


class Linear(Function):
    """``x @ weight.T + bias`` as one op (weight shaped (out, in) as torch's): one pass fewer
    than a matmul and an add, and no (in, out) transposed copy."""
    def name(self) -> str:
        return "AddmmBackward0" if self.has_bias else "MmBackward0"  # (torch's: a product, plus the bias)


    fresh_grads = True

    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        out = np.dot(x2, weight.T)
        if bias is not None:
            out += bias
        return out.reshape(x.shape[:-1] + (weight.shape[0],)) if x.ndim != 2 else out

    def backward(ctx, grad):
        x, weight = ctx.saved_tensors[:2]
        return _linear_grads(ctx, grad, x, weight)


def _linear_grads(ctx, grad, x, weight):
    """Gradients of x Wᵀ + b for the inputs that need one (shared by Linear and LinearReLU)."""
    needs = ctx.needs_input_grad
    need_x, need_w = needs[0], needs[1]
    need_b = ctx.has_bias and needs[2]
    g2 = grad.reshape(-1, grad.shape[-1]) if grad.ndim != 2 else grad
    x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
    grad_x = None
    if need_x:
        grad_x = np.dot(g2, weight)
        if x.ndim != 2:
            grad_x = grad_x.reshape(x.shape)
    grad_w = None
    if need_w:  # in the weight's own layout (column-major for nn.Linear), so updates stream over both
        if weight.strides[0] < weight.strides[1]:
            grad_w = np.empty(weight.shape, np.result_type(x2, g2), order="F")
            np.dot(x2.T, g2, out=grad_w.T)
        else:
            grad_w = np.dot(g2.T, x2)
    grad_b = np.add.reduce(g2, axis=0) if need_b else None
    return grad_x, grad_w, grad_b


class LinearReLU(Function):
    """relu(x Wᵀ + b) as one op — what ``Sequential`` runs for a Linear followed by a ReLU. The
    activation is applied in place to the fresh product (one array and one op fewer), and backward
    needs only the output: the gradient passes where it is positive. Same numbers as the two ops.
    Graphs and traces show it as the two steps it is, "Linear → ReLU"."""

    fresh_grads = True
    may_overwrite_grad = True

    @classmethod
    def label(cls) -> str:
        return "Linear → ReLU"

    def name(self) -> str:
        return Linear.name(self) + " → ReluBackward0"  # (torch's names of the two steps)

    def forward(ctx, x, weight, bias=None):
        out = Linear.forward(ctx, x, weight, bias)
        np.maximum(out, 0, out=out)
        ctx.saved_tensors += (out,)
        return out

    def backward(ctx, grad):
        x, weight, out = ctx.saved_tensors
        mask = out > 0
        return _linear_grads(ctx, np.multiply(grad, mask, out=grad) if ctx.owns_grad else grad * mask, x, weight)


# --- where each op becomes x.name(...), tg.name(...) -------------------------------------------------
def matmul(self, other):
    """Matrix product with torch's shape rules (1-D, 2-D, batched)."""
    other = as_tensor(other)
    a, b = array_of(self), other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    inner = b.shape[-2 if b.ndim > 1 else 0]
    if a.shape[-1] != inner:
        raise RuntimeError(f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied ({a.shape[-1]} != {inner})")
    if a.dtype != b.dtype:
        raise RuntimeError(f"matmul: expected both arguments to have the same dtype, got {a.dtype} and {b.dtype}")
    return MatMul.apply(self, other)


def dot(self, other):
    """Inner product of two 1-D tensors."""
    if self.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: 1-D tensors expected, got shapes {tuple(self.shape)} and {tuple(other.shape)}")
    return matmul(self, other)


register("matmul", method=matmul)
register("mm", method=matmul)
register("dot", method=dot)
register("__matmul__", method=matmul, toplevel=False)
register("__rmatmul__", method=lambda self, other: matmul(as_tensor(other), self), toplevel=False)
