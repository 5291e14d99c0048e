"""Tensor creation, dtypes, grad mode and the backward walk."""

import gc
import threading
import weakref

import numpy as np
import pytest

import tinygrad_mlp as tg

# --- creation and conversion ----------------------------------------------------------------------


def test_tensor_from_python_data_gets_torch_dtypes():
    assert tg.tensor(1.5).dtype == np.float32
    assert tg.tensor([1, 2]).dtype == np.int64
    assert tg.tensor([True, False]).dtype == np.bool_
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == np.float64
    assert tg.tensor(np.zeros(2)).dtype == np.float64  # numpy arrays keep their dtype


def test_tensor_copies_but_from_numpy_shares():
    a = np.zeros(3, dtype=np.float32)
    copied, shared = tg.tensor(a), tg.from_numpy(a)
    a[0] = 5
    assert copied.tolist() == [0, 0, 0]
    assert shared.tolist() == [5, 0, 0]
    assert tg.Tensor(a).numpy() is a


def test_default_dtype_can_be_float64():
    tg.set_default_dtype(np.float64)
    assert tg.tensor(1.0).dtype == np.float64
    assert tg.zeros(2).dtype == np.float64
    assert tg.randn(2).dtype == np.float64
    with pytest.raises(TypeError, match="floating"):
        tg.set_default_dtype(np.int32)


def test_basic_properties():
    x = tg.arange(6).reshape(2, 3)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert x.numel() == 6 and len(x) == 2 and x.dtype == tg.int64
    assert [r.tolist() for r in x] == [[0, 1, 2], [3, 4, 5]]
    assert np.asarray(x).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert tg.tensor(3.5).item() == 3.5
    with pytest.raises(ValueError, match="one element"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)


def test_conversions():
    x = tg.tensor([1.7, -2.2], requires_grad=True)
    assert x.double().dtype == np.float64 and x.float() is x
    assert x.long().tolist() == [1, -2]
    assert x.astype(np.float16).dtype == np.float16
    assert x.to(tg.float64).dtype == np.float64 and x.to("cpu") is x
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")
    y = x.double()
    (y * y).sum().backward()  # the cast is differentiable
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.4, -4.4], rtol=1e-6)


def test_repr_looks_like_torch():
    x = tg.tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
    assert repr(x) == "tensor([[0.1000, 0.2000],\n        [0.3000, 0.4000]], requires_grad=True)"
    y = x * 2
    assert repr(y).endswith("grad_fn=<MulBackward0>)")
    assert repr(tg.tensor(3.0)) == "tensor(3.)"
    assert repr(tg.tensor([1, 2])) == "tensor([1, 2])"
    assert "dtype=tinygrad_mlp.float64" in repr(tg.tensor([1.5], dtype=tg.float64))


def test_factories():
    assert tg.zeros(2, 3).tolist() == [[0, 0, 0], [0, 0, 0]]
    assert tg.ones((2,)).tolist() == [1, 1]
    assert tg.full((2,), 7).dtype == np.int64 and tg.full((2,), 0.5).dtype == np.float32
    assert tg.eye(2).tolist() == [[1, 0], [0, 1]]
    assert tg.arange(3).tolist() == [0, 1, 2] and tg.arange(0, 1, 0.5).tolist() == [0.0, 0.5]
    assert tg.linspace(0, 1, 3).tolist() == [0, 0.5, 1]
    x = tg.randn(3, 4)
    assert tg.zeros_like(x).shape == (3, 4) and tg.ones_like(x).dtype == np.float32
    assert tg.full_like(x, 2.0).numpy().max() == 2.0 and tg.empty(2, 2).shape == (2, 2)
    assert tg.empty_like(x).shape == x.shape
    r = tg.rand(1000)
    assert 0 <= r.numpy().min() and r.numpy().max() < 1
    ri = tg.randint(2, 5, (100,))
    assert ri.dtype == np.int64 and set(ri.tolist()) <= {2, 3, 4}
    assert sorted(tg.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    assert tg.zeros(2, requires_grad=True).requires_grad


def test_manual_seed_makes_every_draw_reproducible():
    def draws():
        tg.manual_seed(7)
        return tg.rand(3).tolist(), tg.randn(2).tolist(), tg.randint(0, 100, (3,)).tolist()

    assert draws() == draws()
    tg.manual_seed(8)
    assert tg.rand(3).tolist() != draws()[0]


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        tg.arange(3).requires_grad_()


# --- autograd state ----------------------------------------------------------------------------


def test_leaf_and_grad_fn():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn.name() == "MulBackward0" and y.requires_grad
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and np.shares_memory(d.numpy(), y.numpy())
    c = x.clone()
    assert c.numpy() is not x.numpy() and c.requires_grad


def test_no_grad_records_nothing_and_works_as_decorator():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2
        with tg.enable_grad():
            z = x * 2
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @tg.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad and tg.is_grad_enabled()
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad


def test_grad_mode_is_thread_local():
    seen = []

    def worker():
        seen.append(tg.is_grad_enabled())

    with tg.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen == [True]


# --- backward ------------------------------------------------------------------------------------


def test_micrograd_example():
    a = tg.tensor(-4.0, dtype=tg.float64, requires_grad=True)
    b = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    assert abs(g.item() - 24.70408163265306) < 1e-12
    assert abs(a.grad.item() - 138.83381924198252) < 1e-10
    assert abs(b.grad.item() - 645.5772594752186) < 1e-10


def test_diamond_accumulates():
    a = tg.tensor(1.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0


def test_node_reused_1000_times():
    x = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    h = x * 1.5
    total = h
    for _ in range(999):
        total = total + h
    total.backward()
    assert x.grad.item() == pytest.approx(1500.0)


def test_leaf_gradients_accumulate_across_backward_calls():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_leaves_fed_the_same_gradient_array_do_not_share_it():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad.numpy() is not b.grad.numpy()
    (a + b).sum().backward()
    assert a.grad.tolist() == [2.0, 2.0] and b.grad.tolist() == [2.0, 2.0]


def test_gradient_argument_is_copied_not_kept():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    v = np.array([1.0, 1.0], dtype=np.float32)
    x.backward(v)
    v[0] = 100
    assert x.grad.tolist() == [1.0, 1.0]


def test_non_scalar_backward_needs_gradient():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        y.backward()
    y.backward(tg.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 20.0]
    with pytest.raises(RuntimeError, match="gradient has shape"):
        (x * 2).backward(tg.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.tensor([1.0]).sum().backward()


def test_second_backward_through_freed_graph_raises_unless_retained():
    x = tg.tensor(3.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 12.0
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_graph_arrays_are_freed_after_backward():
    x = tg.tensor(np.ones(1000), requires_grad=True)
    y = (x * 2).exp()
    loss = y.sum()
    node = loss.grad_fn
    loss.backward()
    assert node.parents is None and node.saved_tensors is None
    assert y.grad_fn.parents is None


def test_intermediates_die_by_reference_counting():
    gc.disable()
    try:
        x = tg.tensor(np.ones(10), requires_grad=True)
        h = x * 2
        probe = weakref.ref(h)
        loss = (h.exp() * 3).sum()
        del h
        assert probe() is not None  # still held by the graph
        loss.backward()
        del loss
        assert probe() is None  # no cycle kept it: freed without the garbage collector
    finally:
        gc.enable()


def test_100k_op_chain_backprops_visiting_each_node_once():
    calls = [0]

    class Scale(tg.Function):
        def forward(ctx, x):
            return x * 1.0

        def backward(ctx, grad):
            calls[0] += 1
            return grad * 1.0

    x = tg.tensor(1.0, dtype=tg.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = Scale.apply(y)
    y.backward()  # no RecursionError: the walk uses an explicit stack
    assert x.grad.item() == 1.0
    assert calls[0] == 100_000  # one visit per node: the walk is linear (timed in benchmarks/scaling.py)


def test_retain_grad_on_intermediate():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0]
    assert x.grad.tolist() == [18.0, 36.0]


def test_only_requested_gradients_are_computed():
    x = tg.tensor(np.ones((3, 2)))  # data: no grad wanted
    w = tg.tensor(np.ones((2, 2)), requires_grad=True)
    (x @ w).sum().backward()
    assert x.grad is None and w.grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_custom_function_torch_style_staticmethods():
    class Double(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    Double.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


# --- in-place ops ----------------------------------------------------------------------------------


def test_inplace_on_leaf_requiring_grad_is_refused_outside_no_grad():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w.add_(1)
    with tg.no_grad():
        w.sub_(tg.tensor([0.5, 0.5]))
        w.mul_(2)
    assert w.tolist() == [1.0, 3.0]


def test_inplace_change_before_backward_is_detected():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with tg.no_grad():
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_data_assignment_is_detected_but_unsaved_inputs_are_fine():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    w.data = w.data * 0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    b = tg.tensor([1.0, 2.0], requires_grad=True)
    s = (b + 1).sum()  # Add saves nothing: changing b afterwards does not matter
    with tg.no_grad():
        b.add_(1)
    s.backward()
    assert b.grad.tolist() == [1.0, 1.0]


def test_setitem_and_fill():
    x = tg.zeros(3)
    x[1] = 5
    x[tg.tensor([0, 2])] = 1
    assert x.tolist() == [1, 5, 1]
    x.fill_(2).zero_()
    assert x.tolist() == [0, 0, 0]


# --- operators and comparisons -----------------------------------------------------------------------


def test_reflected_operators_and_numpy_on_the_left():
    x = tg.tensor([1.0, 2.0])
    assert (2 - x).tolist() == [1, 0] and (1 / x).tolist() == [1, 0.5] and (2 ** x).tolist() == [2, 4]
    y = np.array([1.0, 1.0], dtype=np.float32) + x
    assert isinstance(y, tg.Tensor) and y.tolist() == [2, 3]


def test_comparisons_give_bool_tensors_without_grad():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = x > 1.5
    assert m.dtype == np.bool_ and not m.requires_grad and m.tolist() == [False, True, True]
    assert (x == 2).tolist() == [False, True, False] and (x != 2).sum().item() == 2
    assert ((x >= 2) & (x <= 2)).tolist() == [False, True, False]
    assert (~(x < 2)).tolist() == [False, True, True]


def test_float32_stays_float32_with_python_scalars():
    x = tg.randn(4, requires_grad=True)
    y = (x * 0.5 + 2) ** 2 / 3.0 - 1
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_max_with_dim_returns_values_and_indices():
    x = tg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert tg.max(x, 1).indices.tolist() == [1, 0]
    values.sum().backward()
    assert x.grad.tolist() == [[0, 1, 0], [1, 0, 0]]
    assert x.argmax().item() == 3 and x.argmin(dim=1).tolist() == [0, 1]


def test_numpy_spellings_axis_keepdims():
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    assert x.sum(axis=1, keepdims=True).shape == (2, 1)
    assert x.mean(axis=0).tolist() == [1.5, 2.5, 3.5]


def test_dim_out_of_range_is_a_clear_error():
    with pytest.raises(IndexError, match="sum: dimension 2 is out of range"):
        tg.zeros(2, 3).sum(dim=2)


def test_matmul_errors_name_shapes_and_dtypes():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied"):
        tg.zeros(2, 3) @ tg.zeros(4, 5)
    with pytest.raises(RuntimeError, match="same dtype, got float32 and float64"):
        tg.zeros(2, 3) @ tg.zeros(3, 2, dtype=tg.float64)


def test_reshape_error():
    with pytest.raises(RuntimeError, match=r"reshape: shape \(4, 4\) is invalid for input of shape \(2, 3\)"):
        tg.zeros(2, 3).reshape(4, 4)


def test_cat_and_stack_errors():
    with pytest.raises(RuntimeError, match="cat: sizes of tensors must match"):
        tg.cat([tg.zeros(2, 3), tg.zeros(3, 2)], dim=0)
    with pytest.raises(RuntimeError, match="stack: expects each tensor to be equal size"):
        tg.stack([tg.zeros(2), tg.zeros(3)])


# --- anomaly detection -------------------------------------------------------------------------------


def test_detect_anomaly_names_the_op_and_the_line():
    x = tg.tensor([1.0, -1.0], requires_grad=True)
    with tg.detect_anomaly():
        message = r"SqrtBackward0 produced nan in its forward output(.|\n)*test_tensor.py"
        with pytest.raises(FloatingPointError, match=message):
            x.sqrt()
    y = tg.tensor([0.0, 1.0], requires_grad=True)
    with tg.detect_anomaly():
        z = y.sqrt()  # finite forward; the backward divides by sqrt(0) = 0
        with pytest.raises(FloatingPointError, match="SqrtBackward0 produced inf in its backward gradient"):
            z.sum().backward()
    assert not tg.is_anomaly_enabled()


def test_augmented_assignment_updates_in_place_under_no_grad():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    same = w
    with tg.no_grad():
        w -= 0.1 * w.grad
    assert w is same and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6], rtol=1e-6)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w += 1
    h = w * 2
    h += 1  # in the graph: out of place, and the gradient stays right
    h.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0 + 2, 4.0 + 2], rtol=1e-6)  # accumulated onto 2·w
    c = tg.ones(2)
    c *= 3
    c /= 2
    assert c.tolist() == [1.5, 1.5]


# --- gradients the walk lets ops reuse in place ------------------------------------------------------


def test_shared_gradients_are_never_changed_in_place():
    x = tg.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    w = tg.tensor([1.0, 1.0, 1.0, 1.0], requires_grad=True)
    # Add hands the same gradient array to the leaf w and to the ReLU: the ReLU must not zero it in place
    (w + x.relu()).sum().backward()
    assert w.grad.tolist() == [1, 1, 1, 1] and x.grad.tolist() == [0, 1, 0, 1]
    x.grad = None
    a, b = x.relu(), (x * 2).relu()  # one gradient array to two ReLU branches
    (a + b).sum().backward()
    assert x.grad.tolist() == [0, 3, 0, 3]
    x.grad = None
    r = x.relu()
    (r + r * 3).sum().backward()  # a node with two consumers: its gradient is a sum
    assert x.grad.tolist() == [0, 4, 0, 4]


def test_retained_graph_gives_the_same_gradients_twice_and_traces_show_true_upstreams(capsys):
    model = tg.nn.MLP(3, [5, 5], 2)
    x = tg.randn(4, 3)
    loss = tg.nn.functional.cross_entropy(model(x), tg.tensor([0, 1, 1, 0]))
    loss.backward(retain_graph=True)
    first = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    loss.backward(retain_graph=True)
    assert all(np.array_equal(a, p.grad.numpy()) for a, p in zip(first, model.parameters()))
    model.zero_grad()
    records = tg.utils.trace_backward(loss, model, printed=False)
    last = next(r for r in records if r.op == "AddmmBackward0")
    relu_layer = next(r for r in records if r.op == "AddmmBackward0 → ReluBackward0")
    # what the trace shows arriving at the hidden layer is exactly dL/dlogits @ W, not zeroed in place
    np.testing.assert_allclose(relu_layer.upstream, last.upstream @ model[4].weight.numpy(), rtol=1e-6)
    assert all(np.array_equal(a, p.grad.numpy()) for a, p in zip(first, model.parameters()))


def test_numpy_of_a_tensor_that_requires_grad_cannot_be_written_through():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    view = w.numpy()
    assert np.shares_memory(view, w.detach().numpy()) and not view.flags.writeable
    for way_in in (view, np.asarray(w), np.asarray(w * 1)):
        with pytest.raises(ValueError, match="read-only"):
            way_in[0] = 100.0  # would silently change what the pending backward uses
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])
    plain = tg.tensor([1.0, 2.0])
    assert plain.numpy() is plain.numpy() and plain.numpy().flags.writeable
    w.detach().numpy()[0] = 5.0  # detach() opts out, as in torch
    assert w.tolist() == [5.0, 2.0]


@pytest.mark.parametrize("bad", [lambda x: x.add_(tg.ones(5)), lambda x: x.mul_(tg.ones(2)),
                                 lambda x: x.copy_(tg.ones(5)), lambda x: x.fill_("a"), lambda x: x.clamp_(min="a"),
                                 lambda x: x.__setitem__(7, 1.0),
                                 lambda x: x.masked_fill_(tg.tensor([True, False, True]), "a"),
                                 lambda x: x.index_add_(0, tg.tensor([5]), tg.ones(1))])
def test_a_failed_in_place_op_changes_nothing_not_even_the_version(bad):
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = tg.tensor([1.0, 2.0, 3.0])
    y = (w * x).sum()  # saves x for backward
    with pytest.raises((ValueError, TypeError, RuntimeError, IndexError)):
        bad(x)
    assert x.tolist() == [1.0, 2.0, 3.0] and x._version == 0
    y.backward()  # still allowed: x did not change
    assert w.grad.tolist() == [1.0, 2.0, 3.0]


def test_writing_into_a_tensor_over_read_only_memory_says_so():
    w = tg.ones(3, requires_grad=True)
    t = tg.from_numpy(w.numpy())  # shares w's memory, read-only
    for write in (lambda: t.add_(1), lambda: t.__setitem__(0, 5.0), lambda: t.fill_(2), lambda: t.clamp_(0, 0.5)):
        with pytest.raises(ValueError, match="memory is read-only .* write to a .clone"):
            write()
    assert w.tolist() == [1.0, 1.0, 1.0] and t.clone().add_(1).tolist() == [2.0, 2.0, 2.0]
