"""Layers against torch (float64) and their own invariants."""

import math

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import nn

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed: pip install -e '.[torch]'")


def copy_to_torch(ours, theirs):
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


@needs_torch
@pytest.mark.parametrize("name,make", [
    ("relu", lambda m: m.ReLU()), ("leaky", lambda m: m.LeakyReLU(0.2)), ("elu", lambda m: m.ELU(0.5)),
    ("selu", lambda m: m.SELU()), ("sigmoid", lambda m: m.Sigmoid()), ("tanh", lambda m: m.Tanh()),
    ("softplus", lambda m: m.Softplus(beta=2.0, threshold=5.0)), ("gelu", lambda m: m.GELU()),
    ("gelu_tanh", lambda m: m.GELU(approximate="tanh")), ("silu", lambda m: m.SiLU()),
    ("softmax", lambda m: m.Softmax(dim=1)), ("log_softmax", lambda m: m.LogSoftmax(dim=1)),
    ("identity", lambda m: m.Identity()), ("flatten", lambda m: m.Flatten()),
])
def test_activation_modules_match_torch(name, make):
    x = np.random.default_rng(0).standard_normal((4, 5)) * 3
    ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    o, t = make(nn)(ours), make(torch.nn)(theirs)
    np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    (o * o).sum().backward()
    (t * t).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("shape", [(8, 3), (6, 3, 4)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm1d_matches_torch_in_train_and_eval(shape, momentum):
    tg.set_default_dtype(np.float64)
    ours, theirs = nn.BatchNorm1d(3, momentum=momentum), torch.nn.BatchNorm1d(3, momentum=momentum).double()
    with tg.no_grad():
        ours.weight.uniform_(0.5, 1.5)
        ours.bias.uniform_(-1, 1)
    copy_to_torch(ours, theirs)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.standard_normal(shape) * 2 + 1
        xo, xt = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        o, t = ours(xo), theirs(xt)
        np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-12)
        (o ** 3).sum().backward()
        (t ** 3).sum().backward()
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-8)
    for key in ["running_mean", "running_var", "num_batches_tracked"]:
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), theirs.state_dict()[key].numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)


@needs_torch
def test_layernorm_matches_torch():
    tg.set_default_dtype(np.float64)
    ours, theirs = nn.LayerNorm((3, 4)), torch.nn.LayerNorm((3, 4)).double()
    with tg.no_grad():
        ours.weight.normal_()
        ours.bias.normal_()
    copy_to_torch(ours, theirs)
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    xo, xt = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    o, t = ours(xo), theirs(xt)
    np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-12)
    (o ** 2 * tg.tensor(x)).sum().backward()
    (t ** 2 * torch.tensor(x)).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-9)


def test_norm_layers_gradcheck():
    tg.set_default_dtype(np.float64)
    bn, ln = nn.BatchNorm1d(3), nn.LayerNorm(3)
    x = tg.randn(5, 3, requires_grad=True)
    assert tg.gradcheck(lambda x: bn(x) * tg.arange(3.0), [x])
    assert tg.gradcheck(lambda x: ln(x) * tg.arange(3.0), [x])


def test_dropout_is_inverted_reproducible_and_off_in_eval():
    layer = nn.Dropout(0.25)
    x = tg.ones(200, 500)
    tg.manual_seed(3)
    a = layer(x)
    tg.manual_seed(3)
    b = layer(x)
    assert a.equal(b)
    kept = a.numpy() != 0
    assert abs(kept.mean() - 0.75) < 0.01
    assert np.allclose(a.numpy()[kept], 1 / 0.75)
    assert abs(a.numpy().mean() - 1.0) < 0.02
    layer.eval()
    assert layer(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    assert not tg.functional.dropout(x, 1.0).numpy().any()


def test_linear_default_init_bounds_match_torch_rule():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = layer.weight.numpy()
    assert w.min() >= -bound and w.max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert layer.bias.numpy().min() >= -bound and layer.bias.numpy().max() <= bound
    tg.manual_seed(5)
    a = nn.Linear(3, 2).weight.numpy().copy()
    tg.manual_seed(5)
    assert np.array_equal(a, nn.Linear(3, 2).weight.numpy())


@pytest.mark.parametrize("shape", [(5, 4), (2, 5, 4), (4,)])
def test_fused_linear_relu_gives_the_same_numbers_as_two_ops(shape):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3), nn.ReLU(), nn.Linear(3, 2))
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    results = []
    for fuse in (True, False):
        model.fuse_linear_relu = fuse
        model.zero_grad()
        xt = tg.tensor(x, requires_grad=True)
        out = model(xt)
        assert (out.grad_fn.parents[0].grad_fn.name() == "AddmmBackward0 → ReluBackward0") == fuse
        (out * out).sum().backward()
        results.append((out.numpy().copy(), xt.grad.numpy().copy(), [p.grad.numpy().copy() for p in
                                                                       model.parameters()]))
    (o1, g1, p1), (o2, g2, p2) = results
    assert np.array_equal(o1, o2) and np.array_equal(g1, g2) and all(np.array_equal(a, b) for a, b in zip(p1, p2))
    x64 = tg.tensor(x.astype(np.float64), requires_grad=True)
    model.double()
    model.fuse_linear_relu = True
    assert tg.gradcheck(lambda t: model(t), [x64])


def test_a_hook_keeps_linear_and_relu_separate():
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU())
    seen = []
    model[1].register_forward_hook(lambda m, i, o: seen.append(o.shape))
    out = model(tg.randn(2, 4))
    assert seen == [(2, 6)] and out.grad_fn.name() == "ReluBackward0"
