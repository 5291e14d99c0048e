"""torch-style free functions (``tg.exp(x)``, ``tg.max(x, 1)``): each calls the Tensor method."""

from __future__ import annotations

from typing import Any

from .tensor import Tensor, _as_tensor

__all__ = [
    "abs", "allclose", "amax", "amin", "argmax", "argmin", "chunk", "clamp", "clip", "dot", "equal",
    "exp", "flatten", "is_tensor", "isfinite", "isnan", "log", "log_softmax", "logsumexp", "matmul",
    "max", "maximum", "mean", "min", "minimum", "mm", "numel", "permute", "pow", "prod", "relu",
    "reshape", "sigmoid", "sign", "softmax", "split", "sqrt", "square", "squeeze", "std", "sum", "tanh",
    "transpose", "unsqueeze", "var",
]


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:  # noqa: A002
    return input.numel()


def abs(input: Any) -> Tensor:  # noqa: A001, A002
    return _as_tensor(input).abs()


def exp(input: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).exp()


def log(input: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).log()


def sqrt(input: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).sqrt()


def square(input: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).square()


def sign(input: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).sign()


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001, A002
    return _as_tensor(input) ** exponent


def sigmoid(input: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).sigmoid()


def tanh(input: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).tanh()


def relu(input: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).relu()


def softmax(input: Any, dim: int = -1) -> Tensor:  # noqa: A002
    return _as_tensor(input).softmax(dim)


def log_softmax(input: Any, dim: int = -1) -> Tensor:  # noqa: A002
    return _as_tensor(input).log_softmax(dim)


def maximum(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).maximum(other)


def minimum(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).minimum(other)


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A001, A002
    return _as_tensor(input).clamp(min, max)


clip = clamp


def sum(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001, A002
    return _as_tensor(input).sum(dim, keepdim)


def mean(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _as_tensor(input).mean(dim, keepdim)


def max(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    return _as_tensor(input).max(dim, keepdim)


def min(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    return _as_tensor(input).min(dim, keepdim)


def amax(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _as_tensor(input).amax(dim, keepdim)


def amin(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _as_tensor(input).amin(dim, keepdim)


def argmax(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _as_tensor(input).argmax(dim, keepdim)


def argmin(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _as_tensor(input).argmin(dim, keepdim)


def var(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
        correction: Any = None) -> Tensor:
    return _as_tensor(input).var(dim, unbiased, keepdim, correction=correction)


def std(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
        correction: Any = None) -> Tensor:
    return _as_tensor(input).std(dim, unbiased, keepdim, correction=correction)


def logsumexp(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _as_tensor(input).logsumexp(dim, keepdim)


def prod(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _as_tensor(input).prod(dim, keepdim)


def matmul(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).matmul(other)


mm = matmul


def dot(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).dot(_as_tensor(other))


def reshape(input: Any, shape: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).reshape(shape)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    return _as_tensor(input).flatten(start_dim, end_dim)


def transpose(input: Any, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    return _as_tensor(input).transpose(dim0, dim1)


def permute(input: Any, dims: Any) -> Tensor:  # noqa: A002
    return _as_tensor(input).permute(*dims)


def squeeze(input: Any, dim: Any = None) -> Tensor:  # noqa: A002
    return _as_tensor(input).squeeze(dim)


def unsqueeze(input: Any, dim: int) -> Tensor:  # noqa: A002
    return _as_tensor(input).unsqueeze(dim)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    return tensor.split(split_size_or_sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:  # noqa: A002
    return input.chunk(chunks, dim)


def isnan(input: Tensor) -> Tensor:  # noqa: A002
    return input.isnan()


def isfinite(input: Tensor) -> Tensor:  # noqa: A002
    return input.isfinite()


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    return input.equal(other)


def allclose(input: Tensor, other: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:  # noqa: A002
    return input.allclose(other, rtol, atol)
