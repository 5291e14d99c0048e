"""Check analytic gradients against central finite differences in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, seed: int = 0) -> bool:
    """True if backward matches finite differences for every input element, else raise.

    The output is contracted with a fixed random tensor ``v`` (so non-scalar outputs are
    checked through ``sum(v * fn(...))``, a random direction of the Jacobian), and each input
    element is nudged by ±eps in float64.

    >>> import tinygrad_mlp as tg
    >>> x = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    >>> tg.gradcheck(lambda x: (x * x.sigmoid()).sum(dim=1), [x])
    True
    """
    tensors = [x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float64)) for x in inputs]
    for i, t in enumerate(tensors):
        if t.dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {t.dtype.name}; gradcheck needs float64 inputs")
    checked = [t for t in tensors if t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, nothing to check")

    out = fn(*tensors)
    v = np.random.default_rng(seed).standard_normal(out.shape)
    for t in checked:
        t.grad = None
    (out * Tensor(v)).sum().backward()
    analytic = [np.zeros(t.shape) if t.grad is None else t.grad.numpy().copy() for t in checked]

    def objective() -> float:
        return float(np.sum(fn(*tensors).detach().numpy() * v))

    for n, (t, ana) in enumerate(zip(checked, analytic)):
        data = t.detach().numpy()
        numeric = np.zeros_like(data)
        for idx in np.ndindex(*data.shape):
            orig = data[idx]
            data[idx] = orig + eps
            plus = objective()
            data[idx] = orig - eps
            minus = objective()
            data[idx] = orig
            numeric[idx] = (plus - minus) / (2 * eps)
        err = np.abs(ana - numeric) - (atol + rtol * np.abs(numeric))
        if err.size and (np.max(err) > 0 or not np.all(np.isfinite(ana) == np.isfinite(numeric))):
            worst = np.unravel_index(np.nanargmax(np.where(np.isfinite(err), err, np.inf)), err.shape)
            where = tuple(int(i) for i in worst)
            raise AssertionError(
                f"gradcheck: gradient of input {n} (shape {data.shape}) differs at index {where}: "
                f"analytic {ana[worst]!r} vs numerical {numeric[worst]!r} (atol={atol}, rtol={rtol})"
            )
    return True
