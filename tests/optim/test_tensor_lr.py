"""A learning rate given as a one-element tensor (``lr=torch.tensor(0.01)``), as torch takes it: every
optimizer steps as it does with the same number, schedulers move it, state_dicts carry it both ways."""

import numpy as np
import pytest

import tinygrad_mlp as tg

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")

OPTIMIZERS = [("SGD", {"momentum": 0.9}), ("Adam", {}), ("AdamW", {}), ("RMSprop", {}), ("Adagrad", {}),
              ("NAdam", {}), ("RAdam", {}), ("Adamax", {}), ("Adadelta", {})]


def trajectory(lib, name, lr, kwargs, scheduler=None, steps=6):
    """float64 weights after each step of fitting tanh(x @ W.T), with ``lr`` as given."""
    rng = np.random.default_rng(0)
    W, X = rng.standard_normal((4, 5)), rng.standard_normal((8, 5))
    if lib is torch:
        p = torch.nn.Parameter(torch.tensor(W))
        x = torch.tensor(X)
    else:
        p = tg.tensor(W, requires_grad=True)
        x = tg.tensor(X)
    opt = getattr(lib.optim, name)([p], lr=lr, **kwargs)
    sched = scheduler(lib, opt) if scheduler else None
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (x @ p.T).tanh().sum().backward()
        opt.step()
        if sched:
            sched.step()
        out.append(np.array(p.detach().numpy()))
    return np.array(out), opt


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_a_tensor_lr_steps_as_torch_does(name, kwargs):
    ours, opt = trajectory(tg, name, tg.tensor(0.05, dtype=tg.float64), kwargs)
    theirs, _ = trajectory(torch, name, torch.tensor(0.05, dtype=torch.float64), kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    same_number, _ = trajectory(tg, name, 0.05, kwargs)
    np.testing.assert_array_equal(ours, same_number)  # a tensor lr is its number
    assert isinstance(opt.param_groups[0]["lr"], tg.Tensor)


@pytest.mark.parametrize("scheduler", [
    lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, 2, 0.5),
    lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingLR(opt, 5),
], ids=["step", "cosine"])
def test_schedulers_move_a_tensor_lr_as_torch_does(scheduler):
    ours, opt = trajectory(tg, "Adam", tg.tensor(0.05, dtype=tg.float64), {}, scheduler)
    theirs, topt = trajectory(torch, "Adam", torch.tensor(0.05, dtype=torch.float64), {}, scheduler)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    assert float(opt.param_groups[0]["lr"]) == pytest.approx(float(topt.param_groups[0]["lr"]), rel=1e-12)


def test_a_state_dict_with_a_tensor_lr_loads_into_a_float_lr_optimizer_and_back(tmp_path):
    model = tg.nn.Linear(3, 2)
    opt = tg.optim.Adam(model.parameters(), lr=tg.tensor(0.01))
    model(tg.ones(2, 3)).sum().backward()
    opt.step()
    tg.save(opt.state_dict(), tmp_path / "opt.tg")
    other = tg.optim.Adam(model.parameters(), lr=0.5)
    other.load_state_dict(tg.load(tmp_path / "opt.tg"))
    assert float(other.param_groups[0]["lr"]) == pytest.approx(0.01)  # torch: the saved value, as saved
    back = tg.optim.Adam(model.parameters(), lr=tg.tensor(0.3))
    back.load_state_dict(other.state_dict())
    assert float(back.param_groups[0]["lr"]) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="saved setting 'lr'"):  # still checked: not a number at all
        bad = other.state_dict()
        bad["param_groups"][0]["lr"] = "fast"
        back.load_state_dict(bad)
