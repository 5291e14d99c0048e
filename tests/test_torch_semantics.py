"""torch's semantics underneath, each rule checked against the installed torch: type promotion
(torch.result_type) for every binary op, in-place dtype rules, printing, `tg.autograd`, in-place ops on
tensors in the graph, and torch's indexing / pad / cat / view rules."""

import itertools
import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_mlp as tg
import tinygrad_mlp.functional as F

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, 2, 2.5]  # a Python bool, int and float
VALUES = [3, 1, 2]  # small and non-zero: valid in every dtype, no division by zero


def pair(dtype, zero_dim, values=VALUES):
    """The same tensor in both libraries: (tg, torch)."""
    data = np.array(values[:1] if zero_dim else values).reshape(() if zero_dim else (-1,))
    arr = data.astype(bool) if dtype == "bool" else data.astype(dtype)
    return tg.tensor(arr.copy()), torch.from_numpy(arr.copy())


def operands():
    """Every right-hand operand: a tensor with dimensions or 0-d in each dtype, or a Python number."""
    for dt, zero in itertools.product(DTYPES, (False, True)):
        yield f"{dt}{'-0d' if zero else ''}", pair(dt, zero)
    for s in SCALARS:
        yield f"python {type(s).__name__}", (s, s)


def _where_first(cond):
    return lambda a, b: a.where(cond, b) if isinstance(a, tg.Tensor) else torch.where(cond, a, b)


BINARY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "pow": operator.pow, "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
    "eq": operator.eq, "ne": operator.ne,
    "radd": lambda a, b: b + a, "rsub": lambda a, b: b - a, "rmul": lambda a, b: b * a,
    "rtruediv": lambda a, b: b / a, "rpow": lambda a, b: b ** a,
}
TENSOR_ONLY = {  # torch takes tensors only here (no Python numbers)
    "maximum": lambda a, b: (tg if isinstance(a, tg.Tensor) else torch).maximum(a, b),
    "minimum": lambda a, b: (tg if isinstance(a, tg.Tensor) else torch).minimum(a, b),
}


def run(fn, a, b):
    """The result, or the exception class if the op raises."""
    try:
        with np.errstate(all="ignore"):
            return fn(a, b)
    except (RuntimeError, TypeError, ValueError, OverflowError, NotImplementedError) as e:
        return type(e)


def torch_dtype_name(t):
    return str(t.dtype).replace("torch.", "tinygrad_mlp.")


def check_same(ours, theirs, where):
    """Same dtype and values, or both refused."""
    if isinstance(theirs, type):
        assert isinstance(ours, type), f"{where}: torch raises {theirs.__name__}, tinygrad_mlp gave {ours}"
        return
    assert not isinstance(ours, type), f"{where}: tinygrad_mlp raised {ours.__name__}, torch gives {theirs}"
    assert str(ours.dtype) == torch_dtype_name(theirs), f"{where}: dtype {ours.dtype} != torch's {theirs.dtype}"
    assert tuple(ours.shape) == tuple(theirs.shape), where
    np.testing.assert_allclose(np.asarray(ours.detach().numpy(), np.float64),
                               theirs.detach().numpy().astype(np.float64), rtol=2e-3, err_msg=where)


# --- type promotion: torch.result_type -----------------------------------------------------------


@pytest.mark.parametrize("op", sorted(BINARY) + sorted(TENSOR_ONLY))
@pytest.mark.parametrize("left", DTYPES)
def test_every_binary_op_promotes_as_torch_over_every_operand_kind(op, left):
    fn = {**BINARY, **TENSOR_ONLY}[op]
    for left_zero in (False, True):
        a, ta = pair(left, left_zero)
        for name, (b, tb) in operands():
            if op in TENSOR_ONLY and not isinstance(b, tg.Tensor):
                continue
            if left == "bool" and op in ("pow", "rpow") and b is True:
                continue  # a bool tensor to a Python bool power: a known difference (see the README table)
            where = f"{left}{'-0d' if left_zero else ''} {op} {name}"
            check_same(run(fn, a, b), run(fn, ta, tb), where)


@pytest.mark.parametrize("left", DTYPES)
def test_where_promotes_its_two_branches_as_torch(left):
    cond_np = np.array([True, False, True])
    for left_zero in (False, True):
        a, ta = pair(left, left_zero)
        for name, (b, tb) in operands():
            ours = run(lambda x, y: tg.where(tg.tensor(cond_np), x, y), a, b)
            theirs = run(lambda x, y: torch.where(torch.from_numpy(cond_np), x, y), ta, tb)
            check_same(ours, theirs, f"where({left}, {name})")


@given(left=st.sampled_from(DTYPES), right=st.sampled_from(DTYPES), left_zero=st.booleans(),
       right_zero=st.booleans(), op=st.sampled_from(["add", "sub", "mul", "truediv", "maximum", "lt", "eq"]),
       values=st.lists(st.integers(1, 6), min_size=3, max_size=3))
def test_promotion_matches_torch_result_type_for_random_pairs_and_values(left, right, left_zero, right_zero, op,
                                                                          values):
    a, ta = pair(left, left_zero, values)
    b, tb = pair(right, right_zero, values[::-1])
    fn = {**BINARY, **TENSOR_ONLY}[op]
    check_same(run(fn, a, b), run(fn, ta, tb), f"{left} {op} {right}")
    if not isinstance(run(fn, ta, tb), type):
        expected = str(torch.result_type(ta, tb)).replace("torch.", "")
        assert str(tg.promotion.result_type(a.detach().numpy(), b.detach().numpy())) == expected


def test_the_issue_examples():
    assert (tg.tensor([1, 2]) * tg.tensor([1.0, 2.0])).dtype == tg.float32  # int64 * float32
    assert (tg.tensor([1, 2]) + 2.5).dtype == tg.float32
    assert (tg.tensor([1, 2]) / 2).dtype == tg.float32
    correct, total = tg.tensor(7), 9
    acc = 100 * correct / total
    assert acc.dtype == tg.float32 and abs(acc.item() - 700 / 9) < 1e-4
    tg.set_default_dtype(np.float64)
    assert (tg.tensor([1, 2]) + 2.5).dtype == tg.float64  # the default dtype, whatever it is
    tg.set_default_dtype(np.float32)


@pytest.mark.parametrize("op", ["iadd", "isub", "imul", "itruediv"])
@pytest.mark.parametrize("left", DTYPES)
def test_in_place_ops_keep_the_destination_dtype_or_raise_as_torch(op, left):
    fn = getattr(operator, op)
    for name, (b, tb) in operands():
        a, ta = pair(left, False)
        ours, theirs = run(fn, a, b), run(fn, ta, tb)
        check_same(ours, theirs, f"{left} {op} {name}")
        if not isinstance(theirs, type):
            assert ours is a  # the same tensor, changed in place


def test_in_place_message_is_torchs():
    x = tg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x += 2.5
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x /= 2


def test_augmented_assignment_on_a_graph_tensor_keeps_its_dtype_and_gradient():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    h, th = w * 3, tw * 3
    h += tg.tensor([1.0, 1.0], dtype=tg.float64)
    th += torch.tensor([1.0, 1.0], dtype=torch.float64)
    assert h.dtype == tg.float32 and th.dtype == torch.float32
    (h * h).sum().backward()
    (th * th).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


def test_matmul_refuses_mixed_dtypes_as_torch():
    with pytest.raises(RuntimeError):
        torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.int64)
    with pytest.raises(RuntimeError, match="same dtype"):
        tg.ones(2, 2) @ tg.ones(2, 2, dtype=tg.int64)


def test_promotion_keeps_the_fast_path_free():
    a = np.ones(3, np.float32)
    b = np.ones(3, np.float32)
    out = tg.promotion.promote(a, b)
    assert out[0] is a and out[1] is b
    assert tg.promotion.promote(a, 2.5)[0] is a


# --- printing and formatting ---------------------------------------------------------------------


def torch_repr_in_our_names(t):
    return repr(t).replace("torch.", "tinygrad_mlp.")  # (dtypes print as tinygrad_mlp.float64, torch.float64 in torch)


REPR_CASES = [
    [1.5, 2.123456, -3.0], [1.0, 2.0], [[1.0, 2.0], [3.5, -4.25]], [1e-5, 1e5], [1e9, 2.0], [0.0, 0.0],
    [float("nan"), 1.5, -float("inf")], [123456.789, 0.5], [1, 2, 3], [True, False], [[0.001, 1000.0]],
    np.linspace(-1, 1, 2000).tolist(), np.arange(24.0).reshape(2, 3, 4).tolist(), [-0.5], [3.0],
]


@pytest.mark.parametrize("data", REPR_CASES, ids=range(len(REPR_CASES)))
def test_repr_is_torchs(data):
    assert repr(tg.tensor(data)) == torch_repr_in_our_names(torch.tensor(data))
    assert str(tg.tensor(data)) == torch_repr_in_our_names(torch.tensor(data))


@pytest.mark.parametrize("value", [2.5, 0.0, 1e-7, -3.25, 12345678.0])
def test_zero_dim_repr_and_format(value):
    ours, theirs = tg.tensor(value), torch.tensor(value)
    assert repr(ours) == repr(theirs)
    assert f"{ours}" == f"{theirs}"
    assert f"{ours:.4f}" == f"{theirs:.4f}" == f"{value:.4f}"
    assert f"{tg.tensor(3):>5}" == f"{torch.tensor(3):>5}"
    with pytest.raises(TypeError):
        f"{tg.tensor([1.0, 2.0]):.2f}"


def test_repr_shows_requires_grad_grad_fn_and_dtype_as_torch():
    x, tx = tg.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == repr(tx)
    assert repr(x * 2) == torch_repr_in_our_names(tx * 2)
    assert repr(tg.tensor([1.0], dtype=tg.float64)) == torch_repr_in_our_names(torch.tensor([1.0], dtype=torch.float64))
    assert repr(tg.tensor([1, 2], dtype=tg.int32)) == torch_repr_in_our_names(torch.tensor([1, 2], dtype=torch.int32))
    assert (x * 2).grad_fn.name() == "MulBackward0" == (torch.ones(1, requires_grad=True) * 2).grad_fn.name()


def test_set_printoptions():
    data = [1.123456789, 2.5]
    try:
        tg.set_printoptions(precision=2)
        torch.set_printoptions(precision=2)
        assert repr(tg.tensor(data)) == repr(torch.tensor(data))
        tg.set_printoptions(sci_mode=True)
        torch.set_printoptions(sci_mode=True)
        assert repr(tg.tensor(data)) == repr(torch.tensor(data))
    finally:
        tg.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert repr(tg.tensor(data)) == repr(torch.tensor(data))


def test_shape_is_a_size():
    x = tg.zeros(2, 3)
    assert x.shape == (2, 3) and x.size() == (2, 3) and isinstance(x.shape, tuple)
    assert repr(x.shape) == repr(torch.zeros(2, 3).shape).replace("torch.", "tinygrad_mlp.")
    assert repr(x.shape) == "tinygrad_mlp.Size([2, 3])"
    assert x.shape.numel() == 6 == torch.zeros(2, 3).shape.numel()
    assert x.size(1) == 3 and tg.zeros(()).shape == () and tg.zeros(()).shape.numel() == 1
    assert type(x.numpy().shape) is tuple  # numpy's shapes stay plain tuples


# --- tg.autograd ---------------------------------------------------------------------------------


def relu_function(lib):
    """The custom ReLU every autograd tutorial writes (Tensors in, Tensors out), for either library."""

    class MyReLU(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):  # noqa: A002
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors  # noqa: A001
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    return MyReLU


MyReLU, TorchReLU = relu_function(tg), relu_function(torch)


def test_custom_relu_matches_torch():
    data = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    x, tx = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = MyReLU.apply(x * 2), TorchReLU.apply(tx * 2)
    assert y.requires_grad and y.grad_fn is not None and "MyReLU" in repr(y.grad_fn)
    (y ** 2).sum().backward()
    (ty ** 2).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


def test_forward_records_nothing_and_ctx_knows_which_inputs_need_grad():
    seen = {}

    class Scale(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, factor, k):
            seen["needs"] = ctx.needs_input_grad
            seen["inner"] = (x * factor).requires_grad
            ctx.k = k
            ctx.save_for_backward(factor)
            return x * factor * k

        @staticmethod
        def backward(ctx, g):
            (factor,) = ctx.saved_tensors
            return g * factor * ctx.k, None, None

    x, f = tg.tensor([1.0, 2.0], requires_grad=True), tg.tensor([3.0, 4.0])
    Scale.apply(x, f, 2.0).sum().backward()
    assert seen == {"needs": (True, False, False), "inner": False}
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 8.0])
    assert not Scale.apply(x.detach(), f, 2.0).requires_grad


def test_several_outputs_and_mark_non_differentiable():
    class SortWithIndex(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = tg.tensor(np.argsort(x.numpy()))
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return x[idx] * 2, idx, x.sum()

        @staticmethod
        def backward(ctx, g_sorted, g_idx, g_sum):
            (idx,) = ctx.saved_tensors
            g = tg.zeros(g_sorted.shape)
            g[idx] = g_sorted * 2
            return g + g_sum

    class TorchSort(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = torch.argsort(x)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return x[idx] * 2, idx, x.sum()

        @staticmethod
        def backward(ctx, g_sorted, g_idx, g_sum):
            (idx,) = ctx.saved_tensors
            g = torch.zeros(g_sorted.shape)
            g[idx] = g_sorted * 2
            return g + g_sum

    data = np.array([3.0, -1.0, 2.0], np.float32)
    x, tx = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    s, i, total = SortWithIndex.apply(x)
    ts, ti, ttotal = TorchSort.apply(tx)
    assert not i.requires_grad and s.requires_grad and total.requires_grad
    ((s * tg.tensor([1.0, 2.0, 3.0])).sum() + 5 * total).backward()
    ((ts * torch.tensor([1.0, 2.0, 3.0])).sum() + 5 * ttotal).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_backward_returning_too_few_gradients_is_refused():
    class Bad(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    a, b = tg.tensor([1.0], requires_grad=True), tg.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(a, b).sum().backward()


def test_autograd_grad_matches_torch_and_leaves_grad_alone():
    data = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)
    w, tw = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    h, th = (w * 3).tanh(), (tw * 3).tanh()
    out, tout = (h ** 2).sum() + w.sum(), (th ** 2).sum() + tw.sum()
    gw, gh = tg.autograd.grad(out, [w, h], retain_graph=True)
    tgw, tgh = torch.autograd.grad(tout, [tw, th], retain_graph=True)
    np.testing.assert_allclose(gw.numpy(), tgw.numpy(), rtol=1e-5)
    np.testing.assert_allclose(gh.numpy(), tgh.numpy(), rtol=1e-5)
    assert w.grad is None and not gw.requires_grad
    out.backward()  # the graph was retained
    tout.backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-5)
    g2, = tg.autograd.grad((w * w).sum(), w)  # a second grad never adds into .grad
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(g2.numpy(), 2 * data)


def test_autograd_grad_outputs_unused_inputs_and_refusals():
    x, y = tg.tensor([1.0, 2.0], requires_grad=True), tg.tensor([3.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    (gx,) = tg.autograd.grad(x * x, x, grad_outputs=tg.tensor([1.0, 10.0]))
    (tgx,) = torch.autograd.grad(tx * tx, tx, grad_outputs=torch.tensor([1.0, 10.0]))
    np.testing.assert_allclose(gx.numpy(), tgx.numpy())
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        tg.autograd.grad((x * 2).sum(), [x, y])
    gx, gy = tg.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None and np.allclose(gx.numpy(), 2.0)
    with pytest.raises(NotImplementedError, match="create_graph"):
        tg.autograd.grad((x * 2).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.autograd.grad((x * 2).sum(), tg.tensor([1.0]))
    two = tg.autograd.grad([(x * 2).sum(), (x * x).sum()], x)
    np.testing.assert_allclose(two[0].numpy(), 2 + 2 * np.array([1.0, 2.0]))


# --- in-place semantics --------------------------------------------------------------------------


def both(data, requires_grad=True):
    arr = np.asarray(data, np.float32)
    return tg.tensor(arr, requires_grad=requires_grad), torch.tensor(arr, requires_grad=requires_grad)


IN_PLACE = {
    "add_": lambda t, o: t.add_(o), "sub_": lambda t, o: t.sub_(o, alpha=2), "mul_": lambda t, o: t.mul_(o),
    "div_": lambda t, o: t.div_(o), "iadd": operator.iadd, "isub": operator.isub, "imul": operator.imul,
    "itruediv": operator.itruediv, "clamp_": lambda t, o: t.clamp_(min=0.5),
    "setitem": lambda t, o: t.__setitem__((slice(None), 1), o[:, 0] * 2),
    "copy_": lambda t, o: t.copy_(o * 3), "fill_": lambda t, o: t.fill_(1.5), "zero_": lambda t, o: t.zero_(),
}


@pytest.mark.parametrize("op", sorted(IN_PLACE))
def test_in_place_on_a_non_leaf_is_recorded_with_torchs_gradients(op):
    rng = np.random.default_rng(3)
    a, ta = both(rng.standard_normal((3, 4)))
    b, tb = both(rng.standard_normal((3, 4)) + 3)
    h, th = a * 2, ta * 2
    out, tout = IN_PLACE[op](h, b), IN_PLACE[op](th, tb)
    assert (out is h and tout is th) or (out is None and tout is None)
    assert h.grad_fn is not None and th.grad_fn is not None
    np.testing.assert_allclose(h.detach().numpy(), th.detach().numpy(), rtol=1e-6)
    (h * h.detach() + h).sum().backward()
    (th * th.detach() + th).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-5)
    if tb.grad is None:
        assert b.grad is None
    else:
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-5)


def test_in_place_with_an_operand_that_requires_grad_makes_a_plain_tensor_part_of_the_graph():
    acc, tacc = tg.zeros(2), torch.zeros(2)
    w, tw = both([1.0, 2.0])
    acc += w * w
    tacc += tw * tw
    acc[0] = w[1] * 5
    tacc[0] = tw[1] * 5
    assert acc.requires_grad and not acc.is_leaf
    acc.sum().backward()
    tacc.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


def test_in_place_on_a_leaf_that_requires_grad_raises_as_torch():
    w, tw = both([1.0, 2.0])
    for fn in (lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.__setitem__(0, 5.0), lambda t: t.zero_()):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            fn(tw)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            fn(w)
    with tg.no_grad():
        w.add_(1)
    assert w.is_leaf and np.allclose(w.detach().numpy(), [2.0, 3.0])


def test_backward_raises_only_if_a_saved_tensor_changed():
    # a constant saved by Mul, changed afterwards: both refuse
    w, tw = both([1.0, 2.0])
    c, tc = tg.tensor([3.0, 4.0]), torch.tensor([3.0, 4.0])
    y, ty = w * c, tw * tc
    c.mul_(2)
    tc.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.sum().backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    # a constant that Add never saved: both give the gradient
    w, tw = both([1.0, 2.0])
    c, tc = tg.tensor([3.0, 4.0]), torch.tensor([3.0, 4.0])
    y, ty = w + c, tw + tc
    c.mul_(2)
    tc.mul_(2)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


def test_the_package_itself_never_calls_numpy_on_a_tensor_that_requires_grad(monkeypatch):
    def refuse(self, *, force=False):
        if self.requires_grad:
            raise AssertionError("numpy() on a tensor that requires grad")
        return np.asarray(self.detach())

    monkeypatch.setattr(tg.Tensor, "numpy", refuse)
    model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.BatchNorm1d(4), tg.nn.ReLU(), tg.nn.Linear(4, 2))
    opt = tg.optim.Adam(model.parameters(), lr=0.01)
    x, y = tg.randn(8, 3), tg.tensor([0, 1] * 4)
    loss = tg.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    F.binary_cross_entropy_with_logits(model(x)[:, 0], tg.ones(8))
    model.load_state_dict(model.state_dict())
    opt.load_state_dict(opt.state_dict())
    model.double()
    tg.multinomial(tg.tensor([0.2, 0.8], requires_grad=True).softmax(0), 2)


# --- indexing, pad, cat, view --------------------------------------------------------------------


INDEXES = [
    (0, slice(None), [0, 2]), (slice(None), 0, [1, 2]), ([0, 1], slice(None), [0, 3]), (slice(None), [0, 1], 0),
    (0, [1, 0]), (Ellipsis, 0, [1, 3]), ([1, 0], 0, slice(None)), (slice(None), [0, 2], [1, 2]),
    (1, [0, 2], [3, 1]), (None, 0, slice(None), [2]), (slice(1, None), 2, [0, 0, 3]), (-1, Ellipsis, [1]),
    ([[0, 1]], 1, slice(None)), (0, 1, [2, 3]),
]


@pytest.mark.parametrize("index", INDEXES, ids=range(len(INDEXES)))
def test_indexing_follows_torch_when_integers_meet_arrays(index):
    data = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    x, tx = both(data)
    tindex = tuple(torch.tensor(i) if isinstance(i, list) else i for i in index)
    tindex_tg = tuple(tg.tensor(i) if isinstance(i, list) else i for i in index)
    y, ty = x[tindex_tg], tx[tindex]
    assert tuple(y.shape) == tuple(ty.shape)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    weights = np.arange(ty.numel(), dtype=np.float32).reshape(tuple(ty.shape))
    (y * tg.tensor(weights)).sum().backward()
    (ty * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    z, tz = tg.zeros(2, 3, 4), torch.zeros(2, 3, 4)  # and assignment through the same index
    z[tindex_tg] = tg.tensor(weights) + 1
    tz[tindex] = torch.tensor(weights) + 1
    np.testing.assert_allclose(z.numpy(), tz.numpy())


@given(st.data())
def test_random_indexes_give_torchs_shapes_and_values(data):
    shape = (3, 4, 5)
    parts = []
    for n in shape:
        kind = data.draw(st.sampled_from(["int", "slice", "array"]))
        if kind == "int":
            parts.append(data.draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            parts.append(slice(data.draw(st.integers(0, n - 1)), None, data.draw(st.integers(1, 2))))
        else:
            parts.append(data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2)))
    arr = np.arange(60.0).reshape(shape)
    ours = tg.tensor(arr)[tuple(tg.tensor(p) if isinstance(p, list) else p for p in parts)]
    theirs = torch.tensor(arr)[tuple(torch.tensor(p) if isinstance(p, list) else p for p in parts)]
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_bad_indices_name_the_op_and_shape():
    x = tg.zeros(2, 3)
    with pytest.raises(IndexError, match=r"getitem: .*shape \(2, 3\).*out of bounds for dimension 0 with size 2"):
        x[5]
    with pytest.raises(IndexError, match=r"index 7 is out of bounds for dimension 0 with size 3"):  # torch's words
        x[0, tg.tensor([0, 7])]
    with pytest.raises(ValueError, match=r"__setitem__: cannot assign a value of shape \(4,\)"):
        x[0] = tg.ones(4)


@pytest.mark.parametrize("pad", [(-1, 1), (1, -2), (-1, -1, 2, 0), (0, 0, -1, 0), (2, 1, 1, 1), (-2, 0)])
def test_pad_with_negative_sizes_crops_as_torch(pad):
    data = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    x, tx = both(data)
    y, ty = F.pad(x, pad, value=7.0), torch.nn.functional.pad(tx, pad, value=7.0)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    weights = np.arange(ty.numel(), dtype=np.float32).reshape(tuple(ty.shape))
    (y * tg.tensor(weights)).sum().backward()
    (ty * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_cat_of_zero_dim_tensors_raises_torchs_error():
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 0\) cannot be concatenated"):
        torch.cat([torch.tensor(1.0), torch.tensor(2.0)])
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 0\) cannot be concatenated"):
        tg.cat([tg.tensor(1.0), tg.tensor(2.0)])
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 1\) cannot be concatenated"):
        tg.cat([tg.tensor([1.0]), tg.tensor(2.0)])


def test_view_refuses_what_torch_refuses_and_reshape_works():
    x, tx = tg.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)
    for fn in (lambda t: t.permute(1, 0).view(6), lambda t: t.t().view(-1), lambda t: t.t().view(2, 3)):
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            fn(tx)
        with pytest.raises(RuntimeError, match=r"view size is not compatible.*Use \.reshape\(\.\.\.\) instead"):
            fn(x)
    for fn in (lambda t: t.permute(1, 0).reshape(6), lambda t: t.view(3, 2), lambda t: t.t().view(3, 2),
               lambda t: t.view(-1)):
        np.testing.assert_allclose(fn(x).numpy(), fn(tx).numpy())
    big = tg.nn.Linear(300, 200)  # kept column-major inside, viewable as torch's
    assert big.weight.view(-1).shape == (60000,)


UNARY = ["exp", "log", "sqrt", "sigmoid", "tanh", "relu", "abs", "neg", "square", "reciprocal", "softmax",
         "log_softmax", "mean", "sum", "max", "clamp_float", "clamp_int", "gelu", "silu", "elu", "softplus"]


def unary(lib, name, t):
    F_ = lib.nn.functional
    if name in ("softmax", "log_softmax"):
        return getattr(t, name)(0)
    if name == "clamp_float":
        return t.clamp(min=1.5)
    if name == "clamp_int":
        return t.clamp(min=2)
    if name in ("gelu", "silu", "elu", "softplus"):
        return getattr(F_, name)(t)
    return getattr(t, name)()


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_ops_and_reductions_give_torchs_dtype(name, dtype):
    a, ta = pair(dtype, False)
    check_same(run(lambda x, _: unary(tg, name, x), a, None), run(lambda x, _: unary(torch, name, x), ta, None),
               f"{name}({dtype})")


IN_PLACE_STEPS = {
    "add_": (lambda h, b: h.add_(b)), "mul_": (lambda h, b: h.mul_(2.0)), "sub_t": (lambda h, b: h.sub_(b * b)),
    "setrow": (lambda h, b: h.__setitem__(0, b[1] * 2)), "setmask": (lambda h, b: h.__setitem__(h > 1.0, 0.5)),
    "iadd_self": (lambda h, b: h.__iadd__(h)), "clamp_": (lambda h, b: h.clamp_(min=-0.5)),
    "div_": (lambda h, b: h.div_(b + 3)),
}


@given(steps=st.lists(st.tuples(st.sampled_from(sorted(IN_PLACE_STEPS)), st.booleans()), min_size=1, max_size=5))
def test_random_sequences_of_in_place_ops_give_torchs_gradients(steps):
    """In-place ops on a tensor in the graph, with some of its values used before each change: the gradient
    flows through every version as torch's does (sequences torch refuses are skipped)."""
    data = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32)
    other = np.array([[0.3, 0.2, -0.1], [0.4, -0.6, 0.9]], np.float32)

    def run_steps(lib, to):
        a, b = to(data), to(other)
        h = a * 2
        kept = []
        for name, keep_before in steps:
            if keep_before:
                kept.append((h + 1).sum() * len(kept) + h.sum())
            out = IN_PLACE_STEPS[name](h, b)
            h = h if out is None else out
        total = (h * h).sum() + sum(kept)
        total.backward()
        return total.item(), a.grad.numpy(), b.grad.numpy() if b.grad is not None else None

    try:
        expected = run_steps(torch, lambda x: torch.tensor(x, requires_grad=True))
    except RuntimeError:
        return  # torch refuses this sequence (a saved value changed); tinygrad_mlp may differentiate it
    ours = run_steps(tg, lambda x: tg.tensor(x, requires_grad=True))
    assert abs(ours[0] - expected[0]) <= 1e-4 * max(1.0, abs(expected[0]))
    np.testing.assert_allclose(ours[1], expected[1], rtol=1e-4, atol=1e-5)
    if expected[2] is None:
        assert ours[2] is None or not np.any(ours[2])
    else:
        np.testing.assert_allclose(ours[2], expected[2], rtol=1e-4, atol=1e-5)


def test_backward_takes_torchs_arguments_in_torchs_order_and_refuses_what_it_cannot_do():
    import inspect
    ours = list(inspect.signature(tg.Tensor.backward).parameters)[1:5]
    assert ours == list(inspect.signature(torch.Tensor.backward).parameters)[1:5]
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward(None, None)
    assert x.grad.tolist() == [2.0, 4.0]
    for kwargs in ({"create_graph": True}, {"inputs": [x]}):
        with pytest.raises(NotImplementedError, match="create_graph=True .* and inputs= are not supported"):
            (x * x).sum().backward(**kwargs)
    assert x.grad.tolist() == [2.0, 4.0]  # a refused call changes nothing


def test_grad_fn_names_are_torchs_for_the_common_ops():
    import torch.nn.functional as TF

    x, w, b = (tg.tensor(np.ones(s), requires_grad=True) for s in ((3, 4), (5, 4), (5,)))
    tx, tw, tb = (torch.ones(s, dtype=torch.float64, requires_grad=True) for s in ((3, 4), (5, 4), (5,)))
    pairs = [(F.linear(x, w, b), TF.linear(tx, tw, tb)), (F.linear(x, w), TF.linear(tx, tw)), (x.sum(), tx.sum()),
             (x.sum(0), tx.sum(0)), (x.mean(), tx.mean()), (x.mean(1), tx.mean(1)), (x * 2, tx * 2),
             (x.relu(), tx.relu()), (x @ w.T, tx @ tw.T), (F.cross_entropy(x, tg.tensor([0, 1, 2])),
                                                           TF.cross_entropy(tx, torch.tensor([0, 1, 2])))]
    assert [o.grad_fn.name() for o, _ in pairs] == [t.grad_fn.name() for _, t in pairs]
    relu_layer = tg.nn.Sequential(tg.nn.Linear(4, 3, bias=False), tg.nn.ReLU())(x.float())
    assert relu_layer.grad_fn.name() == "MmBackward0 → ReluBackward0"  # one fused node, torch's two names
