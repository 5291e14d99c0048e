"""``random_split``, ``Subset`` and ``ConcatDataset`` (tinygrad_mlp.utils.data) against torch 2.13's."""

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_mlp as tg
from tinygrad_mlp.utils import data as G

torch = pytest.importorskip("torch")
T = torch.utils.data


def split_indices(splits):
    return [list(s.indices) for s in splits]


def caught(fn):
    """``fn()``'s result (or its error as (type name, message)) and the warnings it gave."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            out = fn()
        except Exception as e:  # noqa: BLE001 - the point is to compare whatever is raised
            out = (type(e).__name__, str(e))
    return out, [(x.category, str(x.message)) for x in w]


# (n, lengths): ints, fractions, fractions whose floors leave a remainder handed out round-robin, quirks
SPECS = [
    (10, [3, 7]),
    (10, [10]),
    (17, [5, 0, 12]),
    (100, [20, 30, 50]),
    (10, [0.3, 0.7]),
    (7, [0.3, 0.3, 0.4]),        # floors 2, 2, 2: one left over -> split 0
    (11, [0.25, 0.25, 0.25, 0.25]),  # floors 2 each: three left over -> splits 0, 1, 2
    (1000, [0.1, 0.2, 0.7]),
    (3, [0.1] * 10),             # sums to 0.9999999999999999: still fractions
    (5, [1]),                    # an int 1 sums to 1: taken as the fraction 1.0 (all five items)
    (2, [0.3, 0.3, 0.4]),        # a split left empty
    (0, []),
    (1, [1]),
    (3, [-1, 4]),                # negative ints: torch slices the permutation as given
]


@pytest.mark.parametrize("seed", [0, 1, 42, 2**40 + 3])
@pytest.mark.parametrize("n,lengths", SPECS)
def test_same_split_as_torch_with_the_global_seed(seed, n, lengths):
    torch.manual_seed(seed)
    want, want_warnings = caught(lambda: split_indices(T.random_split(range(n), lengths)))
    tg.manual_seed(seed)
    got, got_warnings = caught(lambda: split_indices(G.random_split(range(n), lengths)))
    assert got == want and got_warnings == want_warnings
    assert sorted(i for part in got for i in part) == list(range(n)) or any(x < 0 for x in lengths)
    assert torch.rand(4).tolist() == tg.rand(4).tolist()  # the global stream is still in step


@pytest.mark.parametrize("seed", [0, 5, 1234])
@pytest.mark.parametrize("n,lengths", SPECS)
def test_same_split_as_torch_with_a_generator(seed, n, lengths):
    tgen, ggen = torch.Generator().manual_seed(seed), tg.Generator().manual_seed(seed)
    for _ in range(2):  # and again: each generator moved on the same way
        want, _ = caught(lambda: split_indices(T.random_split(range(n), lengths, generator=tgen)))
        got, _ = caught(lambda: split_indices(G.random_split(range(n), lengths, generator=ggen)))
        assert got == want


def test_a_generator_leaves_the_global_stream_alone_and_none_means_global():
    tg.manual_seed(9)
    before = tg.rand(3).tolist()
    tg.manual_seed(9)
    G.random_split(range(20), [10, 10], generator=tg.Generator().manual_seed(1))
    assert tg.rand(3).tolist() == before
    torch.manual_seed(3)
    tg.manual_seed(3)
    assert (split_indices(G.random_split(range(9), [4, 5], generator=None))
            == split_indices(T.random_split(range(9), [4, 5], generator=None)))


def test_known_values_and_returned_types():
    tg.manual_seed(0)
    parts = G.random_split(range(10), [3, 7])
    assert [p.indices for p in parts] == [[4, 1, 7], [5, 3, 9, 0, 8, 6, 2]]  # torch.manual_seed(0)'s
    assert all(isinstance(p, G.Subset) and p.dataset == range(10) for p in parts)
    assert all(type(i) is int for p in parts for i in p.indices)
    assert [[p[i] for i in range(len(p))] for p in parts] == [p.indices for p in parts]  # items of range(10)


@pytest.mark.filterwarnings("ignore:Length of split")
@pytest.mark.parametrize("n,fractions,sizes", [
    (7, [0.3, 0.3, 0.4], [3, 2, 2]),
    (11, [0.25] * 4, [3, 3, 3, 2]),
    (10, [0.33, 0.33, 0.34], [4, 3, 3]),
    (2, [0.3, 0.3, 0.4], [1, 1, 0]),
    (5, [1], [5]),
    (4, [0.5, 0.5], [2, 2]),
])
def test_fraction_rounding_floor_then_round_robin(n, fractions, sizes):
    assert [len(p) for p in G.random_split(range(n), fractions)] == sizes
    assert [len(p) for p in T.random_split(range(n), fractions)] == sizes


def test_empty_split_warning_is_torchs():
    msg = "Length of split at index 1 is 0. This might result in an empty dataset."
    with pytest.warns(UserWarning, match=re.escape(msg)) as record:
        parts = G.random_split(range(5), [1, 0])  # ints summing to 1: fractions 1.0 and 0.0
    assert [len(p) for p in parts] == [5, 0] and len(record) == 1
    assert record[0].filename == __file__  # points at the caller, as torch's does
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        G.random_split(range(5), [2, 3])  # no warning for ints, nor for non-empty fractions
        G.random_split(range(5), [0.5, 0.5])


@pytest.mark.parametrize("n,lengths", [
    (10, [3, 6]),                # ints not summing to len
    (10, [3, 8]),
    (3, [4]),
    (5, [0.5, 0.5000001]),       # fractions not close enough to 1
    (5, [0.5, 0.4]),
    (4, [1.0000000001]),         # close to 1 but above: treated as a length
    (5, [1.5, -0.5]),            # fractions outside [0, 1]
    (4, [-0.5, 1.5]),
    (0, [1, 1]),
])
def test_bad_lengths_raise_torchs_error(n, lengths):
    want, _ = caught(lambda: T.random_split(range(n), lengths))
    assert want[0] == "ValueError"
    with pytest.raises(ValueError, match=f"^{re.escape(want[1])}$"):
        G.random_split(range(n), lengths)


def test_non_integer_lengths_summing_to_len_are_a_type_error_as_in_torch():
    for lengths in ([2.5, 2.5], [1.0, 4.0]):
        with pytest.raises(TypeError):
            T.random_split(range(5), lengths)
        with pytest.raises(TypeError, match="lengths must be ints"):
            G.random_split(range(5), lengths)


def make_data(n=12):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3) / 7
    y = (np.arange(n) * 5 % 11).astype(np.int64)
    return x, y, G.TensorDataset(x, y), T.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


def same_item(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(np.asarray(a), b.numpy())


def test_subset_items_and_length_match_torch():
    x, y, ours, theirs = make_data()
    idx = [7, 0, 11, 3, 3]
    s, ts = G.Subset(ours, idx), T.Subset(theirs, idx)
    assert len(s) == len(ts) == 5 and s.dataset is ours and s.indices is idx
    for i in range(-5, 5):
        same_item(s[i], ts[i])
    np.testing.assert_array_equal(np.asarray(s[2][0]), x[11])
    assert int(s[-1][1]) == y[3]
    same_item(s[[0, 2, 4]], ts[[0, 2, 4]])  # a list index: one batched lookup in the dataset
    np.testing.assert_array_equal(np.asarray(s[[0, 2]][1]), y[[7, 11]])
    batch, tbatch = s.__getitems__([1, 4]), ts.__getitems__([1, 4])
    assert isinstance(batch, list) and len(batch) == len(tbatch) == 2
    for a, b in zip(batch, tbatch):
        same_item(a, b)
    with pytest.raises(IndexError):
        s[5]
    with pytest.raises(IndexError):
        ts[5]


def test_subset_uses_the_datasets_getitems_and_range_semantics():
    class Batched:
        def __init__(self):
            self.calls = []

        def __len__(self):
            return 10

        def __getitem__(self, i):
            return i * 100

        def __getitems__(self, idx):
            self.calls.append(list(idx))
            return [i * 1000 for i in idx]

    b = Batched()
    assert G.Subset(b, [4, 2, 9]).__getitems__([2, 0]) == [9000, 4000] and b.calls == [[9, 4]]
    assert T.Subset(Batched(), [4, 2, 9]).__getitems__([2, 0]) == [9000, 4000]
    s, ts = G.Subset(range(10, 20), [3, 1, 4]), T.Subset(range(10, 20), [3, 1, 4])
    assert (s[0], s[-1], s.__getitems__([0, 2])) == (ts[0], ts[-1], ts.__getitems__([0, 2])) == (13, 14, [13, 14])
    assert caught(lambda: s[[0, 1]]) == caught(lambda: ts[[0, 1]])  # range rejects a list: the same TypeError


def test_subset_subclass_overriding_only_getitem_is_refused_as_in_torch():
    def make(base):
        class Sub(base):
            def __getitem__(self, i):
                return 0
        return Sub

    want, _ = caught(lambda: make(T.Subset)(range(3), [0]))
    got, _ = caught(lambda: make(G.Subset)(range(3), [0]))
    assert got == want and got[0] == "NotImplementedError"

    class Fine(G.Subset):
        def __getitem__(self, i):
            return -1

        def __getitems__(self, idx):
            return [-1] * len(idx)

    assert Fine(range(3), [0, 1])[0] == -1


def test_concat_dataset_matches_torch():
    x, y, ours, theirs = make_data(12)
    x2, y2, ours2, theirs2 = make_data(5)
    c = G.ConcatDataset([ours, G.Subset(ours, []), ours2, G.Subset(ours, [2, 1])])
    tc = T.ConcatDataset([theirs, T.Subset(theirs, []), theirs2, T.Subset(theirs, [2, 1])])
    assert len(c) == len(tc) == 19 and c.cumulative_sizes == tc.cumulative_sizes == [12, 12, 17, 19]
    assert len(c.datasets) == 4 and c.datasets[0] is ours
    for i in range(-19, 19):
        same_item(c[i], tc[i])
    np.testing.assert_array_equal(np.asarray(c[12][0]), x2[0])
    np.testing.assert_array_equal(np.asarray(c[-1][0]), x[1])
    assert G.ConcatDataset.cumsum([range(2), range(3)]) == [2, 5]
    assert G.ConcatDataset(iter([range(2), range(1)])).datasets == [range(2), range(1)]


@pytest.mark.parametrize("idx", [19, 25, -20, -100, 1.5])
def test_concat_dataset_index_errors_are_torchs(idx):
    parts = [range(12), range(0), range(5), range(2)]
    want, _ = caught(lambda: T.ConcatDataset(parts)[idx])
    got, _ = caught(lambda: G.ConcatDataset(parts)[idx])
    assert got == want and got[0] in ("IndexError", "ValueError", "TypeError")


def test_concat_dataset_empty_and_deprecated_name():
    with pytest.raises(AssertionError, match="^datasets should not be an empty iterable$"):
        G.ConcatDataset([])
    with pytest.raises(AssertionError, match="^datasets should not be an empty iterable$"):
        T.ConcatDataset([])
    with pytest.raises(IndexError):
        G.ConcatDataset([range(0)])[0]
    c = G.ConcatDataset([range(3), range(4)])
    with pytest.warns(FutureWarning, match="renamed to `cumulative_sizes`"):
        assert c.cummulative_sizes == [3, 7]


def loader_batches(loader):
    return [[np.asarray(t.numpy() if hasattr(t, "numpy") else t) for t in batch] for batch in loader]


def assert_same_batches(ours, theirs):
    assert len(ours) == len(theirs) > 0
    for a, b in zip(ours, theirs):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("shuffle", [False, True])
def test_dataloader_over_splits_and_concat_matches_torch(shuffle):
    x, y, ours, theirs = make_data(23)
    tg.manual_seed(11)
    train, val = G.random_split(ours, [0.8, 0.2])
    torch.manual_seed(11)
    ttrain, tval = T.random_split(theirs, [0.8, 0.2])
    assert (len(train), len(val)) == (19, 4) and train.indices == ttrain.indices
    got = loader_batches(G.DataLoader(train, batch_size=5, shuffle=shuffle))
    want = loader_batches(T.DataLoader(ttrain, batch_size=5, shuffle=shuffle))
    assert_same_batches(got, want)
    assert [len(b[1]) for b in got] == [5, 5, 5, 4]
    if not shuffle:
        np.testing.assert_array_equal(got[0][1], y[train.indices[:5]])
    assert sorted(int(v) for b in got for v in b[1]) == sorted(y[train.indices].tolist())

    both = G.ConcatDataset([val, ours])
    got = loader_batches(G.DataLoader(both, batch_size=6, shuffle=shuffle))
    want = loader_batches(T.DataLoader(T.ConcatDataset([tval, theirs]), batch_size=6, shuffle=shuffle))
    assert_same_batches(got, want)
    assert sum(len(b[0]) for b in got) == 27
    if not shuffle:
        np.testing.assert_array_equal(np.concatenate([b[0] for b in got]), np.concatenate([x[val.indices], x]))


@st.composite
def int_lengths(draw):
    parts = draw(st.lists(st.integers(0, 30), min_size=1, max_size=6))
    return sum(parts), parts


@given(int_lengths(), st.integers(0, 2**32 - 1))
def test_random_split_is_a_partition_for_any_int_lengths(spec, seed):
    n, lengths = spec
    parts = G.random_split(range(n), lengths, generator=tg.Generator().manual_seed(seed))
    assert [len(p) for p in parts] == lengths
    flat = [i for p in parts for i in p.indices]
    assert sorted(flat) == list(range(n))
    assert split_indices(parts) == split_indices(
        T.random_split(range(n), lengths, generator=torch.Generator().manual_seed(seed)))


@given(st.integers(0, 200), st.lists(st.integers(1, 50), min_size=1, max_size=6), st.integers(0, 2**16))
def test_random_split_fractions_sizes_and_partition(n, weights, seed):
    fractions = [w / sum(weights) for w in weights]
    assume(sum(fractions) <= 1)  # float rounding can put the sum a hair above 1: torch then takes them as lengths
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = G.random_split(range(n), fractions, generator=tg.Generator().manual_seed(seed))
        tparts = T.random_split(range(n), fractions, generator=torch.Generator().manual_seed(seed))
    sizes = [math.floor(n * f) for f in fractions]
    for k in range(n - sum(sizes)):  # what the floors leave goes one apiece to the splits in turn
        sizes[k % len(sizes)] += 1
    assert [len(p) for p in parts] == sizes
    assert sorted(i for p in parts for i in p.indices) == list(range(n))
    assert split_indices(parts) == split_indices(tparts)
