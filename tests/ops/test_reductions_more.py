"""take, put / put_, nansum, nanmean, cummax, cummin, kthvalue and mode: forward and gradients against the
installed torch in float64 and against finite differences (through the shared case machinery); dtypes, NaN
handling, named results and errors against torch directly. kthvalue and mode pick among equal elements by a
stable sort (torch's pick there is a detail of its CPU kernel): their tests check the values against torch, the
index against that rule, and the index against torch's only where it is the one possible."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_mlp as tg

from .cases import MASK, Case, make_inputs
from .test_gradcheck_ops import check_gradients

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")
from .test_torch_reference import Ours, Torch, check_against_torch  # noqa: E402 - needs torch

NAN = float("nan")
FLAT = np.array([[0, 11, -1], [3, 3, 5]])  # into a (3, 4) tensor read as 1-D: a repeat (3) and a negative
UNIQUE_FLAT = np.array([[0, 11, -2], [3, 7, 5]])
ROW_OF_NANS = np.array([[False] * 4, [True, False, True, True], [True] * 4])  # a row of NaNs only


def _with_nans(m, x, mask=MASK):
    """x with NaN where ``mask`` is False."""
    return m.lib.where(m.const(mask), x, m.const(np.full(mask.shape, NAN)))


CASES = [
    Case("take", lambda m, x: m.lib.take(x, m.const(FLAT)), [(3, 4)]),
    Case("take_method_0d_index", lambda m, x: x.take(m.const(np.array(5))) * x.take(m.const(np.array([-12]))),
         [(3, 4)]),
    Case("put", lambda m, x, s: x.put(m.const(UNIQUE_FLAT), s), [(3, 4), (2, 3)]),
    # (the last write wins; torch's gradient still goes to the overwritten source element: no finite differences)
    Case("put_repeat_last_wins", lambda m, x, s: m.lib.put(x, m.const(FLAT), s), [(3, 4), (6,)], gradcheck=False),
    Case("put_accumulate", lambda m, x, s: x.put(m.const(FLAT), s, accumulate=True), [(3, 4), (2, 3)]),
    Case("put__nonleaf", lambda m, x, s: (x * 2).put_(m.const(UNIQUE_FLAT), s) * x, [(3, 4), (6,)]),
    Case("put__accumulate_into_constant",
         lambda m, s: m.const(np.ones((3, 4))).put_(m.const(FLAT), s, accumulate=True) * 3, [(2, 3)]),
    Case("nansum_all", lambda m, x: _with_nans(m, x).nansum(), [(3, 4)]),
    Case("nansum_dim", lambda m, x: m.lib.nansum(_with_nans(m, x), 1), [(3, 4)]),
    Case("nansum_dims_keepdim", lambda m, x: _with_nans(m, x).nansum((0, 1), keepdim=True), [(3, 4)]),
    Case("nansum_neg_dim_no_nans", lambda m, x: x.nansum(dim=-2), [(2, 3, 4)]),
    Case("nanmean_all", lambda m, x: m.lib.nanmean(_with_nans(m, x)), [(3, 4)]),
    Case("nanmean_dim", lambda m, x: _with_nans(m, x).nanmean(dim=0), [(3, 4)]),
    Case("nanmean_keepdim", lambda m, x: _with_nans(m, x).nanmean(1, keepdim=True), [(3, 4)]),
    Case("nanmean_row_of_nans", lambda m, x: _with_nans(m, x, ROW_OF_NANS).nanmean(1), [(3, 4)], gradcheck=False),
    Case("nanmean_dims", lambda m, x: x.nanmean((0, 2)), [(2, 3, 4)]),
    Case("cummax", lambda m, x: m.lib.cummax(x, 1).values, [(3, 5)]),
    Case("cummax_dim0", lambda m, x: x.cummax(dim=0)[0], [(4, 3)]),
    Case("cummin", lambda m, x: x.cummin(-1).values, [(2, 3, 4)]),
    Case("cummax_ties", lambda m, x: x.cummax(1).values, [(3, 6)], domain="ties", gradcheck=False),
    Case("cummin_ties", lambda m, x: m.lib.cummin(x, 0).values, [(6, 3)], domain="ties", gradcheck=False),
    Case("kthvalue", lambda m, x: x.kthvalue(2).values, [(3, 5)]),
    Case("kthvalue_dim_keepdim", lambda m, x: m.lib.kthvalue(x, 3, 0, True).values, [(4, 3)]),
    Case("mode_no_ties", lambda m, x: x.mode(1).values, [(3, 4)]),
]
# tied inputs: the values against torch only (which tied element gets the gradient may differ from torch's)
TIED_CASES = [
    Case("kthvalue_ties", lambda m, x: x.kthvalue(4, dim=1)[0], [(3, 7)], domain="ties", gradcheck=False),
    Case("mode_ties", lambda m, x: m.lib.mode(x, 0, keepdim=True).values, [(7, 3)], domain="ties",
         gradcheck=False),
    Case("mode_long_rows", lambda m, x: x.mode().values, [(3, 40)], domain="ties", gradcheck=False),
]


@pytest.mark.parametrize("case", [c for c in CASES if c.gradcheck], ids=lambda c: c.name)
def test_gradcheck(case):
    check_gradients(case)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_torch(case):
    check_against_torch(case)


@pytest.mark.parametrize("case", TIED_CASES, ids=lambda c: c.name)
def test_values_on_tied_inputs_match_torch(case):
    (a,) = make_inputs(case, seed=1)
    ours, theirs = case.fn(Ours, tg.tensor(a)), case.fn(Torch, torch.tensor(a))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert tuple(ours.shape) == tuple(theirs.shape)


def _both(fn, *arrays, **kwargs):
    """fn on tg and on torch tensors of the same arrays."""
    return fn(tg, *[tg.tensor(a) for a in arrays], **kwargs), fn(torch, *[torch.tensor(a) for a in arrays], **kwargs)


def assert_same(ours, theirs, what=""):
    """Equal values (NaN equal to NaN), shape and dtype."""
    theirs = theirs.detach().numpy()
    assert ours.numpy().dtype == theirs.dtype, (what, ours.numpy().dtype, theirs.dtype)
    assert ours.numpy().shape == theirs.shape, (what, ours.numpy().shape, theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs, err_msg=what)


def assert_pairs_same(ours, theirs, what=""):
    assert type(ours).__name__ == type(theirs).__name__
    assert_same(ours.values, theirs.values, f"{what} values")
    assert_same(ours.indices, theirs.indices, f"{what} indices")


# --- take, put -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64, np.uint8, np.bool_])
def test_take_and_put_keep_the_dtype_as_torch(dtype):
    a = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    src = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
    assert_same(*_both(lambda lib, x, i: lib.take(x, i), a, FLAT), "take")
    assert_same(*_both(lambda lib, x, i: x.take(i), a, np.array(-1)), "take 0-d index")
    assert_same(*_both(lambda lib, x, i, s: x.put(i, s), a, UNIQUE_FLAT, src), "put")
    if dtype != np.bool_:  # (torch has no bool add)
        assert_same(*_both(lambda lib, x, i, s: lib.put(x, i, s, True), a, FLAT, src), "put accumulate")
    ours, theirs = tg.tensor(a), torch.tensor(a)
    assert ours.put_(tg.tensor(FLAT), tg.tensor(src)) is ours
    theirs.put_(torch.tensor(FLAT), torch.tensor(src))
    assert_same(ours, theirs, "put_")


def test_take_and_put_of_empty_and_0d_tensors_as_torch():
    assert_same(*_both(lambda lib, x, i: lib.take(x, i), np.zeros(0), np.zeros(0, np.int64)))
    assert_same(*_both(lambda lib, x, i: lib.take(x, i), np.array(5.0), np.array([0, -1, 0])))
    assert_same(*_both(lambda lib, x, i, s: x.put(i, s), np.array(5.0), np.array([0]), np.array(7.0)))
    assert_same(*_both(lambda lib, x, i, s: x.put(i, s), np.zeros((2, 0)), np.zeros(0, np.int64), np.zeros(0)))


def test_put__records_in_the_graph_and_is_refused_on_a_leaf_as_torch():
    a, s = np.arange(6.0).reshape(2, 3), np.array([10.0, 20.0])
    for lib in (tg, torch):
        leaf = lib.tensor(a, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            leaf.put_(lib.tensor([0, 4]), lib.tensor(s))
        with lib.no_grad():
            leaf.put_(lib.tensor([0, 4]), lib.tensor(s))
        assert leaf.is_leaf and leaf.grad_fn is None
    ours, theirs = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    src_o, src_t = tg.tensor(s, requires_grad=True), torch.tensor(s, requires_grad=True)
    ((ours.exp() * 1).put_(tg.tensor([5, 5]), src_o, accumulate=True) ** 2).sum().backward()
    ((theirs.exp() * 1).put_(torch.tensor([5, 5]), src_t, accumulate=True) ** 2).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(src_o.grad.numpy(), src_t.grad.numpy(), rtol=1e-12)
    plain, source = tg.zeros(3), tg.tensor([1.0, 2.0], requires_grad=True)  # a source that requires grad
    plain.put_(tg.tensor([2, 0]), source)
    plain.sum().backward()
    assert plain.requires_grad and source.grad.tolist() == [1.0, 1.0]


def test_take_and_put_errors_match_torch():
    x = np.arange(6.0).reshape(2, 3)
    for lib in (tg, torch):
        t = lib.tensor(x)
        with pytest.raises(IndexError, match="out of range: tried to access index 6 on a tensor of 6 elements"):
            lib.take(t, lib.tensor([1, 6]))
        with pytest.raises(IndexError, match="out of range: tried to access index -7 on a tensor of 6 elements"):
            t.take(lib.tensor([-7]))
        with pytest.raises(RuntimeError, match=r"take\(\): Expected a long tensor for index, but got Int"):
            lib.take(t, lib.tensor([1], dtype=lib.int32))
        with pytest.raises(RuntimeError, match="Expected a long tensor for index, but got Float"):
            t.put_(lib.tensor([0.0]), lib.tensor([1.0], dtype=lib.float64))
        with pytest.raises(TypeError, match=r"take\(\): argument 'index' \(position 2\) must be Tensor, not list"):
            lib.take(t, [1])
        with pytest.raises(IndexError, match=r"take\(\): tried to take from an empty tensor"):
            lib.take(lib.zeros(0), lib.tensor([0]))
        with pytest.raises(IndexError, match=r"put_\(\): Tried to put elements into an empty tensor"):
            lib.zeros(0).put_(lib.tensor([0]), lib.tensor([1.0]))
        with pytest.raises(RuntimeError, match=r"put_\(\): self and source expected to have the same dtype, "
                                               "but got self.dtype = Double and source.dtype = Long"):
            t.put_(lib.tensor([0]), lib.tensor([1]))
        with pytest.raises(IndexError, match=r"Expected source and index to have the same number of elements, "
                                             r"but got source.numel\(\) = 3, index.numel\(\) = 2"):
            t.put(lib.tensor([0, 1]), lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64))
        with pytest.raises(TypeError, match=r"argument 'source' \(position 2\) must be Tensor, not float"):
            t.put_(lib.tensor([0]), 1.0)


def test_a_failed_put__changes_nothing():
    """torch writes the elements before a bad index; here every index is checked first."""
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    before, node = y.numpy().copy(), y.grad_fn
    with pytest.raises(IndexError, match=r"put_\(\): out of range.*index 9.*shape \(3,\)"):
        y.put_(tg.tensor([0, 9]), tg.tensor([5.0, 6.0]))
    with pytest.raises(RuntimeError, match=r"put_\(\).*same dtype"):
        y.put_(tg.tensor([0]), tg.tensor([5.0], dtype=tg.float64))
    np.testing.assert_array_equal(y.numpy(), before)
    assert y.grad_fn is node
    plain = tg.tensor([1.0, 2.0, 3.0])
    with pytest.raises(IndexError):
        plain.put_(tg.tensor([1, 3]), tg.tensor([5.0, 6.0]))
    assert plain.tolist() == [1.0, 2.0, 3.0]


# --- nansum, nanmean -----------------------------------------------------------------------------------------
NANS = np.array([[1.0, NAN, 3.0, -np.inf], [NAN, NAN, NAN, NAN], [0.5, 2.0, NAN, 4.0]])


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": (0, 1)}, {"dim": []},
                                    {"dim": -1, "keepdim": True}, {"keepdim": True}])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_nansum_and_nanmean_forward_as_torch(kwargs, dtype):
    a = NANS.astype(dtype)
    assert_same(*_both(lambda lib, x: lib.nansum(x, **kwargs), a), "nansum")
    o, t = _both(lambda lib, x: x.nanmean(**kwargs), a)
    np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-3 if dtype == np.float16 else 1e-6)
    assert o.numpy().dtype == t.numpy().dtype and o.shape == t.shape


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.int8, np.bool_])
def test_nansum_of_integers_and_bools_gives_int64_as_torch(dtype):
    a = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    assert_same(*_both(lambda lib, x: x.nansum(), a))
    assert_same(*_both(lambda lib, x: lib.nansum(x, 1, True), a))
    assert_same(*_both(lambda lib, x: x.nansum(0, dtype=lib.float32), a))
    with pytest.raises(RuntimeError, match=r"nanmean\(\): expected input to have floating point or complex dtype"):
        tg.tensor(a).nanmean()


def test_nansum_and_nanmean_dtype_argument_and_edge_cases_as_torch():
    a = NANS.astype(np.float32)
    for kw in ({"dtype": torch.float64}, {"dim": 1, "dtype": torch.float64}):
        tg_kw = {**kw, "dtype": tg.float64}
        assert_same(tg.tensor(a).nansum(**tg_kw), torch.tensor(a).nansum(**kw))
        assert_same(tg.tensor(a).nanmean(**tg_kw), torch.tensor(a).nanmean(**kw))
    assert_same(tg.tensor([1.5, 2.7]).nansum(dtype=tg.int64), torch.tensor([1.5, 2.7]).nansum(dtype=torch.int64))
    assert_same(tg.tensor(NANS).nanmean(dtype=tg.float32), torch.tensor(NANS).nanmean(dtype=torch.float32))
    for arr in (np.zeros(0), np.zeros((0, 3)), np.array(NAN), np.array(2.5), np.array([np.inf, -np.inf, NAN])):
        assert_same(*_both(lambda lib, x: x.nansum(), arr))
        assert_same(*_both(lambda lib, x: x.nanmean(), arr))
    assert_same(*_both(lambda lib, x: x.nanmean(0), np.zeros((0, 3))))
    assert_same(*_both(lambda lib, x: x.nansum(-1), np.array(3.0)))
    assert_same(*_both(lambda lib, x: x.nansum(axis=0, keepdims=True), NANS))


def test_nansum_and_nanmean_gradients_are_zero_at_the_nans_as_torch():
    """Gradients of a leaf holding NaNs: 0 there; a nanmean over NaNs only gives NaN gradients (torch divides
    by the zero count)."""
    for fn in (lambda x: x.nansum(), lambda x: x.nansum(1), lambda x: x.nanmean(), lambda x: x.nanmean(1),
               lambda x: x.nanmean(0, keepdim=True), lambda x: x.nansum((0, 1), keepdim=True)):
        ours, theirs = tg.tensor(NANS, requires_grad=True), torch.tensor(NANS, requires_grad=True)
        out_o, out_t = fn(ours), fn(theirs)
        v = np.random.default_rng(0).standard_normal(tuple(out_t.shape))
        (out_o * tg.tensor(v)).sum().backward()
        (out_t * torch.tensor(v)).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-14)
    assert ours.grad.numpy()[0, 1] == 0.0


def test_nan_reduction_errors_match_torch():
    for lib in (tg, torch):
        x = lib.tensor(NANS)
        with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
            x.nansum((0, 0))
        with pytest.raises(IndexError):
            lib.nansum(x, 2)
        with pytest.raises(IndexError):
            lib.tensor(1.0).nanmean(1)
        with pytest.raises(RuntimeError, match=r"nanmean\(\): could not infer output dtype. Optional dtype must be "
                                               "either a floating point or complex dtype. Got: Long"):
            x.nanmean(dtype=lib.int64)
        with pytest.raises(RuntimeError, match=r"expected input to have floating point or complex dtype but got "
                                               "Int"):
            lib.tensor([1, 2], dtype=lib.int32).nanmean(dtype=lib.float32)


# --- cummax, cummin ------------------------------------------------------------------------------------------
def _tie_heavy(rng, shape, nan_share=0.0, values=3):
    a = rng.integers(0, values, shape).astype(np.float64)
    a[rng.random(shape) < nan_share] = NAN
    return a


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_and_cummin_with_ties_and_nans_as_torch(name):
    rng = np.random.default_rng(0)
    for shape, dim in [((5, 9), 1), ((7, 4), 0), ((2, 3, 6), -1), ((8,), 0)]:
        for nan_share in (0.0, 0.2):
            a = _tie_heavy(rng, shape, nan_share)
            assert_pairs_same(*_both(lambda lib, x, d=dim: getattr(lib, name)(x, d), a), f"{name} {shape}")
    a = np.array([-0.0, 0.0, -0.0, np.inf, NAN, -np.inf, NAN])
    assert_pairs_same(*_both(lambda lib, x: getattr(x, name)(0), a))
    for arr in (np.array([1, 3, 3, 2], np.int32), np.array([True, False, True]), np.array(4.0), np.zeros((0, 3)),
                np.array([5, 1, 5], np.uint8)):
        assert_pairs_same(*_both(lambda lib, x: getattr(x, name)(0), arr), f"{name} {arr.dtype}")
    assert_pairs_same(*_both(lambda lib, x: getattr(lib, name)(x, dim=-1), np.array(4.0)))


def test_cummax_gradient_sums_over_the_positions_picking_an_element_as_torch():
    a = np.array([[1.0, 3.0, 3.0, 2.0, 5.0, 5.0, 1.0], [NAN, 0.0, NAN, 4.0, 1.0, 2.0, 7.0]])
    v = np.arange(14.0).reshape(2, 7)
    for name in ("cummax", "cummin"):
        ours, theirs = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        (getattr(ours, name)(1).values * tg.tensor(v)).nansum().backward()
        (getattr(theirs, name)(1).values * torch.tensor(v)).nansum().backward()
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy(), err_msg=name)


@given(st.lists(st.integers(-5, 5), min_size=1, max_size=20))
def test_cummax_is_the_running_maximum_at_the_last_equal_place(values):
    v, i = tg.cummax(tg.tensor(values), 0)
    assert v.tolist() == list(np.maximum.accumulate(values))
    assert all(values[j] == m and all(x < m for x in values[j + 1:k + 1]) for k, (m, j) in
               enumerate(zip(v.tolist(), i.tolist())))


# --- kthvalue, mode ------------------------------------------------------------------------------------------
def _same(a, b):
    """Elementwise equality with NaN equal to NaN."""
    return (a == b) | ((a != a) & (b != b))


def _kth_rule(row, k):
    """The k-th smallest (NaN largest) and the index a stable sort puts there: of the elements equal to it,
    the (k - m)-th by position, m the number of smaller ones."""
    value = np.sort(row)[k - 1]
    smaller = int(np.sum(row < value)) if value == value else int(np.sum(row == row))
    return value, np.flatnonzero(_same(row, value))[k - 1 - smaller]


def _mode_rule(row):
    """The smallest of the most frequent values (each NaN a value of its own, so NaN only in a row of NaNs)
    and its last position."""
    numbers = row[row == row]
    if numbers.size == 0:
        return row[0], 0
    distinct, counts = np.unique(numbers, return_counts=True)
    value = distinct[np.argmax(counts)]
    return value, np.flatnonzero(row == value)[-1]


def check_selection(ours, theirs, a, dim, rule, torch_values=True):
    """A kthvalue / mode result: named, shaped and typed as torch's; values equal torch's (``torch_values``:
    on rows without NaN only); per slice along ``dim`` the value and index are ``rule``'s, the index points at
    an element equal to the value, and where that element is the only one equal to it (and torch's value is
    the same), it is torch's index."""
    assert type(ours).__name__ == type(theirs).__name__
    for o, t in ((ours.values, theirs.values), (ours.indices, theirs.indices)):
        assert o.numpy().dtype == t.numpy().dtype and o.numpy().shape == tuple(t.shape)
    a = np.atleast_1d(a)
    rows = np.moveaxis(a, dim, -1).reshape(-1, a.shape[dim])
    values, indices = ours.values.numpy().reshape(-1), ours.indices.numpy().reshape(-1)
    t_values, t_indices = theirs.values.numpy().reshape(-1), theirs.indices.numpy().reshape(-1)
    for r, row in enumerate(rows):
        value, index = rule(row)
        assert _same(values[r], value) and indices[r] == index, (row, values[r], indices[r], value, index)
        assert _same(row[indices[r]], values[r]), (row, indices[r])
        if torch_values or not np.isnan(row).any():
            assert _same(values[r], t_values[r]), (row, values[r], t_values[r])
        if np.sum(_same(row, values[r])) == 1 and _same(values[r], t_values[r]):
            assert indices[r] == t_indices[r], (row, indices[r], t_indices[r])


def check_gradient_on_our_index(fn, a, dim):
    """The gradient of ``(fn(x).values * w).sum()`` is w at the element ``fn`` indexes, 0 elsewhere."""
    x = tg.tensor(a, requires_grad=True)
    result = fn(x)
    w = np.arange(1.0, result.values.numpy().size + 1).reshape(result.values.shape)
    (result.values * tg.tensor(w)).sum().backward()
    idx = np.expand_dims(result.indices.numpy(), dim) if result.indices.ndim < x.ndim else result.indices.numpy()
    expected = np.zeros(a.shape)
    np.put_along_axis(expected, idx, w.reshape(idx.shape), axis=dim)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 9, 16, 17, 40])
def test_kthvalue_values_match_torch_and_ties_take_stable_sort_order(n):
    rng = np.random.default_rng(n)
    for nan_share in (0.0, 0.25):
        a = _tie_heavy(rng, (6, n), nan_share)
        for k in sorted({1, n, (n + 1) // 2, int(rng.integers(1, n + 1))}):
            check_selection(*_both(lambda lib, x, k=k: x.kthvalue(k), a), a, -1, lambda r, k=k: _kth_rule(r, k))
            check_selection(*_both(lambda lib, x, k=k: lib.kthvalue(x.T, k, 0, True), a), a.T, 0,
                            lambda r, k=k: _kth_rule(r, k))
            check_gradient_on_our_index(lambda x, k=k: x.kthvalue(k), a, 1)


def test_kthvalue_picks_the_smallest_index_of_a_tie_and_torchs_where_no_ties():
    a = np.array([[2.0, 1.0, 2.0, 0.0, 2.0], [NAN, 3.0, NAN, 1.0, 0.0]])
    assert tg.tensor(a).kthvalue(3).indices.tolist() == [0, 1]  # (the first 2.0; 3.0 is unique)
    assert tg.tensor(a).kthvalue(4).indices.tolist() == [2, 0]  # (the second 2.0; the first NaN)
    assert tg.tensor(a).kthvalue(5).indices.tolist() == [4, 2]
    distinct = np.random.default_rng(0).permutation(24).reshape(4, 6) * 1.0
    for k in range(1, 7):
        assert_pairs_same(*_both(lambda lib, x, k=k: x.kthvalue(k, 1), distinct), f"k={k}")
        assert_pairs_same(*_both(lambda lib, x, k=k: lib.kthvalue(x, min(k, 4), 0, True), distinct), f"k={k}")


def test_kthvalue_dtypes_shapes_and_gradient():
    a = np.array([[3, 1, 2, 1, 3, 1], [0, 0, 5, 5, 5, 0]])
    for dtype in (np.int32, np.int64, np.uint8, np.float32):
        for k in range(1, 7):
            check_selection(*_both(lambda lib, x, k=k: x.kthvalue(k, 1), a.astype(dtype)), a.astype(dtype), 1,
                            lambda r, k=k: _kth_rule(r, k))
    assert_pairs_same(*_both(lambda lib, x: x.kthvalue(1), np.array(5.0)))
    assert_pairs_same(*_both(lambda lib, x: x.kthvalue(1, 0, keepdim=True), np.array(5.0)))
    assert_pairs_same(*_both(lambda lib, x: x.kthvalue(2, 1), np.zeros((0, 3))))
    check_gradient_on_our_index(lambda x: x.kthvalue(3, 1), a * 1.0, 1)  # (tied: onto our index)
    b = np.array([[3.0, 1.0, 2.0, 0.5], [0.0, -1.0, 5.0, 4.0]])  # (no ties: as torch)
    ours, theirs = tg.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
    (ours.kthvalue(3, 1).values * tg.tensor([2.0, 3.0])).sum().backward()
    (theirs.kthvalue(3, 1).values * torch.tensor([2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@given(st.lists(st.integers(-3, 3), min_size=1, max_size=25), st.data())
def test_kthvalue_is_the_kth_sorted_value_at_its_stable_sort_position(values, data):
    k = data.draw(st.integers(1, len(values)))
    v, i = tg.tensor(values).kthvalue(k)
    assert v.item() == sorted(values)[k - 1] == values[i.item()]
    assert i.item() == sorted(range(len(values)), key=values.__getitem__)[k - 1]  # (Python's sort is stable)


@pytest.mark.parametrize("n", [1, 2, 5, 16, 17, 18, 33, 100])
def test_mode_values_match_torch_and_index_is_the_last_of_the_mode(n):
    """Rows without NaN: the values are torch's (torch's index among equal elements may differ, over 16 elements
    often does). Rows with NaN: each NaN counts once, so the mode is the numbers' (torch's sort has no order
    for NaNs, and its value there is an artefact of that)."""
    rng = np.random.default_rng(n)
    for nan_share, values in ((0.0, 3), (0.0, n + 1), (0.2, 3)):
        a = _tie_heavy(rng, (8, n), nan_share, values)
        check_selection(*_both(lambda lib, x: x.mode(), a), a, -1, _mode_rule, torch_values=False)
        check_selection(*_both(lambda lib, x: lib.mode(x.T, 0, keepdim=True), a), a.T, 0, _mode_rule,
                        torch_values=False)
        check_gradient_on_our_index(lambda x: x.mode(), a, 1)
    a = np.sort(_tie_heavy(rng, (3, n)), axis=1)
    check_selection(*_both(lambda lib, x: x.mode(1), a), a, 1, _mode_rule)
    check_selection(*_both(lambda lib, x: x.mode(1), a[:, ::-1].copy()), a[:, ::-1], 1, _mode_rule)


@pytest.mark.parametrize("n", [1, 2, 16, 17, 40])
def test_mode_of_nans_only_is_nan_as_torch(n):
    """A row of NaNs only: NaN, as torch; the index is 0 (torch's too up to 16 elements, another NaN's past)."""
    a = np.full((2, n), NAN)
    ours, theirs = _both(lambda lib, x: x.mode(1), a)
    check_selection(ours, theirs, a, 1, _mode_rule)
    assert ours.indices.tolist() == [0, 0]
    if n <= 16:
        assert_pairs_same(ours, theirs)


def test_mode_dtypes_shapes_and_gradient():
    for arr in (np.array([[1, 5, 5], [4, 4, 0]], np.int32), np.array([True, False, False]), np.array(5.0),
                np.array([-0.0, 0.0, 0.0, -0.0]), np.array([0.0, -0.0, 1.0]), np.zeros((0, 3)),
                np.array([1.0, NAN, 1.0, NAN]), np.array([7, 7, 2, 2], np.uint8), np.array([NAN, 2.0, 1.0])):
        rows = arr.reshape(-1, arr.shape[-1]) if arr.ndim else arr
        if arr.size:
            check_selection(*_both(lambda lib, x: x.mode(), arr), rows, -1, _mode_rule, torch_values=False)
            check_selection(*_both(lambda lib, x: lib.mode(x, -1, True), arr), rows, -1, _mode_rule,
                            torch_values=False)
        else:
            assert_pairs_same(*_both(lambda lib, x: x.mode(), arr), str(arr))
    assert_pairs_same(*_both(lambda lib, x: x.mode(), np.array([NAN, 1.0, 2.0, 2.0])))  # (unique index: torch's)
    a = np.array([[3.0, 1.0, 2.0, 1.0, 3.0, 1.0], [2.0, 2.0, 0.0, 0.0, 5.0, 0.0]])
    check_gradient_on_our_index(lambda x: x.mode(1), a, 1)
    b = np.array([[3.0, 1.0, 2.0, 4.0], [2.0, 6.0, 0.0, 5.0]])  # (no ties: the gradient is torch's)
    ours, theirs = tg.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
    (ours.mode(1).values * tg.tensor([2.0, 3.0])).sum().backward()
    (theirs.mode(1).values * torch.tensor([2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@given(st.lists(st.integers(-3, 3), min_size=1, max_size=40))
def test_mode_is_the_smallest_most_frequent_value_at_its_last_position(values):
    v, i = tg.tensor(values).mode()
    counts = {x: values.count(x) for x in values}
    assert v.item() == min(x for x in counts if counts[x] == max(counts.values()))
    assert i.item() == len(values) - 1 - values[::-1].index(v.item())


def test_named_results_as_torch():
    x = tg.tensor([[2.0, 1.0], [1.0, 2.0]])
    for name, result in [("cummax", x.cummax(0)), ("cummin", tg.cummin(x, 1)), ("kthvalue", x.kthvalue(1)),
                         ("mode", tg.mode(x))]:
        values, indices = result
        assert type(result).__name__ == getattr(torch.return_types, name).__name__ == name
        assert result.values is values and result.indices is indices and result[1] is indices
        assert indices.dtype == tg.int64 and not indices.requires_grad
        assert repr(result).startswith(f"{name}(\nvalues=tensor(")
    for name in ("take", "put", "nansum", "nanmean", "cummax", "cummin", "kthvalue", "mode"):
        assert callable(getattr(tg, name)) and callable(getattr(torch, name)), name
        assert callable(getattr(tg.Tensor, name)) and callable(getattr(torch.Tensor, name)), name
    assert callable(tg.Tensor.put_) and not hasattr(tg, "put_") and not hasattr(torch, "put_")


def test_selection_errors_match_torch():
    for lib in (tg, torch):
        x = lib.ones(2, 3)
        with pytest.raises(RuntimeError, match=r"kthvalue\(\): selected number k out of range for dimension 1"):
            x.kthvalue(4)
        with pytest.raises(RuntimeError, match=r"kthvalue\(\): selected number k out of range for dimension 0"):
            lib.kthvalue(x, 0, 0)
        with pytest.raises(RuntimeError, match="selected number k out of range"):
            lib.tensor(1.0).kthvalue(2)
        with pytest.raises(IndexError, match=r"kthvalue\(\): Expected reduction dim 1 to have non-zero size"):
            lib.zeros(2, 0).kthvalue(1, 1)
        with pytest.raises(IndexError, match=r"mode\(\): Expected reduction dim 0 to have non-zero size"):
            lib.zeros(0).mode()
        with pytest.raises(NotImplementedError, match="\"kthvalue_cpu\" not implemented for 'Bool'"):
            lib.tensor([True, False]).kthvalue(1)
        with pytest.raises(TypeError, match=r"kthvalue\(\): argument 'k' .*must be int, not float"):
            x.kthvalue(1.5)
        with pytest.raises(TypeError, match=r"cummax\(\): argument 'dim' .*must be int, not bool"):
            x.cummax(True)
        with pytest.raises(TypeError, match=r"mode\(\): argument 'dim' .*must be int, not float"):
            x.mode(0.0)
        with pytest.raises(TypeError):
            lib.cummin(x)
        for call in (lambda t: t.cummax(2), lambda t: t.mode(-3), lambda t: t[0, 0].cummin(1),
                     lambda t: t.kthvalue(1, 5)):
            with pytest.raises(IndexError):
                call(x)
