"""Initialisers: gains, fans and the statistics of what they draw (against torch when present)."""

import math

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import nn
from tinygrad_mlp.nn import init

try:
    import torch
except ImportError:
    torch = None


@pytest.mark.parametrize("name,param,value", [
    ("linear", None, 1.0), ("identity", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("selu", None, 0.75),
])
def test_calculate_gain_table(name, param, value):
    assert init.calculate_gain(name, param) == pytest.approx(value)
    if torch is not None and name != "identity":  # torch's table has no "identity" entry
        assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_unknown_nonlinearity_lists_choices():
    with pytest.raises(ValueError, match="valid: .*relu"):
        init.calculate_gain("swishy")


SHAPE = (600, 400)  # fan_out 600, fan_in 400
EXPECTED_STD = {
    "xavier_uniform_": math.sqrt(2 / 1000),
    "xavier_normal_": math.sqrt(2 / 1000),
    "kaiming_uniform_": math.sqrt(2) / math.sqrt(400),
    "kaiming_normal_": math.sqrt(2) / math.sqrt(400),
    "kaiming_normal_fan_out_tanh": (5 / 3) / math.sqrt(600),
    "normal_": 0.003,
    "uniform_": 2 / math.sqrt(12),
    "trunc_normal_": None,
    "orthogonal_": 1 / math.sqrt(600),
}


def run(lib_init, name, tensor):
    if name == "kaiming_normal_fan_out_tanh":
        return lib_init.kaiming_normal_(tensor, mode="fan_out", nonlinearity="tanh")
    if name.startswith("kaiming"):
        return getattr(lib_init, name)(tensor, nonlinearity="relu")
    if name == "normal_":
        return lib_init.normal_(tensor, 0.0, 0.003)
    if name == "uniform_":
        return lib_init.uniform_(tensor, -1.0, 1.0)
    if name == "trunc_normal_":
        return lib_init.trunc_normal_(tensor, mean=0.0, std=1.0, a=-1.0, b=1.5)
    return getattr(lib_init, name)(tensor)


@pytest.mark.parametrize("name", sorted(EXPECTED_STD))
def test_init_statistics(name):
    w = nn.Parameter(tg.empty(*SHAPE))
    before = w._version
    assert run(init, name, w) is w and w._version > before
    ours = w.numpy()
    if name != "trunc_normal_":  # truncated to [-1, 1.5]: its mean is not 0
        assert abs(ours.mean()) < 0.02 * max(ours.std(), 1e-3)
    if EXPECTED_STD[name] is not None:
        assert ours.std() == pytest.approx(EXPECTED_STD[name], rel=0.02)
    if torch is not None:
        t = torch.empty(*SHAPE)
        run(torch.nn.init, name, t)
        assert ours.std() == pytest.approx(t.std().item(), rel=0.02)
        assert ours.mean() == pytest.approx(t.mean().item(), abs=0.02 * float(ours.std()))
        if name.endswith("uniform_"):  # same support: the extremes agree
            assert ours.min() == pytest.approx(t.min().item(), rel=0.01)
            assert ours.max() == pytest.approx(t.max().item(), rel=0.01)
    if name == "trunc_normal_":
        assert ours.min() >= -1.0 and ours.max() <= 1.5
    if name == "orthogonal_":
        np.testing.assert_allclose(ours.T @ ours, np.eye(400), atol=1e-4)


def test_init_is_reproducible_and_rejects_vectors():
    a, b = nn.Parameter(tg.empty(3, 4)), nn.Parameter(tg.empty(3, 4))
    tg.manual_seed(1)
    init.xavier_uniform_(a)
    tg.manual_seed(1)
    init.xavier_uniform_(b)
    assert a.equal(b)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(nn.Parameter(tg.empty(3)))
    with pytest.raises(ValueError, match="fan_in"):
        init.kaiming_uniform_(a, mode="fan_middle")
    init.constant_(a, 0.5)
    init.zeros_(b)
    assert a.numpy().min() == 0.5 and b.numpy().max() == 0
    init.ones_(b)
    assert b.numpy().min() == 1
