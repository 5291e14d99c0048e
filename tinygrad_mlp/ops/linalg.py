"""torch's scans, sorting, counting, norms and products beyond ``matmul.py``: cumsum, cumprod, sort,
argsort, topk, unique, bincount, histc, histogram, norm, dist, cdist, isclose, einsum, bmm, outer,
addmm; and the top-level reductions that are not ops elsewhere (all, any, count_nonzero, median, ...)."""

from __future__ import annotations

import string

import numpy as np

from ..args import array_of, as_tensor, dims
from ..function import Function
from ..registry import register
from .movement import MinMaxResult, TakeAlongDim


def _dim(self, dim, op: str) -> int:
    return dims(dim, self.ndim, op)[0] if self.ndim else 0


def _wrap(array) -> object:
    return Function.tensor_type._wrap(np.asarray(array))


# --- scans ------------------------------------------------------------------------------------------------
class Cumsum(Function):
    def forward(ctx, a, dim):
        ctx.dim = dim
        if a.dtype.kind in "biu":
            return np.cumsum(a, axis=dim, dtype=np.int64)
        return np.cumsum(a, axis=dim)

    def backward(ctx, grad):
        return np.flip(np.cumsum(np.flip(grad, ctx.dim), axis=ctx.dim), ctx.dim).copy()


class Cumprod(Function):
    """The gradient is exact with zeros in the input: each element's share is the product of the others."""

    def forward(ctx, a, dim):
        ctx.dim = dim
        out = np.cumprod(a, axis=dim, dtype=np.int64 if a.dtype.kind in "biu" else None)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        d = ctx.dim
        if (a != 0).all():
            return np.flip(np.cumsum(np.flip(grad * out, d), axis=d), d) / a
        a_last, g_last = np.moveaxis(a, d, -1), np.moveaxis(grad, d, -1)
        result = np.empty_like(a_last)
        for i in range(a_last.shape[-1]):  # d out_j / d a_i = prod_{k <= j, k != i} a_k for j >= i
            b = a_last.copy()
            b[..., i] = 1
            result[..., i] = (np.cumprod(b, axis=-1)[..., i:] * g_last[..., i:]).sum(axis=-1)
        return np.moveaxis(result, -1, d)


def _scan(op: type, name: str):
    def method(self, dim, *, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x.ndim == 0:
            return op.apply(x.reshape(1), dim=0).reshape(())
        return op.apply(x, dim=_dim(x, dim, name))

    method.__name__ = name
    return method


# --- sorting ----------------------------------------------------------------------------------------------
def _argsort(a: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Stable; descending keeps equal elements in their original order (as torch's stable sort)."""
    if not descending:
        return np.argsort(a, axis=dim, kind="stable")
    reverse = np.argsort(np.flip(a, dim), axis=dim, kind="stable")
    return a.shape[dim] - 1 - np.flip(reverse, dim)


class SortResult(MinMaxResult):
    """``(values, indices)`` of sort / topk, like torch's named tuple."""


def sort(self, dim=-1, descending=False, stable=False):
    if self.ndim == 0:
        return SortResult(self * 1, _wrap(np.zeros((), np.int64)))
    d = _dim(self, dim, "sort")
    idx = _argsort(self._data, d, descending).astype(np.int64)
    return SortResult(TakeAlongDim.apply(self, indices=idx, dim=d), _wrap(idx))


def argsort(self, dim=-1, descending=False, stable=False):
    return sort(self, dim, descending, stable)[1]


def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - torch's name
    d = _dim(self, dim, "topk")
    n = self.shape[d] if self.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k={k} out of range for a dimension of size {n}")
    if self.ndim == 0:
        return sort(self)
    idx = _argsort(self._data, d, largest).astype(np.int64)
    idx = np.take(idx, np.arange(k), axis=d)
    return SortResult(TakeAlongDim.apply(self, indices=idx, dim=d), _wrap(idx))


def msort(self):
    return sort(self, 0)[0]


# --- counting ---------------------------------------------------------------------------------------------
def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """Sorted unique values (torch sorts on the CPU whatever ``sorted`` says); no gradient."""
    axis = None if dim is None else _dim(self, dim, "unique")
    values, inverse, counts = np.unique(self._data, return_inverse=True, return_counts=True, axis=axis)
    out = [_wrap(values)]
    if return_inverse:
        out.append(_wrap(inverse.reshape(self.shape if axis is None else -1).astype(np.int64)))
    if return_counts:
        out.append(_wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
    if dim is not None:
        raise NotImplementedError("unique_consecutive: dim is not supported here")
    flat = self._data.reshape(-1)
    starts = np.concatenate([[True], flat[1:] != flat[:-1]]) if flat.size else np.zeros(0, bool)
    out = [_wrap(flat[starts])]
    if return_inverse:
        out.append(_wrap((np.cumsum(starts) - 1).reshape(self.shape).astype(np.int64)))
    if return_counts:
        out.append(_wrap(np.diff(np.append(np.flatnonzero(starts), flat.size)).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(self, weights=None, minlength=0):
    a = self._data
    if a.ndim != 1 or a.dtype.kind not in "iub":
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got shape {a.shape} "
                           f"dtype {a.dtype}")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _wrap(np.bincount(a, minlength=minlength).astype(np.int64))
    w = np.asarray(array_of(weights))
    if w.shape != a.shape:
        raise RuntimeError(f"bincount: weights of shape {w.shape} should have the same length as input {a.shape}")
    out_dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return _wrap(np.bincount(a, weights=w.astype(np.float64), minlength=minlength).astype(out_dtype))


def _bin_edges(data, bins, lo, hi):
    if lo == hi:
        if data.size:
            lo, hi = float(data.min()), float(data.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min, got min={lo}, max={hi}")
    return lo, hi


def histc(self, bins=100, min=0, max=0):  # noqa: A002 - torch's names
    """Counts in ``bins`` equal bins on [min, max] (min == max: the data's range); outside values are dropped."""
    a = self._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"histc: input must be a floating point tensor, got {a.dtype}")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, got {bins}")
    lo, hi = _bin_edges(a, bins, float(min), float(max))
    x = a.reshape(-1)
    x = x[(x >= lo) & (x <= hi)]
    pos = ((x - lo) * bins / (hi - lo)).astype(np.int64)
    pos[pos == bins] = bins - 1
    return _wrap(np.bincount(pos, minlength=bins).astype(a.dtype))


class HistogramResult(tuple):
    def __new__(cls, hist, bin_edges):
        return super().__new__(cls, (hist, bin_edges))

    hist = property(lambda self: self[0])
    bin_edges = property(lambda self: self[1])


def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """``(hist, bin_edges)``: ``bins`` equal bins (or the given edges) over ``range`` (default: the data's)."""
    a = self._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"histogram: input must be a floating point tensor, got {a.dtype}")
    edges = np.asarray(array_of(bins)) if not isinstance(bins, int) else bins
    if isinstance(edges, int) and range is None:
        range = _bin_edges(a, edges, 0.0, 0.0)  # noqa: A001
    w = None if weight is None else np.asarray(array_of(weight))
    hist, bin_edges = np.histogram(a.reshape(-1), bins=edges, range=range, weights=None if w is None else w.reshape(-1),
                                   density=density)
    return HistogramResult(_wrap(hist.astype(a.dtype)), _wrap(bin_edges.astype(a.dtype)))


# --- norms and distances ----------------------------------------------------------------------------------
class Norm(Function):
    """The vector p-norm over ``dims`` (None: all): (sum |x|^p)^(1/p); p = inf / -inf: max / min |x|; p = 0:
    the count of non-zeros. The gradient is 0 where the norm is 0 (as torch)."""

    def forward(ctx, a, p, dims, keepdim):
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        absa = np.abs(a)
        if p == np.inf or p == -np.inf:
            out = (np.max if p > 0 else np.min)(absa, axis=dims, keepdims=True)
        elif p == 0:
            out = (a != 0).sum(axis=dims, keepdims=True).astype(a.dtype)
        elif p == 1:
            out = absa.sum(axis=dims, keepdims=True)
        elif p == 2:
            out = np.sqrt((a * a).sum(axis=dims, keepdims=True))
        else:
            with np.errstate(divide="ignore"):
                out = (absa ** p).sum(axis=dims, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(a, out)
        return out if keepdim else (out.reshape(()) if dims is None else np.squeeze(out, axis=dims))

    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        p = ctx.p
        if not ctx.keepdim and ctx.dims is not None:
            grad = np.expand_dims(grad, ctx.dims)
        if p == 0:
            return np.zeros_like(a)
        if p == np.inf or p == -np.inf:
            hit = np.abs(a) == out
            return grad * np.sign(a) * hit / hit.sum(axis=ctx.dims, keepdims=True)
        if p == 1:
            return grad * np.sign(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                local = a / out
            else:
                local = a * np.abs(a) ** (p - 2) / out ** (p - 1)
        return grad * np.where(out == 0, 0, local)


def _norm_dims(self, dim):
    if dim is None:
        return None
    return dims(dim, self.ndim, "norm")


def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm: the vector p-norm over ``dim`` (all elements when None); 'fro' is the 2-norm."""
    x = self if dtype is None else self.to(dtype)
    if x.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be floating point, got {x.dtype.name}")
    if p is None or p == "fro":
        p = 2
    elif p == "nuc":
        raise NotImplementedError("norm(p='nuc') (the nuclear norm) is not supported here")
    elif isinstance(p, str):
        raise RuntimeError(f"norm(): unknown p {p!r}")
    return Norm.apply(x, p=float(p), dims=_norm_dims(x, dim), keepdim=bool(keepdim))


def dist(self, other, p=2):
    return norm(self - other, p)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M): (..., P, R)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist only supports at least 2D tensors with the same number of columns, got "
                           f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return Norm.apply(diff, p=float(p), dims=(diff.ndim - 1,), keepdim=False)


def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _wrap(np.isclose(self._data, array_of(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


# --- products ---------------------------------------------------------------------------------------------
def _expand_ellipsis(term: str, ndim: int, spare: str, width: int) -> str:
    if "..." not in term:
        return term
    n = ndim - (len(term) - 3)
    return term.replace("...", spare[width - n:width])


def _parse_einsum(equation: str, shapes: list) -> tuple:
    """Explicit subscripts for every operand and the output, with ``...`` spelled out as letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(f"einsum(): {len(terms)} subscripts in the equation but {len(shapes)} operands")
    used = set(eq)
    spare = "".join(c for c in string.ascii_letters if c not in used)
    width = max([len(s) - (len(t) - 3) for t, s in zip(terms, shapes) if "..." in t] + [0])
    terms = [_expand_ellipsis(t, len(s), spare, width) for t, s in zip(terms, shapes)]
    for t, s in zip(terms, shapes):
        if len(t) != len(s):
            raise RuntimeError(f"einsum(): the subscript {t!r} has {len(t)} letters for an operand of {len(s)} dims")
    if arrow:
        out = out.replace("...", spare[:width])
    else:
        counts = {}
        for c in "".join(terms):
            counts[c] = counts.get(c, 0) + 1
        out = spare[:width] + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in spare[:width]))
    return terms, out


class Einsum(Function):
    """np.einsum forward; each operand's gradient is another einsum: the output's gradient with the other
    operands, summed to the operand's subscripts."""

    def forward(ctx, *arrays, terms, out):
        ctx.terms, ctx.out = terms, out
        ctx.save_for_backward(*arrays)
        return np.asarray(np.einsum(",".join(terms) + "->" + out, *arrays))

    def backward(ctx, grad):
        arrays = ctx.saved_tensors
        grads = []
        for i, need in enumerate(ctx.needs_input_grad):
            grads.append(_einsum_grad(grad, ctx.out, arrays, ctx.terms, i) if need else None)
        return tuple(grads)


def _einsum_grad(grad, out, arrays, terms, i):
    term, a = terms[i], arrays[i]
    letters = "".join(dict.fromkeys(term))  # each letter once (a repeated one is a diagonal)
    others = [(t, x) for j, (t, x) in enumerate(zip(terms, arrays)) if j != i]
    present = set(out).union(*[set(t) for t, _ in others])
    kept = "".join(c for c in letters if c in present)
    g = np.einsum(",".join([out] + [t for t, _ in others]) + "->" + kept, grad, *[x for _, x in others])
    g = g.reshape(tuple(g.shape[kept.index(c)] if c in present else 1 for c in letters))
    g = _fit(g, tuple(a.shape[term.index(c)] for c in letters))
    if letters == term:
        return np.ascontiguousarray(g)
    result = np.zeros(a.shape, g.dtype)
    np.einsum(term + "->" + letters, result)[...] = g  # (a writable view of the diagonal)
    return result


def _fit(g: np.ndarray, shape: tuple) -> np.ndarray:
    """``g`` summed over the letters that were size 1 in the operand (broadcast against the others) and
    spread over those summed away in it alone."""
    if g.shape == shape:
        return g
    shrunk = tuple(ax for ax, (n, m) in enumerate(zip(g.shape, shape)) if m == 1 and n != 1)
    return np.broadcast_to(g.sum(axis=shrunk, keepdims=True) if shrunk else g, shape)


def einsum(equation: str, *operands):
    """torch.einsum: ``einsum('ij,jk->ik', a, b)`` (or the operands as one list), ``...`` included."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [as_tensor(x) for x in operands]
    terms, out = _parse_einsum(equation, [t.shape for t in ts])
    return Einsum.apply(*ts, terms=terms, out=out)


def bmm(self, mat2):
    if self.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm(): batch1 and batch2 must be 3D tensors, got {self.ndim}D and {mat2.ndim}D")
    if self.shape[0] != mat2.shape[0] or self.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"bmm(): shapes {tuple(self.shape)} and {tuple(mat2.shape)} cannot be multiplied")
    return self @ mat2


def outer(self, vec2):
    if self.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer(): expects 1D vectors, got {self.ndim}D and {vec2.ndim}D")
    return self.reshape(-1, 1) * vec2.reshape(1, -1)


def addmm(self, mat1, mat2, *, beta=1, alpha=1):
    """beta * self + alpha * (mat1 @ mat2); with beta = 0 ``self`` is ignored (nan in it does not spread)."""
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"addmm(): mat1 and mat2 must be matrices, got {mat1.ndim}D and {mat2.ndim}D")
    prod = mat1 @ mat2
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        shape = np.broadcast_shapes(tuple(self.shape), tuple(prod.shape))
        return prod if shape == tuple(prod.shape) else prod.expand(*shape)
    return prod + (self if beta == 1 else self * beta)


def mv(self, vec):
    if self.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv(): expects a matrix and a vector, got {self.ndim}D and {vec.ndim}D")
    return self @ vec


# --- top-level reductions ----------------------------------------------------------------------------------
def _logical(fn, name: str):
    def function(input, dim=None, keepdim=False, *, out=None):  # noqa: A002
        x = as_tensor(input)
        if dim is None:
            return _wrap(fn(x._data))
        return _wrap(fn(x._data, axis=dims(dim, x.ndim, name), keepdims=keepdim))

    function.__name__ = name
    return function


def count_nonzero(self, dim=None):
    return _wrap(np.count_nonzero(self._data, axis=None if dim is None else dims(dim, self.ndim, "count_nonzero"))
                 .astype(np.int64))


def median(self, dim=None, keepdim=False):
    """The lower median (as torch): all elements, or ``(values, indices)`` along ``dim``."""
    if dim is None:
        flat = self.reshape(-1)
        if flat.shape[0] == 0:
            return _wrap(np.asarray(np.nan, self.dtype))
        return sort(flat)[0][(flat.shape[0] - 1) // 2]
    d = _dim(self, dim, "median")
    idx = np.take(_argsort(self._data, d, False), [(self.shape[d] - 1) // 2], axis=d).astype(np.int64)
    values = TakeAlongDim.apply(self, indices=idx, dim=d)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return MinMaxResult(values, _wrap(idx))


def var_mean(self, dim=None, *, correction=1, keepdim=False):
    return self.var(dim, keepdim=keepdim, correction=correction), self.mean(dim, keepdim=keepdim)


def std_mean(self, dim=None, *, correction=1, keepdim=False):
    return self.std(dim, keepdim=keepdim, correction=correction), self.mean(dim, keepdim=keepdim)


for _method in (sort, argsort, topk, msort, unique, unique_consecutive, bincount, histc, norm, dist, isclose, bmm,
                outer, addmm, mv, count_nonzero, median, var_mean, std_mean):
    register(_method.__name__, method=_method)
register("histogram", method=histogram)
register("ger", method=outer)
register("cumsum", method=_scan(Cumsum, "cumsum"))
register("cumprod", method=_scan(Cumprod, "cumprod"))
register("einsum", function=einsum, tensor_method=False)
register("cdist", function=cdist, tensor_method=False)
register("all", method=_logical(np.all, "all"))  # x.all(dim) and tg.all(x, dim)
register("any", method=_logical(np.any, "any"))
del _method


# --- searching ----------------------------------------------------------------------------------------------
def _search_values(sorted_sequence, values, op):
    seq = np.asarray(array_of(sorted_sequence))
    vals = np.asarray(array_of(values))
    if seq.ndim == 0:
        raise RuntimeError(f"torch.{op}(): boundaries tensor should have positive dimension, but got 0 dimension")
    if seq.ndim > 1 and seq.shape[:-1] != vals.shape[:-1]:
        raise RuntimeError(f"torch.{op}(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                           f"boundaries tensor and input value tensor must match, but we got boundaries tensor "
                           f"{list(seq.shape)} and input value tensor {list(vals.shape)}")
    if seq.dtype.kind not in "iufb" or vals.dtype.kind not in "iufb":
        raise RuntimeError(f"torch.{op}(): expected real numbers, got dtypes {seq.dtype} and {vals.dtype}")
    return seq, vals


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):  # noqa: A002
    """For each value, the index where it would go in the last dim of ``sorted_sequence`` to keep it sorted
    (``right=True`` / ``side='right'``: after equal elements). Not differentiable.

    >>> import tinygrad_mlp as tg
    >>> tg.searchsorted(tg.tensor([1, 3, 5, 7]), tg.tensor([3, 6]))
    tensor([1, 3])
    """
    seq, vals = _search_values(sorted_sequence, input, "searchsorted")
    if side is not None:
        if side not in ("left", "right") or (right and side == "left"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' and must agree with "
                               f"right={right}, got side={side!r}")
        right = side == "right"
    if sorter is not None:
        seq = np.take_along_axis(seq, np.asarray(array_of(sorter)), axis=-1)
    how = "right" if right else "left"
    if seq.ndim == 1:
        out = np.searchsorted(seq, vals, side=how)
    else:
        rows_s, rows_v = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(rows_s, rows_v)]).reshape(vals.shape)
    return _wrap(np.asarray(out, np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):  # noqa: A002
    """The bucket of each value among 1-D ``boundaries``: i with ``boundaries[i-1] < x <= boundaries[i]``
    (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``), as torch.

    >>> import tinygrad_mlp as tg
    >>> tg.bucketize(tg.tensor([1.0, 3.0, 6.0]), tg.tensor([1.0, 3.0, 5.0]))
    tensor([0, 1, 3])
    """
    b = np.asarray(array_of(boundaries))
    if b.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got dim({b.ndim})")
    return searchsorted(b, input, out_int32=out_int32, right=right)


# --- tensordot, kron, cross, trace ----------------------------------------------------------------------------
def _tensordot_dims(dims_, na: int, nb: int) -> tuple:
    if isinstance(dims_, Function.tensor_type):
        dims_ = dims_.tolist()
    if isinstance(dims_, (int, np.integer)):
        if not 0 <= dims_ <= min(na, nb):
            raise RuntimeError(f"tensordot(): dims={dims_} must be between 0 and {min(na, nb)} for inputs of "
                               f"{na} and {nb} dims")
        return tuple(range(na - dims_, na)), tuple(range(dims_))
    if not (isinstance(dims_, (list, tuple)) and len(dims_) == 2):
        raise TypeError(f"tensordot(): dims must be an int or a pair of lists of dims, got {dims_!r}")
    first, second = ([d] if isinstance(d, (int, np.integer)) else list(d) for d in dims_)
    if len(first) != len(second):
        raise RuntimeError(f"tensordot(): both dimension lists should have same length, got {first} and {second}")
    return dims(first, na, "tensordot") or (), dims(second, nb, "tensordot") or ()


def tensordot(a, b, dims=2, out=None):  # noqa: A002 - torch's name
    """Sum the products over ``dims`` of a and b: the last ``dims`` of a with the first of b, or the
    listed pairs (``dims=([1, 2], [0, 1])``). Differentiable (an einsum).

    >>> import tinygrad_mlp as tg
    >>> tg.tensordot(tg.ones(2, 3), tg.ones(3, 4), dims=1).shape
    tinygrad_mlp.Size([2, 4])
    """
    a, b = as_tensor(a), as_tensor(b)
    da, db = _tensordot_dims(dims, a.ndim, b.ndim)
    if a.dtype != b.dtype:
        raise RuntimeError(f"tensordot(): both inputs should have same dtype, got {a.dtype.name} and {b.dtype.name}")
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"tensordot(): contracted dimensions need to match, but first has size {a.shape[i]} "
                               f"in dim {i} and second has size {b.shape[j]} in dim {j} (shapes {tuple(a.shape)} "
                               f"and {tuple(b.shape)})")
    letters = string.ascii_letters
    ta, tb = list(letters[:a.ndim]), list(letters[a.ndim:a.ndim + b.ndim])
    for i, j in zip(da, db):
        tb[j] = ta[i]
    out_term = "".join(c for k, c in enumerate(ta) if k not in da) + "".join(c for k, c in enumerate(tb) if k not in db)
    return Einsum.apply(a, b, terms=["".join(ta), "".join(tb)], out=out_term)


def kron(self, other):
    """The Kronecker product: every element of self times the whole of other, laid out blockwise.

    >>> import tinygrad_mlp as tg
    >>> tg.kron(tg.tensor([1, 2]), tg.tensor([1, 10]))
    tensor([ 1, 10,  2, 20])
    """
    other = as_tensor(other)
    n = max(self.ndim, other.ndim)
    a = self.reshape((1,) * (n - self.ndim) + tuple(self.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    spread_a = [s for k in a.shape for s in (k, 1)]
    spread_b = [s for k in b.shape for s in (1, k)]
    return (a.reshape(spread_a) * b.reshape(spread_b)).reshape(tuple(i * j for i, j in zip(a.shape, b.shape)))


def _cross(a, b, dim: int):
    i1, i2 = np.array([1, 2, 0]), np.array([2, 0, 1])
    return a.index_select(dim, i1) * b.index_select(dim, i2) - a.index_select(dim, i2) * b.index_select(dim, i1)


def cross(self, other, dim=None):
    """The cross product of 3-vectors along ``dim`` (None: the first dim of size 3, as torch.cross), with
    broadcasting.

    >>> import tinygrad_mlp as tg
    >>> tg.cross(tg.tensor([1.0, 0.0, 0.0]), tg.tensor([0.0, 1.0, 0.0]))
    tensor([0., 0., 1.])
    """
    other = as_tensor(other)
    shape = _broadcast_for("cross", self, other)
    a, b = self.expand(*shape), other.expand(*shape)
    if dim is None:
        if 3 not in shape:
            raise RuntimeError(f"cross(): no dimension of size 3 in input (shapes {tuple(self.shape)} and "
                               f"{tuple(other.shape)})")
        dim = shape.index(3)
    d = dims(dim, len(shape), "cross")[0]
    if shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {self.shape[d]} and "
                           f"{other.shape[d]}")
    return _cross(a, b, d)


def linalg_cross(input, other, *, dim=-1):  # noqa: A002
    """torch.linalg.cross: the cross product along ``dim`` (-1); both inputs need the same number of dims."""
    x, other = as_tensor(input), as_tensor(other)
    if x.ndim != other.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions (shapes "
                           f"{tuple(x.shape)} and {tuple(other.shape)})")
    return cross(x, other, dim)


def _broadcast_for(op, a, b) -> tuple:
    try:
        return np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise RuntimeError(f"{op}(): shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast") from None


def trace(self):
    """The sum of the main diagonal of a matrix (integers give int64, as torch).

    >>> import tinygrad_mlp as tg
    >>> tg.trace(tg.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor(5.)
    """
    if self.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
    return self.diag().sum()


register("searchsorted", function=searchsorted, tensor_method=False)
register("bucketize", function=bucketize, tensor_method=False)
register("tensordot", function=tensordot, tensor_method=False)
for _method in (kron, cross, trace):
    register(_method.__name__, method=_method)
del _method
