"""In-place indexing ops on tensors in a graph (recorded, as torch), index_put / index_fill / index_copy and
scatter_reduce: forward and gradients against the installed torch in float64 and against finite differences,
through the shared case machinery; dtypes, errors and the leaf rule against torch directly."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_mlp as tg

from .cases import COND, MASK, Case
from .test_gradcheck_ops import check_gradients

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")
from .test_torch_reference import check_against_torch  # noqa: E402 - needs torch

IDX = np.array([[0, 3], [2, 1], [1, 1]])  # (a repeat: scatter_add_ sums it)
UNIQUE = np.array([[0, 3], [2, 1], [1, 0]])  # scatter_: one value per position
SR_IDX = np.array([[0, 1, 0, 2], [1, 1, 2, 2], [3, 0, 3, 3]])  # (src of the same shape: torch's backward
# refuses a src larger than the index)  # repeats: several src elements per slot
ROWS, COLS = np.array([0, 2, 0]), np.array([1, 3, 1])  # (0, 1) twice: accumulate sums it
ROWS1, COLS1 = np.array([0, 2, 1]), np.array([1, 3, 1])



def _scatter_reduce(reduce, include_self):
    return lambda m, x, s: x.scatter_reduce(1, m.const(SR_IDX), s, reduce, include_self=include_self)


CASES = [
    # recorded in-place ops on a non-leaf (the destination's and the source's gradients)
    Case("masked_fill__nonleaf", lambda m, x: (x * 2).masked_fill_(m.const(MASK), -1.0) * x, [(3, 4)]),
    Case("masked_fill__broadcast_tensor_value", lambda m, x, v: (x + 0).masked_fill_(m.const(COND), v.sum()),
         [(3, 4), (2,)]),
    Case("scatter__nonleaf", lambda m, x, s: (x * 1.5).scatter_(1, m.const(UNIQUE), s), [(3, 4), (3, 2)]),
    Case("scatter__into_constant", lambda m, s: m.const(np.ones((3, 4))).scatter_(1, m.const(UNIQUE), s) * 2,
         [(3, 2)]),
    Case("scatter__value", lambda m, x: (x * x).scatter_(1, m.const(UNIQUE), 0.5), [(3, 4)]),
    Case("scatter_add__nonleaf", lambda m, x, s: (x.sin() * 1).scatter_add_(1, m.const(IDX), s), [(3, 4), (3, 2)]),
    Case("index_add__nonleaf", lambda m, x, s: (x - 1).index_add_(0, m.const(ROWS), s, alpha=2.0), [(3, 4), (3, 4)]),
    Case("in_place_then_more", lambda m, x: ((x * 2).masked_fill_(m.const(MASK), 0.0) * 3).sum(1), [(3, 4)]),
    Case("used_before_in_place", lambda m, x: _used_before(m, x), [(3, 4)]),
    # index_put, index_fill, index_copy
    Case("index_put", lambda m, x, v: x.index_put((m.const(ROWS1), m.const(COLS1)), v), [(3, 4), (3,)]),
    Case("index_put_accumulate", lambda m, x, v: x.index_put((m.const(ROWS), m.const(COLS)), v, accumulate=True),
         [(3, 4), (3,)]),
    Case("index_put_rows_broadcast", lambda m, x, v: x.index_put((m.const(np.array([2, 0])),), v), [(3, 4), (4,)]),
    Case("index_put_mask", lambda m, x, v: x.index_put((m.const(MASK),), v.sum()), [(3, 4), (2,)]),
    Case("index_put__nonleaf_accumulate",
         lambda m, x, v: (x * 2).index_put_((m.const(ROWS),), v, accumulate=True), [(3, 4), (3, 4)]),
    Case("index_fill", lambda m, x: x.index_fill(1, m.const(np.array([0, 2, 0])), -2.0) * x, [(3, 4)]),
    Case("index_fill_tensor_value", lambda m, x, v: m.lib.index_fill(x, 0, m.const(np.array([1])), v.sum()),
         [(3, 4), (2,)]),
    Case("index_fill__nonleaf", lambda m, x, v: (x * 3).index_fill_(1, m.const(np.array([3])), v.sum()),
         [(3, 4), (2,)]),
    Case("index_copy", lambda m, x, s: x.index_copy(1, m.const(np.array([3, 0])), s), [(3, 4), (3, 2)]),
    Case("index_copy__nonleaf", lambda m, x, s: (x + x).index_copy_(0, m.const(np.array([2])), s), [(3, 4), (1, 4)]),
    # scatter_reduce, every reduction with and without the tensor's own values
    *[Case(f"scatter_reduce_{r}_{'self' if inc else 'noself'}", _scatter_reduce(r, inc), [(3, 4), (3, 4)],
           domain="positive" if r == "prod" else "any")
      for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)],
    Case("scatter_reduce_prod_zeros", lambda m, x, s: x.scatter_reduce(1, m.const(SR_IDX), s, "prod"),
         [(3, 4), (3, 4)], domain="zero_inside"),
    Case("scatter_reduce_prod_zeros_noself",
         lambda m, x, s: m.lib.scatter_reduce(x, 0, m.const(np.array([[0, 0, 1], [0, 1, 1]])), s, "prod",
                                              include_self=False), [(2, 3), (2, 3)], domain="zero_inside"),
    Case("scatter_reduce__nonleaf", lambda m, x, s: (x * 2).scatter_reduce_(1, m.const(SR_IDX), s, "mean"),
         [(3, 4), (3, 4)]),
]


def _used_before(m, x):
    """A node recorded before the in-place change (one that saved nothing of it) still gets its gradient."""
    y = x * 2
    z = (y + 1) * x
    y.index_fill_(1, m.const(np.array([1])), 0.0)
    return z + y


@pytest.mark.parametrize("case", [c for c in CASES if c.gradcheck], ids=lambda c: c.name)
def test_gradcheck(case):
    check_gradients(case)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_torch(case):
    check_against_torch(case)


def test_the_issue_example():
    x = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    mask = tg.tensor([True, False, True, False])
    y = x * 2
    y.masked_fill_(mask, 0)
    assert y.grad_fn.name() == "MaskedFillBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 0.0, 2.0])


def test_scatter_reduce_ties_split_as_torch():
    a = np.array([[1.0, 5.0, 3.0], [4.0, 5.0, 6.0]])
    s = np.array([[5.0, 5.0, 7.0], [1.0, 5.0, 0.5]])
    idx = np.array([[1, 1, 0], [1, 1, 2]])
    g = np.arange(1.0, 7.0).reshape(2, 3)
    for reduce in ("amax", "amin"):
        for inc in (True, False):
            ours = [tg.tensor(a, requires_grad=True), tg.tensor(s, requires_grad=True)]
            theirs = [torch.tensor(a, requires_grad=True), torch.tensor(s, requires_grad=True)]
            o = ours[0].scatter_reduce(1, tg.tensor(idx), ours[1], reduce, include_self=inc)
            t = theirs[0].scatter_reduce(1, torch.tensor(idx), theirs[1], reduce, include_self=inc)
            np.testing.assert_array_equal(o.detach().numpy(), t.detach().numpy())
            o.backward(tg.tensor(g))
            t.backward(torch.tensor(g))
            for p, q in zip(ours, theirs):
                np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float32])
def test_scatter_reduce_dtypes_against_torch(reduce, dtype):
    a = np.array([5, -7, 1, 3], dtype)
    s = np.array([2, 3, -4, 6, 9], dtype)
    idx = np.array([0, 0, 1, 1, 0])
    for inc in (True, False):
        o = tg.tensor(a).scatter_reduce(0, tg.tensor(idx), tg.tensor(s), reduce, include_self=inc)
        t = torch.tensor(a).scatter_reduce(0, torch.tensor(idx), torch.tensor(s), reduce, include_self=inc)
        assert o.dtype == t.numpy().dtype
        np.testing.assert_array_equal(o.numpy(), t.numpy())
        ot, tt = tg.tensor(a), torch.tensor(a)
        ot.scatter_reduce_(0, tg.tensor(idx), tg.tensor(s), reduce, include_self=inc)
        tt.scatter_reduce_(0, torch.tensor(idx), torch.tensor(s), reduce, include_self=inc)
        np.testing.assert_array_equal(ot.numpy(), tt.numpy())


def test_in_place_index_ops_without_grad_change_the_data_as_torch():
    a = np.arange(12.0).reshape(3, 4)
    o, t = tg.tensor(a), torch.tensor(a)
    steps = [
        ("index_put_", lambda lib: ((lib.tensor(ROWS), lib.tensor(COLS)), lib.tensor([1.0, 2.0, 3.0],
                                                                                   dtype=lib.float64)), {}),
        ("index_put_", lambda lib: ((lib.tensor(ROWS),), lib.tensor(np.ones(4))), {"accumulate": True}),
        ("index_fill_", lambda lib: (1, lib.tensor([3, 0]), -1.5), {}),
        ("index_copy_", lambda lib: (0, lib.tensor([1]), lib.tensor(np.full((1, 4), 8.0))), {}),
        ("scatter_", lambda lib: (1, lib.tensor(IDX), 4.0), {}),
    ]
    for name, args, kwargs in steps:
        getattr(o, name)(*args(tg), **kwargs)
        getattr(t, name)(*args(torch), **kwargs)
        np.testing.assert_array_equal(o.numpy(), t.numpy(), err_msg=name)
        assert not o.requires_grad


def test_in_place_on_a_leaf_that_requires_grad_is_refused_as_torch():
    calls = [("index_put_", lambda lib: ((lib.tensor([0]),), lib.tensor([1.0]))),
             ("index_fill_", lambda lib: (0, lib.tensor([0]), 1.0)),
             ("index_copy_", lambda lib: (0, lib.tensor([0]), lib.tensor([[1.0]]))),
             ("scatter_reduce_", lambda lib: (0, lib.tensor([[0]]), lib.tensor([[1.0]]), "sum")),
             ("masked_fill_", lambda lib: (lib.tensor([[True]]), 1.0)),
             ("scatter_add_", lambda lib: (0, lib.tensor([[0]]), lib.tensor([[1.0]]))),
             ("index_add_", lambda lib: (0, lib.tensor([0]), lib.tensor([[1.0]])))]
    for name, args in calls:
        ours, theirs = tg.zeros(1, 1, requires_grad=True), torch.zeros(1, 1, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            getattr(theirs, name)(*args(torch))
        with pytest.raises(RuntimeError, match=f"{name}.*leaf Variable that requires grad"):
            getattr(ours, name)(*args(tg))
        with tg.no_grad():  # allowed there, as torch
            getattr(ours, name)(*args(tg))
        assert ours.is_leaf and ours.grad_fn is None


def test_a_failed_in_place_op_changes_nothing():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    before, node = y.numpy().copy(), y.grad_fn
    with pytest.raises(RuntimeError, match="index_put_.*dtypes match.*float32.*int64"):
        y.index_put_((tg.tensor([0]),), tg.tensor([1]))
    with pytest.raises(IndexError, match="index_put_.*out of bounds.*shape \\(3,\\)"):
        y.index_put_((tg.tensor([5]),), tg.tensor([1.0]))
    with pytest.raises(RuntimeError, match="index_fill_ only supports a 0-dimensional value tensor"):
        y.index_fill_(0, tg.tensor([0]), tg.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="index_copy_.*same dtype"):
        y.index_copy_(0, tg.tensor([0]), tg.tensor([1]))
    with pytest.raises(RuntimeError, match="scatter_reduce_.*sum, prod, mean, amax or amin"):
        y.scatter_reduce_(0, tg.tensor([0]), tg.tensor([1.0]), "max")
    with pytest.raises(TypeError, match="scatter_reduce.*src.*Tensor"):
        y.scatter_reduce(0, tg.tensor([0]), 2.0, "sum")
    with pytest.raises(TypeError, match="index_put.*None"):
        y.index_put((tg.tensor([0]), None), tg.tensor(1.0))
    np.testing.assert_array_equal(y.numpy(), before)
    assert y.grad_fn is node
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_index_put_errors_match_torch_kinds():
    for lib in (tg, torch):
        x = lib.zeros(3, dtype=lib.float64)
        with pytest.raises(RuntimeError, match="dtypes match"):
            x.index_put((lib.tensor([0]),), lib.tensor([1], dtype=lib.int64))
        with pytest.raises(IndexError, match="out of bounds"):
            x.index_put((lib.tensor([3]),), lib.tensor([1.0], dtype=lib.float64))
        with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor"):
            x.index_fill(0, lib.tensor([0]), lib.tensor([1.0, 2.0], dtype=lib.float64))
        with pytest.raises(RuntimeError, match="same dtype"):
            x.index_copy(0, lib.tensor([0]), lib.tensor([1]))


@given(st.lists(st.integers(0, 4), min_size=1, max_size=8), st.sampled_from(["sum", "amax", "amin", "prod"]),
       st.booleans())
def test_scatter_reduce_is_the_reduction_of_each_group(index, reduce, include_self):
    """Each output slot is the reduction of the src values sent to it (and its own value when included)."""
    rng = np.random.default_rng(len(index))
    a, s = rng.standard_normal(5), rng.standard_normal(len(index))
    out = tg.tensor(a).scatter_reduce(0, tg.tensor(index), tg.tensor(s), reduce, include_self=include_self).numpy()
    fn = {"sum": np.sum, "amax": np.max, "amin": np.min, "prod": np.prod}[reduce]
    for slot in range(5):
        group = [s[i] for i, j in enumerate(index) if j == slot]
        if include_self or not group:
            group.append(a[slot])
        np.testing.assert_allclose(out[slot], fn(group), rtol=1e-12)


@pytest.mark.parametrize("reduce", ["sum", "prod", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_of_bools_as_torch(reduce, include_self):
    a, idx, src = [True, False, True, False], [0, 1, 1, 3], [False, True, False, True]
    theirs = torch.tensor(a).scatter_reduce(0, torch.tensor(idx), torch.tensor(src), reduce, include_self=include_self)
    ours = tg.tensor(a).scatter_reduce(0, tg.tensor(idx), tg.tensor(src), reduce, include_self=include_self)
    assert ours.tolist() == theirs.tolist() and ours.dtype == tg.bool


def test_index_copy_refuses_negative_indices_as_torch():
    with pytest.raises(IndexError, match="index -1 is out of bounds for dimension 0 with size 3"):
        tg.zeros(3).index_copy(0, tg.tensor([-1]), tg.ones(1))
    with pytest.raises(IndexError):
        torch.zeros(3).index_copy(0, torch.tensor([-1]), torch.ones(1))
    x = tg.zeros(3)
    with pytest.raises(IndexError):
        x.index_copy_(0, tg.tensor([-1]), tg.ones(1))
    assert x.tolist() == [0.0, 0.0, 0.0]
