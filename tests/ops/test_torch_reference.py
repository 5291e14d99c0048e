"""Forward and backward of every op against PyTorch in float64 (skipped without torch)."""

import numpy as np
import pytest

import tinygrad_mlp as tg
import tinygrad_mlp.functional as F

from .cases import CASES, make_inputs

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")


class Ours:
    lib = tg
    F = F

    @staticmethod
    def const(a):
        return tg.tensor(a)


class Torch:
    lib = torch
    F = torch.nn.functional

    @staticmethod
    def const(a):
        return torch.tensor(a)


def assert_close(ours, theirs, what):
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10, err_msg=what)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_torch(case):
    check_against_torch(case)


def check_against_torch(case):
    """The case's forward and every input's gradient against torch, in float64."""
    tg.set_default_dtype(np.float64)
    arrays = make_inputs(case, seed=1)
    ours_in = [tg.tensor(a, requires_grad=True) for a in arrays]
    torch_in = [torch.tensor(a, requires_grad=True) for a in arrays]

    ours_out = case.fn(Ours, *ours_in)
    torch_out = (case.torch_fn or case.fn)(Torch, *torch_in)
    assert tuple(ours_out.shape) == tuple(torch_out.shape)
    assert_close(ours_out.numpy(), torch_out.detach().numpy(), f"{case.name}: forward")

    v = np.random.default_rng(2).standard_normal(tuple(ours_out.shape))
    (ours_out * tg.tensor(v)).sum().backward()
    (torch_out * torch.tensor(v)).sum().backward()
    for i, (o, t) in enumerate(zip(ours_in, torch_in)):
        t_grad = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        o_grad = np.zeros(o.shape) if o.grad is None else o.grad.numpy()
        assert_close(o_grad, t_grad, f"{case.name}: gradient of input {i}")


@pytest.mark.parametrize("x", [-1e4, -800.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 800.0, 1e4])
def test_stable_activations_match_torch_at_extremes(x):
    xs = np.array([x, -x, 0.5], dtype=np.float64)
    for name in ["sigmoid", "tanh", "softplus", "silu", "gelu", "elu", "selu", "log_softmax", "softmax"]:
        ours = tg.tensor(xs, requires_grad=True)
        theirs = torch.tensor(xs, requires_grad=True)
        o = getattr(F, name)(ours) if "softmax" not in name else getattr(F, name)(ours, dim=0)
        t = getattr(torch.nn.functional, name)(theirs) if "softmax" not in name else \
            getattr(torch.nn.functional, name)(theirs, dim=0)
        assert np.all(np.isfinite(o.numpy())), name
        assert_close(o.numpy(), t.detach().numpy(), f"{name}({x}) forward")
        o.sum().backward()
        t.sum().backward()
        assert_close(ours.grad.numpy(), theirs.grad.numpy(), f"{name}({x}) gradient")
