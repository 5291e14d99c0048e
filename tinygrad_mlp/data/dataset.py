"""`Dataset`, `TensorDataset` and `DataLoader` (torch.utils.data's API, numpy underneath)."""

from __future__ import annotations

import bisect
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from .. import rng as rng_mod
from ..tensor import Tensor


class Dataset:
    """Anything with ``__getitem__(i)`` and ``__len__``; ``a + b`` chains two (a `ConcatDataset`), as torch."""

    def __getitem__(self, index: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def __add__(self, other: Any) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Rows of equally long arrays/tensors: ``TensorDataset(X, y)[i] == (X[i], y[i])``.

    >>> import numpy as np
    >>> ds = TensorDataset(np.zeros((5, 3)), np.arange(5))
    >>> len(ds), int(ds[2][1])
    (5, 2)
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = [a._data if isinstance(a, Tensor) else np.asarray(a) for a in arrays]
        n = len(self.arrays[0])
        for i, a in enumerate(self.arrays):
            if len(a) != n:
                raise ValueError(f"TensorDataset: all arrays need the same number of rows; array 0 has {n}, "
                                 f"array {i} has {len(a)}")

    def __getitem__(self, index: Any) -> tuple:
        return tuple(Tensor(a[index]) for a in self.arrays)  # tensors (views), as torch's rows

    def __len__(self) -> int:
        return len(self.arrays[0])

    @property
    def tensors(self) -> tuple:
        """The whole columns as tensors (torch's attribute; ``arrays`` holds the same data as numpy arrays)."""
        return tuple(Tensor(a) for a in self.arrays)


def default_collate(items: Sequence[Any]) -> Any:
    """Stack a list of samples (arrays, numbers or tuples of them) into batch tensors."""
    first = items[0]
    if isinstance(first, dict):  # a dict of fields per sample: a dict of batches, as torch
        return {key: default_collate([it[key] for it in items]) for key in first}
    if isinstance(first, tuple | list):
        return tuple(default_collate([it[i] for it in items]) for i in range(len(first)))
    return Tensor(np.stack([it._data if isinstance(it, Tensor) else np.asarray(it) for it in items]))


class ConcatDataset(Dataset):
    """Several datasets one after another: positions ``0 .. len(d0)-1`` are ``d0``'s, then ``d1``'s...

    ``cumulative_sizes[k]`` is the total length of ``datasets[:k+1]``. Negative indices count from
    the end; errors are torch's (an empty list of datasets: ``AssertionError``; an index below
    ``-len``: ``ValueError``; at or past ``len``: ``IndexError``).

    >>> c = ConcatDataset([range(3), range(0), range(10, 12)])
    >>> c.cumulative_sizes, [c[i] for i in range(len(c))], c[-2]
    ([3, 3, 5], [0, 1, 2, 10, 11], 10)
    """

    datasets: list
    cumulative_sizes: list[int]

    @staticmethod
    def cumsum(sequence: Iterable[Any]) -> list[int]:
        """The running totals of the lengths of ``sequence``'s items."""
        totals, running = [], 0
        for part in sequence:
            running += len(part)
            totals.append(running)
        return totals

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: Any) -> Any:
        total = len(self)
        if idx < 0:
            if -idx > total:
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += total
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        if which >= len(self.datasets):
            raise IndexError("list index out of range")
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]

    @property
    def cummulative_sizes(self) -> list[int]:
        """The old, misspelt name of ``cumulative_sizes`` (deprecated, as in torch)."""
        warnings.warn("`cummulative_sizes` attribute is renamed to `cumulative_sizes`", FutureWarning, stacklevel=2)
        return self.cumulative_sizes


class DataLoader:
    """Batches from a dataset, reshuffled every epoch (reproducibly under ``tg.manual_seed``).

    ``batch_size=1`` is stochastic gradient descent, ``batch_size=None`` one batch of the whole
    set. A `TensorDataset` is sliced directly (no per-sample Python loop).

    >>> import numpy as np, tinygrad_mlp as tg
    >>> loader = DataLoader(TensorDataset(np.arange(10.0), np.arange(10)), batch_size=4)
    >>> [len(y) for _, y in loader]
    [4, 4, 2]
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool = False, drop_last: bool = False,
                 generator: rng_mod.Generator | None = None, seed: int | None = None,
                 collate_fn: Callable | None = None) -> None:
        if batch_size is not None and (not isinstance(batch_size, int | np.integer) or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive integer (or None for the full set), "
                             f"got {batch_size!r}")
        self.dataset, self.shuffle, self.drop_last = dataset, shuffle, drop_last
        self.batch_size = batch_size
        self.generator = generator if generator is not None else (
            rng_mod.Generator(seed) if seed is not None else None)
        self.collate_fn = collate_fn

    def _batch_size(self) -> int:
        return len(self.dataset) if self.batch_size is None else self.batch_size

    def __len__(self) -> int:
        n, b = len(self.dataset), self._batch_size()
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[Any]:
        n, b = len(self.dataset), self._batch_size()
        order = rng_mod.dataloader_order(n, self.generator, self.shuffle) if self.shuffle else None
        if not self.shuffle:
            rng_mod.random_int64(generator=self.generator)  # torch's iterator draws its base seed either way
        stop = n - n % b if self.drop_last else n
        # (a subclass that overrides __getitem__ goes through it, item by item)
        fast = type(self.dataset).__getitem__ is TensorDataset.__getitem__ and self.collate_fn is None
        for start in range(0, stop, b):
            idx = order[start:start + b] if order is not None else slice(start, min(start + b, n))
            if fast:
                yield tuple(Tensor(a[idx]) for a in self.dataset.arrays)
            else:
                positions = range(n)[idx] if isinstance(idx, slice) else idx
                items = [self.dataset[int(i)] for i in positions]
                yield (self.collate_fn or default_collate)(items)
