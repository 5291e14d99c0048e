"""torch.linalg's matrix functions and decompositions on batches of matrices (the last two dims): inv, det,
slogdet, solve, cholesky, eigh, svdvals, pinv (differentiable); qr and svd's U / Vh (forward only, their
backward says so); matrix_rank, diagonal and the norms. ``tinygrad_mlp.linalg`` is the namespace that
offers them under torch.linalg's names.

>>> import tinygrad_mlp as tg
>>> a = tg.tensor([[2.0, 0.0], [0.0, 4.0]], requires_grad=True)
>>> tg.linalg.det(a).backward(); a.grad
tensor([[4., 0.],
        [0., 2.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..args import as_tensor, dims
from ..function import Function
from ..registry import register
from .elementwise import unbroadcast
from .linalg import Norm


class LinAlgError(RuntimeError):
    """A matrix the operation cannot handle (singular, not positive-definite): torch's ``linalg.LinAlgError``,
    a RuntimeError."""


def _t(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def _wrap(a) -> Any:
    return Function.tensor_type._wrap(np.asarray(a))


def _matrices(x: Any, op: str, square: bool = True) -> Any:
    """``x`` as a tensor of float matrices (refused as torch refuses otherwise)."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions, got shape {tuple(x.shape)}")
    if square and x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {x.shape[-2]} by "
                           f"{x.shape[-1]} matrices")
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point tensor as input. Got {x.dtype.name}")
    return x


def _lapack(fn, op: str, what: str):
    try:
        with np.errstate(all="ignore"):
            return fn()
    except np.linalg.LinAlgError:
        raise LinAlgError(f"{op}: {what}") from None


# --- inv, det, slogdet, solve ---------------------------------------------------------------------------------
class Inv(Function):
    """A^-1; gradient -A^-T g A^-T."""

    def forward(ctx, a):
        out = _lapack(lambda: np.linalg.inv(a), "linalg.inv",
                      "The input matrix is singular, the inversion could not be completed.")
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (inv,) = ctx.saved_tensors
        return -(_t(inv) @ grad @ _t(inv))


def _others_product(s: np.ndarray) -> np.ndarray:
    """For each entry of the last axis, the product of all the others (exact with zeros: no division)."""
    ones = np.ones(s.shape[:-1] + (1,), s.dtype)
    left = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(s, -1)[..., :-1]], axis=-1), axis=-1), -1)
    return left * right


def _cofactor(a: np.ndarray) -> np.ndarray:
    """d det(A) / dA, the cofactor matrix, from an SVD: right for singular matrices too."""
    u, s, vh = np.linalg.svd(a)
    signs = np.linalg.det(u) * np.linalg.det(vh)
    return signs[..., None, None] * (u * _others_product(s)[..., None, :]) @ vh


class Det(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.asarray(np.linalg.det(a))

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return np.asarray(grad)[..., None, None] * _cofactor(a)


class LogAbsDet(Function):
    """log |det A| (``signed``: log det A, nan where det < 0); gradient A^-T."""

    def forward(ctx, a, signed):
        sign, logabs = np.linalg.slogdet(a)
        ctx.save_for_backward(a)
        return np.where(sign < 0, np.nan, logabs) if signed else logabs

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        inv = _lapack(lambda: np.linalg.inv(a), "slogdet", "the gradient needs an invertible matrix")
        return np.asarray(grad)[..., None, None] * _t(inv)


class SlogdetResult(tuple):
    """``(sign, logabsdet)``, like torch's named tuple."""

    def __new__(cls, sign, logabsdet):
        return super().__new__(cls, (sign, logabsdet))

    sign = property(lambda self: self[0])
    logabsdet = property(lambda self: self[1])


class Solve(Function):
    """X with A X = B for matrices B (batches broadcast); gradients B: A^-T g, A: -(A^-T g) X^T."""

    def forward(ctx, a, b):
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        x = _lapack(lambda: np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]),
                                            np.broadcast_to(b, batch + b.shape[-2:])),
                    "linalg.solve", "The solver failed because the input matrix is singular.")
        ctx.save_for_backward(a, x)
        ctx.shapes = a.shape, b.shape
        return x

    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        batch = grad.shape[:-2]
        gb = np.linalg.solve(np.broadcast_to(_t(a), batch + a.shape[-2:]), grad)
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(-(gb @ _t(x)), ctx.shapes[0]) if need_a else None,
                unbroadcast(gb, ctx.shapes[1]) if need_b else None)


def inv(A: Any) -> Any:  # noqa: N803 - torch's name
    """The inverse of each square matrix; singular matrices raise `LinAlgError`.

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.inv(tg.tensor([[2.0, 0.0], [0.0, 4.0]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    return Inv.apply(_matrices(A, "linalg.inv"))


def det(A: Any) -> Any:  # noqa: N803
    """The determinant of each square matrix (its gradient is right for singular matrices too).

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.det(tg.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor(-2.)
    """
    return Det.apply(_matrices(A, "linalg.det"))


def slogdet(A: Any) -> SlogdetResult:  # noqa: N803
    """``(sign, logabsdet)`` of each determinant; logabsdet is differentiable.

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.slogdet(tg.tensor([[-2.0, 0.0], [0.0, 1.0]])).sign
    tensor(-1.)
    """
    x = _matrices(A, "linalg.slogdet")
    sign = np.linalg.slogdet(x._data)[0].astype(x.dtype)
    return SlogdetResult(_wrap(sign), LogAbsDet.apply(x, signed=False))


def logdet(self: Any) -> Any:
    """log det A (nan where det < 0, -inf where 0), as torch.logdet."""
    return LogAbsDet.apply(_matrices(self, "logdet"), signed=True)


def _vector_rhs(a: Any, b: Any) -> bool:
    """torch's rule: B is a (batch of) vector(s) if it is 1-D or has A's shape without its last dim."""
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))


def solve(A: Any, B: Any, *, left: bool = True) -> Any:  # noqa: N803
    """X with ``A X = B`` (``left=False``: ``X A = B``); B is a matrix or a vector, batches broadcast.

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.solve(tg.tensor([[2.0, 0.0], [0.0, 4.0]]), tg.tensor([2.0, 2.0]))
    tensor([1.0000, 0.5000])
    """
    a, b = _matrices(A, "linalg.solve"), as_tensor(B)
    if b.dtype != a.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type {a.dtype.name} "
                           f"and B of type {b.dtype.name} instead")
    if not left:
        return solve(a.mT, b.mT).mT
    vector = _vector_rhs(a, b)
    bm = b.unsqueeze(-1) if vector else b
    if bm.ndim < 2 or bm.shape[-2] != a.shape[-1]:
        rows, cols = (bm.shape[-2], bm.shape[-1]) if bm.ndim >= 2 else (bm.shape[-1], 1)
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({a.shape[-2]}x{a.shape[-1]} and {rows}x{cols})")
    try:
        np.broadcast_shapes(tuple(a.shape[:-2]), tuple(bm.shape[:-2]))
    except ValueError:
        raise RuntimeError(f"linalg.solve: the batch dimensions of A {tuple(a.shape)} and B {tuple(b.shape)} "
                           "cannot be broadcast") from None
    x = Solve.apply(a, bm)
    return x.squeeze(-1) if vector else x


# --- cholesky, eigh, svd, qr ---------------------------------------------------------------------------------
class Cholesky(Function):
    """Lower L with A = L L^T; gradient sym(L^-T phi(L^T gL) L^-1), phi: the lower triangle, diagonal halved."""

    def forward(ctx, a):
        out = _lapack(lambda: np.linalg.cholesky(a), "linalg.cholesky",
                      "The factorization could not be completed because the input is not positive-definite.")
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (low,) = ctx.saved_tensors
        p = np.tril(_t(low) @ np.tril(grad))
        p = p - 0.5 * np.tril(np.triu(p))
        linv = np.linalg.inv(low)
        s = _t(linv) @ p @ linv
        return 0.5 * (s + _t(s))


def cholesky(A: Any, *, upper: bool = False) -> Any:  # noqa: N803
    """L with ``A = L L^T`` for symmetric positive-definite A (``upper=True``: U = L^T).

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.cholesky(tg.tensor([[4.0, 2.0], [2.0, 5.0]]))
    tensor([[2., 0.],
            [1., 2.]])
    """
    out = Cholesky.apply(_matrices(A, "linalg.cholesky"))
    return out.mT if upper else out


class _Eigen(Function):
    """One output of a symmetric eigendecomposition computed once outside (``w``, ``v``): eigenvalues
    (gradient V diag(g) V^T) or eigenvectors (gradient V (F * V^T g) V^T, F_ij = 1/(w_j - w_i))."""

    def forward(ctx, a, w, v, vectors):
        ctx.w, ctx.v, ctx.vectors = w, v, vectors
        return v if vectors else w

    def backward(ctx, grad):
        w, v = ctx.w, ctx.v
        if not ctx.vectors:
            inner = grad[..., None, :] * np.eye(w.shape[-1], dtype=w.dtype)
        else:
            gap = w[..., None, :] - w[..., :, None]
            with np.errstate(divide="ignore"):
                f = np.where(np.eye(w.shape[-1], dtype=bool), 0.0, 1.0 / gap)
            inner = f * (_t(v) @ grad)
        out = v @ inner @ _t(v)
        return 0.5 * (out + _t(out))


class EighResult(tuple):
    def __new__(cls, eigenvalues, eigenvectors):
        return super().__new__(cls, (eigenvalues, eigenvectors))

    eigenvalues = property(lambda self: self[0])
    eigenvectors = property(lambda self: self[1])


def eigh(A: Any, UPLO: str = "L") -> EighResult:  # noqa: N803
    """``(eigenvalues, eigenvectors)`` of symmetric matrices (ascending; only the ``UPLO`` triangle is read).

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.eigh(tg.tensor([[2.0, 0.0], [0.0, 1.0]])).eigenvalues
    tensor([1., 2.])
    """
    x = _matrices(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    w, v = _lapack(lambda: np.linalg.eigh(x._data, UPLO=UPLO), "linalg.eigh", "The algorithm failed to converge")
    return EighResult(_Eigen.apply(x, w=w, v=v, vectors=False), _Eigen.apply(x, w=w, v=v, vectors=True))


def eigvalsh(A: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """The eigenvalues of symmetric matrices, ascending (differentiable)."""
    return eigh(A, UPLO)[0]


class Svdvals(Function):
    """The singular values (descending); gradient U diag(g) Vh."""

    def forward(ctx, a):
        u, s, vh = _lapack(lambda: np.linalg.svd(a, full_matrices=False), "linalg.svd", "SVD did not converge")
        ctx.u, ctx.vh = u, vh
        return s

    def backward(ctx, grad):
        return (ctx.u * grad[..., None, :]) @ ctx.vh


class _NoGradient(Function):
    """A forward-only output (``what`` names it): its backward raises rather than give a wrong gradient."""

    def forward(ctx, a, out, what):
        ctx.what = what
        return out

    def backward(ctx, grad):
        raise NotImplementedError(f"{ctx.what}: the gradient is not supported here (differentiate through "
                                  "svdvals, eigh, solve or inv instead)")


class SvdResult(tuple):
    def __new__(cls, U, S, Vh):  # noqa: N803
        return super().__new__(cls, (U, S, Vh))

    U = property(lambda self: self[0])  # noqa: N815
    S = property(lambda self: self[1])  # noqa: N815
    Vh = property(lambda self: self[2])  # noqa: N815


def svd(A: Any, full_matrices: bool = True) -> SvdResult:  # noqa: N803
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``. S is differentiable; a gradient through U or Vh raises.

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.svd(tg.tensor([[3.0, 0.0], [0.0, -2.0]])).S
    tensor([3., 2.])
    """
    x = _matrices(A, "linalg.svd", square=False)
    u, _, vh = _lapack(lambda: np.linalg.svd(x._data, full_matrices=full_matrices), "linalg.svd",
                       "SVD did not converge")
    return SvdResult(_NoGradient.apply(x, out=u, what="linalg.svd's U"), Svdvals.apply(x),
                     _NoGradient.apply(x, out=vh, what="linalg.svd's Vh"))


def svdvals(A: Any) -> Any:  # noqa: N803
    """The singular values, descending (differentiable).

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.svdvals(tg.tensor([[3.0, 0.0], [0.0, -4.0]]))
    tensor([4., 3.])
    """
    return Svdvals.apply(_matrices(A, "linalg.svdvals", square=False))


class QrResult(tuple):
    def __new__(cls, Q, R):  # noqa: N803
        return super().__new__(cls, (Q, R))

    Q = property(lambda self: self[0])  # noqa: N815
    R = property(lambda self: self[1])  # noqa: N815


def qr(A: Any, mode: str = "reduced") -> QrResult:  # noqa: N803
    """``(Q, R)`` with ``A = Q R`` (mode 'reduced', 'complete' or 'r': Q empty). Forward only: a gradient
    through Q or R raises.

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.qr(tg.eye(2)).R
    tensor([[1., 0.],
            [0., 1.]])
    """
    x = _matrices(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    q, r = np.linalg.qr(x._data, mode="complete" if mode == "complete" else "reduced")
    q = np.empty((0,), x.dtype) if mode == "r" else q
    return QrResult(_NoGradient.apply(x, out=q, what="linalg.qr's Q"),
                    _NoGradient.apply(x, out=r, what="linalg.qr's R"))


# --- pinv, matrix_rank ------------------------------------------------------------------------------------------
def _cutoff(s: np.ndarray, shape: tuple, atol: Any, rtol: Any) -> np.ndarray:
    """torch's tolerance: max(atol, rtol * largest singular value); rtol defaults to eps * max(m, n) when
    atol is not given, else to 0."""
    if rtol is None:
        rtol = np.finfo(s.dtype).eps * max(shape[-2:]) if atol is None else 0.0
    smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    return np.maximum(0.0 if atol is None else np.asarray(atol, s.dtype)[..., None],
                      np.asarray(rtol, s.dtype)[..., None] * smax)


class Pinv(Function):
    """The pseudo-inverse P; gradient (constant rank) -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A)."""

    def forward(ctx, a, atol, rtol):
        u, s, vh = _lapack(lambda: np.linalg.svd(a, full_matrices=False), "linalg.pinv", "SVD did not converge")
        keep = s > _cutoff(s, a.shape, atol, rtol)
        inv_s = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0).astype(a.dtype)
        p = (_t(vh) * inv_s[..., None, :]) @ _t(u)
        ctx.save_for_backward(a, p)
        return p

    def backward(ctx, grad):
        a, p = ctx.saved_tensors
        gt = _t(grad)
        left = np.eye(a.shape[-2], dtype=a.dtype) - a @ p
        right = np.eye(a.shape[-1], dtype=a.dtype) - p @ a
        return -(_t(p) @ grad @ _t(p)) + left @ gt @ p @ _t(p) + _t(p) @ p @ gt @ right


def pinv(A: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Any:  # noqa: N803
    """The Moore-Penrose pseudo-inverse (singular values at or below max(atol, rtol * largest) dropped).

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.pinv(tg.tensor([[2.0, 0.0], [0.0, 0.0]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.0000]])
    """
    return Pinv.apply(_matrices(A, "linalg.pinv", square=False), atol=atol, rtol=rtol)


def matrix_rank(A: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Any:  # noqa: N803
    """How many singular values are above max(atol, rtol * largest) (int64, not differentiable).

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.matrix_rank(tg.tensor([[1.0, 2.0], [2.0, 4.0]]))
    tensor(1)
    """
    x = _matrices(A, "linalg.matrix_rank", square=False)
    s = np.linalg.svd(x._data, compute_uv=False)
    return _wrap((s > _cutoff(s, x.shape, atol, rtol)).sum(axis=-1).astype(np.int64))


# --- diagonal ------------------------------------------------------------------------------------------------
class Diagonal(Function):
    """The diagonal ``offset`` of the planes (dim1, dim2), as the last dim; the gradient goes back to it."""

    def forward(ctx, a, offset, dim1, dim2):
        ctx.shape, ctx.offset, ctx.dims = a.shape, offset, (dim1, dim2)
        return np.diagonal(a, offset, dim1, dim2).copy()

    def backward(ctx, grad):
        out = np.zeros(ctx.shape, grad.dtype)
        plane = np.moveaxis(out, ctx.dims, (-2, -1))
        n = grad.shape[-1]
        plane[..., np.arange(n) + max(-ctx.offset, 0), np.arange(n) + max(ctx.offset, 0)] = grad
        return out


def diagonal(self: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
    """The diagonal ``offset`` of the planes of dims (dim1, dim2), as a last dim (torch.diagonal).

    >>> import tinygrad_mlp as tg
    >>> tg.arange(9.0).reshape(3, 3).diagonal(1)
    tensor([1., 5.])
    """
    x = as_tensor(self)
    d1, d2 = dims((dim1, dim2), x.ndim, "diagonal")
    if x.ndim < 2 or d1 == d2:
        raise RuntimeError(f"diagonal: diagonal dimensions cannot be identical {dim1}, {dim2} (or the tensor has "
                           f"fewer than 2 dims: shape {tuple(x.shape)})")
    return Diagonal.apply(x, offset=int(offset), dim1=d1, dim2=d2)


def linalg_diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:  # noqa: N803
    """torch.linalg.diagonal: `diagonal` with the last two dims as the default plane."""
    return diagonal(A, offset, dim1, dim2)


# --- norms ---------------------------------------------------------------------------------------------------
def _float_input(x: Any, dtype: Any, op: str) -> Any:
    x = as_tensor(x)
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point tensor as input. Got {x.dtype.name}")
    return x


def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A002
    """The vector ``ord``-norm over ``dim`` (all elements when None): inf, -inf, 0 and any real ord.

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.vector_norm(tg.tensor([3.0, -4.0]))
    tensor(5.)
    """
    x = _float_input(x, dtype, "linalg.vector_norm")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    return Norm.apply(x, p=float(ord), dims=None if dim is None else dims(dim, x.ndim, "linalg.vector_norm"),
                      keepdim=bool(keepdim))


def _matrix_norm_keepdim(x: Any, ord: Any, d: tuple) -> Any:  # noqa: A002
    """The matrix norm over dims ``d`` (a pair), kept as size-1 dims."""
    if ord == "fro":
        return Norm.apply(x, p=2.0, dims=d, keepdim=True)
    if ord in ("nuc", 2, -2):
        rest = [i for i in range(x.ndim) if i not in d]
        s = Svdvals.apply(x.permute(*rest, *d))
        s = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        return s.reshape(tuple(1 if i in d else n for i, n in enumerate(x.shape)))
    if ord in (1, -1, np.inf, -np.inf):
        summed, reduced = (d[0], d[1]) if abs(ord) == 1 else (d[1], d[0])
        sums = x.abs().sum(summed, keepdim=True)
        return sums.amax(reduced, keepdim=True) if ord > 0 else sums.amin(reduced, keepdim=True)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def matrix_norm(A: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,  # noqa: A002, N803
                dtype: Any = None) -> Any:
    """The matrix norm over the two dims ``dim``: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf (as torch).

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.matrix_norm(tg.tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1)
    tensor(6.)
    """
    x = _float_input(A, dtype, "linalg.matrix_norm")
    d = dims(dim, x.ndim, "linalg.matrix_norm")
    if x.ndim < 2 or len(d) != 2 or d[0] == d[1]:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple of different dims of a tensor with at least "
                           f"2 dims, got dim={dim} for shape {tuple(x.shape)}")
    out = _matrix_norm_keepdim(x, ord, d)
    return out if keepdim else out.squeeze(d)


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A002, N803
    """torch.linalg.norm: a vector norm (1-D input, or an int ``dim``) or a matrix norm (2-D input, or a pair
    ``dim``); with ord and dim None, the 2-norm of all elements.

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.norm(tg.tensor([[3.0, 0.0], [0.0, 4.0]]))
    tensor(5.)
    """
    x = _float_input(A, dtype, "linalg.norm")
    if dim is None and ord is None:
        return vector_norm(x, 2, None, keepdim)
    if dim is None:
        if x.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                               f"{x.ndim}D.")
        dim = (-2, -1) if x.ndim == 2 else -1
    if isinstance(dim, (int, np.integer)) or len(dim) == 1:
        return vector_norm(x, 2 if ord is None else ord, dim, keepdim)
    return matrix_norm(x, "fro" if ord is None else ord, dim, keepdim)


def vecdot(x: Any, y: Any, *, dim: int = -1) -> Any:
    """The dot product of vectors along ``dim`` (with broadcasting).

    >>> import tinygrad_mlp as tg
    >>> tg.linalg.vecdot(tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0]))
    tensor(11.)
    """
    x, y = as_tensor(x), as_tensor(y)
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{x.dtype.name} and y of type {y.dtype.name} instead")
    return (x * y).sum(dim)


register("inverse", method=inv)
register("det", method=det)
register("logdet", method=logdet)
register("slogdet", method=slogdet)
register("pinverse", method=lambda self, rcond=1e-15: Pinv.apply(_matrices(self, "pinverse", square=False),
                                                                  atol=None, rtol=rcond))
register("diagonal", method=diagonal)
