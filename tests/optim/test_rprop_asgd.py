"""Rprop and ASGD against torch.optim step by step: every parameter after each of 25 steps of training a
small MLP (float64 to 1e-12, float32 to float32 rounding), options included; defaults; state round trip."""

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import nn, optim

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")

from .test_more_optimizers import mlp, run_both  # noqa: E402 - the same harness, after torch is known

CONFIGS = [
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.01, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.6, t0=5, weight_decay=0.01)),
    ("ASGD", dict(lr=0.02, t0=0, maximize=True)),
]


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_every_step_matches_torch_float64(name, kwargs):
    history, opt_o, opt_t = run_both(name, kwargs, np.float64, steps=25)
    for step, (ours, theirs) in enumerate(history):
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o, t, rtol=1e-12, atol=1e-13, err_msg=f"{name} step {step + 1}")
    assert not np.allclose(history[0][0][0], history[-1][0][0])  # it did move
    state_o, state_t = opt_o.state_dict()["state"][0], opt_t.state_dict()["state"][0]
    assert set(state_o) == set(state_t)
    for key, value in state_t.items():
        ours = state_o[key]
        ours = ours.numpy() if hasattr(ours, "numpy") else np.asarray(ours)
        np.testing.assert_allclose(ours, value.numpy(), rtol=1e-12, atol=1e-14, err_msg=key)


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_every_step_matches_torch_float32(name, kwargs):
    history, _, _ = run_both(name, kwargs, np.float32, steps=25)
    for step, (ours, theirs) in enumerate(history):
        for o, t in zip(ours, theirs):
            assert o.dtype == np.float32
            np.testing.assert_allclose(o, t, rtol=2e-5, atol=2e-6, err_msg=f"{name} step {step + 1}")


@pytest.mark.parametrize("name", ["Rprop", "ASGD"])
def test_defaults_match_torch(name):
    ours = getattr(optim, name)([tg.nn.Parameter(tg.zeros(2))]).defaults
    theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))]).defaults
    assert set(ours) == set(theirs)
    for key, value in ours.items():
        assert theirs[key] == value, key


@pytest.mark.parametrize("name", ["Rprop", "ASGD"])
def test_state_dict_round_trip_continues_the_same(name):
    tg.manual_seed(0)
    model, clone = mlp(tg), mlp(tg)
    opt = getattr(optim, name)(model.parameters(), lr=0.02)
    x, y = tg.randn(8, 4), tg.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    for _ in range(3):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    clone.load_state_dict(model.state_dict())
    opt2 = getattr(optim, name)(clone.parameters(), lr=0.02)
    opt2.load_state_dict(opt.state_dict())
    for m, o in ((model, opt), (clone, opt2)):
        o.zero_grad()
        nn.functional.cross_entropy(m(x), y).backward()
        o.step()
    for a, b in zip(model.parameters(), clone.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_bad_hyperparameters_are_refused_as_torch():
    for lib in (tg, torch):
        p = [lib.nn.Parameter(lib.zeros(2))]
        with pytest.raises(ValueError, match="Invalid eta values"):
            lib.optim.Rprop(p, etas=(1.2, 0.5))
        with pytest.raises(ValueError, match="Invalid learning rate"):
            lib.optim.ASGD(p, lr=-1)
