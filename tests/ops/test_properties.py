"""Property tests over random shapes and values: forward equals the numpy expression and
backward equals finite differences."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays, mutually_broadcastable_shapes

import tinygrad_mlp as tg

finite = st.floats(-3, 3, allow_nan=False, width=64)
positive = st.floats(0.3, 3, width=64)


def t64(a):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


BINARY = {
    "add": (lambda x, y: x + y, np.add),
    "sub": (lambda x, y: x - y, np.subtract),
    "mul": (lambda x, y: x * y, np.multiply),
    "maximum": (lambda x, y: x.maximum(y), np.maximum),
}


@given(st.sampled_from(sorted(BINARY)), mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       st.data())
def test_binary_broadcasting_forward_and_backward(name, shapes, data):
    ours, ref = BINARY[name]
    a = data.draw(arrays(np.float64, shapes.input_shapes[0], elements=finite))
    b = data.draw(arrays(np.float64, shapes.input_shapes[1], elements=finite))
    if name == "maximum":  # keep away from ties, where the derivative jumps
        b = b + 0.01 + np.where(np.abs(np.subtract(a, b)) < 1e-3, 0.1, 0.0)
    x, y = t64(a), t64(b)
    out = ours(x, y)
    np.testing.assert_allclose(out.numpy(), ref(a, b), rtol=1e-12)
    assert out.shape == shapes.result_shape
    assert tg.gradcheck(ours, [x, y])


@given(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), st.data())
def test_division_broadcasting(shapes, data):
    a = data.draw(arrays(np.float64, shapes.input_shapes[0], elements=finite))
    b = data.draw(arrays(np.float64, shapes.input_shapes[1], elements=positive))
    x, y = t64(a), t64(b)
    np.testing.assert_allclose((x / y).numpy(), a / b, rtol=1e-12)
    assert tg.gradcheck(lambda x, y: x / y, [x, y])


UNARY = {
    "exp": (lambda x: x.exp(), np.exp, finite),
    "log": (lambda x: x.log(), np.log, positive),
    "sqrt": (lambda x: x.sqrt(), np.sqrt, positive),
    "tanh": (lambda x: x.tanh(), np.tanh, finite),
    "sigmoid": (lambda x: x.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), finite),
    "softplus": (lambda x: x.softplus(), lambda a: np.log1p(np.exp(a)), finite),
    "pow3": (lambda x: x ** 3, lambda a: a ** 3, finite),
    "silu": (lambda x: x.silu(), lambda a: a / (1 + np.exp(-a)), finite),
}


@given(st.sampled_from(sorted(UNARY)), st.data())
def test_unary_forward_and_backward(name, data):
    ours, ref, elements = UNARY[name]
    a = data.draw(arrays(np.float64, array_shapes(min_dims=0, max_dims=3, max_side=4), elements=elements))
    x = t64(a)
    np.testing.assert_allclose(ours(x).numpy(), ref(a), rtol=1e-10, atol=1e-12)
    assert tg.gradcheck(ours, [x])


@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=4, max_side=4), elements=finite), st.data(),
       st.booleans(), st.sampled_from(["sum", "mean", "logsumexp", "var"]))
def test_reductions_over_random_dims(a, data, keepdim, name):
    dims = data.draw(st.lists(st.integers(-a.ndim, a.ndim - 1), min_size=1, max_size=a.ndim,
                              unique_by=lambda d: d % a.ndim))
    dims = tuple(dims)
    x = t64(a)
    fn = {
        "sum": lambda t: t.sum(dim=dims, keepdim=keepdim),
        "mean": lambda t: t.mean(dim=dims, keepdim=keepdim),
        "logsumexp": lambda t: t.logsumexp(dim=dims, keepdim=keepdim),
        "var": lambda t: t.var(dim=dims, keepdim=keepdim, correction=0),
    }[name]
    ref = {
        "sum": lambda: a.sum(axis=dims, keepdims=keepdim),
        "mean": lambda: a.mean(axis=dims, keepdims=keepdim),
        "logsumexp": lambda: np.log(np.exp(a).sum(axis=dims, keepdims=keepdim)),
        "var": lambda: a.var(axis=dims, keepdims=keepdim),
    }[name]
    np.testing.assert_allclose(fn(x).numpy(), ref(), rtol=1e-10, atol=1e-12)
    assert tg.gradcheck(fn, [x])


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
       st.lists(st.integers(1, 3), max_size=2), st.data())
def test_matmul_random_batched_shapes(n, k, m, batch, data):
    a = data.draw(arrays(np.float64, tuple(batch) + (n, k), elements=finite))
    b = data.draw(arrays(np.float64, (k, m), elements=finite))
    x, y = t64(a), t64(b)
    np.testing.assert_allclose((x @ y).numpy(), a @ b, rtol=1e-10, atol=1e-12)
    assert tg.gradcheck(lambda x, y: x @ y, [x, y])


@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=5), elements=finite), st.data())
def test_softmax_rows_sum_to_one_and_match_log_softmax(a, data):
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    x = t64(a * 100)  # large logits: the stable forms must not overflow
    s = x.softmax(dim).numpy()
    np.testing.assert_allclose(s.sum(axis=dim), 1.0, rtol=1e-12)
    log_s = x.log_softmax(dim).numpy()
    assert np.all(np.isfinite(log_s)) and np.all(log_s <= 0)
    np.testing.assert_allclose(np.exp(log_s), s, rtol=1e-9, atol=1e-300)


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 5)), elements=finite), st.data())
def test_getitem_with_random_integer_index_sums_repeats(a, data):
    idx = data.draw(st.lists(st.integers(0, a.shape[0] - 1), min_size=1, max_size=6))
    x = t64(a)
    out = x[tg.tensor(idx)]
    np.testing.assert_array_equal(out.numpy(), a[idx])
    out.sum().backward()
    expected = np.zeros_like(a)
    for i in idx:
        expected[i] += 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)
