"""Optimizers: closed-form updates on a quadratic; 25 training steps against torch (float64)."""

import math

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import nn, optim

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed: pip install -e '.[torch]'")

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=1e-3)),
    ("SGD", dict(lr=0.05, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
]


def mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 6), lib.nn.ReLU(),
                             lib.nn.Linear(6, 3))


@needs_torch
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_training_matches_torch(name, kwargs):
    tg.set_default_dtype(np.float64)
    ours = mlp(tg)
    theirs = mlp(torch).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    opt_o = getattr(optim, name)(ours.parameters(), **kwargs)
    opt_t = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    rng = np.random.default_rng(0)
    losses_o, losses_t = [], []
    for _ in range(25):
        x, y = rng.standard_normal((16, 4)), rng.integers(0, 3, 16)
        opt_o.zero_grad()
        loss = nn.functional.cross_entropy(ours(tg.tensor(x)), tg.tensor(y))
        loss.backward()
        opt_o.step()
        losses_o.append(loss.item())
        opt_t.zero_grad()
        loss_t = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        loss_t.backward()
        opt_t.step()
        losses_t.append(loss_t.item())
    np.testing.assert_allclose(losses_o, losses_t, rtol=1e-6, atol=1e-9)
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-6, atol=1e-9, err_msg=k)


def quadratic_step(opt_cls, steps, **kwargs):
    """Minimise f(w) = ½·w² (so grad = w) from w = 1, returning w after each step."""
    tg.set_default_dtype(np.float64)
    w = nn.Parameter(tg.tensor([1.0]))
    opt = opt_cls([w], **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * w * w).sum().backward()
        opt.step()
        out.append(w.item())
    return out


def test_sgd_closed_form():
    assert quadratic_step(optim.SGD, 3, lr=0.1) == pytest.approx([0.9, 0.81, 0.729])
    # momentum: buf = g at the first step, then buf = m·buf + g
    w = [1.0]
    buf = None
    for _ in range(3):
        g = w[-1]
        buf = g if buf is None else 0.9 * buf + g
        w.append(w[-1] - 0.1 * buf)
    assert quadratic_step(optim.SGD, 3, lr=0.1, momentum=0.9) == pytest.approx(w[1:])


def test_adam_closed_form_first_step_moves_by_lr():
    # at t=1, m̂ = g and v̂ = g², so the step is lr·g/(|g| + eps) ≈ lr
    assert quadratic_step(optim.Adam, 1, lr=0.1)[0] == pytest.approx(0.9, abs=1e-7)
    w, m, v = 1.0, 0.0, 0.0
    for t in range(1, 4):
        g = w
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w -= 0.1 / (1 - 0.9 ** t) * m / (math.sqrt(v) / math.sqrt(1 - 0.999 ** t) + 1e-8)
    assert quadratic_step(optim.Adam, 3, lr=0.1)[-1] == pytest.approx(w, rel=1e-12)


def test_adamw_decays_weights_decoupled():
    # zero gradient: only the decay acts, w ← w·(1 − lr·wd)
    w = nn.Parameter(tg.tensor([2.0], dtype=tg.float64))
    opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
    w.grad = tg.tensor([0.0], dtype=tg.float64)
    opt.step()
    assert w.item() == pytest.approx(2.0 * 0.95)


def test_rmsprop_and_adagrad_closed_form():
    s = 0.01 * 1.0  # (1 − α)·g²
    assert quadratic_step(optim.RMSprop, 1, lr=0.01)[0] == pytest.approx(1 - 0.01 / (math.sqrt(s) + 1e-8))
    assert quadratic_step(optim.Adagrad, 1, lr=0.1)[0] == pytest.approx(1 - 0.1 / (1 + 1e-10))


@pytest.mark.parametrize("cls,kwargs,words", [
    (optim.SGD, dict(lr=-0.1), "invalid learning rate"),
    (optim.SGD, dict(lr=0.1, momentum=-1), "invalid momentum"),
    (optim.Adam, dict(lr=0.1, betas=(0.9, 1.0)), "invalid betas"),
    (optim.Adam, dict(lr=0.1, betas=(-0.1, 0.9)), "invalid betas"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "Nesterov momentum requires"),
    (optim.Adam, dict(lr=0.1, weight_decay=-1), "invalid weight_decay"),
])
def test_invalid_hyperparameters(cls, kwargs, words):
    with pytest.raises(ValueError, match=words):
        cls([nn.Parameter(tg.zeros(1))], **kwargs)


def test_empty_and_duplicate_parameters_are_refused():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    p = nn.Parameter(tg.zeros(1))
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def test_param_groups_have_their_own_lr():
    a, b = nn.Parameter(tg.tensor([1.0])), nn.Parameter(tg.tensor([1.0]))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = tg.tensor([1.0]), tg.tensor([1.0])
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.5)
    c = nn.Parameter(tg.tensor([1.0]))
    opt.add_param_group({"params": c, "lr": 1.0})
    assert opt.param_groups[2]["momentum"] == 0 and len(opt.param_groups) == 3


def test_step_with_closure_returns_loss():
    w = nn.Parameter(tg.tensor([1.0]))
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 1.0 and w.item() == pytest.approx(0.8)


def test_parameter_stepped_between_forward_and_backward_is_detected():
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(tg.ones(1, 2)).sum().backward()
    loss = model(tg.ones(1, 2)).sum()
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_optimizer_state_dict_resume_is_bit_exact(name, kwargs, tmp_path):
    def batches():
        rng = np.random.default_rng(3)
        return [(rng.standard_normal((8, 4)), rng.integers(0, 3, 8)) for _ in range(10)]

    def train(model, opt, data):
        for x, y in data:
            opt.zero_grad()
            nn.functional.cross_entropy(model(tg.tensor(x, dtype=tg.float32)), tg.tensor(y)).backward()
            opt.step()

    tg.manual_seed(0)
    straight = mlp(tg)
    opt = getattr(optim, name)(straight.parameters(), **kwargs)
    train(straight, opt, batches())

    tg.manual_seed(0)
    first = mlp(tg)
    opt1 = getattr(optim, name)(first.parameters(), **kwargs)
    train(first, opt1, batches()[:5])
    tg.save({"model": first.state_dict(), "optimizer": opt1.state_dict()}, tmp_path / "ckpt.npz")

    resumed = mlp(tg)
    opt2 = getattr(optim, name)(resumed.parameters(), **kwargs)
    ckpt = tg.load(tmp_path / "ckpt.npz")
    resumed.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optimizer"])
    train(resumed, opt2, batches()[5:])
    for k, v in straight.state_dict().items():
        assert np.array_equal(v.numpy(), resumed.state_dict()[k].numpy()), k
