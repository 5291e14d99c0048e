"""Whole training runs against torch in float64: same weights, same batches, 20+ steps, for
regression, binary, multilabel and normalised models; losses and final weights to 1e-6."""

import numpy as np
import pytest

import tinygrad_mlp as tg

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")


def build(lib, kind):
    n = lib.nn
    if kind == "regression":
        return n.Sequential(n.Linear(3, 16), n.Tanh(), n.Linear(16, 16), n.ELU(), n.Linear(16, 1))
    if kind == "binary":
        return n.Sequential(n.Linear(3, 8), n.SiLU(), n.Linear(8, 1))
    if kind == "multilabel":
        return n.Sequential(n.Linear(3, 8), n.GELU(), n.Linear(8, 4))
    if kind == "batchnorm":
        return n.Sequential(n.Linear(3, 8), n.BatchNorm1d(8), n.LeakyReLU(0.1), n.Linear(8, 8), n.LayerNorm(8),
                            n.Softplus(), n.Linear(8, 3))
    raise ValueError(kind)


CASES = [
    ("regression", lambda lib: lib.nn.MSELoss(), "SGD", dict(lr=0.05, momentum=0.9)),
    ("regression", lambda lib: lib.nn.HuberLoss(delta=0.5), "Adam", dict(lr=0.01)),
    ("regression", lambda lib: lib.nn.L1Loss(), "RMSprop", dict(lr=0.01)),
    ("binary", lambda lib: lib.nn.BCEWithLogitsLoss(pos_weight=lib.tensor([2.0], dtype=lib.float64)), "AdamW",
     dict(lr=0.02)),
    ("multilabel", lambda lib: lib.nn.BCEWithLogitsLoss(), "Adagrad", dict(lr=0.1)),
    ("batchnorm", lambda lib: lib.nn.CrossEntropyLoss(label_smoothing=0.1), "SGD",
     dict(lr=0.1, momentum=0.5, nesterov=True)),
]


def targets(kind, rng):
    if kind == "regression":
        return rng.standard_normal((16, 1))
    if kind == "binary":
        return rng.integers(0, 2, (16, 1)).astype(float)
    if kind == "multilabel":
        return rng.integers(0, 2, (16, 4)).astype(float)
    return rng.integers(0, 3, 16)


@pytest.mark.parametrize("kind,loss,opt_name,kwargs", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_training_run_matches_torch(kind, loss, opt_name, kwargs):
    tg.set_default_dtype(np.float64)
    ours, theirs = build(tg, kind), build(torch, kind).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    opt_o = getattr(tg.optim, opt_name)(ours.parameters(), **kwargs)
    opt_t = getattr(torch.optim, opt_name)(theirs.parameters(), **kwargs)
    loss_o, loss_t = loss(tg), loss(torch)
    rng = np.random.default_rng(0)
    seq_o, seq_t = [], []
    for _ in range(25):
        x, t = rng.standard_normal((16, 3)), targets(kind, rng)
        opt_o.zero_grad()
        lo = loss_o(ours(tg.tensor(x)), tg.tensor(t))
        lo.backward()
        opt_o.step()
        opt_t.zero_grad()
        lt = loss_t(theirs(torch.tensor(x)), torch.tensor(t))
        lt.backward()
        opt_t.step()
        seq_o.append(lo.item())
        seq_t.append(lt.item())
    np.testing.assert_allclose(seq_o, seq_t, rtol=1e-6, atol=1e-9)
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-6, atol=1e-9, err_msg=k)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((5, 3))
    with tg.no_grad(), torch.no_grad():
        np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-6, atol=1e-9)
