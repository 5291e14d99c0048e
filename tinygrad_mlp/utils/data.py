"""``torch.utils.data``'s names, so ``import tinygrad_mlp as torch`` scripts find them. The
``DataLoader`` here is torch's (its arguments, samplers and draws); it extends the package's plain
loader, ``tinygrad_mlp.data.DataLoader``.

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

Also the samplers -- ``Sampler``, ``SequentialSampler``, ``RandomSampler``, ``SubsetRandomSampler``,
``WeightedRandomSampler``, ``BatchSampler`` -- drawing, for the same seed (global or a `Generator`), the
indices torch's draw, and leaving the random stream where torch's leave it; and a ``DataLoader`` taking
torch's arguments (``sampler``, ``batch_sampler``, ``num_workers``, ``pin_memory``, ...), loading
in-process and giving torch's batches whatever ``num_workers`` is.

>>> _ = tg.manual_seed(0)
>>> list(RandomSampler(range(6)))                # torch.manual_seed(0): the same
[0, 1, 2, 3, 5, 4]
>>> list(BatchSampler(SequentialSampler(range(7)), 3, drop_last=False))
[[0, 1, 2], [3, 4, 5], [6]]
"""

from __future__ import annotations

import collections
import itertools
import math
import multiprocessing
import multiprocessing.context
import operator
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from .. import rng as _rng
from ..data.dataset import ConcatDataset, Dataset, TensorDataset, default_collate
from ..data.dataset import DataLoader as _PlainDataLoader
from ..device import accelerator as _accelerator
from ..rng import Generator, default_generator
from ..tensor import Tensor

__all__ = ["BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "RandomSampler", "Sampler", "SequentialSampler",
           "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "default_collate",
           "default_convert", "random_split"]

_T_co = TypeVar("_T_co", covariant=True)


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


# --- samplers ------------------------------------------------------------------------------------------------

class Sampler(Generic[_T_co]):
    """What a `DataLoader` asks for indices: subclasses give ``__iter__`` (indices, or lists of them
    for a batch sampler) and usually ``__len__``. There is deliberately no default ``__len__``:
    ``len()`` of a sampler without one is a ``TypeError``, as in torch."""

    def __iter__(self) -> Iterator[_T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``, every pass the same (the length is read at each pass)."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _fresh_generator(generator: Generator | None) -> Generator:
    """``generator``, or (as torch's RandomSampler does for each pass) a new one seeded with a
    ``random_int64()`` drawn from the package generator."""
    if generator is not None:
        return generator
    return Generator(int(_rng.random_int64()))


class RandomSampler(Sampler[int]):
    """Indices of ``data_source`` in random order, drawn as torch's ``RandomSampler`` draws them.

    Without replacement: each pass is whole ``randperm(n)`` permutations, ``num_samples // n`` of
    them, and then the first ``num_samples % n`` of one more permutation -- which is drawn even
    when nothing of it is used, once the pass runs to its end. With replacement: ``randint(n)``
    in blocks of 32, then a block of what is left. Without a ``generator`` every pass starts a new
    generator seeded by one 64-bit draw from the package generator (so ``tg.manual_seed`` fixes
    the passes, and the global stream moves by exactly one draw per pass); with one, it draws
    from that generator directly. Draws happen as the indices are taken, not up front.

    >>> g = Generator().manual_seed(3)   # torch.Generator().manual_seed(3): the same
    >>> list(RandomSampler(range(5), generator=g)), list(RandomSampler(range(5), True, 7, generator=g))
    ([1, 0, 3, 4, 2], [1, 4, 4, 1, 0, 4, 1])
    """

    def __init__(self, data_source: Any, replacement: bool = False, num_samples: int | None = None,
                 generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        """``num_samples`` as given, or the current length of ``data_source``."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        gen = _fresh_generator(self.generator)
        if self.replacement:
            if n == 0:
                raise RuntimeError("random_ expects 'from' to be less than 'to', but got from=0 >= to=0")
            for _ in range(self.num_samples // 32):
                yield from _rng.randint(0, n, (32,), generator=gen).tolist()
            yield from _rng.randint(0, n, (self.num_samples % 32,), generator=gen).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from _rng.randperm(n, generator=gen).tolist()
            yield from _rng.randperm(n, generator=gen).tolist()[:self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a random order: ``indices[i]`` for ``i`` in ``randperm(len(indices))``,
    drawn from ``generator`` (the package generator itself when none is given: no fresh seed).

    >>> import tinygrad_mlp as tg
    >>> _ = tg.manual_seed(0)                    # torch.manual_seed(0): the same
    >>> list(SubsetRandomSampler([10, 20, 30, 40]))
    [10, 20, 40, 30]
    """

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in _rng.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices into ``weights`` drawn with probability proportional to the weight:
    ``torch.multinomial(weights, num_samples, replacement)`` on float64 weights, with torch's draws.

    ``weights`` need not sum to one. The weights' values are checked when a pass starts (torch's
    ``RuntimeError``s: a negative, infinite or NaN weight, all zero, or more samples than weights
    without replacement); the constructor checks ``num_samples``, ``replacement`` and the shape.
    Without replacement, weights of zero come last, in index order (torch's order among these ties can differ).

    >>> g = Generator().manual_seed(1)           # torch.Generator().manual_seed(1): the same
    >>> list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, generator=g))
    [1, 2, 2, 2, 4]
    >>> list(WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, replacement=False, generator=g))
    [0, 1, 4, 3, 5]
    """

    weights: Tensor
    num_samples: int
    replacement: bool

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Generator | None = None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        raw = weights.detach().numpy() if isinstance(weights, Tensor) else weights
        values = np.array(raw, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(values.shape)}")
        self.weights = Tensor(values)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        yield from _weighted_draw(self.weights.numpy(), self.num_samples, self.replacement, self.generator)

    def __len__(self) -> int:
        return self.num_samples


def _weighted_draw(p: np.ndarray, k: int, replacement: bool, generator: Generator | None) -> list[int]:
    """``torch.multinomial(p, k, replacement).tolist()`` for 1-D float64 ``p``, with torch's checks (in
    torch's order, with its messages); without replacement, equal keys (zero weights) in index order."""
    n = len(p)
    if not replacement and k > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if replacement and k > 1:  # torch's kernel: each entry in turn, then the total
        for v in p.tolist():
            if not v >= 0:
                raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
            if not math.isfinite(v):
                raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity "
                                   "or NaN)")
        if not p.sum() > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        return _rng.multinomial(p, k, True, generator).tolist()
    if n == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    if not (p.max() < math.inf and p.min() >= 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if p.sum() == 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    # one sample, or none twice: the largest p / q, q ~ Exp(1) (what rng.multinomial draws, too)
    key = p / _rng.exponential(1.0, (n,), np.float64, generator)
    if k == 1:
        return [int(np.argmax(key))]
    # ties (zero weights, chosen only once the positive ones run out): the stable order, lowest index first;
    # torch's CPU topk leaves them in the order its C++ library's partial sort happens to, which can differ
    return np.argsort(-key, kind="stable")[:k].tolist()


class BatchSampler(Sampler[list[int]]):
    """Lists of ``batch_size`` indices taken in turn from ``sampler`` (any iterable of indices); the
    last, shorter list is dropped when ``drop_last``. Indices are pulled from ``sampler`` only as a
    batch is made, so a random sampler draws when torch's does.

    >>> list(BatchSampler(range(5), 2, drop_last=True)), len(BatchSampler(range(5), 2, drop_last=False))
    ([[0, 1], [2, 3]], 3)
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        if self.drop_last:
            yield from (list(batch) for batch in zip(*[indices] * self.batch_size))
            return
        batch = list(itertools.islice(indices, self.batch_size))
        while batch:
            yield batch
            batch = list(itertools.islice(indices, self.batch_size))

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)


class _WholeSet(Sampler[list]):
    """One batch of everything ``sampler`` yields (this package's ``batch_size=None`` without a sampler)."""

    def __init__(self, sampler: Sampler[int]) -> None:
        self.sampler = sampler

    def __iter__(self) -> Iterator[list]:
        batch = list(self.sampler)
        if batch:
            yield batch

    def __len__(self) -> int:
        return 1 if len(self.sampler) else 0


def default_convert(data: Any) -> Any:
    """What an un-batched `DataLoader` (``batch_size=None`` with a sampler) does to each item: numpy
    arrays and numbers become tensors, inside dicts, named tuples, tuples and lists too (a tuple
    becomes a list, as in torch); anything else is left alone."""
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "USOV" else Tensor(data)
    if isinstance(data, np.bool_ | np.number):
        return Tensor(np.asarray(data))
    if isinstance(data, Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        converted = [default_convert(d) for d in data]
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data


# --- the loader ---------------------------------------------------------------------------------------------

_FIXED_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class DataLoader(_PlainDataLoader):
    """``torch.utils.data.DataLoader``: batches of ``dataset`` in the order a sampler gives, with
    torch's arguments, checks and random draws.

    The order comes from ``batch_sampler``, or ``sampler`` (default: `RandomSampler` when
    ``shuffle``, with ``generator``; `SequentialSampler` otherwise) cut into `BatchSampler` batches
    of ``batch_size``. Each pass first draws torch's base seed (one 64-bit draw from ``generator``,
    or from the package generator), then the sampler draws as batches are asked for: so a seeded
    script gets torch's batches and leaves the random streams where torch leaves them.

    Loading stays in this process. ``num_workers``, ``pin_memory``, ``timeout``,
    ``worker_init_fn``, ``multiprocessing_context``, ``prefetch_factor``, ``persistent_workers``,
    ``pin_memory_device`` and ``in_order`` are accepted and checked as torch checks them, but no
    worker process is started (``worker_init_fn`` is never called) and nothing is pinned; torch's
    warnings are given all the same (no accelerator found; more workers than CPUs). The batches
    are torch's whatever ``num_workers`` is: torch draws the indices in the main process too. With
    ``num_workers > 0`` the indices of ``prefetch_factor * num_workers`` batches are drawn ahead,
    as torch feeds its workers; with ``persistent_workers`` the base seed is drawn only on the
    first pass, as in torch. What differs with workers: a dataset that draws random numbers in
    ``__getitem__`` draws them here from this process's stream, where torch's workers draw from
    their own (seeded from the base seed), so such draws match torch only with ``num_workers=0``.

    Batches: ``default_collate`` stacks the items (a `TensorDataset` is sliced in one go). Two
    differences from torch: ``batch_size=None`` with no ``sampler`` is this package's one batch of
    the whole set (with a ``sampler`` it is torch's un-batched loading, ``default_convert`` on each
    item); and a tuple item collates to a tuple of tensors (torch gives a list). ``seed=`` is this
    package's shorthand for ``generator=Generator(seed)``. Setting ``loader.generator`` later also
    re-points the default `RandomSampler` made for ``shuffle=True`` (torch keeps the first one).

    >>> import numpy as np, tinygrad_mlp as tg
    >>> ds = TensorDataset(np.arange(10.0), np.arange(10))
    >>> _ = tg.manual_seed(0)                                     # torch.manual_seed(0): the same
    >>> [y.tolist() for _, y in DataLoader(ds, batch_size=4, shuffle=True)]
    [[6, 7, 1, 4], [2, 0, 9, 8], [3, 5]]
    >>> [y.tolist() for _, y in DataLoader(ds, batch_sampler=[[0, 9], [5]], num_workers=2)]
    [[0, 9], [5]]
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None, batch_sampler: Sampler[list] | Iterable[list] | None = None,
                 num_workers: int = 0, collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable | None = None,
                 multiprocessing_context: Any = None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True, seed: int | None = None) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if generator is None and seed is not None:
            generator = Generator(seed)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        whole_set = False
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if sampler is not None and drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                                 "drop_last")
            whole_set = sampler is None
        self._own_sampler: RandomSampler | None = None
        if sampler is None:
            if shuffle:
                sampler = self._own_sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            if isinstance(batch_size, np.integer):
                batch_size = int(batch_size)
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._whole_set = _WholeSet(sampler) if whole_set else None
        self.generator = generator
        self.shuffle = shuffle
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator: _LoaderIterator | None = None
        self._initialized = True
        self._warn_if_many_workers()

    def _warn_if_many_workers(self) -> None:
        """torch's warning when ``num_workers`` exceeds the CPUs this process may use (none are started
        here, but a script sees what torch would show it)."""
        if not self.num_workers:
            return
        affinity = hasattr(os, "sched_getaffinity")
        cpus = len(os.sched_getaffinity(0)) if affinity else os.cpu_count()
        if cpus is not None and self.num_workers <= cpus:
            return
        if cpus is None:
            advice = "DataLoader is not able to compute a suggested max number of worker in current system."
        else:
            advice = (f"Our suggested max number of worker in current system is {cpus}"
                      f"{'' if affinity else ' (`cpuset` is not taken into account)'}, which is smaller than what "
                      "this DataLoader is going to create.")
        warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in total. {advice} Please be "
                      "aware that excessive worker creation might get DataLoader running slow or even freeze, lower "
                      "the worker number to avoid potential slowness/freeze if necessary.", UserWarning, stacklevel=3)

    # --- torch's attribute rules ---------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FIXED_AFTER_INIT and self.__dict__.get("_initialized", False):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def generator(self) -> Generator | None:
        """The generator of the base seed (and of the default shuffling sampler)."""
        return self._generator

    @generator.setter
    def generator(self, generator: Generator | None) -> None:
        self._generator = generator
        if self.__dict__.get("_own_sampler") is not None:
            self._own_sampler.generator = generator

    @property
    def multiprocessing_context(self) -> Any:
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context: Any) -> None:
        if context is not None:
            if self.num_workers <= 0:
                raise ValueError("multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{methods!r}, but got multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object or a string "
                                f"specifying the start method, but got multiprocessing_context={context}")
        self._multiprocessing_context = context

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or self._whole_set is not None

    @property
    def _index_sampler(self) -> Any:
        if self._whole_set is not None:
            return self._whole_set
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    # --- iterating ---------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._index_sampler)

    def __iter__(self) -> _LoaderIterator:
        if self.persistent_workers and self.num_workers > 0 and self._iterator is not None:
            self._iterator._restart()
            return self._iterator
        self._warn_if_many_workers()
        iterator = _LoaderIterator(self)
        if self.persistent_workers and self.num_workers > 0:
            self._iterator = iterator
        return iterator

    def _fetch(self, index: Any) -> Any:
        """The batch (or, un-batched, the item) at ``index``, collated."""
        if not self._auto_collation:
            return self.collate_fn(self.dataset[index])
        ds = self.dataset
        if self.collate_fn is default_collate and type(ds).__getitem__ is TensorDataset.__getitem__:
            rows = np.array([operator.index(i) for i in index], dtype=np.int64)
            return tuple(Tensor(a[rows]) for a in ds.arrays)
        batched = getattr(ds, "__getitems__", None)
        items = batched(index) if batched else [ds[i] for i in index]
        return self.collate_fn(items)


class _LoaderIterator:
    """One pass over a `DataLoader`, drawing what torch's loader iterators draw, in their order."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn("pin_memory_device is deprecated, the current accelerator will be used as the device,"
                          f"ignore pin_memory_device='{loader.pin_memory_device}'.", UserWarning, stacklevel=3)
        if loader.pin_memory and not _accelerator.is_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", UserWarning, stacklevel=3)
        self._indices = iter(loader._index_sampler)
        self._base_seed = int(_rng.random_int64(generator=loader.generator))
        if loader.num_workers == 0:
            if loader.timeout != 0:
                raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
            self._ahead: collections.deque | None = None
            return
        if loader.prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter")
        self._ahead = collections.deque()
        self._fill()

    def _fill(self) -> None:
        """Take the indices torch hands its workers before the first batch comes back."""
        for _ in range(self._loader.prefetch_factor * self._loader.num_workers):
            self._take_one()

    def _take_one(self) -> None:
        try:
            self._ahead.append(next(self._indices))
        except StopIteration:
            pass

    def _restart(self) -> None:
        """A new pass of a persistent-workers loader: a new sampler pass, no new base seed."""
        self._indices = iter(self._loader._index_sampler)
        self._ahead.clear()
        self._fill()

    def __iter__(self) -> _LoaderIterator:
        return self

    def __next__(self) -> Any:
        if self._ahead is None:
            index = next(self._indices)
        else:
            if not self._ahead:
                raise StopIteration
            index = self._ahead.popleft()
            self._take_one()
        return self._loader._fetch(index)

    def __len__(self) -> int:
        return len(self._loader._index_sampler)
