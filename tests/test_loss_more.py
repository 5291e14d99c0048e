"""The losses of tinygrad_mlp.nn.loss_more against torch.nn: values and gradients (float64 and float32) for every
reduction and option, at edge points (hinges exactly at 0, variances below eps, Poisson targets around 1, swap
ties, -1 terminators), the input checks (exception types and messages), the legacy reduction flags and the
module constructors and reprs."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_mlp as tg
from tinygrad_mlp.nn import loss_more as L

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")
TF = torch.nn.functional

REDUCTIONS = ("none", "mean", "sum")
DTYPES = (np.float64, np.float32)
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}


def tensors(arrays, grads):
    """The same arrays as tg and torch tensors; float arrays whose flag in ``grads`` is set require grad."""
    ours, theirs = [], []
    for a, g in zip(arrays, grads):
        if a is None or isinstance(a, (float, int)):
            ours.append(a)
            theirs.append(a)
            continue
        a = np.asarray(a)
        req = bool(g) and a.dtype.kind == "f"
        ours.append(tg.tensor(a, requires_grad=req))
        theirs.append(torch.tensor(a, requires_grad=req))
    return ours, theirs


def check(ours_fn, torch_fn, arrays, grads=None, dtype=np.float64, seed=0):
    """Run both, compare the values, then backpropagate the same random upstream gradient through both and
    compare every gradient (nan where torch's is nan). Returns the two outputs."""
    grads = [True] * len(arrays) if grads is None else grads
    ours_in, theirs_in = tensors(arrays, grads)
    out_o, out_t = ours_fn(*ours_in), torch_fn(*theirs_in)
    o, t = out_o.detach().numpy(), out_t.detach().numpy()
    assert o.shape == tuple(out_t.shape), (o.shape, out_t.shape)
    assert o.dtype == t.dtype, (o.dtype, t.dtype)
    np.testing.assert_allclose(o, t, equal_nan=True, **TOL[dtype])
    if not out_t.requires_grad:
        return out_o, out_t
    upstream = np.random.default_rng(seed).uniform(0.5, 1.5, size=t.shape).astype(t.dtype)
    with np.errstate(all="ignore"):  # (nan gradients where torch's are nan: the engine's ops would warn)
        (out_o * tg.tensor(upstream)).sum().backward()
    (out_t * torch.tensor(upstream)).sum().backward()
    for a, b in zip(ours_in, theirs_in):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            assert (a.grad is None) == (b.grad is None)
            if b.grad is not None:
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), equal_nan=True, **TOL[dtype])
    return out_o, out_t


def rng(seed=0):
    return np.random.default_rng(seed)


# --- hinge_embedding_loss ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.5, -0.25])
def test_hinge_embedding_matches_torch(dtype, reduction, margin):
    x = rng().normal(size=(4, 5)).astype(dtype)
    x[0, :3] = [margin, 0.0, 2 * margin]  # exactly at the hinge, and around it
    y = rng(1).choice([-1.0, 1.0], size=(4, 5)).astype(dtype)
    y[0, :3] = -1
    y[1, :2] = [0.0, 2.0]  # neither ±1: both terms, as torch's
    check(lambda a, b: L.hinge_embedding_loss(a, b, margin, reduction=reduction),
          lambda a, b: TF.hinge_embedding_loss(a, b, margin, reduction=reduction), [x, y], [True, False], dtype)


@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((4,), (3, 4)), ((3, 4), (3, 1)), ((), ())])
def test_hinge_embedding_broadcasts_and_keeps_input_dtype(shapes):
    x = rng().normal(size=shapes[0])
    y = rng(1).choice([-1, 1], size=shapes[1])
    check(lambda a, b: L.hinge_embedding_loss(a, b, reduction="none"),
          lambda a, b: TF.hinge_embedding_loss(a, b, reduction="none"), [x, y], [True, False])
    out = L.hinge_embedding_loss(tg.tensor([0.5, 0.2]), tg.tensor([1.0, -1.0], dtype=tg.float64))
    assert out.dtype == tg.float32


# --- soft_margin_loss ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_matches_torch(dtype, reduction):
    x = rng().normal(scale=3, size=(3, 6)).astype(dtype)
    x[0] = [0.0, 30.0, -30.0, 80.0, -80.0, 1e-8]  # large |x| where exp overflows in float32 (inf, nan grad)
    y = rng(1).choice([-1.0, 1.0], size=(3, 6)).astype(dtype)
    check(lambda a, b: L.soft_margin_loss(a, b, reduction=reduction),
          lambda a, b: TF.soft_margin_loss(a, b, reduction=reduction), [x, y], [True, False], dtype)


def test_soft_margin_target_broadcast_long_target_and_errors():
    x = rng().normal(size=(3, 4))
    check(lambda a, b: L.soft_margin_loss(a, b, reduction="none"),
          lambda a, b: TF.soft_margin_loss(a, b, reduction="none"), [x, np.array([1, -1, 1, 1])])
    with pytest.raises(RuntimeError, match=r"output with shape \[4\] doesn't match the broadcast shape \[3, 4\]"):
        L.soft_margin_loss(tg.zeros(4), tg.ones(3, 4))
    with pytest.raises(RuntimeError, match=r"tensor a \(2\) must match the size of tensor b \(3\) at non-singleton "
                                           r"dimension 0"):
        L.soft_margin_loss(tg.zeros(2), tg.ones(3))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'target'"):
        L.soft_margin_loss(tg.zeros(2), tg.ones(2, requires_grad=True))
    with tg.no_grad():
        assert L.soft_margin_loss(tg.zeros(2), tg.ones(2, requires_grad=True)).item() == pytest.approx(math.log(2))


# --- multilabel_soft_margin_loss ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", [None, (5,), (3, 5), (3, 1)])
def test_multilabel_soft_margin_matches_torch(dtype, reduction, weight_shape):
    x = rng().normal(scale=4, size=(3, 5)).astype(dtype)
    x[0, :3] = [0.0, 800.0, -800.0]  # saturated logits: finite losses and gradients
    y = rng(1).uniform(size=(3, 5)).astype(dtype)
    y[1] = [0, 1, 0, 1, 1]
    w = None if weight_shape is None else rng(2).uniform(0.2, 2, size=weight_shape).astype(dtype)
    check(lambda a, b, c: L.multilabel_soft_margin_loss(a, b, c, reduction=reduction),
          lambda a, b, c: TF.multilabel_soft_margin_loss(a, b, c, reduction=reduction), [x, y, w], dtype=dtype)


@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (2, 3, 4)), ((4,), (3, 4))])
def test_multilabel_soft_margin_shapes(shapes):
    x, y = rng().normal(size=shapes[0]), rng(1).uniform(size=shapes[1])
    check(lambda a, b: L.multilabel_soft_margin_loss(a, b, reduction="none"),
          lambda a, b: TF.multilabel_soft_margin_loss(a, b, reduction="none"), [x, y])


def test_multilabel_soft_margin_errors_and_long_target():
    check(lambda a, b: L.multilabel_soft_margin_loss(a, b), lambda a, b: TF.multilabel_soft_margin_loss(a, b),
          [rng().normal(size=(2, 3)).astype(np.float32), np.array([[1, 0, 1], [0, 0, 1]])], dtype=np.float32)
    with pytest.raises(ValueError, match="^bad is not valid$"):
        L.multilabel_soft_margin_loss(tg.zeros(2, 3), tg.ones(2, 3), reduction="bad")
    with pytest.raises(ValueError, match="^elementwise_mean is not valid$"):
        L.multilabel_soft_margin_loss(tg.zeros(2, 3), tg.ones(2, 3), reduction="elementwise_mean")
    with pytest.raises(IndexError, match="Dimension specified as -1 but tensor has no dimensions"):
        L.multilabel_soft_margin_loss(tg.tensor(0.5), tg.tensor(1.0))
    with pytest.raises(RuntimeError, match=r"size of tensor a \(4\) must match the size of tensor b \(2\)"):
        L.multilabel_soft_margin_loss(tg.zeros(3, 4), tg.ones(3, 4), weight=tg.ones(2))


# --- multilabel_margin_loss ---------------------------------------------------------------------------------------


def _multilabel_targets(r, n, c):
    t = np.full((n, c), -1, dtype=np.int64)
    for i in range(n):
        k = r.integers(0, c + 1)
        t[i, :k] = r.choice(c, size=k, replace=False)
        t[i, k + 1:] = r.integers(-1, c, size=max(c - k - 1, 0))  # after the -1: ignored
    return t


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_matches_torch(dtype, reduction):
    x = rng().normal(size=(6, 5)).astype(dtype)
    t = _multilabel_targets(rng(1), 6, 5)
    t[0] = [1, 1, -1, 0, 3]  # a repeated class counts twice, as torch's
    t[1] = [-1, 2, 3, 4, 0]  # nothing listed
    t[2] = [0, 1, 2, 3, 4]  # everything listed (no -1)
    x[3] = [0.0, 1.0, 0.0, 0.5, 5.0]  # hinge exactly 0 for (1, 0) and (1, 2): no gradient there
    t[3] = [1, -1, 0, 0, 0]
    check(lambda a, b: L.multilabel_margin_loss(a, b, reduction=reduction),
          lambda a, b: TF.multilabel_margin_loss(a, b, reduction=reduction), [x, t], [True, False], dtype)


@pytest.mark.parametrize("shapes", [((4,), (4,)), ((), ()), ((), (1,)), ((1,), ()), ((1, 4), (1, 4))])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_vector_and_scalar_inputs(shapes, reduction):
    x = rng().normal(size=shapes[0])
    t = np.array([2, 0, -1, 1] if shapes[1] in ((4,), (1, 4)) else 0).reshape(shapes[1])
    if shapes[1] == (1, 4):
        t = t.reshape(1, 4)
    check(lambda a, b: L.multilabel_margin_loss(a, b, reduction=reduction),
          lambda a, b: TF.multilabel_margin_loss(a, b, reduction=reduction), [x, t], [True, False])


def test_multilabel_margin_errors_and_empty_batch():
    def raises(exc, msg, x, t, **kw):
        with pytest.raises(exc, match=msg):
            L.multilabel_margin_loss(x, t, **kw)
        with pytest.raises(exc, match=msg):
            TF.multilabel_margin_loss(torch.tensor(x.numpy()), torch.tensor(np.asarray(t)), **kw)

    x = tg.zeros(2, 4)
    raises(RuntimeError, r"inconsistent target size: \[2, 3\] for input of size: \[2, 4\]", x, np.zeros((2, 3), int))
    raises(RuntimeError, r"inconsistent target size: \[3\] for input of size: \[4\]", tg.zeros(4), np.zeros(3, int))
    raises(RuntimeError, r"non-empty vector or matrix with optional 0-dim batch size, but got: \[2, 3, 4\]",
           tg.zeros(2, 3, 4), np.zeros((2, 3, 4), int))
    raises(RuntimeError, r"but got: \[3, 0\]", tg.zeros(3, 0), np.zeros((3, 0), int))
    raises(RuntimeError, "argument #2 'target' is out of range", x, np.array([[4, 0, 0, 0], [0, 0, 0, 0]]))
    raises(RuntimeError, "argument #2 'target' is out of range", x, np.array([[0, -1, -2, 0], [0, 0, 0, 0]]))
    raises(RuntimeError, "expected scalar type Long but found Int", x, np.zeros((2, 4), np.int32))
    raises(ValueError, "^bad is not a valid value for reduction$", x, np.zeros((2, 4), np.int64), reduction="bad")
    empty = L.multilabel_margin_loss(tg.zeros(0, 4, requires_grad=True), np.zeros((0, 4), np.int64), reduction="none")
    assert empty.shape == (0,)
    # (torch returns uninitialised memory for 'mean' and 'sum' of an empty batch; here nan and 0)
    assert math.isnan(L.multilabel_margin_loss(tg.zeros(0, 4), np.zeros((0, 4), np.int64)).item())
    assert L.multilabel_margin_loss(tg.zeros(0, 4), np.zeros((0, 4), np.int64), reduction="sum").item() == 0


@given(n=st.integers(1, 4), c=st.integers(1, 6), seed=st.integers(0, 2**16),
       reduction=st.sampled_from(REDUCTIONS), integer_inputs=st.booleans())
def test_multilabel_margin_property_matches_torch(n, c, seed, reduction, integer_inputs):
    """Any targets (repeats, -1 anywhere, garbage after it), inputs with ties (integers) or without."""
    r = rng(seed)
    x = r.integers(-2, 3, size=(n, c)).astype(np.float64) if integer_inputs else r.normal(size=(n, c))
    t = _multilabel_targets(r, n, c)
    t[r.random((n, c)) < 0.2] = r.integers(0, c)  # repeats
    check(lambda a, b: L.multilabel_margin_loss(a, b, reduction=reduction),
          lambda a, b: TF.multilabel_margin_loss(a, b, reduction=reduction), [x, t], [True, False], seed=seed)


# --- multi_margin_loss --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.3, -0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_matches_torch(dtype, reduction, p, margin, weighted):
    x = rng().normal(size=(5, 4)).astype(dtype)
    y = rng(1).integers(0, 4, size=5)
    x[0] = [0.0, 0.0, margin, 0.0]  # target 2: every other class's hinge is exactly 0 (no gradient there)
    y[0] = 2
    w = rng(2).uniform(0.1, 3, size=4).astype(dtype) if weighted else None
    check(lambda a, b, c: L.multi_margin_loss(a, b, p, margin, c, reduction=reduction),
          lambda a, b, c: TF.multi_margin_loss(a, b, p, margin, c, reduction=reduction), [x, y, w],
          [True, False, False], dtype)


@pytest.mark.parametrize("shapes", [((4,), ()), ((4,), (1,)), ((), ()), ((), (1,)), ((1, 4), ()), ((3, 1), (3,))])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_vector_and_scalar_inputs(shapes, reduction):
    x = rng().normal(size=shapes[0])
    c = shapes[0][-1] if shapes[0] else 1
    y = np.full(shapes[1], c - 1, dtype=np.int64)
    check(lambda a, b: L.multi_margin_loss(a, b, reduction=reduction),
          lambda a, b: TF.multi_margin_loss(a, b, reduction=reduction), [x, y], [True, False])


def test_multi_margin_errors():
    def raises(exc, msg, x, y, **kw):
        with pytest.raises(exc, match=msg):
            L.multi_margin_loss(x, y, **kw)
        tkw = {k: torch.tensor(v.numpy(), requires_grad=v.requires_grad) if isinstance(v, tg.Tensor) else v
               for k, v in kw.items()}
        with pytest.raises(exc, match=msg):
            TF.multi_margin_loss(torch.tensor(x.numpy()), torch.tensor(np.asarray(y)), **tkw)

    x, y = tg.zeros(2, 4), np.array([0, 1])
    raises(ValueError, "^only p == 1 and p == 2 supported$", x, y, p=3)
    raises(ValueError, "^only p == 1 and p == 2 supported$", x, y, p=1.5)
    raises(ValueError, "^bad is not a valid value for reduction$", x, y, reduction="bad", p=3)
    raises(ValueError, "^weight must be one-dimensional$", x, y, weight=tg.ones(4, 1))
    raises(RuntimeError, "not differentiable with respect to argument 'weight'", x, y,
           weight=tg.ones(4, requires_grad=True))
    raises(RuntimeError, r"inconsistent weight size, expected 4 but got \[3\]", x, y, weight=tg.ones(3))
    raises(RuntimeError, r"Expected target size \[2\], but got \[3\]\. Input has shape \[2, 4\]\.", x,
           np.array([0, 1, 2]))
    raises(RuntimeError, r"Expected target size \[2\], but got \[2, 1\]", x, np.array([[0], [1]]))
    raises(RuntimeError, r"but got: \[2, 3, 4\]", tg.zeros(2, 3, 4), y)
    raises(RuntimeError, r"but got: \[0\]", tg.zeros(0), np.array(0))
    raises(RuntimeError, "expected scalar type Long but found Int", x, y.astype(np.int32))
    raises(RuntimeError, "expected scalar type Float but found Double", x, y, weight=tg.ones(4, dtype=tg.float64))
    raises(RuntimeError, "^target out of range$", x, np.array([0, 4]))
    raises(RuntimeError, "^target out of range$", x, np.array([-1, 0]))


# --- poisson_nll_loss ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_matches_torch(dtype, reduction, log_input, full):
    x = rng().normal(size=(3, 6)).astype(dtype)
    if not log_input:
        x = np.abs(x) + 0.1
        x[0, 0] = 0.0  # a zero rate: log(eps)
    t = rng(1).poisson(2.0, size=(3, 6)).astype(dtype)
    t[0] = [0.0, 0.5, 1.0, 1.0 + 1e-6, 1.5, 7.0]  # Stirling's term only where target > 1
    # (a target of 0 with full=True: torch's target gradient is nan (0 * log 0), so is ours)
    check(lambda a, b: L.poisson_nll_loss(a, b, log_input, full, reduction=reduction),
          lambda a, b: TF.poisson_nll_loss(a, b, log_input, full, reduction=reduction), [x, t], dtype=dtype)


def test_poisson_nll_eps_broadcast_dtypes_and_errors():
    x = np.abs(rng().normal(size=(3, 4))).astype(np.float32)
    check(lambda a, b: L.poisson_nll_loss(a, b, False, eps=0.5), lambda a, b: TF.poisson_nll_loss(a, b, False, eps=0.5),
          [x, rng(1).poisson(1.0, size=4).astype(np.float32)], dtype=np.float32)
    check(lambda a, b: L.poisson_nll_loss(a, b, reduction="none"),
          lambda a, b: TF.poisson_nll_loss(a, b, reduction="none"), [x[0], rng(1).poisson(1.0, size=(3, 4))],
          dtype=np.float32)  # integer target, broadcast to a larger shape
    check(lambda a, b: L.poisson_nll_loss(a, b, full=True), lambda a, b: TF.poisson_nll_loss(a, b, full=True),
          [x, rng(1).poisson(3.0, size=(3, 4)).astype(np.float64)], dtype=np.float32)  # float64 target promotes
    for bad in ("bad", "elementwise_mean"):
        with pytest.raises(ValueError, match=f"^{bad} is not a valid value for reduction$"):
            L.poisson_nll_loss(tg.zeros(2), tg.ones(2), reduction=bad)
    with pytest.raises(RuntimeError, match=r"tensor a \(3\) must match the size of tensor b \(2\)"):
        L.poisson_nll_loss(tg.zeros(2), tg.ones(3))
    assert math.isnan(L.poisson_nll_loss(tg.zeros(0), tg.zeros(0)).item())  # as torch's


# --- gaussian_nll_loss --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("eps", [1e-6, 0.1])
def test_gaussian_nll_matches_torch(dtype, reduction, full, eps):
    x = rng().normal(size=(4, 3)).astype(dtype)
    t = rng(1).normal(size=(4, 3)).astype(dtype)
    v = rng(2).uniform(0.05, 2, size=(4, 3)).astype(dtype)
    v[0] = [0.0, eps / 2, eps]  # clamped to eps, gradient passed through as if not
    check(lambda a, b, c: L.gaussian_nll_loss(a, b, c, full, eps, reduction),
          lambda a, b, c: TF.gaussian_nll_loss(a, b, c, full, eps, reduction), [x, t, v], dtype=dtype)


@pytest.mark.parametrize("shapes", [
    ((4, 3), (4, 3), (4,)),  # one variance per sample
    ((4, 3), (4, 3), (4, 1)),
    ((4, 3), (4, 3), (1, 3)),
    ((2, 3, 4), (2, 3, 4), (2, 1, 4)),
    ((2, 3, 4), (2, 3, 4), (2, 3)),
    ((3,), (3,), ()),
    ((3,), (3,), (1,)),
    ((), (), ()),
    ((3, 4), (4,), (3, 4)),
    ((4,), (3, 4), (4,)),
])
def test_gaussian_nll_var_shapes(shapes):
    x, t = rng().normal(size=shapes[0]), rng(1).normal(size=shapes[1])
    v = rng(2).uniform(0.1, 2, size=shapes[2])
    check(lambda a, b, c: L.gaussian_nll_loss(a, b, c, reduction="none"),
          lambda a, b, c: TF.gaussian_nll_loss(a, b, c, reduction="none"), [x, t, v])


@pytest.mark.parametrize("var", [0.7, 0.0, 2.5])
@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_nll_float_var(var, dtype):
    x, t = rng().normal(size=(3, 2)).astype(dtype), rng(1).normal(size=(3, 2)).astype(dtype)
    check(lambda a, b: L.gaussian_nll_loss(a, b, var), lambda a, b: TF.gaussian_nll_loss(a, b, var), [x, t],
          dtype=dtype)


def test_gaussian_nll_errors():
    x = tg.zeros(2, 3)
    for var in (tg.ones(3), tg.ones(2, 2), tg.ones(1, 1), tg.ones(2, 3, 1), tg.ones(())):
        with pytest.raises(ValueError, match="^var is of incorrect size$"):
            L.gaussian_nll_loss(x, x, var)
        with pytest.raises(ValueError, match="^var is of incorrect size$"):
            TF.gaussian_nll_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.tensor(var.numpy()))
    for var in (-tg.ones(2, 3), -1.0, tg.tensor([[1.0, 1, 1], [1, -1e-9, 1]])):
        with pytest.raises(ValueError, match="^var has negative entry/entries$"):
            L.gaussian_nll_loss(x, x, var, reduction="bad")  # (checked before the reduction, as torch)
    with pytest.raises(ValueError, match="^bad is not valid$"):
        L.gaussian_nll_loss(x, x, tg.ones(2, 3), reduction="bad")
    assert math.isnan(L.gaussian_nll_loss(x, x, tg.tensor([[np.nan, 1, 1], [1, 1, 1]])).item())


# --- triplet losses -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf, 0.5])
def test_triplet_margin_matches_torch(dtype, reduction, swap, p):
    r = rng()
    a, pos, neg = (r.normal(size=(5, 4)).astype(dtype) for _ in range(3))
    pos[0] = a[0]  # anchor == positive: with swap, d(a, n) == d(p, n) (a tie: half the gradient to each)
    neg[1] = pos[1] + 0.5  # the swap distance wins
    check(lambda x, y, z: L.triplet_margin_loss(x, y, z, margin=2.0, p=p, swap=swap, reduction=reduction),
          lambda x, y, z: TF.triplet_margin_loss(x, y, z, margin=2.0, p=p, swap=swap, reduction=reduction),
          [a, pos, neg], dtype=dtype)


@pytest.mark.parametrize("shapes", [((4,),) * 3, ((),) * 3, ((2, 3, 4),) * 3, ((3, 4), (3, 4), (1, 4)), ((0, 4),) * 3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_shapes_eps_and_margin(shapes, reduction):
    a, pos, neg = (rng(i).normal(size=s) for i, s in enumerate(shapes))
    check(lambda x, y, z: L.triplet_margin_loss(x, y, z, 0.1, 2, 1e-2, True, reduction=reduction),
          lambda x, y, z: TF.triplet_margin_loss(x, y, z, 0.1, 2, 1e-2, True, reduction=reduction), [a, pos, neg])


def test_triplet_margin_hinge_boundary_passes_gradient():
    """margin + d(a, p) - d(a, n) exactly 0: the clamp passes the gradient there, as torch's clamp_min."""
    a, pos, neg = np.zeros((1, 1)), np.full((1, 1), 1.0 - 1e-6), np.full((1, 1), 2.0 - 1e-6)
    out, _ = check(lambda x, y, z: L.triplet_margin_loss(x, y, z, margin=1.0),
                   lambda x, y, z: TF.triplet_margin_loss(x, y, z, margin=1.0), [a, pos, neg])
    assert out.item() == 0


def _cosine_distance(lib):
    return lambda x, y: 1 - lib.nn.functional.cosine_similarity(x, y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("distance", [None, "cosine", "l1"])
def test_triplet_margin_with_distance_matches_torch(dtype, reduction, swap, distance):
    r = rng(3)
    a, pos, neg = (r.normal(size=(5, 4)).astype(dtype) for _ in range(3))
    pos[0] = a[0]

    def fn(lib):
        if distance == "cosine":
            return _cosine_distance(lib)
        if distance == "l1":
            return lambda x, y: (x - y).abs().sum(-1)
        return None

    check(lambda x, y, z: L.triplet_margin_with_distance_loss(x, y, z, distance_function=fn(tg), margin=0.7,
                                                              swap=swap, reduction=reduction),
          lambda x, y, z: TF.triplet_margin_with_distance_loss(x, y, z, distance_function=fn(torch), margin=0.7,
                                                               swap=swap, reduction=reduction),
          [a, pos, neg], dtype=dtype)


def test_triplet_errors():
    t3 = (tg.zeros(3, 4), tg.zeros(3, 4), tg.zeros(3, 4))
    for fn in (L.triplet_margin_loss, L.triplet_margin_with_distance_loss):
        with pytest.raises(ValueError, match="^margin must be greater than 0, got 0.0$"):
            fn(*t3, margin=0.0)
        with pytest.raises(ValueError, match="^bad is not a valid value for reduction$"):
            fn(*t3, margin=-1.0, reduction="bad")  # (the reduction is checked first, as torch)
        with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 1D inputs"):
            fn(tg.zeros(3, 4), tg.zeros(4), tg.zeros(4))
        with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(2\) at "
                                               r"non-singleton dimension 0"):
            fn(tg.zeros(3, 4), tg.zeros(3, 4), tg.zeros(2, 4))
    with pytest.raises(TypeError):
        L.triplet_margin_with_distance_loss(*t3, None)  # distance_function is keyword-only, as torch's


# --- the legacy flags and the old reduction name ------------------------------------------------------------------


@pytest.mark.parametrize("size_average,reduce,expected", [(False, None, "sum"), (None, False, "none"),
                                                          (True, True, "mean"), (False, False, "none")])
def test_legacy_size_average_and_reduce(size_average, reduce, expected):
    x, y = rng().normal(size=(3, 4)), rng(1).choice([-1.0, 1.0], size=(3, 4))
    t = np.array([1, 0, 3])
    cases = [
        (L.hinge_embedding_loss, TF.hinge_embedding_loss, [x, y]),
        (L.soft_margin_loss, TF.soft_margin_loss, [x, y]),
        (L.multilabel_soft_margin_loss, TF.multilabel_soft_margin_loss, [x, (y + 1) / 2]),
        (L.multilabel_margin_loss, TF.multilabel_margin_loss, [x, np.tile([2, -1, 0, 0], (3, 1))]),
        (L.multi_margin_loss, TF.multi_margin_loss, [x, t]),
        (L.poisson_nll_loss, TF.poisson_nll_loss, [x, np.abs(y)]),
        (L.triplet_margin_loss, TF.triplet_margin_loss, [x, y, x[::-1].copy()]),
    ]
    for ours, theirs, arrays in cases:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out, _ = check(lambda *a, f=ours: f(*a, size_average=size_average, reduce=reduce),
                           lambda *a, f=theirs: f(*a, size_average=size_average, reduce=reduce), arrays,
                           [True] + [False] * (len(arrays) - 1) if ours is not L.triplet_margin_loss else None)
        assert (out.ndim > 0) == (expected == "none")
        messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        assert f"please use reduction='{expected}' instead." in " ".join(messages)


def test_elementwise_mean_is_mean_where_torch_takes_it():
    x, y = rng().normal(size=(3, 4)), rng(1).choice([-1.0, 1.0], size=(3, 4))
    for ours, theirs in ((L.hinge_embedding_loss, TF.hinge_embedding_loss), (L.soft_margin_loss, TF.soft_margin_loss)):
        with pytest.warns(UserWarning, match="elementwise_mean"):
            check(lambda a, b, f=ours: f(a, b, reduction="elementwise_mean"),
                  lambda a, b, f=theirs: f(a, b, reduction="mean"), [x, y], [True, False])


# --- registry and modules -----------------------------------------------------------------------------------------


def test_registered_as_functional():
    for fn in L.FUNCTIONS:
        assert getattr(tg.nn.functional, fn.__name__) is fn
        assert getattr(tg.functional, fn.__name__) is fn


MODULE_CASES = [
    ("HingeEmbeddingLoss", dict(margin=0.5, reduction="sum")),
    ("SoftMarginLoss", dict(reduction="none")),
    ("MultiLabelSoftMarginLoss", dict(weight=np.array([0.5, 1.0, 2.0, 1.5]), reduction="sum")),
    ("MultiLabelMarginLoss", dict()),
    ("MultiMarginLoss", dict(p=2, margin=0.7, weight=np.array([0.5, 1.0, 2.0, 1.5]))),
    ("PoissonNLLLoss", dict(log_input=False, full=True, eps=1e-3, reduction="none")),
    ("GaussianNLLLoss", dict(full=True, eps=1e-2, reduction="sum")),
    ("TripletMarginLoss", dict(margin=0.5, p=1.0, eps=1e-3, swap=True, reduction="none")),
    ("TripletMarginWithDistanceLoss", dict(margin=0.5, swap=True)),
]


def _module_inputs(name):
    r = rng(5)
    x = r.normal(size=(3, 4))
    return {
        "HingeEmbeddingLoss": ([x, r.choice([-1.0, 1.0], size=(3, 4))], [True, False]),
        "SoftMarginLoss": ([x, r.choice([-1.0, 1.0], size=(3, 4))], [True, False]),
        "MultiLabelSoftMarginLoss": ([x, r.uniform(size=(3, 4))], [True, True]),
        "MultiLabelMarginLoss": ([x, np.array([[3, 0, -1, 1], [1, -1, 0, 0], [0, 1, 2, 3]])], [True, False]),
        "MultiMarginLoss": ([x, np.array([3, 0, 1])], [True, False]),
        "PoissonNLLLoss": ([np.abs(x), r.poisson(2.0, size=(3, 4)).astype(float)], [True, True]),
        "GaussianNLLLoss": ([x, r.normal(size=(3, 4)), r.uniform(0, 1, size=(3, 1))], [True, True, True]),
        "TripletMarginLoss": ([x, r.normal(size=(3, 4)), r.normal(size=(3, 4))], None),
        "TripletMarginWithDistanceLoss": ([x, r.normal(size=(3, 4)), r.normal(size=(3, 4))], None),
    }[name]


@pytest.mark.parametrize("name,kwargs", MODULE_CASES)
def test_modules_match_torch(name, kwargs):
    ours_kw = {k: tg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    theirs_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ours, theirs = getattr(L, name)(**ours_kw), getattr(torch.nn, name)(**theirs_kw)
    assert repr(ours) == repr(theirs)
    assert repr(getattr(L, name)()) == repr(getattr(torch.nn, name)())
    for attr in ("reduction", "margin", "p", "eps", "swap", "log_input", "full"):
        assert getattr(ours, attr, None) == getattr(theirs, attr, None), attr
    if "weight" in kwargs:
        assert [k for k, _ in ours.named_buffers()] == [k for k, _ in theirs.named_buffers()] == ["weight"]
        np.testing.assert_array_equal(ours.state_dict()["weight"].numpy(), theirs.state_dict()["weight"].numpy())
    arrays, grads = _module_inputs(name)
    check(ours, theirs, arrays, grads)


def test_module_constructor_checks_and_legacy_flags():
    cases = [
        (lambda m: m.TripletMarginLoss(margin=0), ValueError,
         "^TripletMarginLoss: expected margin to be greater than 0, got 0 instead$"),
        (lambda m: m.TripletMarginWithDistanceLoss(margin=-1), ValueError,
         "^TripletMarginWithDistanceLoss: expected margin to be greater than 0, got -1 instead$"),
        (lambda m: m.MultiMarginLoss(p=3), ValueError, "^only p == 1 and p == 2 supported$"),
        (lambda m: m.MultiMarginLoss(weight=m.ones(2, 2)), ValueError,
         "^MultiMarginLoss: expected weight to be None or 1D tensor, got 2D instead$"),
        (lambda m: m.GaussianNLLLoss(True), TypeError, "positional argument"),
        (lambda m: m.TripletMarginWithDistanceLoss(None), TypeError, "positional argument"),
    ]
    for make, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            make(_Namespace(L, tg))
        with pytest.raises(exc, match=msg):
            make(_Namespace(torch.nn, torch))
    with pytest.warns(UserWarning, match="please use reduction='none' instead"):
        assert L.MultiMarginLoss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="reduction must be one of"):  # (torch raises only when called)
        L.SoftMarginLoss(reduction="bad")
    default = L.TripletMarginWithDistanceLoss()
    assert isinstance(default.distance_function, tg.nn.PairwiseDistance)
    assert [n for n, _ in default.named_children()] == ["distance_function"]
    assert repr(L.TripletMarginWithDistanceLoss(distance_function=_cosine_distance(tg))) == \
        "TripletMarginWithDistanceLoss()"
    assert dict(L.MultiMarginLoss().named_buffers()) == {} and L.MultiMarginLoss().weight is None


class _Namespace:
    """Module classes from one library, tensors (``ones``) from the other's top level."""

    def __init__(self, classes, lib):
        self.classes, self.lib = classes, lib

    def __getattr__(self, name):
        return getattr(self.lib, name) if name == "ones" else getattr(self.classes, name)
