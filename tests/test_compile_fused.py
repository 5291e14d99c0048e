"""The compiled step's fused optimizer update (numba, extra ``fast``): the same numbers as eager bit for bit
over 1,000 steps, used where it applies, and a clean fallback to the numpy update when numba is missing."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import tinygrad_mlp as tg
import tinygrad_mlp.compile

C = sys.modules["tinygrad_mlp.compile"]  # (tg.compile is the function of that name)
OPTIMIZERS = {
    "sgd": lambda ps: tg.optim.SGD(ps, lr=0.05),
    "adam": lambda ps: tg.optim.Adam(ps, lr=1e-3),
    "adamw": lambda ps: tg.optim.AdamW(ps, lr=3e-3, weight_decay=0.05),
    "adam_eps_betas": lambda ps: tg.optim.Adam(ps, lr=2e-3, betas=(0.8, 0.99), eps=1e-6),
}


def setup(optimizer: str):
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(40, 96), tg.nn.ReLU(), tg.nn.Linear(96, 7))
    opt = OPTIMIZERS[optimizer](model.parameters())
    loss_fn = tg.nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return model, opt, step


def thousand_steps(optimizer: str, fused: bool) -> None:
    rng = np.random.default_rng(3)
    xs = [tg.tensor(rng.standard_normal((8, 40)).astype(np.float32)) for _ in range(10)]
    ys = [tg.tensor(rng.integers(0, 7, 8)) for _ in range(10)]
    eager_model, eager_opt, eager = setup(optimizer)
    model, opt, step = setup(optimizer)
    compiled = tg.compile(step, strict=True)
    default, C.FUSED = C.FUSED, fused
    try:
        for i in range(1000):
            x, y = xs[i % 10], ys[i % 10]
            assert compiled(x, y).item() == eager(x, y).item(), i
    finally:
        C.FUSED = default
    assert next(iter(compiled.plans.values())).store.fused is fused
    for p, q in zip(model.parameters(), eager_model.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    for p, q in zip(model.parameters(), eager_model.parameters()):
        for key, value in eager_opt.state.get(q, {}).items():
            if key.startswith("_"):  # the optimizer's own scratch arrays, not state
                continue
            mine = opt.state[p][key]
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(mine, value, err_msg=key)
            else:
                assert mine == value


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_fused_update_matches_eager_bit_for_bit_over_a_thousand_steps(optimizer, monkeypatch):
    pytest.importorskip("numba", reason="the fused update needs numba (pip install -e .[fast])")
    calls = []
    kernels = C._fused_kernels()
    assert kernels is not None
    name = "sgd" if optimizer == "sgd" else "adam"
    real = getattr(kernels, name)
    monkeypatch.setattr(kernels, name, lambda *a: (calls.append(1), real(*a)))
    thousand_steps(optimizer, fused=True)
    assert len(calls) == 1000  # the first call's check run and the 999 replays (the first step is eager's own)


def test_without_numba_the_numpy_update_runs_without_a_word(monkeypatch):
    monkeypatch.setattr(C, "_KERNELS", [])
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    assert C._fused_kernels() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        thousand_steps("adam", fused=True)
        thousand_steps("sgd", fused=True)


def test_the_numpy_update_still_matches_when_fused_is_off():
    thousand_steps("adamw", fused=False)


def test_options_outside_the_kernels_take_the_numpy_update(monkeypatch):
    """amsgrad, maximize, Adam's L2 weight decay, momentum: the numpy update (no kernel call), still exact."""
    pytest.importorskip("numba")
    kernels = C._fused_kernels()
    monkeypatch.setattr(kernels, "adam", lambda *a: pytest.fail("the kernel ran"))
    monkeypatch.setattr(kernels, "sgd", lambda *a: pytest.fail("the kernel ran"))
    for name, make in (("amsgrad", lambda ps: tg.optim.Adam(ps, lr=1e-3, amsgrad=True)),
                       ("maximize", lambda ps: tg.optim.Adam(ps, lr=1e-3, maximize=True)),
                       ("l2", lambda ps: tg.optim.Adam(ps, lr=1e-3, weight_decay=1e-2)),
                       ("momentum", lambda ps: tg.optim.SGD(ps, lr=0.05, momentum=0.9))):
        monkeypatch.setitem(OPTIMIZERS, name, make)
        thousand_steps(name, fused=True)


def test_fused_is_an_argument_of_compile():
    model = tg.nn.Linear(3, 2)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = tg.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for fused in (True, False, "auto"):
        compiled = tg.compile(step, fused=fused)
        compiled(tg.ones(4, 3), tg.tensor([0, 1, 0, 1]))
        assert compiled.store.fused == fused
    assert tg.compile(step).fused is None and tg.compile(fused=False)(step).fused is False


def test_compile_loads_the_fused_update_from_the_first_step_and_fit_waits_for_a_long_run(monkeypatch):
    """tg.compile pays numba's load up front, as a JIT pays its compile; fit, whose runs can be two seconds
    long, passes fused="auto" (the kernels only once the numpy update has cost about as much)."""
    import tinygrad_mlp.train as train

    assert C.FUSED is True
    model, _, step = setup("sgd")
    compiled = tg.compile(step)
    x, y = tg.ones(4, 40), tg.tensor([0, 1, 2, 3])
    compiled(x, y)
    assert compiled.store.fused is True
    seen = []
    monkeypatch.setattr(train, "compile_step", lambda *a, **k: seen.append(k) or tg.compile(*a, **k))
    fit_model = tg.nn.MLP(4, [8], 3)
    history = train.fit(fit_model, tg.nn.CrossEntropyLoss(), tg.optim.SGD(fit_model.parameters(), lr=0.1),
                        (np.ones((8, 4), np.float32), np.array([0, 1, 2, 0, 1, 2, 0, 1])), epochs=1, batch_size=4,
                        report_every=0, progress=False)
    assert history.train_step == "compiled" and [k["fused"] for k in seen] == ["auto"]
