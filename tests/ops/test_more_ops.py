"""The torch-breadth ops that the shared case table cannot check (integer results, several outputs, dtypes,
in-place forms, hooks, random draws, error cases), each against the installed torch; and hypothesis
properties where they fit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import tinygrad_mlp as tg

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")

DTYPES = {np.float32: torch.float32, np.float64: torch.float64, np.int64: torch.int64, np.int32: torch.int32,
          np.bool_: torch.bool, np.uint8: torch.uint8}


def same(ours, theirs, exact=True):
    """Values, shape and dtype equal (exact, or to float rounding)."""
    o = ours.detach().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    t = theirs.detach().numpy()
    assert o.shape == t.shape
    assert o.dtype == t.dtype, (o.dtype, t.dtype)
    if exact:
        np.testing.assert_array_equal(o, t)
    else:
        np.testing.assert_allclose(o, t, rtol=1e-6 if o.dtype == np.float32 else 1e-14, atol=1e-30)


def both(a, dtype=None):
    a = np.asarray(a) if dtype is None else np.asarray(a, dtype)
    return tg.tensor(a), torch.tensor(a)


# --- elementwise math ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "frac"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rounding_matches_torch(name, dtype):
    values = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -3.7, 3.2, 0.0, -0.0], dtype)
    o, t = both(values)
    same(getattr(o, name)(), getattr(t, name)())
    same(getattr(tg, name)(o), getattr(torch, name)(t))


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_rounding_keeps_integer_tensors(name):
    o, t = both([-3, 4, 7])
    same(getattr(o, name)(), getattr(t, name)())


def test_round_decimals_and_zero_gradients():
    o, t = both(np.array([1.2345, -2.5551, 1234.5678]))
    same(o.round(decimals=2), t.round(decimals=2))
    same(tg.round(o, decimals=-2), torch.round(t, decimals=-2))
    x = tg.tensor([1.5, -0.3], requires_grad=True)
    (x.floor() + x.ceil() + x.round() + x.trunc()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    x.grad = None
    x.frac().sum().backward()  # frac is differentiable in torch: its gradient is 1
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


@pytest.mark.parametrize("name", ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh",
                                  "exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "erf"])
def test_integer_input_gives_the_default_float_dtype(name):
    o, t = both(np.array([0, 1, 2, -1]))
    with np.errstate(all="ignore"):
        out = getattr(tg, name)(o)
    expected = getattr(torch, name)(t)
    assert out.dtype == np.float32 and expected.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=3e-7, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_matches_torch_to_rounding_over_its_range(dtype):
    x = np.concatenate([np.linspace(-6, 6, 2001), [0.0, -0.0, 1e-300, -1e-12, 30.0, -np.inf, np.inf, np.nan]])
    o, t = both(x, dtype)
    # the C library's erf here, torch's own (vectorised) one there: within 2 units in the last place
    np.testing.assert_allclose(tg.erf(o).numpy(), torch.erf(t).numpy(), rtol=4.5e-16 if dtype == np.float64 else 1.2e-7,
                               atol=0, equal_nan=True)
    assert tg.erf(o).dtype == dtype


def test_out_of_domain_gives_nan_or_inf_as_torch():
    o, t = both(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]))
    for name in ["asin", "acos", "atanh", "log2", "log10", "log1p", "rsqrt", "acosh", "logit"]:
        same(getattr(o, name)(), getattr(t, name)(), exact=False)


def test_integer_remainder_fmod_and_floor_divide():
    a = np.array([-7, -3, 0, 3, 7])
    for b in (3, -3):
        o, t = both(a)
        same(o % b, t % b)
        same(o.remainder(b), t.remainder(b))
        same(o.fmod(b), t.fmod(b))
        same(o // b, t // b)
        same(tg.floor_divide(o, b), torch.floor_divide(t, b))
    o, t = both(np.array([-7.5, 2.25, 5.0]))
    same(o % 2, t % 2)
    same(5.5 % o, 5.5 % t)
    same(tg.fmod(o, -2.0), torch.fmod(t, -2.0))


def test_atan2_takes_tensors_only():
    o, t = both(np.array([1.0, -1.0, 0.0]))
    same(tg.atan2(o, o * 2 - 1), torch.atan2(t, t * 2 - 1), exact=False)
    with pytest.raises(TypeError):
        tg.atan2(o, 2.0)
    with pytest.raises(TypeError):
        torch.atan2(t, 2.0)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, array_shapes(max_dims=3, max_side=4), elements=st.floats(-5, 5)))
def test_trig_identities_hold(a):
    x = tg.tensor(a)
    np.testing.assert_allclose((x.sin() ** 2 + x.cos() ** 2).numpy(), 1.0, rtol=1e-14)
    np.testing.assert_allclose(x.sinh().asinh().numpy(), a, atol=1e-12)
    np.testing.assert_allclose((x.frac() + x.trunc()).numpy(), a, atol=1e-15)
    np.testing.assert_allclose(x.lerp(x * 3, 0.5).numpy(), 2 * a, atol=1e-14)


# --- shape and indexing ----------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=4), elements=st.floats(-5, 5)),
       st.integers(-7, 7))
def test_roll_flip_and_repeat_match_numpy(a, shift):
    x = tg.tensor(a)
    np.testing.assert_array_equal(x.roll(shift, 0).roll(-shift, 0).numpy(), a)
    np.testing.assert_array_equal(x.flip(0).flip(0).numpy(), a)
    np.testing.assert_array_equal(x.roll(shift).numpy(), np.roll(a, shift))
    np.testing.assert_array_equal(x.repeat(*([2] * a.ndim)).numpy(), np.tile(a, [2] * a.ndim))
    np.testing.assert_array_equal(x.repeat_interleave(2).numpy(), np.repeat(a.reshape(-1), 2))


def test_shape_ops_against_torch():
    a = np.arange(24.0).reshape(2, 3, 4)
    o, t = both(a)
    same(o.flip(-1), t.flip(-1))
    same(tg.fliplr(o[0]), torch.fliplr(t[0]))
    same(o.roll(2), t.roll(2))
    same(o.roll((1, 2), (0, 2)), t.roll((1, 2), (0, 2)))
    same(o.repeat(2, 1, 1, 2), t.repeat(2, 1, 1, 2))
    same(o.tile((2,)), t.tile((2,)))
    same(tg.tile(o, (2, 1, 1, 1)), torch.tile(t, (2, 1, 1, 1)))
    same(o.repeat_interleave(2, dim=1), t.repeat_interleave(2, dim=1))
    same(tg.repeat_interleave(tg.tensor([1, 0, 2])), torch.repeat_interleave(torch.tensor([1, 0, 2])))
    same(o.unflatten(2, (2, 2)), t.unflatten(2, (2, 2)))
    same(o.tril(1), t.tril(1))
    same(tg.triu(o, -1), torch.triu(t, -1))
    same(tg.diag(o[0], 1), torch.diag(t[0], 1))
    same(o[0, 0].diag(-2), t[0, 0].diag(-2))
    with pytest.raises(RuntimeError, match="repeat"):
        o.repeat(2, 2)
    with pytest.raises(RuntimeError):
        t.repeat(2, 2)
    with pytest.raises(RuntimeError, match="unflatten"):
        o.unflatten(1, (2, 2))
    with pytest.raises(RuntimeError, match="2 dimensions"):
        tg.tensor([1.0]).tril()


def test_gather_scatter_index_ops_against_torch():
    a = np.arange(12.0).reshape(3, 4)
    o, t = both(a)
    idx = np.array([[0, 2], [3, 3], [1, 0]])
    same(o.gather(1, tg.tensor(idx)), t.gather(1, torch.tensor(idx)))
    same(tg.gather(o, 0, tg.tensor(idx[:2, :2] % 3)), torch.gather(t, 0, torch.tensor(idx[:2, :2] % 3)))
    src = np.full((3, 2), -1.0)
    same(o.scatter(1, tg.tensor(idx[:, :1]), tg.tensor(src)), t.scatter(1, torch.tensor(idx[:, :1]), torch.tensor(src)))
    same(o.scatter(0, tg.tensor(idx[:1]), 9.0), t.scatter(0, torch.tensor(idx[:1]), 9.0))
    same(o.scatter_add(1, tg.tensor(idx), tg.tensor(src)), t.scatter_add(1, torch.tensor(idx), torch.tensor(src)))
    same(o.scatter(1, tg.tensor(idx), tg.tensor(src), reduce="add"),
         t.scatter(1, torch.tensor(idx), torch.tensor(src), reduce="add"))
    sel = np.array([2, 0, 2])
    same(o.index_select(0, tg.tensor(sel)), t.index_select(0, torch.tensor(sel)))
    same(tg.index_select(o, 1, tg.tensor(sel)), torch.index_select(t, 1, torch.tensor(sel)))
    same(o.index_add(0, tg.tensor(sel), tg.ones(3, 4, dtype=tg.float64), alpha=2),
         t.index_add(0, torch.tensor(sel), torch.ones(3, 4, dtype=torch.float64), alpha=2))
    mask = a % 3 == 0
    same(o.masked_fill(tg.tensor(mask), -5.0), t.masked_fill(torch.tensor(mask), -5.0))
    same(tg.masked_fill(o, tg.tensor(mask[0]), tg.tensor(2.0)), torch.masked_fill(t, torch.tensor(mask[0]),
                                                                                   torch.tensor(2.0)))
    oi, ti = both(np.arange(6).reshape(2, 3))
    same(oi.masked_fill(oi > 2, 1.7), ti.masked_fill(ti > 2, 1.7))  # the value is cast to the tensor's dtype


def test_in_place_index_ops_against_torch():
    a = np.arange(12.0).reshape(3, 4)
    o, t = both(a)
    idx = np.array([[0, 2], [3, 3], [1, 0]])
    o.scatter_(1, tg.tensor(idx), tg.tensor(np.full((3, 2), 7.0)))
    t.scatter_(1, torch.tensor(idx), torch.tensor(np.full((3, 2), 7.0)))
    same(o, t)
    o.scatter_add_(0, tg.tensor(idx[:2] % 3), tg.ones(2, 2, dtype=tg.float64))
    t.scatter_add_(0, torch.tensor(idx[:2] % 3), torch.ones(2, 2, dtype=torch.float64))
    same(o, t)
    o.index_add_(1, tg.tensor([0, 0]), tg.ones(3, 2, dtype=tg.float64), alpha=3)
    t.index_add_(1, torch.tensor([0, 0]), torch.ones(3, 2, dtype=torch.float64), alpha=3)
    same(o, t)
    o.masked_fill_(o > 8, 0.5)
    t.masked_fill_(t > 8, 0.5)
    same(o, t)


def test_in_place_on_a_leaf_that_requires_grad_is_refused_as_torch():
    for name, args in [("scatter_", (0, [[0]], 1.0)), ("masked_fill_", ([[True]], 1.0)),
                       ("index_add_", (0, [0], [[1.0]])), ("bernoulli_", ()), ("exponential_", ()),
                       ("random_", ())]:
        ours, theirs = tg.zeros(1, 1, requires_grad=True), torch.zeros(1, 1, requires_grad=True)

        def convert(lib, a):
            return lib.tensor(a) if isinstance(a, list) else a
        with pytest.raises(RuntimeError, match="leaf"):
            getattr(theirs, name)(*[convert(torch, a) for a in args])
        with pytest.raises(RuntimeError, match="leaf"):
            getattr(ours, name)(*[convert(tg, a) for a in args])


def test_index_errors_name_the_op():
    x = tg.zeros(3, 4)
    with pytest.raises(RuntimeError, match="gather.*index out of range"):
        x.gather(1, tg.tensor([[4]]))
    with pytest.raises(RuntimeError, match="gather.*same number of dimensions"):
        x.gather(1, tg.tensor([1]))
    with pytest.raises(RuntimeError, match="index_select.*integer"):
        x.index_select(0, tg.tensor([0.0]))
    with pytest.raises(IndexError, match="index_select.*out of range"):
        x.index_select(0, tg.tensor([3]))
    with pytest.raises(RuntimeError, match="masked_fill.*boolean"):
        x.masked_fill(tg.tensor([1, 0, 1, 0]), 1.0)
    with pytest.raises(RuntimeError, match="masked_fill.*0-dimensional"):
        x.masked_fill(tg.tensor([True, False, True, False]), tg.tensor([1.0]))
    with pytest.raises(RuntimeError, match="roll"):
        x.roll((1, 2), 0)
    with pytest.raises(RuntimeError, match="embedding.*integer"):
        tg.functional.embedding(tg.tensor([0.0]), x)
    with pytest.raises(IndexError, match="embedding.*out of range"):
        tg.functional.embedding(tg.tensor([3]), x)


def test_new_factories_and_type_as_follow_the_tensor():
    o, t = both(np.zeros((2,), np.float64))
    for name, args in [("new_zeros", (2, 3)), ("new_ones", ((3,),)), ("new_full", ((2, 2), 7))]:
        same(getattr(o, name)(*args), getattr(t, name)(*args))
    same(o.new_tensor([1, 2]), t.new_tensor([1, 2]))
    same(o.new_tensor([1, 2], dtype=tg.int64), t.new_tensor([1, 2], dtype=torch.int64))
    assert o.new_zeros(2, requires_grad=True).requires_grad
    assert tuple(o.new_empty(4, 1).shape) == (4, 1)
    oi, ti = both(np.array([1, 2]))
    same(oi.type_as(o), ti.type_as(t))
    assert o.nelement() == t.nelement() == 2


def test_register_hook_matches_torch():
    def run(lib):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        seen = []
        x.register_hook(lambda g: seen.append(g.clone()))
        handle = x.register_hook(lambda g: g * 10)
        y = x * x
        y.register_hook(lambda g: g + 1)  # a non-leaf: changes what flows back
        (y * 2).sum().backward()
        first = x.grad.clone()
        handle.remove()
        x.grad = None
        (x * 3).sum().backward()
        return first, x.grad, [s.tolist() for s in seen]

    ours, theirs = run(tg), run(torch)
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    assert ours[2] == theirs[2]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tg.zeros(2).register_hook(print)


def test_register_hook_on_a_leaf_used_once_and_retain_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: g * 3)
    h.sum().backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    th = tx * 2
    th.retain_grad()
    th.register_hook(lambda g: g * 3)
    th.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(h.grad.numpy(), th.grad.numpy())


# --- reductions and linear algebra ------------------------------------------------------------------------
def test_sort_argsort_topk_with_ties_against_torch():
    a = np.array([[3.0, 1.0, 3.0, 2.0, 1.0, np.nan], [0.5, 0.5, -1.0, 0.5, 2.0, -1.0]])
    o, t = both(a)
    for kw in (dict(), dict(descending=True), dict(dim=0), dict(dim=0, descending=True)):
        vo, io = o.sort(stable=True, **kw)
        vt, it = t.sort(stable=True, **kw)
        same(vo, vt)
        same(io, it)
        same(o.argsort(stable=True, **kw), t.argsort(stable=True, **kw))
    b = np.array([[4.0, 1.0, 7.0, 2.0, 9.0], [0.0, -3.0, 5.0, 6.0, 1.5]])
    o, t = both(b)
    for kw in (dict(k=2), dict(k=3, largest=False), dict(k=1, dim=0)):
        for x, y in zip(o.topk(**kw), t.topk(**kw)):
            same(x, y)
    assert o.topk(2).values.shape == (2, 2) and o.sort().indices.dtype == np.int64
    with pytest.raises(RuntimeError, match="topk"):
        o.topk(6)


def test_unique_bincount_histc_histogram_against_torch():
    a = np.array([3, 1, 2, 3, 3, 0, 1])
    o, t = both(a)
    for x, y in zip(o.unique(return_inverse=True, return_counts=True),
                    t.unique(return_inverse=True, return_counts=True)):
        same(x, y)
    same(tg.unique(o), torch.unique(t))
    m = np.array([[1, 2], [1, 2], [0, 5]])
    same(tg.tensor(m).unique(dim=0), torch.tensor(m).unique(dim=0))
    for x, y in zip(o.unique_consecutive(return_inverse=True, return_counts=True),
                    t.unique_consecutive(return_inverse=True, return_counts=True)):
        same(x, y)
    same(o.bincount(), t.bincount())
    same(o.bincount(minlength=7), t.bincount(minlength=7))
    w = np.array([0.5, 1.0, 2.0, 0.25, 1.0, 3.0, 1.5], np.float32)
    same(o.bincount(tg.tensor(w)), t.bincount(torch.tensor(w)))
    same(o.bincount(tg.tensor(w.astype(np.float64))), t.bincount(torch.tensor(w.astype(np.float64))))
    with pytest.raises(RuntimeError, match="bincount"):
        tg.tensor([-1, 2]).bincount()
    x = np.random.default_rng(0).standard_normal(200)
    for dtype in (np.float32, np.float64):
        o, t = both(x, dtype)
        same(o.histc(), t.histc())
        same(tg.histc(o, bins=7, min=-1, max=1), torch.histc(t, bins=7, min=-1, max=1))
        for kw in (dict(bins=5), dict(bins=4, range=(-1.0, 2.0)), dict(bins=6, density=True)):
            for p, q in zip(o.histogram(**kw), t.histogram(**kw)):
                same(p, q, exact=False)
        edges = np.array([-2.0, 0.0, 0.5, 3.0], dtype)
        ho, hw = tg.histogram(o, tg.tensor(edges), weight=o.abs()), torch.histogram(t, torch.tensor(edges),
                                                                                    weight=t.abs())
        # (weights are summed in float64 here, in the tensor's dtype by torch: float32 sums differ in rounding)
        np.testing.assert_allclose(ho.hist.numpy(), hw.hist.numpy(), rtol=1e-5)
        same(ho.bin_edges, hw.bin_edges)


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, 0, float("inf"), float("-inf"), "fro"])
def test_norm_forms_against_torch(p):
    a = np.random.default_rng(1).standard_normal((3, 4, 2))
    o, t = both(a)
    same(o.norm(p), t.norm(p), exact=False)
    same(tg.norm(o, p, dim=1), torch.norm(t, p, dim=1), exact=False)
    same(o.norm(p, dim=(0, 2), keepdim=True), t.norm(p, dim=(0, 2), keepdim=True), exact=False)
    same(o.dist(o * 0.5, p if p != "fro" else 2), t.dist(t * 0.5, p if p != "fro" else 2), exact=False)
    zero = tg.zeros(3, dtype=tg.float64, requires_grad=True)
    zero.norm().backward()
    np.testing.assert_array_equal(zero.grad.numpy(), 0.0)  # torch's subgradient at 0


def test_norm_refuses_what_torch_refuses():
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2]).norm()
    with pytest.raises(NotImplementedError, match="nuc"):
        tg.ones(2, 2).norm("nuc")


def test_cdist_isclose_outer_bmm_addmm_against_torch():
    rng = np.random.default_rng(2)
    x1, x2 = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4, 3))
    for p in (1.0, 2.0, 3.0, float("inf")):
        same(tg.cdist(tg.tensor(x1), tg.tensor(x2), p=p), torch.cdist(torch.tensor(x1), torch.tensor(x2), p=p),
             exact=False)
    a = np.array([1.0, 1.0 + 1e-9, np.nan, np.inf, 2.0])
    b = np.array([1.0, 1.0, np.nan, np.inf, 2.1])
    same(tg.tensor(a).isclose(tg.tensor(b)), torch.tensor(a).isclose(torch.tensor(b)))
    same(tg.isclose(tg.tensor(a), tg.tensor(b), equal_nan=True, rtol=0.1),
         torch.isclose(torch.tensor(a), torch.tensor(b), equal_nan=True, rtol=0.1))
    with pytest.raises(RuntimeError, match="bmm"):
        tg.zeros(2, 3).bmm(tg.zeros(2, 3))
    nan = np.full(3, np.nan)
    same(tg.addmm(tg.tensor(nan), tg.ones(2, 4, dtype=tg.float64), tg.ones(4, 3, dtype=tg.float64), beta=0),
         torch.addmm(torch.tensor(nan), torch.ones(2, 4, dtype=torch.float64), torch.ones(4, 3, dtype=torch.float64),
                     beta=0))


def test_cumsum_cumprod_dtypes_against_torch():
    for dtype in (np.int32, np.int64, np.bool_, np.float32):
        o, t = both(np.array([[1, 0, 1], [1, 1, 0]]), dtype)
        same(o.cumsum(1), t.cumsum(1))
        same(tg.cumprod(o, 0), torch.cumprod(t, 0))
    o, t = both(np.array([1, 2, 3]))
    same(o.cumsum(0, dtype=tg.float64), t.cumsum(0, dtype=torch.float64))


def test_einsum_forms_against_torch():
    rng = np.random.default_rng(3)
    a, b, c = rng.standard_normal((3, 3)), rng.standard_normal((3, 4)), rng.standard_normal((2, 3, 4))
    for eq, ops in [("ii->i", (a,)), ("ii", (a,)), ("ij,jk", (a, b)), ("ij->", (b,)), ("bij,jk->bik", (c, b.T)),
                    ("...jk,jk->...j", (c, b)), ("i,i->", (a[0], a[1])), ("ji", (b,))]:
        same(tg.einsum(eq, *[tg.tensor(x) for x in ops]), torch.einsum(eq, *[torch.tensor(x) for x in ops]),
             exact=False)
    with pytest.raises(RuntimeError, match="einsum"):
        tg.einsum("ij,jk", tg.tensor(a))


def test_top_level_reductions_with_dim_against_torch():
    a = np.array([[0, 1, 2], [3, 0, 0]])
    o, t = both(a)
    same(tg.all(o), torch.all(t))
    same(tg.any(o, dim=1), torch.any(t, dim=1))
    same(tg.all(o, 0, keepdim=True), torch.all(t, 0, keepdim=True))
    same(o.all(1), t.all(1))  # the method forms take dim too
    same(o.any(-1, keepdim=True), t.any(-1, keepdim=True))
    same(o.any(), t.any())
    same(tg.count_nonzero(o), torch.count_nonzero(t))
    same(o.count_nonzero(dim=0), t.count_nonzero(dim=0))
    f = np.array([[3.0, 1.0, 2.0, 2.0], [0.0, -1.0, 5.0, 4.0]])
    o, t = both(f)
    same(o.median(), t.median())
    for x, y in zip(o.median(dim=1), t.median(dim=1)):
        same(x, y)
    for x, y in zip(tg.var_mean(o, 1), torch.var_mean(t, 1)):
        same(x, y, exact=False)
    for x, y in zip(tg.std_mean(o, correction=0), torch.std_mean(t, correction=0)):
        same(x, y, exact=False)
    for name in ("sum", "mean", "prod", "amax", "amin", "logsumexp", "std", "var", "argmax", "argmin"):
        same(getattr(tg, name)(o, 1), getattr(torch, name)(t, 1), exact=False)


# --- random ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_])
def test_random_fills_the_stream_as_torch(dtype):
    tg.manual_seed(5)
    torch.manual_seed(5)
    same(tg.zeros(9, dtype=dtype).random_(), torch.zeros(9, dtype=DTYPES[dtype]).random_())
    if dtype != np.bool_:
        same(tg.zeros(9, dtype=dtype).random_(3, 9), torch.zeros(9, dtype=DTYPES[dtype]).random_(3, 9))
        same(tg.zeros(9, dtype=dtype).random_(7), torch.zeros(9, dtype=DTYPES[dtype]).random_(7))
    if np.dtype(dtype).kind == "f":
        same(tg.zeros(3, 4, dtype=dtype).exponential_(0.5), torch.zeros(3, 4, dtype=DTYPES[dtype]).exponential_(0.5))
        same(tg.zeros(40, dtype=dtype).bernoulli_(0.3), torch.zeros(40, dtype=DTYPES[dtype]).bernoulli_(0.3))
        p = np.linspace(0, 1, 12, dtype=dtype).reshape(3, 4)
        same(tg.zeros(3, 4, dtype=dtype).bernoulli_(tg.tensor(p)),
             torch.zeros(3, 4, dtype=DTYPES[dtype]).bernoulli_(torch.tensor(p)))
        same(tg.rand(2), torch.rand(2))  # still in step


def test_normal_forms_follow_torch():
    tg.manual_seed(11)
    torch.manual_seed(11)
    same(tg.normal(tg.arange(4.0), tg.ones(3, 1) * 2), torch.normal(torch.arange(4.0), torch.ones(3, 1) * 2))
    same(tg.normal(tg.arange(4.0), 0.5), torch.normal(torch.arange(4.0), 0.5))
    same(tg.normal(-1.0, tg.full((5,), 3.0, dtype=tg.float64)), torch.normal(-1.0, torch.full((5,), 3.0,
                                                                                                dtype=torch.float64)))
    same(tg.normal(2.0, 3.0, (4, 2)), torch.normal(2.0, 3.0, (4, 2)))
    same(tg.randn(3), torch.randn(3))
    with pytest.raises(RuntimeError, match="std >= 0"):
        tg.normal(tg.zeros(2), -1.0)
