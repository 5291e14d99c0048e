"""Learning-rate schedules step by step against torch's, and their own state round trip."""

import math

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import nn, optim
from tinygrad_mlp.optim import lr_scheduler as S

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed: pip install -e '.[torch]'")


def make(lib, opt_name, opt_kwargs, sched):
    params = [lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(1))]
    opt = getattr(lib.optim, opt_name)([{"params": params[:1]}, {"params": params[1:], "lr": 0.05}],
                                       **opt_kwargs)
    return opt, sched(lib.optim.lr_scheduler, opt)


SCHEDULES = {
    "step": lambda s, o: s.StepLR(o, step_size=3, gamma=0.5),
    "multistep": lambda s, o: s.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
    "exponential": lambda s, o: s.ExponentialLR(o, gamma=0.9),
    "cosine": lambda s, o: s.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "cosine_restarts": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-4),
    "linear_warmup": lambda s, o: s.LinearLR(o, start_factor=0.1, total_iters=4),
    "linear_decay": lambda s, o: s.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=10),
    "lambda": lambda s, o: s.LambdaLR(o, lambda epoch: 0.95 ** epoch),
    "sequential": lambda s, o: s.SequentialLR(
        o, [s.LinearLR(o, start_factor=0.2, total_iters=3), s.CosineAnnealingLR(o, T_max=10)], milestones=[3]),
    "onecycle": lambda s, o: s.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=25),
    "onecycle_linear_3phase": lambda s, o: s.OneCycleLR(o, max_lr=0.4, epochs=5, steps_per_epoch=5,
                                                        anneal_strategy="linear", three_phase=True),
}


@needs_torch
@pytest.mark.parametrize("opt_name,opt_kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1))])
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_matches_torch_step_by_step(name, opt_name, opt_kwargs):
    opt_o, s_o = make(tg, opt_name, opt_kwargs, SCHEDULES[name])
    opt_t, s_t = make(torch, opt_name, opt_kwargs, SCHEDULES[name])
    for step in range(24):
        np.testing.assert_allclose(s_o.get_last_lr(), s_t.get_last_lr(), rtol=1e-12, err_msg=f"step {step}")
        for go, gt in zip(opt_o.param_groups, opt_t.param_groups):
            assert go["lr"] == pytest.approx(gt["lr"], rel=1e-12)
            if "momentum" in gt:
                assert go["momentum"] == pytest.approx(gt["momentum"], rel=1e-12)
            if "betas" in gt:
                assert go["betas"][0] == pytest.approx(gt["betas"][0], rel=1e-12)
        opt_o.step()
        opt_t.step()
        s_o.step()
        s_t.step()


@needs_torch
def test_reduce_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.9, 0.91, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]
    for kwargs in [dict(patience=2), dict(patience=1, cooldown=2, factor=0.5, min_lr=0.003),
                   dict(mode="max", threshold_mode="abs", threshold=0.01, patience=1)]:
        opt_o, _ = make(tg, "SGD", dict(lr=0.1), lambda s, o: None)
        opt_t, _ = make(torch, "SGD", dict(lr=0.1), lambda s, o: None)
        s_o = S.ReduceLROnPlateau(opt_o, **kwargs)
        s_t = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, **kwargs)
        for m in metrics:
            s_o.step(m)
            s_t.step(m)
            np.testing.assert_allclose(s_o.get_last_lr(), s_t.get_last_lr(), rtol=1e-12)


def test_closed_form_values_without_torch():
    opt, sched = make(tg, "SGD", dict(lr=0.1), lambda s, o: s.CosineAnnealingLR(o, T_max=10))
    lrs = []
    for _ in range(11):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    expected = [0.05 * (1 + math.cos(math.pi * t / 10)) for t in range(11)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=1e-15)
    opt, sched = make(tg, "SGD", dict(lr=1.0), lambda s, o: s.LinearLR(o, start_factor=0.25, total_iters=3))
    seen = []
    for _ in range(5):
        seen.append(sched.get_last_lr()[0])
        sched.step()
    np.testing.assert_allclose(seen, [0.25, 0.5, 0.75, 1.0, 1.0])


def test_scheduler_state_dict_round_trip():
    opt, sched = make(tg, "SGD", dict(lr=0.1), SCHEDULES["cosine_restarts"])
    for _ in range(4):
        sched.step()
    state = sched.state_dict()
    opt2, sched2 = make(tg, "SGD", dict(lr=0.1), SCHEDULES["cosine_restarts"])
    sched2.load_state_dict(state)
    for g, g2 in zip(opt.param_groups, opt2.param_groups):
        g2["lr"] = g["lr"]
    for _ in range(6):
        sched.step()
        sched2.step()
        assert sched.get_last_lr() == sched2.get_last_lr()


def test_onecycle_refuses_too_many_steps_and_bad_options():
    opt = optim.SGD([nn.Parameter(tg.zeros(1))], lr=0.1, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="more than total_steps"):
        sched.step()
    with pytest.raises(ValueError, match="give total_steps"):
        S.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="factor should be < 1.0"):
        S.ReduceLROnPlateau(opt, factor=2.0)
