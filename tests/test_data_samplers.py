"""The samplers and the DataLoader of tinygrad_mlp.utils.data against torch 2.13's: the same indices
and batches for the same seed, the random streams left in the same place, the same errors."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_mlp as tg
from tinygrad_mlp.utils import data as G

torch = pytest.importorskip("torch")
T = torch.utils.data

SEEDS = [0, 1, 42, 2**40 + 3]


def pair(seed):
    """A torch generator and ours, both seeded with ``seed``."""
    return torch.Generator().manual_seed(seed), tg.Generator().manual_seed(seed)


def seed_both(seed):
    torch.manual_seed(seed)
    tg.manual_seed(seed)


def assert_global_in_step():
    """The next global draws agree: both default generators are in the same place."""
    assert tg.rand(3).tolist() == torch.rand(3).tolist()
    assert tg.randint(0, 1000, (4,)).tolist() == torch.randint(0, 1000, (4,)).tolist()


def assert_generators_in_step(tgen, ggen):
    assert tg.randperm(7, generator=ggen).tolist() == torch.randperm(7, generator=tgen).tolist()
    assert tg.rand(2, generator=ggen).tolist() == torch.rand(2, generator=tgen).tolist()


def outcome(fn):
    """``fn()``'s value, or the error it raised as (type name, message), and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn()
        except Exception as e:  # noqa: BLE001 - whatever is raised is compared
            value = (type(e).__name__, str(e))
    return value, [(w.category.__name__, str(w.message)) for w in caught]


def two_passes(sampler):
    return [list(sampler), list(sampler)]


# --- SequentialSampler, Sampler ---------------------------------------------------------------------------------

def test_sequential_sampler_and_the_base_class():
    s = G.SequentialSampler(range(5))
    assert two_passes(s) == [[0, 1, 2, 3, 4]] * 2 and len(s) == 5
    assert list(G.SequentialSampler([])) == []
    data = [1, 2]
    s = G.SequentialSampler(data)
    data.append(3)  # the length is read at each pass
    assert list(s) == [0, 1, 2] and len(s) == 3
    for lib in (G, T):
        with pytest.raises(NotImplementedError):
            iter(lib.Sampler())
        with pytest.raises(TypeError, match="has no len"):
            len(lib.Sampler())

    class Backwards(G.Sampler[int]):  # subscripting works, as it does on torch's
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n - 1, -1, -1))

        def __len__(self):
            return self.n

    assert list(G.BatchSampler(Backwards(5), 2, False)) == [[4, 3], [2, 1], [0]]


# --- RandomSampler -------------------------------------------------------------------------------------------------

RANDOM_CONFIGS = [  # (replacement, num_samples) with n the data size: None is len(data)
    (False, None), (False, 1), (False, "3n+2"), (True, None), (True, 5), (True, 70), (True, 64),
]


def resolve(num_samples, n):
    return 3 * n + 2 if num_samples == "3n+2" else num_samples


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [1, 2, 7, 33, 100])
@pytest.mark.parametrize("replacement,num_samples", RANDOM_CONFIGS)
def test_random_sampler_global_seed(seed, n, replacement, num_samples):
    k = resolve(num_samples, n)
    seed_both(seed)
    want = two_passes(T.RandomSampler(range(n), replacement, k))
    got = two_passes(G.RandomSampler(range(n), replacement, k))
    assert got == want
    assert len(got[0]) == (k or n) and all(type(i) is int and 0 <= i < n for i in got[0] + got[1])
    if not replacement and k is None and n > 6:
        assert sorted(got[0]) == list(range(n)) and got[0] != got[1]
    assert_global_in_step()  # one seed drawn per pass, as torch


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [1, 3, 10, 50])
@pytest.mark.parametrize("replacement,num_samples", RANDOM_CONFIGS)
def test_random_sampler_with_a_generator(seed, n, replacement, num_samples):
    k = resolve(num_samples, n)
    tgen, ggen = pair(seed)
    seed_both(5)
    want = two_passes(T.RandomSampler(range(n), replacement, k, generator=tgen))
    got = two_passes(G.RandomSampler(range(n), replacement, k, generator=ggen))
    assert got == want
    assert_generators_in_step(tgen, ggen)
    assert_global_in_step()  # untouched by either


def test_random_sampler_draws_only_as_indices_are_taken():
    tgen, ggen = pair(3)
    titer = iter(T.RandomSampler(range(6), generator=tgen))
    giter = iter(G.RandomSampler(range(6), generator=ggen))
    assert [next(giter) for _ in range(6)] == [next(titer) for _ in range(6)]
    assert_generators_in_step(tgen, ggen)  # the unused second permutation is not drawn yet
    assert list(giter) == list(titer) == []  # now it is, from the generator's current place
    assert_generators_in_step(tgen, ggen)
    seed_both(8)
    giter, titer = iter(G.RandomSampler(range(4))), iter(T.RandomSampler(range(4)))
    assert_global_in_step()  # nothing drawn on iter()
    assert next(giter) == next(titer)
    assert_global_in_step()


def test_random_sampler_known_values_and_attributes():
    tg.manual_seed(0)
    assert list(G.RandomSampler(range(10))) == [6, 9, 0, 7, 3, 5, 4, 2, 1, 8]  # torch.manual_seed(0)'s
    s = G.RandomSampler([1, 2, 3], replacement=True, num_samples=10)
    assert (s.num_samples, len(s), s.replacement, s.generator) == (10, 10, True, None)
    data = [0] * 4
    s = G.RandomSampler(data)
    data.append(0)
    assert len(s) == s.num_samples == 5 and sorted(s) == [0, 1, 2, 3, 4]


# --- SubsetRandomSampler -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("indices", [[5], [3, 17, 5, 11, 2], list(range(100, 0, -3)), []])
def test_subset_random_sampler(seed, indices):
    seed_both(seed)
    got = two_passes(G.SubsetRandomSampler(indices))
    assert got == two_passes(T.SubsetRandomSampler(indices))
    assert sorted(got[0]) == sorted(indices) and len(G.SubsetRandomSampler(indices)) == len(indices)
    assert_global_in_step()  # drawn from the default generator itself
    tgen, ggen = pair(seed + 1)
    got = two_passes(G.SubsetRandomSampler(indices, generator=ggen))
    assert got == two_passes(T.SubsetRandomSampler(indices, generator=tgen))
    assert_generators_in_step(tgen, ggen)
    assert_global_in_step()


# --- WeightedRandomSampler -----------------------------------------------------------------------------------------

def weight_sets():
    rng = np.random.default_rng(7)
    many = rng.random(300)
    return [
        [0.1, 0.9, 0.4, 0.7, 3.0, 0.6],
        [1.0, 0.0, 1.0],
        [5.0],
        [0.0, 0.0, 2.0, 0.0, 1.0, 0.0, 0.0, 0.0],
        rng.random(40).tolist(),
        np.where(rng.random(200) < 0.8, 0.0, rng.random(200)).tolist(),  # mostly zero: ties everywhere
        (many * (many > 0.5)).tolist(),
        [1e-300, 0.0, 2e-300],
        list(range(1, 20)),  # ints
    ]


def assert_same_draws(got: list, want: list, weights: list, replacement: bool) -> None:
    """torch's draws, except the order among zero weights drawn without replacement once the positive ones
    are used up: they tie, and torch's topk leaves ties in its C++ sort's order (here: index order)."""
    if replacement:
        assert got == want
        return
    positive = sum(w > 0 for w in weights)
    assert len(got) == len(want) == len(set(got))
    assert got[:positive] == want[:positive]
    assert all(weights[i] == 0 for i in got[positive:]) and got[positive:] == sorted(got[positive:])


@pytest.mark.parametrize("seed", [0, 3, 2**33])
@pytest.mark.parametrize("weights", weight_sets())
@pytest.mark.parametrize("replacement", [True, False])
def test_weighted_random_sampler_matches_torch(seed, weights, replacement):
    n = len(weights)
    sizes = sorted({1, min(2, n), max(1, n // 2), n} | ({2, 3 * n, 65} if replacement else set()))
    for k in sizes:
        seed_both(seed)
        got = two_passes(G.WeightedRandomSampler(weights, k, replacement))
        for ours, theirs in zip(got, two_passes(T.WeightedRandomSampler(weights, k, replacement))):
            assert_same_draws(ours, theirs, weights, replacement)
        assert_global_in_step()
        assert all(weights[i] > 0 for i in got[0][:sum(w > 0 for w in weights)])
        if not replacement:
            assert len(set(got[0])) == k
        tgen, ggen = pair(seed + k)
        got = two_passes(G.WeightedRandomSampler(weights, k, replacement, generator=ggen))
        for ours, theirs in zip(got, two_passes(T.WeightedRandomSampler(weights, k, replacement, generator=tgen))):
            assert_same_draws(ours, theirs, weights, replacement)
        assert_generators_in_step(tgen, ggen)


def test_weighted_without_replacement_draws_the_positive_weights_as_torch_then_the_zero_ones():
    """Zero weights tie (p / q = 0): after torch's draws of the positive ones, they follow in index order."""
    weights = [0.0] * 700
    weights[3], weights[500] = 1.0, 2.0
    for k in (3, 10, 11, 12, 200, 700):
        tgen, ggen = pair(k)
        want = list(T.WeightedRandomSampler(weights, k, False, generator=tgen))
        got = list(G.WeightedRandomSampler(weights, k, False, generator=ggen))
        assert_same_draws(got, want, weights, False)
        assert set(got[:2]) == {3, 500} and got[2:] == [i for i in range(700) if i not in (3, 500)][:k - 2]
        assert_generators_in_step(tgen, ggen)


def test_weighted_sampler_weights_and_generator_use():
    s = G.WeightedRandomSampler(tg.tensor([1.0, 2.0], dtype=tg.float32), 3)
    assert s.weights.dtype == tg.float64 and s.weights.tolist() == [1.0, 2.0]
    assert (s.num_samples, s.replacement, len(s)) == (3, True, 3)
    tg.manual_seed(0)
    assert list(G.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5)) == [5, 4, 4, 5, 4]  # torch's


# --- BatchSampler --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n,batch", [(10, 3), (9, 3), (1, 4), (0, 2), (25, 1)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler(n, batch, drop_last):
    got = list(G.BatchSampler(G.SequentialSampler(range(n)), batch, drop_last))
    assert got == list(T.BatchSampler(T.SequentialSampler(range(n)), batch, drop_last))
    full = [list(range(i, min(i + batch, n))) for i in range(0, n, batch)]
    assert got == ([b for b in full if len(b) == batch] if drop_last else full)
    assert len(G.BatchSampler(range(n), batch, drop_last)) == len(got)
    tgen, ggen = pair(n + batch)
    got = two_passes(G.BatchSampler(G.RandomSampler(range(n + 1), generator=ggen), batch, drop_last))
    assert got == two_passes(T.BatchSampler(T.RandomSampler(range(n + 1), generator=tgen), batch, drop_last))
    assert_generators_in_step(tgen, ggen)


# --- DataLoader ----------------------------------------------------------------------------------------------------

def datasets(n):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3) / 7
    y = np.arange(n, dtype=np.int64)
    return G.TensorDataset(x, y), T.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


def batches(loader):
    out = []
    for batch in loader:
        parts = batch if isinstance(batch, tuple | list) else [batch]
        out.append([np.asarray(p.numpy()) for p in parts])
    return out


def assert_same_batches(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            assert u.dtype == v.dtype and u.shape == v.shape
            np.testing.assert_array_equal(u, v)


def loader_kwargs(lib, ds, gen, case):
    """DataLoader arguments for ``case``, built from ``lib`` (G or T) around ``ds`` and ``gen``."""
    n = len(ds)
    return {
        "plain": dict(batch_size=4),
        "shuffle": dict(batch_size=4, shuffle=True),
        "shuffle_generator": dict(batch_size=3, shuffle=True, generator=gen, drop_last=True),
        "random_sampler": dict(batch_size=5, sampler=lib.RandomSampler(ds, generator=gen)),
        "random_replacement": dict(batch_size=4, sampler=lib.RandomSampler(ds, True, 2 * n + 1)),
        "subset_random": dict(batch_size=2, sampler=lib.SubsetRandomSampler(list(range(0, n, 2)), generator=gen)),
        "weighted": dict(batch_size=4, sampler=lib.WeightedRandomSampler([1 + i % 3 for i in range(n)], n + 3)),
        "weighted_no_replacement": dict(batch_size=3, drop_last=True,
                                        sampler=lib.WeightedRandomSampler([i % 4 for i in range(n)], n // 2, False)),
        "sequential": dict(batch_size=6, sampler=lib.SequentialSampler(ds), drop_last=True),
        "batch_sampler": dict(batch_sampler=lib.BatchSampler(lib.RandomSampler(ds, generator=gen), 4, False)),
        "batch_sampler_lists": dict(batch_sampler=[[0, n // 2, 2], [n - 1], list(range(n))]),
        "unbatched": dict(batch_size=None, sampler=lib.RandomSampler(ds, generator=gen)),
        "unbatched_batches": dict(batch_size=None, sampler=lib.BatchSampler(lib.RandomSampler(ds), 4, False)),
        "loader_generator": dict(batch_size=4, shuffle=True, generator=gen,
                                 sampler=None, collate_fn=None, timeout=0),
    }[case]


CASES = ["plain", "shuffle", "shuffle_generator", "random_sampler", "random_replacement", "subset_random", "weighted",
         "weighted_no_replacement", "sequential", "batch_sampler", "batch_sampler_lists", "unbatched",
         "unbatched_batches", "loader_generator"]


def run_both(case, n, seed, passes=2, **extra):
    ours, theirs = datasets(n)
    tgen, ggen = pair(seed + 1000)
    seed_both(seed)
    t_loader = T.DataLoader(theirs, **loader_kwargs(T, theirs, tgen, case), **extra.get("torch", {}))
    g_loader = G.DataLoader(ours, **loader_kwargs(G, ours, ggen, case), **extra.get("ours", {}))
    want = [batches(t_loader) for _ in range(passes)]
    got = [batches(g_loader) for _ in range(passes)]
    return got, want, (tgen, ggen), (t_loader, g_loader)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("n,seed", [(10, 0), (23, 7), (4, 2**40)])
def test_dataloader_batches_are_torchs(case, n, seed):
    got, want, gens, loaders = run_both(case, n, seed)
    for a, b in zip(got, want):
        assert_same_batches(a, b)
    assert len(loaders[1]) == len(loaders[0]) == len(got[0])
    assert_global_in_step()
    assert_generators_in_step(*gens)


@pytest.mark.filterwarnings("ignore:'pin_memory' argument")
@pytest.mark.parametrize("case", ["shuffle", "random_sampler", "batch_sampler", "weighted", "unbatched_batches"])
def test_workers_and_pinning_change_no_batch(case):
    plain, _, _, _ = run_both(case, 13, 4)
    busy = {"num_workers": 2, "pin_memory": True, "prefetch_factor": 3, "timeout": 5.0, "in_order": True,
            "worker_init_fn": lambda worker_id: None}
    got, want, gens, _ = run_both(case, 13, 4, passes=2, ours=busy, torch={"num_workers": 2})
    for a, b, c in zip(got, want, plain):
        assert_same_batches(a, b)
        assert_same_batches(a, c)
    assert_global_in_step()
    assert_generators_in_step(*gens)


@pytest.mark.parametrize("case", ["shuffle", "shuffle_generator", "batch_sampler"])
def test_persistent_workers_draw_their_base_seed_once_as_torch(case):
    """With persistent workers torch makes its iterator once: later passes draw no base seed, so
    their batches differ from num_workers=0's -- and are still torch's."""
    kw = {"num_workers": 2, "persistent_workers": True}
    got, want, gens, _ = run_both(case, 11, 3, passes=3, ours=kw, torch=kw)
    for a, b in zip(got, want):
        assert_same_batches(a, b)
    assert_global_in_step()
    assert_generators_in_step(*gens)
    if case == "shuffle":
        plain, _, _, _ = run_both(case, 11, 3, passes=3)
        labels = [[b[1].tolist() for b in one_pass] for one_pass in (plain[0], got[0], plain[1], got[1])]
        assert labels[0] == labels[1] and labels[2] != labels[3]


def test_workers_draw_indices_ahead_as_torch_feeds_its_workers():
    """torch hands prefetch_factor * num_workers batches of indices to its workers up front: a shared
    generator is in the same place after the first batch."""
    ours, theirs = datasets(40)
    tgen, ggen = pair(9)
    t_it = iter(T.DataLoader(theirs, batch_size=2, sampler=T.RandomSampler(theirs, True, 40, generator=tgen),
                             num_workers=2, prefetch_factor=2))
    g_it = iter(G.DataLoader(ours, batch_size=2, sampler=G.RandomSampler(ours, True, 40, generator=ggen),
                             num_workers=2, prefetch_factor=2))
    assert_same_batches(batches([next(g_it)]), batches([next(t_it)]))
    assert_generators_in_step(tgen, ggen)
    assert len(g_it) == len(t_it) == 20
    assert_same_batches(batches(g_it), batches(t_it))


def test_iter_draws_the_base_seed_at_once():
    ours, theirs = datasets(5)
    seed_both(6)
    iter(T.DataLoader(theirs))
    iter(G.DataLoader(ours))
    assert_global_in_step()


def test_pin_memory_warnings_are_torchs():
    ours, theirs = datasets(3)
    for kw in ({"pin_memory": True}, {"pin_memory": True, "pin_memory_device": "cuda"}, {"pin_memory_device": "cuda"}):
        got = outcome(lambda kw=kw: len(list(G.DataLoader(ours, **kw))))
        assert got == outcome(lambda kw=kw: len(list(T.DataLoader(theirs, **kw)))) and got[0] == 3


def test_unbatched_items_and_collate_fn():
    ours, theirs = datasets(4)
    item = next(iter(G.DataLoader(ours, batch_size=None, sampler=[2])))
    assert isinstance(item, list) and [t.tolist() for t in item] == [(np.float32([6, 7, 8]) / 7).tolist(), 2]
    assert item[0].dtype == tg.float32 and item[1].dtype == tg.int64
    names = ["a", "b", "c", "d"]
    got = list(G.DataLoader(names, batch_size=2, shuffle=True, collate_fn="".join, generator=pair(2)[1]))
    assert got == list(T.DataLoader(names, batch_size=2, shuffle=True, collate_fn="".join, generator=pair(2)[0]))
    assert G.DataLoader(names, batch_size=None, sampler=[3, 0]).collate_fn is G.default_convert
    assert list(G.DataLoader(names, batch_size=None, sampler=[3, 0])) == ["d", "a"]
    assert G.default_convert({"x": np.ones(2), "s": "t"})["x"].tolist() == [1.0, 1.0]
    assert G.default_convert(np.float32(2.5)).dtype == tg.float32


def test_this_packages_own_loader_behaviours_stay():
    ours, _ = datasets(10)
    assert [len(y) for _, y in G.DataLoader(ours, batch_size=None)] == [10]  # one batch of the whole set
    assert len(G.DataLoader(ours, batch_size=None, shuffle=True)) == 1
    assert [len(y) for _, y in G.DataLoader(ours, batch_size=np.int64(4))] == [4, 4, 2]
    a = [y.tolist() for _, y in G.DataLoader(ours, batch_size=3, shuffle=True, seed=5)]
    b = [y.tolist() for _, y in G.DataLoader(ours, batch_size=3, shuffle=True, generator=tg.Generator(5))]
    assert a == b
    loader = G.DataLoader(ours, batch_size=10, shuffle=True)
    assert isinstance(loader, tg.data.DataLoader) and loader.shuffle and loader.generator is None
    loader.generator = tg.Generator(5)  # as fit() does: the shuffling follows it
    assert [y.tolist() for _, y in loader] == [sum(a, [])]
    assert loader.sampler.generator is loader.generator


def test_fit_takes_this_loader_and_is_reproducible():
    ours, _ = datasets(12)

    def run():
        tg.manual_seed(3)
        model = tg.nn.Linear(3, 12)
        opt = tg.optim.SGD(model.parameters(), lr=0.1)
        loader = G.DataLoader(ours, batch_size=4, shuffle=True)
        history = tg.train.fit(model, tg.nn.CrossEntropyLoss(), opt, loader, epochs=2, progress=False,
                               report_every=0)
        return [float(v) for v in history["loss"]], model.weight.tolist()

    first = run()
    assert first == run() and len(first[0]) == 2


ERROR_CASES = [
    lambda L, ds: L.RandomSampler(ds, replacement=1),
    lambda L, ds: L.RandomSampler(ds, num_samples=0),
    lambda L, ds: L.RandomSampler(ds, num_samples=2.0),
    lambda L, ds: L.RandomSampler(ds, num_samples=-3),
    lambda L, ds: L.RandomSampler(range(0)),
    lambda L, ds: L.RandomSampler(5),
    lambda L, ds: list(L.RandomSampler(range(0), num_samples=3)),
    lambda L, ds: list(L.RandomSampler(range(0), replacement=True, num_samples=3)),
    lambda L, ds: len(list(L.RandomSampler(ds, num_samples=True))),
    lambda L, ds: L.WeightedRandomSampler([1.0, 2.0], 0),
    lambda L, ds: L.WeightedRandomSampler([1.0, 2.0], True),
    lambda L, ds: L.WeightedRandomSampler([1.0, 2.0], 2.0),
    lambda L, ds: L.WeightedRandomSampler([1.0, 2.0], -1),
    lambda L, ds: L.WeightedRandomSampler([1.0, 2.0], 2, replacement=1),
    lambda L, ds: L.WeightedRandomSampler([[1.0, 2.0]], 2),
    lambda L, ds: L.WeightedRandomSampler(3.0, 2),
    lambda L, ds: L.BatchSampler(ds, 0, False),
    lambda L, ds: L.BatchSampler(ds, True, False),
    lambda L, ds: L.BatchSampler(ds, 2.0, False),
    lambda L, ds: L.BatchSampler(ds, -2, False),
    lambda L, ds: L.BatchSampler(ds, 2, 0),
    lambda L, ds: L.Sampler(ds),
    lambda L, ds: L.DataLoader(ds, num_workers=-1),
    lambda L, ds: L.DataLoader(ds, timeout=-1),
    lambda L, ds: L.DataLoader(ds, prefetch_factor=2),
    lambda L, ds: L.DataLoader(ds, num_workers=2, prefetch_factor=-1),
    lambda L, ds: L.DataLoader(ds, persistent_workers=True),
    lambda L, ds: L.DataLoader(ds, sampler=range(len(ds)), shuffle=True),
    lambda L, ds: L.DataLoader(ds, batch_sampler=[[0]], batch_size=2),
    lambda L, ds: L.DataLoader(ds, batch_sampler=[[0]], batch_size=None),
    lambda L, ds: L.DataLoader(ds, batch_sampler=[[0]], shuffle=True),
    lambda L, ds: L.DataLoader(ds, batch_sampler=[[0]], sampler=[0]),
    lambda L, ds: L.DataLoader(ds, batch_sampler=[[0]], drop_last=True),
    lambda L, ds: L.DataLoader(ds, batch_size=None, sampler=[0], drop_last=True),
    lambda L, ds: L.DataLoader(ds, batch_size=0),
    lambda L, ds: L.DataLoader(ds, batch_size=-1, shuffle=True),
    lambda L, ds: L.DataLoader(ds, batch_size=2.5),
    lambda L, ds: L.DataLoader(ds, drop_last="yes"),
    lambda L, ds: L.DataLoader(ds, multiprocessing_context="spawn"),
    lambda L, ds: L.DataLoader(ds, num_workers=1, multiprocessing_context="nonsense"),
    lambda L, ds: L.DataLoader(ds, num_workers=1, multiprocessing_context=3),
    lambda L, ds: type(L.DataLoader(ds, num_workers=1, multiprocessing_context="spawn").multiprocessing_context),
    lambda L, ds: iter(L.DataLoader(ds, timeout=1)),
    lambda L, ds: iter(L.DataLoader(ds, num_workers=1, prefetch_factor=0)),
    lambda L, ds: setattr(L.DataLoader(ds), "batch_size", 3),
    lambda L, ds: setattr(L.DataLoader(ds), "sampler", None),
    lambda L, ds: setattr(L.DataLoader(ds), "dataset", ds),
    lambda L, ds: L.DataLoader(ds, num_workers=1, prefetch_factor=0).prefetch_factor,
    lambda L, ds: L.DataLoader(ds, num_workers=3).prefetch_factor,
    lambda L, ds: (lambda d: (setattr(d, "timeout", 2), d.timeout)[1])(L.DataLoader(ds)),
]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # torch's half-made iterator
@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_errors_are_torchs(case):
    ours, theirs = datasets(6)
    seed_both(0)
    want = outcome(lambda: ERROR_CASES[case](T, theirs))
    got = outcome(lambda: ERROR_CASES[case](G, ours))
    assert got == want
    assert_global_in_step()


def weight_cases():
    inf, nan = math.inf, math.nan
    return [[1.0, -1.0], [inf, -1.0], [-1.0, inf], [1.0, nan], [nan, -1.0], [0.0, 0.0], [], [1.0, inf],
            [-0.0, 1.0], [-1.0, 0.0]]


@pytest.mark.parametrize("weights", weight_cases())
@pytest.mark.parametrize("k,replacement", [(2, True), (1, True), (2, False), (1, False), (5, False)])
def test_weight_value_errors_come_at_iteration_as_torchs(weights, k, replacement):
    made = outcome(lambda: G.WeightedRandomSampler(weights, k, replacement))
    assert isinstance(made[0], G.WeightedRandomSampler)  # nothing checked yet
    seed_both(1)
    got = outcome(lambda: list(G.WeightedRandomSampler(weights, k, replacement)))
    assert got == outcome(lambda: list(T.WeightedRandomSampler(weights, k, replacement)))
    assert_global_in_step()


# --- properties ---------------------------------------------------------------------------------------------------

@given(st.integers(1, 60), st.integers(1, 12), st.booleans(), st.booleans(), st.integers(0, 2**63 - 1))
def test_any_loader_is_torchs_and_covers_the_data(n, batch, drop_last, shuffle, seed):
    ours, theirs = datasets(n)
    tgen, ggen = pair(seed)
    got = batches(G.DataLoader(ours, batch_size=batch, shuffle=shuffle, drop_last=drop_last, generator=ggen))
    want = batches(T.DataLoader(theirs, batch_size=batch, shuffle=shuffle, drop_last=drop_last, generator=tgen))
    assert_same_batches(got, want)
    seen = [int(i) for b in got for i in b[1]]
    assert len(seen) == len(set(seen)) == (n - n % batch if drop_last else n)
    assert all(len(b[1]) == batch for b in got[:-1])
    assert_generators_in_step(tgen, ggen)


@given(st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0, 1e-3]), min_size=1, max_size=80),
       st.integers(0, 2**32), st.data())
def test_weighted_draws_are_torchs_for_any_weights(weights, seed, data):
    if not any(weights):
        weights[0] = 1.0
    replacement = data.draw(st.booleans())
    k = data.draw(st.integers(1, 3 * len(weights) if replacement else len(weights)))
    tgen, ggen = pair(seed)
    got = list(G.WeightedRandomSampler(weights, k, replacement, generator=ggen))
    assert_same_draws(got, list(T.WeightedRandomSampler(weights, k, replacement, generator=tgen)), weights, replacement)
    positive = sum(w > 0 for w in weights)
    assert all(weights[i] > 0 for i in got[:positive])  # a zero weight only once the others are used up
    assert_generators_in_step(tgen, ggen)
