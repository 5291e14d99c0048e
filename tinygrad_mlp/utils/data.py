"""``torch.utils.data``'s names, so ``import tinygrad_mlp as torch`` scripts find them (the loader
itself is in ``tinygrad_mlp.data``).

Defined here: ``random_split``, ``Subset`` and ``ConcatDataset``, which behave as torch 2.13's do --
the same split sizes, warnings and errors, and, for the same seed, the same permutation (it is
``tg.randperm``, which draws torch's own random stream).

>>> import tinygrad_mlp as tg
>>> _ = tg.manual_seed(0)
>>> [s.indices for s in random_split(range(10), [3, 7])]   # torch.manual_seed(0): the same
[[4, 1, 7], [5, 3, 9, 0, 8, 6, 2]]
>>> both = ConcatDataset([range(3), range(10, 12)])
>>> len(both), both[3], both[-1], both.cumulative_sizes
(5, 10, 11, [3, 5])
"""

from __future__ import annotations

import bisect
import math
import operator
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from .. import rng as _rng
from ..data.dataset import DataLoader, Dataset, TensorDataset, default_collate
from ..rng import Generator, default_generator

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``, in that order: ``Subset(ds, idx)[i] is ds[idx[i]]``.

    ``indices`` is kept as given (not copied). As in torch, a *list* index picks several positions
    and is handed to the dataset as one list (``ds[[idx[i] for i in index]]``); ``__getitems__``
    (the batched fetch) returns a list of items, through the dataset's own ``__getitems__`` when it
    has one. A subclass that overrides ``__getitem__`` must override ``__getitems__`` too.

    >>> s = Subset(range(10, 20), [3, 1, 4])
    >>> len(s), s[0], s[-1], s.__getitems__([0, 2])
    (3, 13, 14, [13, 14])
    """

    dataset: Any
    indices: Sequence[int]

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        cls = type(self)
        if cls.__getitem__ is not Subset.__getitem__ and cls.__getitems__ is Subset.__getitems__:
            raise NotImplementedError(
                f"{cls.__name__} overrides __getitem__ but not __getitems__. When subclassing Subset and "
                "overriding __getitem__, you must also override __getitems__ to ensure DataLoader works "
                "correctly with your custom logic. A simple implementation:\n\n"
                "def __getitems__(self, indices):\n    return [self.__getitem__(idx) for idx in indices]")
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        picked = [self.indices[i] for i in indices]
        batched = getattr(self.dataset, "__getitems__", None)
        if callable(batched):
            return batched(picked)
        return [self.dataset[j] for j in picked]

    def __len__(self) -> int:
        return len(self.indices)


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


def _fraction_sizes(n: int, fractions: list) -> list[int]:
    """Split sizes for ``fractions`` (summing to 1) of ``n`` items: ``floor(n * f)`` each, then what
    is left over handed out one at a time to the splits in turn, starting from the first."""
    sizes = []
    for i, frac in enumerate(fractions):
        if not 0 <= frac <= 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        sizes.append(math.floor(n * frac))
    for k in range(n - sum(sizes)):
        sizes[k % len(sizes)] += 1
    for i, size in enumerate(sizes):
        if size == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                          UserWarning, stacklevel=3)
    return sizes


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: Generator | None = default_generator) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping `Subset`s of the given ``lengths``
    (``torch.utils.data.random_split``).

    ``lengths`` are either ints summing to ``len(dataset)`` or fractions summing to 1 (as torch
    decides it: the sum is within ``math.isclose`` of 1 and not above it). Fractions become
    ``floor(len * f)`` items each, the remaining items then going one apiece to the first, second,
    ... split; a split left empty gets a ``UserWarning``. The order is ``randperm(len(dataset))``
    drawn from ``generator`` (the package generator by default), so a seed gives torch's split.

    >>> g = Generator().manual_seed(42)          # torch.Generator().manual_seed(42): the same
    >>> [s.indices for s in random_split(range(6), [0.5, 0.5], generator=g)]
    [[0, 3, 2], [4, 1, 5]]
    """
    lengths = list(lengths)
    n = len(dataset)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        lengths = _fraction_sizes(n, lengths)
        total = sum(lengths)
    if total != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    try:
        total = operator.index(total)
    except TypeError:
        raise TypeError(f"random_split: lengths must be ints (or fractions summing to 1), got {lengths!r}") from None
    order = _rng.randperm(total, generator=generator).tolist()
    splits, end = [], 0
    for size in lengths:
        end += size
        splits.append(Subset(dataset, order[end - size:end]))
    return splits
