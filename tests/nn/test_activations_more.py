"""nn.activations_more against the installed torch: Softmin, Tanhshrink, GLU, LogSigmoid, Hardshrink, Softshrink,
Threshold, RReLU (its training slopes from the same seeded stream), GroupNorm, RMSNorm and the F. forms with
F.layer_norm and F.batch_norm (running statistics included): values and float64 gradients, edge values,
argument variants, in-place forms, errors, reprs and state_dict keys."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import tinygrad_mlp as tg
from tinygrad_mlp import nn

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")
TF = torch.nn.functional
F = tg.nn.functional


def npy(t):
    return t.detach().numpy()


def check(ours_fn, torch_fn, arr, rtol=1e-12, atol=1e-14, grad=True, seed=0):
    """ours_fn(x) and torch_fn(x) on the same array: values (NaN where torch has NaN), dtype and shape equal to
    rounding; with ``grad``, the input gradients under one random upstream gradient too."""
    arr = np.asarray(arr)
    x = tg.tensor(arr, requires_grad=grad)
    t = torch.tensor(arr, requires_grad=grad)
    yo, yt = ours_fn(x), torch_fn(t)
    assert tuple(yo.shape) == tuple(yt.shape)
    assert npy(yo).dtype == npy(yt).dtype
    np.testing.assert_allclose(npy(yo), npy(yt), rtol=rtol, atol=atol)
    if grad:
        g = np.random.default_rng(seed).standard_normal(tuple(yt.shape)).astype(arr.dtype)
        yo.backward(tg.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    return yo, yt


def sample(shape=(4, 6), seed=0, scale=2.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


EDGES = np.array([0.0, -0.0, 0.5, -0.5, 0.4999999999, 0.5000000001, 1.0, -1.0, 2.0, -2.0, 30.0, -30.0, 800.0, -800.0,
                  1e-8, -1e-8])


# --- elementwise activations ----------------------------------------------------------------------------------
ELEMENTWISE = [
    ("tanhshrink", lambda m: m.tanhshrink),
    ("logsigmoid", lambda m: m.logsigmoid),
    ("hardshrink", lambda m: m.hardshrink),
    ("hardshrink lambd=1", lambda m: lambda x: m.hardshrink(x, 1.0)),
    ("hardshrink lambd=0", lambda m: lambda x: m.hardshrink(x, 0.0)),
    ("hardshrink lambd<0", lambda m: lambda x: m.hardshrink(x, -0.5)),
    ("softshrink", lambda m: m.softshrink),
    ("softshrink lambd=2", lambda m: lambda x: m.softshrink(x, lambd=2.0)),
    ("softshrink lambd=0", lambda m: lambda x: m.softshrink(x, 0.0)),
    ("threshold", lambda m: lambda x: m.threshold(x, 0.5, 7.0)),
    ("threshold negative", lambda m: lambda x: m.threshold(x, -1.0, -3.5)),
    ("rrelu eval", lambda m: m.rrelu),
    ("rrelu eval bounds", lambda m: lambda x: m.rrelu(x, 0.1, 0.6, training=False)),
]


@pytest.mark.parametrize("name,get", ELEMENTWISE, ids=[n for n, _ in ELEMENTWISE])
@pytest.mark.parametrize("arr", [sample(), EDGES, sample((2, 3, 4), seed=1)[0, 0]], ids=["random", "edges", "row"])
def test_elementwise_values_and_gradients_match_torch(name, get, arr):
    check(get(F), get(TF), arr)


@pytest.mark.parametrize("name,get", ELEMENTWISE, ids=[n for n, _ in ELEMENTWISE])
def test_elementwise_float32_and_nan_match_torch(name, get):
    arr = np.array([np.nan, np.inf, -np.inf, 0.5, -0.5, 0.1, -0.1, 0.0, 3.0, -3.0], np.float32)
    check(get(F), get(TF), arr, rtol=1e-6, atol=1e-7)


def test_exact_thresholds_give_torch_values_and_zero_gradients():
    x = tg.tensor([0.5, -0.5, 0.5000001, -0.6], requires_grad=True)
    F.hardshrink(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 1.0]
    x = tg.tensor([0.5, -0.5, 0.75, -0.75], dtype=tg.float64, requires_grad=True)
    y = F.softshrink(x)
    y.sum().backward()
    assert y.tolist() == [0.0, 0.0, 0.25, -0.25] and x.grad.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert np.signbit(npy(y)[1]) == np.signbit(npy(TF.softshrink(torch.tensor([-0.5], dtype=torch.float64)))[0])
    x = tg.tensor([0.5, 0.50001, -1.0], dtype=tg.float64, requires_grad=True)
    y = F.threshold(x, 0.5, 9.0)
    y.sum().backward()
    assert y.tolist() == [9.0, 0.50001, 9.0] and x.grad.tolist() == [0.0, 1.0, 0.0]
    # the numbers are converted to the input's dtype before comparing, as torch's scalars
    assert F.hardshrink(tg.tensor([0.1, -0.1]), 0.1).tolist() == [0.0, 0.0]
    assert F.threshold(tg.tensor([0.1]), 0.1, 7.0).tolist() == [7.0]


def test_rrelu_eval_gradient_at_zero_is_the_mean_slope():
    x = tg.tensor([0.0, -2.0, 3.0], dtype=tg.float64, requires_grad=True)
    F.rrelu(x, 0.2, 0.4).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.3, 0.3, 1.0], rtol=1e-15)


def test_threshold_on_integers_truncates_its_numbers_like_torch():
    for arr, th, val in [([1, 2, 3], 1.5, 9.7), ([-1, -2, 5], -1.5, 7), ([-1, -2, 5], 0, -2.7)]:
        ours, theirs = F.threshold(tg.tensor(arr), th, val), TF.threshold(torch.tensor(arr), th, val)
        assert ours.tolist() == theirs.tolist() and npy(ours).dtype == np.int64
    with pytest.raises(RuntimeError, match="without overflow"):
        F.threshold(tg.tensor(np.array([1, -2], np.int8)), 0, 300)
    with pytest.raises(NotImplementedError, match="threshold_cpu"):
        F.threshold(tg.tensor([True, False]), 0.5, 0)


def test_tanhshrink_of_integers_is_float_like_torch():
    ours, theirs = F.tanhshrink(tg.tensor([1, -2, 3])), TF.tanhshrink(torch.tensor([1, -2, 3]))
    assert npy(ours).dtype == npy(theirs).dtype == np.float32
    np.testing.assert_allclose(npy(ours), npy(theirs), rtol=1e-6)


@pytest.mark.parametrize("fn,name", [(lambda m, x: m.hardshrink(x), "hardshrink_cpu"),
                                     (lambda m, x: m.softshrink(x), "softshrink_check"),
                                     (lambda m, x: m.logsigmoid(x), "log_sigmoid_cpu"),
                                     (lambda m, x: m.glu(x), "glu_cpu"),
                                     (lambda m, x: m.rrelu(x), "leaky_relu_cpu"),
                                     (lambda m, x: m.softmin(x, 0), "not implemented")])
def test_integer_inputs_are_refused_like_torch(fn, name):
    with pytest.raises(NotImplementedError, match=name):
        fn(TF, torch.tensor([1, -2, 3, 4]))
    with pytest.raises(NotImplementedError, match=name):
        fn(F, tg.tensor([1, -2, 3, 4]))


@pytest.mark.parametrize("lambd", [-1.0, float("inf"), float("nan"), 1e39])
def test_softshrink_refuses_lambdas_torch_refuses(lambd):
    with pytest.raises(RuntimeError, match="lambda must be in range"):
        TF.softshrink(torch.tensor([1.0]), lambd)
    with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 3.40282e\+38\] for input dtype Float"):
        F.softshrink(tg.tensor([1.0]), lambd)


def test_softshrink_allows_a_lambda_beyond_float32_on_float64():
    assert F.softshrink(tg.tensor([1.0, 5.0], dtype=tg.float64), 1e39).tolist() == \
        TF.softshrink(torch.tensor([1.0, 5.0], dtype=torch.float64), 1e39).tolist() == [0.0, 0.0]


# --- softmin and glu --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 2),
                                       ((2, 3, 4), -3)])
def test_softmin_matches_torch(shape, dim):
    check(lambda x: F.softmin(x, dim), lambda x: TF.softmin(x, dim), sample(shape, seed=len(shape) + dim))


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (2, 3, 4, 2)])
def test_softmin_implicit_dim_warns_and_picks_torchs(shape):
    arr = sample(shape, seed=3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        ours = F.softmin(tg.tensor(arr))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TF.softmin(torch.tensor(arr))
        module = torch.nn.Softmin()(torch.tensor(arr))
    np.testing.assert_allclose(npy(ours), npy(theirs), rtol=1e-12)
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(npy(nn.Softmin()(tg.tensor(arr))), npy(module), rtol=1e-12)


def test_softmin_dtype_converts_first_and_bad_dims_raise():
    ours = F.softmin(tg.tensor([1, 2]), 0, dtype=tg.float64)
    theirs = TF.softmin(torch.tensor([1, 2]), 0, dtype=torch.float64)
    assert npy(ours).dtype == np.float64
    np.testing.assert_allclose(npy(ours), npy(theirs), rtol=1e-15)
    x = tg.tensor(sample((3, 4)).astype(np.float32), requires_grad=True)
    y = F.softmin(x, 1, dtype=tg.float64)
    assert npy(y).dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == tg.float32
    with pytest.raises(IndexError):
        TF.softmin(torch.zeros(3, 4), 2)
    with pytest.raises(IndexError):
        F.softmin(tg.zeros(3, 4), 2)


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2])
def test_glu_matches_torch_along_each_dim(dim):
    check(lambda x: F.glu(x, dim), lambda x: TF.glu(x, dim), sample((4, 6, 2), seed=dim + 5))
    check(lambda x: nn.GLU(dim)(x), lambda x: torch.nn.GLU(dim)(x), sample((4, 6, 2), seed=dim + 6))


def test_glu_default_dim_extremes_and_empty():
    check(F.glu, TF.glu, np.array([-800.0, 800.0, 0.0, -800.0]))
    assert tuple(F.glu(tg.zeros(0, 2)).shape) == tuple(TF.glu(torch.zeros(0, 2)).shape) == (0, 1)
    assert tuple(F.glu(tg.zeros(2, 0)).shape) == tuple(TF.glu(torch.zeros(2, 0)).shape) == (2, 0)


def test_glu_errors_like_torch():
    for lib, mod in ((TF, torch), (F, tg)):
        with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
            lib.glu(mod.zeros(2, 3))
        with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 0 is size 3"):
            lib.glu(mod.zeros(3, 2), 0)
        with pytest.raises(RuntimeError, match="glu does not support scalars"):
            lib.glu(mod.tensor(1.0))
        with pytest.raises(IndexError):
            lib.glu(mod.zeros(2, 4), 2)
    with pytest.raises(RuntimeError, match="Halving dimension"):
        nn.GLU()(tg.zeros(2, 5))


def test_logsigmoid_is_accurate_in_the_tails():
    arr = np.array([-1000.0, -40.0, -30.0, 30.0, 40.0, 1000.0])
    yo, yt = check(F.logsigmoid, TF.logsigmoid, arr, rtol=1e-15, atol=0)
    assert npy(yo)[2] != -30.0  # the log1p term survives (a clamp at a threshold would drop it)


# --- in place ---------------------------------------------------------------------------------------------------
def test_threshold_and_rrelu_in_place_write_the_input():
    for ours, theirs in [(lambda x: F.threshold(x, 0.5, 9.0, inplace=True), lambda x: TF.threshold(x, 0.5, 9.0, True)),
                         (lambda x: F.threshold_(x, 0.5, 9.0), lambda x: TF.threshold_(x, 0.5, 9.0)),
                         (lambda x: F.rrelu(x, inplace=True), lambda x: TF.rrelu(x, inplace=True)),
                         (lambda x: F.rrelu_(x, 0.2, 0.3), lambda x: TF.rrelu_(x, 0.2, 0.3)),
                         (lambda x: nn.Threshold(0.5, 9.0, True)(x), lambda x: torch.nn.Threshold(0.5, 9.0, True)(x))]:
        x, t = tg.tensor([-1.0, 2.0, 0.5]), torch.tensor([-1.0, 2.0, 0.5])
        assert ours(x) is x and theirs(t) is t
        np.testing.assert_array_equal(x.numpy(), t.numpy())


def test_in_place_training_rrelu_writes_torchs_draws():
    arr = sample((50,), seed=9).astype(np.float32)
    x, t = tg.tensor(arr), torch.tensor(arr)
    tg.manual_seed(4)
    torch.manual_seed(4)
    assert nn.RReLU(inplace=True)(x) is x and torch.nn.RReLU(inplace=True)(t) is t
    np.testing.assert_array_equal(x.numpy(), t.numpy())
    assert not np.array_equal(x.numpy(), arr)


def test_in_place_on_a_leaf_that_requires_grad_is_refused_and_recorded_inside_the_graph():
    for ours, theirs in [(lambda x: F.threshold(x, 0.0, 5.0, inplace=True), lambda x: TF.threshold(x, 0.0, 5.0, True)),
                         (lambda x: F.rrelu(x, inplace=True), lambda x: TF.rrelu(x, inplace=True))]:
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            theirs(torch.tensor([1.0], requires_grad=True))
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            ours(tg.tensor([1.0], requires_grad=True))
        arr = np.array([-1.5, 0.25, 2.0, -0.1])
        x, t = tg.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
        yo, yt = x * 3, t * 3
        assert ours(yo) is yo and theirs(yt) is yt
        (yo * tg.tensor([1.0, 2.0, 3.0, 4.0], dtype=tg.float64)).sum().backward()
        (yt * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).sum().backward()
        np.testing.assert_allclose(npy(yo), npy(yt), rtol=1e-15)
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-15)


# --- rrelu in training: torch's stream ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bounds", [(1 / 8, 1 / 3), (0.1, 0.7), (0.3, 0.3), (-0.5, 2.3)])
def test_rrelu_training_draws_torchs_slopes(dtype, bounds):
    arr = sample((300, 7), seed=11).astype(dtype)
    arr[0, :3] = 0.0  # zeros draw a slope too (the gradient there is the slope)
    x, t = tg.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
    tg.manual_seed(21)
    torch.manual_seed(21)
    yo, yt = F.rrelu(x, *bounds, training=True), TF.rrelu(t, *bounds, training=True)
    np.testing.assert_array_equal(npy(yo), npy(yt))
    yo.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    np.testing.assert_array_equal(tg.rand(5).numpy(), torch.rand(5).numpy())  # the streams stay in step


def test_rrelu_module_draws_in_train_mode_only():
    arr = sample((6, 5), seed=2)
    ours, theirs = nn.RReLU(0.1, 0.5), torch.nn.RReLU(0.1, 0.5)
    tg.manual_seed(8)
    torch.manual_seed(8)
    assert ours.training
    np.testing.assert_array_equal(npy(ours(tg.tensor(arr))), npy(theirs(torch.tensor(arr))))
    ours.eval()
    theirs.eval()
    np.testing.assert_array_equal(npy(ours(tg.tensor(arr))), npy(theirs(torch.tensor(arr))))
    np.testing.assert_array_equal(tg.rand(3).numpy(), torch.rand(3).numpy())  # eval drew nothing


def test_rrelu_nan_and_positive_elements_draw_nothing_and_toplevel_takes_a_generator():
    arr = np.array([np.nan, 1.0, -1.0, 2.0, -3.0])
    g, gt = tg.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    ours = tg.rrelu(tg.tensor(arr), 0.1, 0.9, True, g)
    theirs = torch.rrelu(torch.tensor(arr), 0.1, 0.9, True, gt)
    np.testing.assert_array_equal(npy(ours), npy(theirs))
    np.testing.assert_array_equal(tg.rand(2, generator=g).numpy(), torch.rand(2, generator=gt).numpy())


def test_rrelu_errors_like_torch():
    for lib, mod in ((TF, torch), (F, tg)):
        for training in (True, False):
            with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
                lib.rrelu(mod.zeros(2), 0.5, 0.1, training)
        with pytest.raises(NotImplementedError, match="rrelu_with_noise_out_cpu"):
            lib.rrelu(mod.zeros(2, dtype=mod.float16), training=True)
    assert repr(nn.RReLU(0.5, 0.1)) == repr(torch.nn.RReLU(0.5, 0.1))  # refused at forward only, as torch


@given(seed=st.integers(0, 2**32 - 1), lower=st.floats(-1, 1), width=st.floats(0, 1),
       n=st.integers(0, 40), dtype=st.sampled_from([np.float32, np.float64]))
def test_rrelu_stream_property(seed, lower, width, n, dtype):
    arr = np.random.default_rng(seed).standard_normal(n).astype(dtype)
    tg.manual_seed(seed)
    torch.manual_seed(seed)
    ours = F.rrelu(tg.tensor(arr), lower, lower + width, True)
    theirs = TF.rrelu(torch.tensor(arr), lower, lower + width, True)
    np.testing.assert_array_equal(npy(ours), npy(theirs))
    assert tg.rand(1).item() == torch.rand(1).item()


# --- hypothesis: the shrinks and threshold against torch -----------------------------------------------------------
finite = st.floats(-50, 50, allow_nan=False, width=64)


@given(arr=arrays(np.float64, array_shapes(max_dims=3, max_side=5), elements=st.one_of(finite, st.sampled_from(
    [0.0, 0.5, -0.5, 1.25, -1.25]))), lambd=st.sampled_from([0.0, 0.5, 1.25, 3.0]), value=finite)
def test_shrinks_and_threshold_property(arr, lambd, value):
    check(lambda x: F.hardshrink(x, lambd), lambda x: TF.hardshrink(x, lambd), arr, rtol=0, atol=0)
    check(lambda x: F.softshrink(x, lambd), lambda x: TF.softshrink(x, lambd), arr, rtol=0, atol=0)
    check(lambda x: F.threshold(x, lambd, value), lambda x: TF.threshold(x, lambd, value), arr, rtol=0, atol=0)
    # softshrink moves every value by at most lambd towards 0 and is the remainder of clamping to [-lambd, lambd]
    np.testing.assert_allclose(npy(F.softshrink(tg.tensor(arr), lambd)) + np.clip(arr, -lambd, lambd), arr,
                               rtol=0, atol=1e-12)


# --- layer_norm and rms_norm ------------------------------------------------------------------------------------
def _params(shape, seed, lib):
    rng = np.random.default_rng(seed)
    w, b = rng.standard_normal(shape), rng.standard_normal(shape)
    return [lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)]


@pytest.mark.parametrize("in_shape,norm_shape", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((6,), [6]), ((2, 3, 4), (4,))])
@pytest.mark.parametrize("affine", ["none", "weight", "both"])
def test_layer_norm_matches_torch(in_shape, norm_shape, affine):
    pw, pt = _params(tuple(norm_shape), 1, tg), _params(tuple(norm_shape), 1, torch)
    kw = {"none": lambda p: {}, "weight": lambda p: {"weight": p[0]}, "both": lambda p: {"weight": p[0], "bias": p[1]}}
    check(lambda x: F.layer_norm(x, norm_shape, **kw[affine](pw), eps=1e-3),
          lambda x: TF.layer_norm(x, norm_shape, **kw[affine](pt), eps=1e-3), sample(in_shape, seed=4),
          rtol=1e-10, atol=1e-12)
    for o, t in zip(pw, pt):
        if t.grad is not None:
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_layer_norm_errors_like_torch():
    for lib, mod in ((TF, torch), (F, tg)):
        with pytest.raises(TypeError):
            lib.layer_norm(mod.zeros(2, 3), 3)
        with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\]"):
            lib.layer_norm(mod.zeros(2, 3), (4,))
        with pytest.raises(RuntimeError, match="Expected weight to be of same shape as normalized_shape"):
            lib.layer_norm(mod.zeros(2, 3), (3,), mod.ones(4))
        with pytest.raises(RuntimeError, match="Expected bias to be of same shape as normalized_shape"):
            lib.layer_norm(mod.zeros(2, 3), (3,), None, mod.ones(4))
        with pytest.raises(RuntimeError, match="at least 1-dimensional"):
            lib.layer_norm(mod.zeros(2, 3), ())
        with pytest.raises(RuntimeError, match="mixed dtype"):
            lib.layer_norm(mod.zeros(2, 3, dtype=mod.float64), (3,), mod.ones(3))
        with pytest.raises(NotImplementedError, match="LayerNormKernelImpl"):
            lib.layer_norm(mod.tensor([[1, 2, 3]]), (3,))


@pytest.mark.parametrize("eps", [None, 1e-6, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_rms_norm_matches_torch(eps, weighted):
    pw, pt = _params((3, 4), 2, tg)[0], _params((3, 4), 2, torch)[0]
    check(lambda x: F.rms_norm(x, (3, 4), pw if weighted else None, eps),
          lambda x: TF.rms_norm(x, (3, 4), pt if weighted else None, eps), sample((2, 3, 4), seed=5),
          rtol=1e-10, atol=1e-12)
    if weighted:
        np.testing.assert_allclose(pw.grad.numpy(), pt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rms_norm_default_eps_is_the_dtypes_epsilon(dtype):
    arr = np.array([[1e-4, 0.0], [3e-9, -2e-9], [1.0, 2.0]], dtype)  # tiny rows: the eps decides the result
    check(lambda x: F.rms_norm(x, [2]), lambda x: TF.rms_norm(x, [2]), arr, rtol=2e-6 if dtype == np.float32 else 1e-12,
          atol=0, grad=dtype == np.float64)
    check(lambda x: nn.RMSNorm(2, dtype=dtype)(x), lambda x: torch.nn.RMSNorm(2, dtype=DT[dtype])(x), arr,
          rtol=2e-6 if dtype == np.float32 else 1e-12, atol=0, grad=dtype == np.float64)


DT = {np.float32: torch.float32, np.float64: torch.float64}


def test_rms_norm_keeps_the_input_dtype_with_another_weights_and_errors():
    arr = sample((2, 3)).astype(np.float32)
    with pytest.warns(UserWarning, match="Mismatch dtype between input and weight"):
        ours = F.rms_norm(tg.tensor(arr), (3,), tg.ones(3, dtype=tg.float64))
    with pytest.warns(UserWarning, match="Mismatch dtype between input and weight"):
        theirs = TF.rms_norm(torch.tensor(arr), (3,), torch.ones(3, dtype=torch.float64))
    assert npy(ours).dtype == npy(theirs).dtype == np.float32
    np.testing.assert_allclose(npy(ours), npy(theirs), rtol=1e-6)
    for lib, mod in ((TF, torch), (F, tg)):
        with pytest.raises(TypeError):
            lib.rms_norm(mod.zeros(2, 3), 3)
        with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*4\]"):
            lib.rms_norm(mod.zeros(2, 3), (4,))
        with pytest.raises(RuntimeError, match="Expected weight to be of same shape as normalized_shape"):
            lib.rms_norm(mod.zeros(2, 3), (3,), mod.ones(4))
        with pytest.raises(NotImplementedError, match="rms_norm"):
            lib.rms_norm(mod.tensor([[1, 2, 3]]), (3,))
    with pytest.raises(RuntimeError, match="expected input with shape"):
        nn.RMSNorm(4)(tg.zeros(2, 3))


# --- group_norm ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 4), (3, 4, 5), (2, 4, 3, 2), (1, 4, 3)])
@pytest.mark.parametrize("groups", [1, 2, 4])
@pytest.mark.parametrize("affine", [False, True])
def test_group_norm_matches_torch(shape, groups, affine):
    pw, pt = (_params((4,), 3, tg), _params((4,), 3, torch)) if affine else ([None, None], [None, None])
    check(lambda x: F.group_norm(x, groups, *pw, eps=1e-4), lambda x: TF.group_norm(x, groups, *pt, eps=1e-4),
          sample(shape, seed=groups), rtol=1e-10, atol=1e-12)
    if affine:
        for o, t in zip(pw, pt):
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_group_norm_errors_like_torch():
    for lib, mod in ((TF, torch), (F, tg)):
        with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible by num_groups"):
            lib.group_norm(mod.zeros(2, 4, 3), 3)
        with pytest.raises(RuntimeError, match="Expected at least 2 dimensions for input tensor but received 1"):
            lib.group_norm(mod.zeros(4), 2)
        with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
            lib.group_norm(mod.zeros(1, 2, 1), 2)
        with pytest.raises(RuntimeError, match="Expected weight to be a vector of size equal to the number of chan"):
            lib.group_norm(mod.zeros(2, 4, 3), 2, mod.ones(3))
        with pytest.raises(RuntimeError, match="Expected bias to be a vector of size equal to the number of chan"):
            lib.group_norm(mod.zeros(2, 4, 3), 2, None, mod.ones(3))
        with pytest.raises(RuntimeError, match="mixed dtype"):
            lib.group_norm(mod.zeros(2, 4, dtype=mod.float64), 2, mod.ones(4))
        with pytest.raises(NotImplementedError, match="GroupNormKernelImpl"):
            lib.group_norm(mod.tensor([[1, 2, 3, 4]]), 2)
    with pytest.raises(ValueError, match=r"num_channels \(4\) must be divisible by num_groups \(3\)"):
        torch.nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"num_channels \(4\) must be divisible by num_groups \(3\)"):
        nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match="Expected weight to be a vector"):
        nn.GroupNorm(2, 4)(tg.zeros(2, 6, 3))


# --- batch_norm ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (2, 3, 2, 2), (1, 3, 4)])
@pytest.mark.parametrize("momentum", [0.1, 0.35, 0.0, 1.0])
@pytest.mark.parametrize("affine", [False, True])
def test_batch_norm_training_updates_running_stats_like_torch(shape, momentum, affine):
    arr = sample(shape, seed=7) + 1.5
    rm0, rv0 = np.array([0.2, -0.1, 0.4]), np.array([1.0, 2.0, 0.5])
    rm, rv = tg.tensor(rm0.copy()), tg.tensor(rv0.copy())
    rmt, rvt = torch.tensor(rm0.copy()), torch.tensor(rv0.copy())
    pw, pt = (_params((3,), 6, tg), _params((3,), 6, torch)) if affine else ([None, None], [None, None])
    check(lambda x: F.batch_norm(x, rm, rv, *pw, True, momentum, 1e-3),
          lambda x: TF.batch_norm(x, rmt, rvt, *pt, True, momentum, 1e-3), arr, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rm.numpy(), rmt.numpy(), rtol=1e-13)
    np.testing.assert_allclose(rv.numpy(), rvt.numpy(), rtol=1e-13)
    assert not rm.requires_grad and not rv.requires_grad
    if momentum:
        assert not np.allclose(rm.numpy(), rm0)
    if affine:
        for o, t in zip(pw, pt):
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_batch_norm_float32_running_stats_match_torch():
    arr = sample((64, 4), seed=12).astype(np.float32) * 10 + 3
    rm, rv, rmt, rvt = tg.zeros(4), tg.ones(4), torch.zeros(4), torch.ones(4)
    for _ in range(3):
        yo = F.batch_norm(tg.tensor(arr), rm, rv, training=True)
        yt = TF.batch_norm(torch.tensor(arr), rmt, rvt, training=True)
    np.testing.assert_allclose(npy(yo), npy(yt), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rm.numpy(), rmt.numpy(), rtol=1e-6)
    np.testing.assert_allclose(rv.numpy(), rvt.numpy(), rtol=1e-6)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2)])
def test_batch_norm_eval_uses_running_stats_and_training_without_them(shape):
    rm, rv = np.array([0.2, -0.1, 0.4]), np.array([1.0, 2.0, 0.5])
    pw, pt = _params((3,), 8, tg), _params((3,), 8, torch)
    check(lambda x: F.batch_norm(x, tg.tensor(rm), tg.tensor(rv), *pw, eps=0.0),
          lambda x: TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), *pt, eps=0.0), sample(shape, seed=1),
          rtol=1e-12, atol=1e-14)
    for o, t in zip(pw, pt):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-14)
    check(lambda x: F.batch_norm(x, None, None, training=True), lambda x: TF.batch_norm(x, None, None, training=True),
          sample(shape, seed=2), rtol=1e-10, atol=1e-12)


def test_batch_norm_errors_like_torch():
    for lib, mod in ((TF, torch), (F, tg)):
        x = mod.zeros(3, 2)
        with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
            lib.batch_norm(x, None, None)
        with pytest.raises(RuntimeError, match="running_var must be defined in evaluation mode"):
            lib.batch_norm(x, mod.zeros(2), None)
        with pytest.raises(ValueError, match="running_mean and running_var must either both be None or neither"):
            lib.batch_norm(x, mod.zeros(2), None, training=True)
        with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
            lib.batch_norm(mod.zeros(1, 2), mod.zeros(2), mod.ones(2), training=True)
        with pytest.raises(ValueError, match="batch_norm eps must be positive during training, but got 0"):
            lib.batch_norm(x, mod.zeros(2), mod.ones(2), training=True, eps=0)
        with pytest.raises(ValueError, match="batch_norm eps must be non-negative, but got -1"):
            lib.batch_norm(x, mod.zeros(2), mod.ones(2), eps=-1)
        with pytest.raises(TypeError):
            lib.batch_norm(x, mod.zeros(2), mod.ones(2), training=True, momentum=None)
        with pytest.raises(RuntimeError, match="running_mean should contain 2 elements not 3"):
            lib.batch_norm(x, mod.zeros(3), mod.ones(3), training=True)
        with pytest.raises(RuntimeError, match="running_var should contain 2 elements not 3"):
            lib.batch_norm(x, mod.zeros(2), mod.ones(3), training=True)
        with pytest.raises(RuntimeError, match="weight should contain 2 elements not 3"):
            lib.batch_norm(x, None, None, mod.ones(3), training=True)
        with pytest.raises(RuntimeError, match="mixed dtype"):
            lib.batch_norm(mod.zeros(3, 2, dtype=mod.float64), mod.zeros(2), mod.ones(2), training=True)
        with pytest.raises(IndexError):
            lib.batch_norm(mod.zeros(3), None, None, training=True)
        with pytest.raises(NotImplementedError, match="batch_norm"):
            lib.batch_norm(mod.tensor([[1, 2], [3, 4]]), None, None, training=True)


# --- modules ----------------------------------------------------------------------------------------------------
MODULES = [
    ("Softmin", (), {}), ("Softmin", (1,), {}), ("Softmin", (), {"dim": -1}), ("Tanhshrink", (), {}),
    ("GLU", (), {}), ("GLU", (0,), {}), ("LogSigmoid", (), {}), ("Hardshrink", (), {}), ("Hardshrink", (1,), {}),
    ("Softshrink", (), {}), ("Softshrink", (), {"lambd": 2.5}), ("Threshold", (0.1, 20), {}),
    ("Threshold", (0.1, 20.0, True), {}), ("RReLU", (), {}), ("RReLU", (0.1, 0.3, True), {}),
    ("GroupNorm", (2, 4), {}), ("GroupNorm", (2, 4, 1e-3, False), {}), ("GroupNorm", (2, 4), {"bias": False}),
    ("GroupNorm", (1, 6), {"affine": False, "bias": True}), ("RMSNorm", (3,), {}),
    ("RMSNorm", ([2, 3], 1e-6, False), {}), ("RMSNorm", ((4,),), {"eps": None}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES)
def test_modules_repr_state_dict_and_parameters_match_torch(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (n_o, p_o), (n_t, p_t) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n_o == n_t
        np.testing.assert_array_equal(p_o.detach().numpy(), p_t.detach().numpy())
        assert p_o.detach().numpy().dtype == p_t.detach().numpy().dtype and p_o.requires_grad
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    for attr in ("dim", "lambd", "threshold", "value", "inplace", "lower", "upper", "num_groups", "num_channels",
                 "eps", "affine", "normalized_shape", "elementwise_affine"):
        assert getattr(ours, attr, "absent") == getattr(theirs, attr, "absent"), attr


def test_module_constructor_defaults_and_argument_errors_match_torch():
    assert nn.RReLU().lower == 1 / 8 and nn.RReLU().upper == 1 / 3 and nn.RReLU().inplace is False
    assert nn.RMSNorm(3).eps is None and nn.GroupNorm(1, 2).eps == 1e-5
    for name in ("Tanhshrink", "LogSigmoid"):
        with pytest.raises(TypeError):
            getattr(torch.nn, name)(1)
        with pytest.raises(TypeError):
            getattr(nn, name)(1)
    with pytest.raises(TypeError):
        torch.nn.Threshold(0.1)
    with pytest.raises(TypeError):
        nn.Threshold(0.1)
    w = nn.GroupNorm(2, 4, dtype=tg.float64).weight
    assert w.dtype == tg.float64 and nn.RMSNorm(3, dtype=tg.float64).weight.dtype == tg.float64


@pytest.mark.parametrize("ctor", [lambda m: m.GroupNorm(2, 6), lambda m: m.GroupNorm(3, 6, affine=False),
                                  lambda m: m.GroupNorm(1, 6, bias=False), lambda m: m.RMSNorm((6, 2)),
                                  lambda m: m.RMSNorm(2, eps=0.1, elementwise_affine=False)])
def test_norm_modules_forward_backward_and_load_state_dict_match_torch(ctor):
    ours, theirs = ctor(nn).double(), ctor(torch.nn).double()
    rng = np.random.default_rng(0)
    state = {k: rng.standard_normal(tuple(v.shape)) for k, v in theirs.state_dict().items()}
    ours.load_state_dict({k: tg.tensor(v) for k, v in state.items()})
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    check(ours, theirs, sample((3, 6, 2), seed=3), rtol=1e-10, atol=1e-12)
    for (n, p_o), (_, p_t) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p_o.grad.numpy(), p_t.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=n)


@pytest.mark.parametrize("name,args", [("Softmin", (1,)), ("Tanhshrink", ()), ("LogSigmoid", ()), ("GLU", (1,)),
                                       ("Hardshrink", (0.3,)), ("Softshrink", (0.3,)), ("Threshold", (0.2, -4.0))])
def test_activation_modules_forward_backward_match_torch(name, args):
    check(getattr(nn, name)(*args), getattr(torch.nn, name)(*args), sample((3, 4), seed=13))


# --- where the names are reachable ------------------------------------------------------------------------------
def test_names_are_reachable_as_in_torch():
    from tinygrad_mlp.nn.functional import glu, rms_norm  # noqa: F401  (from-imports find registered ops)

    for name in ("softmin", "tanhshrink", "glu", "logsigmoid", "hardshrink", "softshrink", "threshold", "threshold_",
                 "layer_norm", "group_norm", "rms_norm", "batch_norm", "rrelu", "rrelu_"):
        assert callable(getattr(F, name)) and callable(getattr(tg.functional, name)) and hasattr(TF, name), name
    for name in ("hardshrink", "threshold", "threshold_", "rms_norm", "rrelu", "rrelu_"):
        assert callable(getattr(tg, name)) and hasattr(torch, name), name
    x = tg.tensor([-1.0, 0.2, 0.7])
    assert x.hardshrink(0.5).tolist() == tg.hardshrink(x).tolist() == torch.tensor([-1.0, 0.2, 0.7]).hardshrink(
        0.5).tolist()
    assert F.rrelu.__name__ == "rrelu" and F.softmin.__doc__
