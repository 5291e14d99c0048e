"""More torch API that scripts use, side by side with the installed torch: the in-place variants of the
elementwise ops (values and gradients), small tensor queries and reshapes, finfo/iinfo, threads and
determinism switches, the old constructors and Variable, and testing.assert_close."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_mlp as tg
from tinygrad_mlp.autograd import Variable

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")

# name -> its arguments ("T": a tensor of the input's shape, values in [0.5, 1.5])
IN_PLACE = {"pow": (2,), "sqrt": (), "rsqrt": (), "exp": (), "exp2": (), "expm1": (), "log": (), "log2": (),
            "log10": (), "log1p": (), "neg": (), "abs": (), "relu": (), "sigmoid": (), "tanh": (), "sin": (),
            "cos": (), "tan": (), "floor": (), "ceil": (), "round": (), "trunc": (), "frac": (), "sign": (),
            "reciprocal": (), "square": (), "erf": (), "fmod": (0.7,), "remainder": (0.7,), "lerp": ("T", 0.3),
            "tril": (), "triu": (), "clamp_min": (0.5,), "clamp_max": (0.5,), "addcmul": ("T", "T"),
            "addcdiv": ("T", "T"), "nan_to_num": (), "logit": ()}


def in_place_run(lib, name, a, others):
    """y = x * 1 (a non-leaf), y.name_(...) in place, then a weighted sum's backward to x."""
    x = lib.tensor(a, requires_grad=True)
    y = x * 1.0
    args = [lib.tensor(o) if kind == "T" else kind for o, kind in zip(others, IN_PLACE[name])]
    version = y._version
    assert getattr(y, name + "_")(*args) is y  # in place: the same tensor comes back
    assert y._version > version
    (y * lib.tensor(np.arange(a.size, dtype=np.float64).reshape(a.shape))).sum().backward()
    return y.detach().numpy().copy(), x.grad.numpy().copy()


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_variants_give_torchs_values_and_gradients(name):
    rng = np.random.default_rng(sorted(IN_PLACE).index(name))
    a = rng.uniform(0.1, 0.9, (3, 3))
    others = [rng.uniform(0.5, 1.5, (3, 3)) for _ in IN_PLACE[name]]
    (ours, our_grad), (theirs, their_grad) = in_place_run(tg, name, a, others), in_place_run(torch, name, a, others)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-10, atol=1e-12)
    plain = tg.tensor(a.copy())  # no graph: written into the tensor's own memory
    memory = plain.numpy()
    getattr(plain, name + "_")(*[tg.tensor(o) if k == "T" else k for o, k in zip(others, IN_PLACE[name])])
    np.testing.assert_allclose(memory, theirs, rtol=1e-12, atol=1e-12)


def test_in_place_variants_refuse_what_torch_refuses():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        tg.tensor([1, 2]).sqrt_()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        tg.ones(2, requires_grad=True).exp_()
    t = tg.tensor([4.0, 9.0])
    with pytest.raises(TypeError):
        t.pow_("x")
    assert t.tolist() == [4.0, 9.0] and t._version == 0  # a failed op changes nothing


def test_tensor_queries_as_torch():
    for lib in (tg, torch):
        f, i = lib.ones(2, 3), lib.arange(6)
        assert (f.is_floating_point(), i.is_floating_point(), lib.is_floating_point(f), f.is_complex()) == \
            (True, False, True, False)
        assert (f.ndimension(), f.nelement(), f.element_size(), f.itemsize, f.nbytes) == (2, 6, 4, 4, 24)
        assert i.element_size() == 8


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_narrow_select_unbind_movedim_match_torch_with_gradients(shape, data):
    a = np.random.default_rng(len(shape)).standard_normal(shape)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    size = shape[dim]
    start = data.draw(st.integers(-size, size - 1))
    length = data.draw(st.integers(0, size - start % size))
    index = data.draw(st.integers(-size, size - 1))
    src = data.draw(st.permutations(range(len(shape))))
    results = []
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        parts = [x.narrow(dim, start, length), x.select(dim, index), *x.unbind(dim),
                 lib.movedim(x, src, list(range(len(shape)))), x.swapaxes(0, -1), x.moveaxis(0, -1)]
        sum((p * (k + 1)).sum() for k, p in enumerate(parts)).backward()
        results.append(([tuple(p.shape) for p in parts], [p.detach().numpy().copy() for p in parts], x.grad.numpy()))
    assert results[0][0] == results[1][0]
    for o, t in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(o, t)
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-12)


def test_narrow_and_select_errors_as_torch():
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(3\) exceeds dimension size \(4\)"):
            lib.arange(4).narrow(0, 2, 3)
        with pytest.raises(IndexError, match="out of range"):
            lib.arange(4).select(0, 4)


def test_masked_select_nonzero_take_along_dim_broadcast_to_nan_to_num_as_torch():
    a = np.array([[0.0, 1.5, -2.0], [3.0, 0.0, 4.0]])
    mask = np.array([True, False, True])
    idx = np.array([[2, 0, 1], [1, 1, 0]])
    special = np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)
    got = []
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        picked = lib.masked_select(x, lib.tensor(mask))
        taken = lib.take_along_dim(x, lib.tensor(idx), 1)
        flat = lib.take_along_dim(x, lib.tensor([[5, 0]]))
        (picked.sum() + (taken * 2).sum() + (flat * 3).sum()).backward()
        got.append([picked.tolist(), taken.tolist(), flat.tolist(), x.grad.tolist(), lib.nonzero(x.detach()).tolist(),
                    [t.tolist() for t in lib.nonzero(x.detach(), as_tuple=True)], lib.argwhere(x.detach()).tolist(),
                    tuple(lib.broadcast_to(lib.ones(3), (2, 3)).shape), lib.nan_to_num(lib.tensor(special)).tolist(),
                    lib.nan_to_num(lib.tensor(special), nan=1.0, posinf=2.0, neginf=-2.0).tolist(),
                    tuple(lib.broadcast_shapes((2, 1), (3,), 1))])
    assert got[0] == got[1]


def test_finfo_iinfo_as_torch():
    for ours, theirs in ((tg.float32, torch.float32), (tg.float64, torch.float64), (tg.float16, torch.float16)):
        a, b = tg.finfo(ours), torch.finfo(theirs)
        assert (a.bits, a.eps, a.max, a.min, a.tiny, a.smallest_normal, a.resolution, a.dtype) == \
            (b.bits, b.eps, b.max, b.min, b.tiny, b.smallest_normal, b.resolution, b.dtype)
        assert repr(a) == repr(b)
    assert tg.finfo().eps == torch.finfo().eps
    for ours, theirs in ((tg.int64, torch.int64), (tg.int8, torch.int8), (tg.uint8, torch.uint8)):
        a, b = tg.iinfo(ours), torch.iinfo(theirs)
        assert (a.bits, a.max, a.min, a.dtype, repr(a)) == (b.bits, b.max, b.min, b.dtype, repr(b))
    with pytest.raises(TypeError, match="requires a floating point input type"):
        tg.finfo(tg.int32)
    with pytest.raises(TypeError, match="requires an integer input type"):
        tg.iinfo(tg.float32)


def test_threads_and_determinism_switches():
    before = tg.get_num_threads()
    try:
        tg.set_num_threads(1)
        assert tg.get_num_threads() == 1
    finally:
        tg.set_num_threads(before)
    assert tg.get_num_threads() == before
    with pytest.raises(RuntimeError):
        tg.set_num_threads(0)
    tg.use_deterministic_algorithms(True, warn_only=True)
    assert tg.are_deterministic_algorithms_enabled()
    tg.use_deterministic_algorithms(False)
    assert not tg.are_deterministic_algorithms_enabled()


def test_old_constructors_and_variable_as_torch():
    for name in ("FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
                 "ByteTensor", "BoolTensor"):
        ours, theirs = getattr(tg, name), getattr(torch, name)
        assert ours([1, 0, 2]).tolist() == theirs([1, 0, 2]).tolist()
        assert str(ours([1]).dtype).split(".")[1] == str(theirs([1]).dtype).split(".")[1]
        assert tuple(ours(2, 3).shape) == tuple(theirs(2, 3).shape)
    for lib, make in ((tg, Variable), (torch, torch.autograd.Variable)):
        t = lib.ones(2)
        v = make(t, requires_grad=True)
        assert v is not t and v.requires_grad and not t.requires_grad
        (v * 3).sum().backward()
        assert v.grad.tolist() == [3.0, 3.0]
        with lib.no_grad():
            v.add_(1)
        assert t.tolist() == [2.0, 2.0]  # the same memory


CLOSE_CASES = [
    ([1.0, 2.0], [1.0, 2.1], {}),
    ([1.0, 2.0], [1.0, 2.0 + 1e-7], {}),
    ([[1, 2], [3, 4]], [[1, 2], [3, 5]], {}),
    ([float("nan")], [float("nan")], {}),
    ([float("nan")], [float("nan")], {"equal_nan": True}),
    ([1.0, float("inf")], [1.0, float("inf")], {}),
    ([1.0], [1.5], {"rtol": 0.0, "atol": 0.6}),
    ([1.0], [1.5], {"msg": "custom"}),
]


@pytest.mark.parametrize("actual,expected,kwargs", CLOSE_CASES)
def test_assert_close_passes_and_fails_where_torch_does(actual, expected, kwargs):
    outcomes = []
    for lib in (tg, torch):
        try:
            lib.testing.assert_close(lib.tensor(actual), lib.tensor(expected), **kwargs)
            outcomes.append(None)
        except AssertionError as e:
            outcomes.append(str(e).split("\n")[0])
    assert outcomes[0] == outcomes[1]


def test_assert_close_names_dtype_and_shape_mismatches():
    with pytest.raises(AssertionError, match="attribute 'dtype' do not match"):
        tg.testing.assert_close(tg.tensor([1.0]), tg.tensor([1.0], dtype=tg.float64))
    with pytest.raises(AssertionError, match="attribute 'shape' do not match"):
        tg.testing.assert_close(tg.tensor([1.0, 2.0]), tg.tensor([1.0]))
    with pytest.raises(AssertionError, match=r"Mismatched elements: 1 / 2 \(50.0%\)"):
        tg.testing.assert_close(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.1]))
    tg.testing.assert_close(tg.tensor([1.0]), tg.tensor([1.0], dtype=tg.float64), check_dtype=False)
    tg.testing.assert_close([1.0, 2.0], [1.0, 2.0])


def test_an_optimizer_over_read_only_memory_is_refused_when_built_not_inside_step():
    frozen = np.ones(3, np.float32)
    frozen.flags.writeable = False
    p = tg.nn.Parameter(tg.from_numpy(frozen))
    with pytest.raises(ValueError, match=r"SGD: a parameter of shape \(3,\) is backed by read-only memory"):
        tg.optim.SGD([p], lr=0.1)
    writable = tg.nn.Parameter(tg.tensor(frozen))  # the copy the message suggests trains
    opt = tg.optim.SGD([writable], lr=0.5)
    writable.sum().backward()
    opt.step()
    assert writable.tolist() == [0.5, 0.5, 0.5]


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_draws_torchs_sample_and_gradient(hard, dim):
    a = np.random.default_rng(1).standard_normal((3, 4))
    weights = np.arange(12.0).reshape(3, 4)
    results = []
    for lib in (tg, torch):
        lib.manual_seed(5)
        x = lib.tensor(a, requires_grad=True)
        out = lib.nn.functional.gumbel_softmax(x, tau=0.7, hard=hard, dim=dim)
        (out * lib.tensor(weights)).sum().backward()
        results.append((out.detach().numpy().copy(), x.grad.numpy().copy(), lib.rand(3).tolist()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10, atol=1e-12)
    assert results[0][2] == results[1][2]  # the stream is where torch leaves it
    if hard:
        assert set(np.unique(results[0][0])) <= {0.0, 1.0} and (results[0][0].sum(axis=dim) == 1).all()


# --- fixes after review: each compared with torch ----------------------------------------------------------


def test_assert_close_treats_infinities_and_python_scalars_as_torch():
    for lib in (tg, torch):
        for a, e in (([0.0], [float("inf")]), ([-float("inf")], [float("inf")]), ([1e30], [-float("inf")])):
            with pytest.raises(AssertionError, match="Tensor-likes are not close!"):
                lib.testing.assert_close(lib.tensor(a), lib.tensor(e))
        lib.testing.assert_close(lib.tensor([float("inf")]), lib.tensor([float("inf")]))
        with pytest.raises(AssertionError, match="Scalars are not close!"):
            lib.testing.assert_close(1.0, 1.00001)  # Python floats: float64's tolerance
        lib.testing.assert_close(lib.tensor([1.0], dtype=lib.float64), lib.tensor([1.000001]), check_dtype=False)
        lib.testing.assert_close({"a": lib.ones(2)}, {"a": lib.ones(2)})
        lib.testing.assert_close(None, None)


def test_take_along_dim_broadcasts_as_torch():
    a = np.arange(24.0).reshape(2, 3, 4)
    for index, dim in (([[[0], [3], [1]]], 2), ([[[2]]], -1), ([[[1, 0, 1, 0]], [[0, 0, 1, 1]]], 1)):
        got = [lib.take_along_dim(lib.tensor(a), lib.tensor(index), dim) for lib in (tg, torch)]
        assert tuple(got[0].shape) == tuple(got[1].shape)
        np.testing.assert_array_equal(got[0].numpy(), got[1].numpy())


def test_nonzero_of_a_0d_tensor_as_torch():
    for value in (5, 0, True):
        ours, theirs = tg.tensor(value), torch.tensor(value)
        assert tuple(ours.nonzero().shape) == tuple(theirs.nonzero().shape)
        assert [t.tolist() for t in ours.nonzero(as_tuple=True)] == [t.tolist() for t in theirs.nonzero(as_tuple=True)]


def test_in_place_ops_keep_the_tensors_shape_as_torch():
    for lib in (tg, torch):
        for record in (True, False):
            x = lib.ones(3, requires_grad=record)
            y = x * 1 if record else x
            for op, args in (("pow_", (lib.ones(2, 3),)), ("add_", (lib.ones(2, 3),)),
                             ("addcmul_", (lib.ones(2, 3), lib.ones(3)))):
                with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape"):
                    getattr(y, op)(*args)
            assert tuple(y.shape) == (3,) and y.tolist() == [1.0, 1.0, 1.0]


def _f64(lib, value):  # (float32 tensor hyperparameters make torch do its scalar arithmetic in float32)
    return lib.tensor(value, dtype=lib.float64)


@pytest.mark.parametrize("make", [
    lambda lib: lib.optim.Adam(PARAMS[lib], lr=0.1, betas=(_f64(lib, 0.8), _f64(lib, 0.99))),
    lambda lib: lib.optim.SGD(PARAMS[lib], lr=0.1, momentum=_f64(lib, 0.9)),
    lambda lib: lib.optim.SGD(PARAMS[lib], lr=0.1, weight_decay=_f64(lib, 0.1))],
    ids=["adam-betas", "sgd-momentum", "sgd-weight-decay"])
def test_tensor_hyperparameters_beyond_lr_step_as_torch(make):
    values = []
    for lib in (tg, torch):
        PARAMS[lib] = [lib.nn.Parameter(lib.tensor([0.5, -1.0], dtype=lib.float64))]
        opt = make(lib)
        for _ in range(3):
            opt.zero_grad()
            (PARAMS[lib][0] ** 2).sum().backward()
            opt.step()
        values.append(PARAMS[lib][0].detach().numpy().copy())
    np.testing.assert_allclose(values[0], values[1], rtol=1e-12)


PARAMS: dict = {}


def test_grad_mode_decorators_keep_their_argument_as_torch():
    seen = []
    for lib in (tg, torch):
        x = lib.ones(2, requires_grad=True)

        @lib.inference_mode(False)
        def records(x, lib=lib):
            return (x * 2).requires_grad, lib.is_inference_mode_enabled()

        @lib.set_grad_enabled(False)
        def quiet(x):
            return (x * 2).requires_grad

        with lib.inference_mode():
            inside = records(x)
        seen.append((inside, quiet(x), lib.is_grad_enabled(), (x * 2).requires_grad))
    assert seen[0] == seen[1] == ((True, False), False, True, True)


def test_old_typed_tensor_names_work_as_types_as_torch():
    seen = []
    for lib in (tg, torch):
        x = lib.ones(2, dtype=lib.float64)
        seen.append((str(x.type(lib.FloatTensor).dtype).split(".")[1], isinstance(x, lib.FloatTensor),
                     isinstance(x, lib.DoubleTensor), isinstance(lib.arange(3), lib.LongTensor),
                     tuple(lib.FloatTensor(lib.Size([2, 3])).shape), tuple(lib.FloatTensor().shape),
                     lib.FloatTensor((2, 3)).tolist(), x.type(lib.LongTensor).tolist()))
    assert seen[0] == seen[1]


def test_clamp_with_tensor_bounds_gives_torchs_values_and_gradients():
    seen = []
    for lib in (tg, torch):
        x = lib.tensor([0.5, 2.0, -1.0, 1.0, 3.0], requires_grad=True)
        lo = lib.tensor([1.0, 0.0, 0.0, 1.0, 0.0], requires_grad=True)
        hi = lib.tensor([2.0, 1.5, 2.0, 2.0, 3.0], requires_grad=True)
        y = lib.clamp(x, min=lo, max=hi)
        (y * lib.tensor([1.0, 2, 3, 4, 5])).sum().backward()
        seen.append((y.tolist(), x.grad.tolist(), lo.grad.tolist(), hi.grad.tolist(),
                     lib.clamp(lib.tensor([5.0]), min=lib.tensor([3.0]), max=lib.tensor([1.0])).tolist(),
                     lib.tensor([1.0, 5.0]).clamp_min(lib.tensor(2.0)).tolist(),
                     lib.tensor([1.0, 5.0]).clamp_max_(lib.tensor([0.0, 9.0])).tolist(),
                     str(lib.tensor([float("nan"), 1.0]).clamp(min=lib.tensor([0.0, 0.0])).tolist())))
    assert seen[0] == seen[1]
