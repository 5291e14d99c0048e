"""``tg.linalg``: torch.linalg's names (norms, inverses, determinants, solvers, decompositions).

>>> import tinygrad_mlp as tg
>>> from tinygrad_mlp import linalg
>>> linalg.norm(tg.tensor([3.0, 4.0]))
tensor(5.)

The ops live in ``ops/decompositions.py`` (and ``ops/linalg.py`` for cross); this module only names them.
"""

from __future__ import annotations

from .ops.decompositions import (
    LinAlgError,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    matrix_norm,
    matrix_rank,
    norm,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
    vecdot,
    vector_norm,
)
from .ops.decompositions import linalg_diagonal as diagonal
from .ops.linalg import linalg_cross as cross
from .ops.matmul import matmul

__all__ = ["LinAlgError", "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul", "matrix_norm",
           "matrix_rank", "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vecdot", "vector_norm"]
