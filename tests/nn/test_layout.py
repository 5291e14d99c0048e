"""Memory layout: nn.Linear keeps a large (out, in) weight column-major (faster products on OpenBLAS)
and a small one row-major; gradients, optimizer state and work buffers must follow the parameter's
layout, or every update runs over mismatched strides (~5x slower, same numbers) — these tests catch
that without timing."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_mlp as tg
from tinygrad_mlp import nn, optim


def layout(a: np.ndarray) -> tuple:
    return a.flags.c_contiguous, a.flags.f_contiguous


def reference_grads(x, W, b, upstream, relu):
    """float64 gradients of sum(upstream * act(x Wᵀ + b)) by hand."""
    z = x @ W.T + b
    g = upstream * (z > 0) if relu else upstream
    return g @ W, g.T @ x, g.sum(0)


def test_large_weights_are_column_major_and_small_ones_row_major():
    big, small = nn.Linear(784, 256), nn.Linear(4, 3)
    assert big.weight.shape == (256, 784) and layout(big.weight.numpy()) == (False, True)
    assert small.weight.shape == (3, 4) and layout(small.weight.numpy()) == (True, False)
    assert nn.Linear(64, 64).weight.numpy().flags.f_contiguous  # 4,096 elements: the threshold
    assert nn.Linear(63, 64).weight.numpy().flags.c_contiguous


@settings(max_examples=60, deadline=None)
@given(batch=st.integers(1, 6), n_in=st.integers(1, 7), n_out=st.integers(1, 7), relu=st.booleans(),
       order=st.sampled_from("CF"), seed=st.integers(0, 2**16))
def test_linear_gradients_equal_the_formula_in_either_layout(batch, n_in, n_out, relu, order, seed):
    rng = np.random.default_rng(seed)
    layer = nn.Linear(n_in, n_out, dtype=np.float64)
    layer.weight._data = np.asarray(layer.weight._data, order=order)
    assert layer.weight.shape == (n_out, n_in)
    x = tg.tensor(rng.standard_normal((batch, n_in)), dtype=tg.float64, requires_grad=True)
    upstream = rng.standard_normal((batch, n_out))
    out = layer.forward_relu(x) if relu else layer(x)
    (out * tg.tensor(upstream, dtype=tg.float64)).sum().backward()
    gx, gw, gb = reference_grads(x.numpy(), layer.weight.numpy(), layer.bias.numpy(), upstream, relu)
    np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.numpy(), gw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.numpy(), gb, rtol=1e-12, atol=1e-12)
    assert layout(layer.weight.grad.numpy()) == layout(layer.weight.numpy())


def test_row_major_and_column_major_weights_give_the_same_training():
    """The engine follows whatever layout a weight has: a row-major copy trains to the same numbers."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 6)), rng.integers(0, 3, 16)
    models = []
    for order in ("F", "C"):
        tg.manual_seed(3)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)).double()  # (row-major as built)
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight._data = np.asarray(m.weight._data, order=order)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(5):
            opt.zero_grad()
            nn.functional.cross_entropy(model(tg.tensor(x, dtype=tg.float64)), tg.tensor(y)).backward()
            opt.step()
        models.append(model)
        first = model[0].weight
        assert layout(first.grad.numpy()) == layout(first.numpy()) == ((False, True) if order == "F" else (True, False))
    for (name, a), (_, b) in zip(models[0].state_dict().items(), models[1].state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-13, err_msg=name)


OPTIMIZERS = [
    (optim.SGD, dict(lr=0.1, momentum=0.9)),  # (plain SGD keeps no state)
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.01, weight_decay=0.01, amsgrad=True)),
    (optim.AdamW, dict(lr=0.01)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (optim.Adagrad, dict(lr=0.1)),
]


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_optimizer_state_follows_each_parameter_layout(cls, kwargs, tmp_path):
    model = nn.Sequential(nn.Linear(80, 70), nn.ReLU(), nn.Linear(70, 2))  # a column- and a row-major weight
    assert model[0].weight.numpy().flags.f_contiguous and model[2].weight.numpy().flags.c_contiguous
    opt = cls(model.parameters(), **kwargs)
    x, y = tg.randn(9, 80), tg.tensor(np.arange(9) % 2)
    for _ in range(2):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    checked = 0
    for p in model.parameters():
        for key, value in opt.state[p].items():
            if isinstance(value, np.ndarray) and value.shape == p.shape:
                assert layout(value) == layout(p._data), (key, p.shape)
                checked += 1
    assert checked >= 2
    # and a saved-and-loaded state comes back in the parameters' layout
    tg.save(opt.state_dict(), tmp_path / "opt.npz")
    fresh = cls(model.parameters(), **kwargs)
    fresh.load_state_dict(tg.load(tmp_path / "opt.npz"))
    for p in model.parameters():
        for key, value in fresh.state[p].items():
            if isinstance(value, np.ndarray) and value.shape == p.shape:
                assert layout(value) == layout(p._data), (key, p.shape)
                np.testing.assert_array_equal(value, opt.state[p][key])


def test_work_buffers_are_shared_between_parameters():
    """One work array for the whole model (updates run one at a time), not one per parameter."""
    model = nn.Sequential(nn.Linear(300, 20), nn.ReLU(), nn.Linear(20, 4), nn.ReLU(), nn.Linear(4, 2))
    extra = nn.Parameter(tg.zeros(3, dtype=tg.float64))  # another dtype gets its own buffer
    opt = optim.SGD(list(model.parameters()) + [extra], lr=0.1, momentum=0.9)  # (plain SGD needs no work array)
    nn.functional.cross_entropy(model(tg.randn(8, 300)), tg.tensor(np.arange(8) % 2)).backward()
    extra.grad = tg.ones(3, dtype=tg.float64)
    before = [p.numpy().copy() for p in model.parameters()]
    opt.step()
    scratches = [opt.state[p]["_scratch"] for p in model.parameters()]
    assert all(np.shares_memory(s, scratches[0]) for s in scratches)
    assert not np.shares_memory(opt.state[extra]["_scratch"], scratches[0])
    assert opt.state[extra]["_scratch"].dtype == np.float64
    for p, b in zip(model.parameters(), before):  # and each first update is still p - lr * grad
        np.testing.assert_allclose(p.numpy(), b - np.float32(0.1) * p.grad.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(extra.numpy(), -0.1 * np.ones(3))


def test_loading_a_row_major_state_dict_keeps_the_column_major_weight(tmp_path):
    layer = nn.Linear(128, 64)
    W = np.arange(64 * 128, dtype=np.float32).reshape(64, 128)  # C order, as torch or a user would give it
    layer.load_state_dict({"weight": W, "bias": np.zeros(64, np.float32)})
    assert layer.weight._data.flags.f_contiguous
    np.testing.assert_array_equal(layer.weight.numpy(), W)
    np.testing.assert_array_equal(layer(tg.eye(128)).numpy(), W.T)
    tg.save(layer.state_dict(), tmp_path / "layer.npz")  # and a save/load round trip keeps values and layout
    again = nn.Linear(128, 64)
    again.load_state_dict(tg.load(tmp_path / "layer.npz"))
    assert again.weight._data.flags.f_contiguous
    np.testing.assert_array_equal(again.weight.numpy(), W)
