"""Numerical faults found, interrupted runs resumed exactly, memory flat, threads independent."""

import gc
import json
import threading
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import tinygrad_mlp as tg
import tinygrad_mlp.functional as F
from tinygrad_mlp import nn
from tinygrad_mlp.train import fit

# --- anomaly detection ------------------------------------------------------------------------------


def test_fit_detect_anomaly_names_the_op_and_keeps_the_last_good_weights():
    class LogOfNegative(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(2, 1)

        def forward(self, x):
            return self.layer(x).log()  # negative outputs: nan

    tg.manual_seed(0)
    model = LogOfNegative()
    with tg.no_grad():
        model.layer.weight.fill_(-1.0)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(FloatingPointError, match=r"LogBackward0 produced nan in its forward output(.|\n)*test_faults"):
        fit(model, nn.MSELoss(), opt, (np.ones((4, 2)), np.ones((4, 1))), epochs=1, detect_anomaly=True,
            report_every=0, progress=False)
    assert all(np.array_equal(v.numpy(), before[k]) for k, v in model.state_dict().items())
    assert not tg.is_anomaly_enabled()


def test_cli_detect_anomaly_flag(tmp_path, capsys):
    from tinygrad_mlp.cli import main

    code = main(["train", "--dataset", "iris", "--epochs", "2", "--lr", "1e30", "--optimizer", "sgd",
                 "--detect-anomaly", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert "numerical fault: detect_anomaly:" in err and "produced" in err and "The op was created at" in err
    code = main(["train", "--dataset", "iris", "--epochs", "2", "--lr", "1e30", "--optimizer", "sgd", "--quiet"])
    assert code == 1 and "the loss became" in capsys.readouterr().err


# --- stable forms under extreme values -------------------------------------------------------------------

extreme = st.one_of(st.sampled_from([1e4, -1e4, 0.0, -0.0, 5e-324, -5e-324, 1e-310, 88.7, -88.7, 709.0, -745.0]),
                    st.floats(-1e4, 1e4, allow_nan=False))


@given(arrays(np.float64, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5), elements=extreme))
def test_stable_ops_stay_finite_and_correct_at_extremes(a):
    x = tg.tensor(a, requires_grad=True)
    s = x.sigmoid()
    sp = F.softplus(x)
    ls = x.log_softmax(dim=1)
    lse = x.logsumexp(dim=1)
    target = tg.tensor(np.zeros(a.shape[0], dtype=np.int64))
    ce = F.cross_entropy(x, target)
    bce = F.binary_cross_entropy_with_logits(x, tg.tensor((a > 0).astype(np.float64)))
    for out in (s, sp, ls, lse, ce, bce):
        assert np.all(np.isfinite(out.numpy()))
    (s.sum() + sp.sum() + ls.sum() + lse.sum() + ce + bce).backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    assert np.all((s.numpy() >= 0) & (s.numpy() <= 1))
    np.testing.assert_allclose(np.exp(ls.numpy()).sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(lse.numpy(), np.max(a, axis=1) + np.log(np.exp(a - a.max(1, keepdims=True)).sum(1)),
                               rtol=1e-12)


@given(st.integers(1, 6), st.integers(1, 6))
def test_ties_share_gradients_evenly(n, m):
    x = tg.tensor(np.ones((n, m)), requires_grad=True)
    x.amax(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((n, m), 1 / m))


# --- fuzzing the public ops ---------------------------------------------------------------------------------

DOCUMENTED = (ValueError, TypeError, RuntimeError, IndexError, FloatingPointError)
UNARY = ["exp", "log", "sqrt", "abs", "sign", "relu", "sigmoid", "tanh", "softplus", "gelu", "silu", "elu", "selu",
         "leaky_relu", "sum", "mean", "amax", "amin", "var", "std", "logsumexp", "prod", "flatten", "argmax"]
BINARY = ["__add__", "__sub__", "__mul__", "__truediv__", "__pow__", "maximum", "minimum", "matmul"]
any_float = st.floats(allow_nan=True, allow_infinity=True, width=32)


@given(st.sampled_from(UNARY + BINARY), st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
       arrays(np.float64, array_shapes(min_dims=0, max_dims=3, max_side=4), elements=any_float),
       arrays(np.float64, array_shapes(min_dims=0, max_dims=3, max_side=4), elements=any_float), st.booleans())
def test_fuzz_public_ops_compute_or_raise_documented_errors(name, dtype, a, b, grad):
    with np.errstate(all="ignore"):
        x = tg.tensor(a.astype(dtype))
        y = tg.tensor(b.astype(dtype))
        if grad and x.dtype.kind == "f":
            x.requires_grad_()
        try:
            out = getattr(x, name)(y) if name in BINARY else getattr(x, name)()
        except DOCUMENTED:
            return
        assert isinstance(out, tg.Tensor)
        if out.requires_grad:
            try:
                out.sum().backward()
            except DOCUMENTED:
                return
            assert x.grad is None or x.grad.shape == x.shape


# --- interrupted runs ----------------------------------------------------------------------------------------


def test_cli_ctrl_c_saves_and_resume_is_bit_exact(tmp_path, monkeypatch, capsys):
    from tinygrad_mlp import train as train_mod
    from tinygrad_mlp.cli import main

    args = ["train", "--dataset", "digits", "--hidden", "32", "--epochs", "6", "--batch-size", "64", "--dropout",
            "0.1", "--scheduler", "cosine", "--seed", "3", "--quiet"]
    assert main(args + ["--out", str(tmp_path / "straight")]) == 0

    real = train_mod._run_epoch
    calls = {"n": 0}

    def interrupted(*a, **k):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(train_mod, "_run_epoch", interrupted)
    assert main(args + ["--out", str(tmp_path / "cut")]) == 130
    assert "Interrupted: kept the state after epoch 3" in capsys.readouterr().err
    assert len((tmp_path / "cut" / "history.csv").read_text().strip().splitlines()) == 1 + 3
    monkeypatch.setattr(train_mod, "_run_epoch", real)
    assert main(args + ["--out", str(tmp_path / "cut"), "--resume"]) == 0
    a, b = tg.load(tmp_path / "straight" / "model.safetensors"), tg.load(tmp_path / "cut" / "model.safetensors")
    for k, v in a.items():
        assert np.array_equal(v.numpy(), b[k].numpy()), k
    ra = json.loads((tmp_path / "straight" / "results.json").read_text())
    rb = json.loads((tmp_path / "cut" / "results.json").read_text())
    assert ra["test"] == rb["test"]


# --- memory and threads ----------------------------------------------------------------------------------------


def test_training_step_leaves_nothing_for_the_garbage_collector():
    model = nn.MLP(8, [16, 16], 3)
    opt = tg.optim.Adam(model.parameters())
    x, y = tg.randn(4, 8), tg.tensor([0, 1, 2, 0])
    gc.collect()
    gc.disable()
    try:
        probes = []
        for _ in range(3):
            hidden = model[0](x)
            probes.append(weakref.ref(hidden))
            loss = F.cross_entropy(model[4](model[3](model[2](model[1](hidden)))), y)
            del hidden
            opt.zero_grad()
            loss.backward()
            opt.step()
            del loss
        assert all(p() is None for p in probes)  # freed by reference counting alone
        assert gc.collect() == 0  # and no cycles were left behind
    finally:
        gc.enable()


def test_rss_stays_flat_over_many_steps():
    from benchmarks.memory import rss_mb

    rng = np.random.default_rng(0)
    X, y = rng.random((512, 784), dtype=np.float32), rng.integers(0, 10, 512)
    model = nn.MLP(784, [256, 128], 10)
    opt = tg.optim.Adam(model.parameters())
    loader = tg.data.DataLoader(tg.data.TensorDataset(X, y), batch_size=128, shuffle=True, seed=0)
    marks = []
    for epoch in range(150):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        if epoch in (50, 149):
            marks.append(rss_mb())
    assert (marks[1] - marks[0]) / marks[0] < 0.05


def test_1000_layer_mlp_backprops():
    model = nn.MLP(4, [4] * 999, 2, activation="tanh")
    assert len([m for m in model.modules() if isinstance(m, nn.Linear)]) == 1000
    model(tg.randn(2, 4)).sum().backward()
    assert model[0].weight.grad is not None and model[0].weight.grad.shape == (4, 4)


def test_two_threads_train_independently_and_match_sequential_runs():
    X, y = tg.data.load_iris()

    def train(seed, out):
        with tg.no_grad():
            pass  # grad mode is per thread: another thread's no_grad must not leak in here
        model = nn.MLP(4, [16], 3)
        model.load_state_dict({k: v for k, v in inits[seed].items()})
        opt = tg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        loader = tg.data.DataLoader(tg.data.TensorDataset(X, y), batch_size=10, shuffle=True, seed=seed)
        for _ in range(15):
            for xb, yb in loader:
                opt.zero_grad()
                F.cross_entropy(model(xb), yb).backward()
                opt.step()
        out[seed] = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    inits = {}
    for seed in (1, 2):
        tg.manual_seed(seed)
        inits[seed] = {k: v.numpy().copy() for k, v in nn.MLP(4, [16], 3).state_dict().items()}
    sequential, concurrent = {}, {}
    for seed in (1, 2):
        train(seed, sequential)

    def noisy_no_grad_thread():
        for _ in range(2000):
            with tg.no_grad():
                pass

    threads = [threading.Thread(target=train, args=(s, concurrent)) for s in (1, 2)]
    threads.append(threading.Thread(target=noisy_no_grad_thread))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed in (1, 2):
        for k in sequential[seed]:
            assert np.array_equal(sequential[seed][k], concurrent[seed][k]), (seed, k)
