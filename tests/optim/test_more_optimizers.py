"""Adadelta, Adamax, NAdam and RAdam against torch.optim step by step: every parameter after each of 20
steps of training a small MLP (float64 to 1e-12, float32 to float32 rounding), weight decay and the
other options included; their state through state_dict."""

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import nn, optim

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")

CONFIGS = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.05)),
    ("Adadelta", dict(lr=0.3, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, betas=(0.85, 0.995), weight_decay=0.05, momentum_decay=6e-3)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.05)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]


def mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 3))


def run_both(name, kwargs, dtype, steps=20):
    tg.set_default_dtype(dtype)
    torch.set_default_dtype(torch.float64 if dtype == np.float64 else torch.float32)  # (NAdam's float state)
    try:
        ours = mlp(tg)
        theirs = mlp(torch).to(torch.float64 if dtype == np.float64 else torch.float32)
        theirs.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()})
        opt_o = getattr(optim, name)(ours.parameters(), **kwargs)
        opt_t = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
        rng = np.random.default_rng(0)
        history = []
        for _ in range(steps):
            x, y = rng.standard_normal((16, 4)).astype(dtype), rng.integers(0, 3, 16)
            opt_o.zero_grad()
            nn.functional.cross_entropy(ours(tg.tensor(x)), tg.tensor(y)).backward()
            opt_o.step()
            opt_t.zero_grad()
            torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
            opt_t.step()
            history.append(([p.detach().numpy().copy() for p in ours.parameters()],
                            [p.detach().numpy().copy() for p in theirs.parameters()]))
        return history, opt_o, opt_t
    finally:
        tg.set_default_dtype(np.float32)
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_every_step_matches_torch_float64(name, kwargs):
    history, opt_o, opt_t = run_both(name, kwargs, np.float64)
    for step, (ours, theirs) in enumerate(history):
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o, t, rtol=1e-12, atol=1e-13, err_msg=f"{name} step {step + 1}")
    assert not np.allclose(history[0][0][0], history[-1][0][0])  # it did move
    state_o = opt_o.state_dict()["state"][0]
    state_t = opt_t.state_dict()["state"][0]
    for key, value in state_t.items():
        if key == "step":
            assert state_o[key] == value.item() == 20
        else:
            np.testing.assert_allclose(np.asarray(state_o[key].numpy()), value.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,kwargs", CONFIGS[::3], ids=lambda c: str(c))
def test_every_step_matches_torch_float32(name, kwargs):
    history, _, _ = run_both(name, kwargs, np.float32)
    for step, (ours, theirs) in enumerate(history):
        for o, t in zip(ours, theirs):
            assert o.dtype == np.float32
            np.testing.assert_allclose(o, t, rtol=2e-5, atol=2e-6, err_msg=f"{name} step {step + 1}")


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam"])
def test_defaults_match_torch(name):
    ours = getattr(optim, name)([tg.nn.Parameter(tg.zeros(2))]).defaults
    theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))]).defaults
    for key, value in ours.items():
        assert theirs[key] == value, key


def test_state_dict_round_trip_continues_the_same():
    tg.manual_seed(0)
    model = mlp(tg)
    opt = optim.NAdam(model.parameters(), lr=0.01)
    x, y = tg.randn(8, 4), tg.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    for _ in range(3):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    clone = mlp(tg)
    clone.load_state_dict(model.state_dict())
    opt2 = optim.NAdam(clone.parameters(), lr=0.01)
    opt2.load_state_dict(opt.state_dict())
    for m, o in ((model, opt), (clone, opt2)):
        o.zero_grad()
        nn.functional.cross_entropy(m(x), y).backward()
        o.step()
    for a, b in zip(model.parameters(), clone.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_bad_hyperparameters_are_refused():
    p = [tg.nn.Parameter(tg.zeros(2))]
    with pytest.raises(ValueError, match="rho"):
        optim.Adadelta(p, rho=1.5)
    with pytest.raises(ValueError, match="betas"):
        optim.RAdam(p, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="momentum_decay"):
        optim.NAdam(p, momentum_decay=-1)


# --- learning-rate schedules ---------------------------------------------------------------------------------
SCHEDULES = {
    "multiplicative": lambda s, o: s.MultiplicativeLR(o, lambda epoch: 0.9 if epoch % 2 else 0.97),
    "constant": lambda s, o: s.ConstantLR(o, factor=0.25, total_iters=4),
    "constant_default": lambda s, o: s.ConstantLR(o),
    "polynomial": lambda s, o: s.PolynomialLR(o, total_iters=8, power=2.0),
    "polynomial_default": lambda s, o: s.PolynomialLR(o),
    "multistep": lambda s, o: s.MultiStepLR(o, milestones=[3, 7], gamma=0.5),
    "lambda_per_group": lambda s, o: s.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e]),
    "linear": lambda s, o: s.LinearLR(o, start_factor=0.5, end_factor=0.1, total_iters=6),
    "sequential_constant_exponential": lambda s, o: s.SequentialLR(
        o, [s.ConstantLR(o, factor=0.1, total_iters=2), s.ExponentialLR(o, gamma=0.9)], milestones=[2]),
    "cyclic_triangular": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3),
    "cyclic_triangular2": lambda s, o: s.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=2,
                                                  step_size_down=5, mode="triangular2"),
    "cyclic_exp_range": lambda s, o: s.CyclicLR(o, base_lr=0.001, max_lr=0.05, step_size_up=4, mode="exp_range",
                                                gamma=0.9, base_momentum=0.7, max_momentum=0.95),
    "cyclic_scale_fn": lambda s, o: s.CyclicLR(o, base_lr=0.001, max_lr=0.05, step_size_up=2,
                                               scale_fn=lambda x: 1 / (x + 1), scale_mode="iterations",
                                               cycle_momentum=False),
}


def make_scheduled(lib, opt_name, sched):
    params = [lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(1))]
    kwargs = dict(lr=0.1, momentum=0.9) if opt_name == "SGD" else dict(lr=0.1)
    opt = getattr(lib.optim, opt_name)([{"params": params[:1]}, {"params": params[1:], "lr": 0.05}], **kwargs)
    return opt, sched(lib.optim.lr_scheduler, opt)


def _momentum(group):
    return group["betas"][0] if "betas" in group else group.get("momentum")


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_matches_torch_epoch_by_epoch(name, opt_name):
    opt_o, s_o = make_scheduled(tg, opt_name, SCHEDULES[name])
    opt_t, s_t = make_scheduled(torch, opt_name, SCHEDULES[name])
    for epoch in range(20):
        assert s_o.get_last_lr() == pytest.approx(s_t.get_last_lr(), rel=1e-13, abs=1e-15), (name, epoch)
        for g_o, g_t in zip(opt_o.param_groups, opt_t.param_groups):
            assert g_o["lr"] == pytest.approx(g_t["lr"], rel=1e-13, abs=1e-15), (name, epoch)
            assert _momentum(g_o) == pytest.approx(_momentum(g_t), rel=1e-13), (name, epoch)
        opt_o.step()
        opt_t.step()
        s_o.step()
        s_t.step()


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", ["constant", "polynomial"])
def test_schedule_step_with_epoch_uses_the_closed_form(name):
    opt_o, s_o = make_scheduled(tg, "SGD", SCHEDULES[name])
    opt_t, s_t = make_scheduled(torch, "SGD", SCHEDULES[name])
    for epoch in (3, 1, 6, 4, 10):
        s_o.step(epoch)
        s_t.step(epoch)
        assert s_o.get_last_lr() == pytest.approx(s_t.get_last_lr(), rel=1e-13, abs=1e-15), epoch


def test_schedule_arguments_are_checked_as_torch():
    opt = optim.SGD([tg.nn.Parameter(tg.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="between 0 and 1"):
        optim.lr_scheduler.ConstantLR(opt, factor=1.5)
    with pytest.raises(ValueError, match="momentum"):
        optim.lr_scheduler.CyclicLR(optim.Adagrad([tg.nn.Parameter(tg.zeros(1))]), 0.01, 0.1)
    with pytest.raises(ValueError, match="mode is invalid"):
        optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, mode="sawtooth")
    with pytest.raises(ValueError, match="same length"):
        optim.lr_scheduler.CyclicLR(opt, [0.01, 0.02], 0.1)


def test_cyclic_state_dict_round_trip():
    opt, sched = make_scheduled(tg, "SGD", SCHEDULES["cyclic_triangular2"])
    for _ in range(5):
        opt.step()
        sched.step()
    opt2, sched2 = make_scheduled(tg, "SGD", SCHEDULES["cyclic_triangular2"])
    sched2.load_state_dict(sched.state_dict())
    opt.step()
    sched.step()
    sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr()
