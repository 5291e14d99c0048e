"""Every loss: gradcheck in float64, and value + gradient against torch when installed."""

import numpy as np
import pytest

import tinygrad_mlp as tg
import tinygrad_mlp.functional as F

try:
    import torch
except ImportError:  # the gradcheck half still runs
    torch = None

rng = np.random.default_rng(0)
LOGITS = rng.standard_normal((6, 4))
LOGITS_3D = rng.standard_normal((3, 4, 5))
TARGETS = np.array([0, 3, 1, 1, 2, 3])
TARGETS_3D = rng.integers(0, 4, (3, 5))
IGNORED = np.array([0, -100, 1, 1, -100, 3])
PROBS = rng.dirichlet(np.ones(4), size=6)
WEIGHT = np.array([0.5, 2.0, 1.0, 0.3])
REG_IN, REG_T = rng.standard_normal((5, 3)) * 2, rng.standard_normal((5, 3))
PROB_IN = rng.uniform(0.05, 0.95, (5, 3))
BIN_T = rng.integers(0, 2, (5, 3)).astype(float)
POS_W = np.array([0.5, 2.0, 3.0])

# (name, input array, fn(lib F, x, const) -> loss)
CASES = [
    ("mse", REG_IN, lambda F, x, c: F.mse_loss(x, c(REG_T))),
    ("mse_sum", REG_IN, lambda F, x, c: F.mse_loss(x, c(REG_T), reduction="sum")),
    ("mse_none", REG_IN, lambda F, x, c: F.mse_loss(x, c(REG_T), reduction="none")),
    ("l1", REG_IN, lambda F, x, c: F.l1_loss(x, c(REG_T))),
    ("huber", REG_IN, lambda F, x, c: F.huber_loss(x, c(REG_T), delta=0.7)),
    ("huber_none", REG_IN, lambda F, x, c: F.huber_loss(x, c(REG_T), reduction="none")),
    ("smooth_l1", REG_IN, lambda F, x, c: F.smooth_l1_loss(x, c(REG_T), beta=0.5)),
    ("smooth_l1_sum", REG_IN, lambda F, x, c: F.smooth_l1_loss(x, c(REG_T), reduction="sum")),
    ("ce", LOGITS, lambda F, x, c: F.cross_entropy(x, c(TARGETS))),
    ("ce_sum", LOGITS, lambda F, x, c: F.cross_entropy(x, c(TARGETS), reduction="sum")),
    ("ce_none", LOGITS, lambda F, x, c: F.cross_entropy(x, c(TARGETS), reduction="none")),
    ("ce_weight", LOGITS, lambda F, x, c: F.cross_entropy(x, c(TARGETS), weight=c(WEIGHT))),
    ("ce_ignore", LOGITS, lambda F, x, c: F.cross_entropy(x, c(IGNORED))),
    ("ce_smoothing", LOGITS, lambda F, x, c: F.cross_entropy(x, c(TARGETS), label_smoothing=0.1)),
    ("ce_all_options", LOGITS,
     lambda F, x, c: F.cross_entropy(x, c(IGNORED), weight=c(WEIGHT), label_smoothing=0.2)),
    ("ce_smoothing_sum", LOGITS,
     lambda F, x, c: F.cross_entropy(x, c(IGNORED), weight=c(WEIGHT), label_smoothing=0.2, reduction="sum")),
    ("ce_probs", LOGITS, lambda F, x, c: F.cross_entropy(x, c(PROBS))),
    ("ce_probs_weight_smoothing", LOGITS,
     lambda F, x, c: F.cross_entropy(x, c(PROBS), weight=c(WEIGHT), label_smoothing=0.1)),
    ("ce_onehot", LOGITS, lambda F, x, c: F.cross_entropy(x, c(np.eye(4)[TARGETS]))),
    ("ce_3d", LOGITS_3D, lambda F, x, c: F.cross_entropy(x, c(TARGETS_3D))),
    ("ce_1d", LOGITS[0], lambda F, x, c: F.cross_entropy(x, c(np.array(2)))),
    ("nll", LOGITS, lambda F, x, c: F.nll_loss(F.log_softmax(x, dim=1), c(TARGETS), weight=c(WEIGHT))),
    ("nll_ignore_none", LOGITS, lambda F, x, c: F.nll_loss(x, c(IGNORED), reduction="none")),
    ("bce", PROB_IN, lambda F, x, c: F.binary_cross_entropy(x, c(BIN_T))),
    ("bce_weight_sum", PROB_IN,
     lambda F, x, c: F.binary_cross_entropy(x, c(BIN_T), weight=c(POS_W), reduction="sum")),
    ("bce_logits", REG_IN, lambda F, x, c: F.binary_cross_entropy_with_logits(x, c(BIN_T))),
    ("bce_logits_pos_weight", REG_IN,
     lambda F, x, c: F.binary_cross_entropy_with_logits(x, c(BIN_T), weight=c(POS_W), pos_weight=c(POS_W))),
    ("bce_logits_soft_targets", REG_IN,
     lambda F, x, c: F.binary_cross_entropy_with_logits(x, c(PROB_IN), reduction="none")),
]


def ours_const(a):
    return tg.tensor(a)


@pytest.mark.parametrize("name,x,fn", CASES, ids=[c[0] for c in CASES])
def test_loss_gradcheck(name, x, fn):
    tg.set_default_dtype(np.float64)
    t = tg.tensor(x, requires_grad=True)
    assert tg.gradcheck(lambda t: fn(F, t, ours_const), [t])


@pytest.mark.skipif(torch is None, reason="torch not installed: pip install -e '.[torch]'")
@pytest.mark.parametrize("name,x,fn", CASES, ids=[c[0] for c in CASES])
def test_loss_matches_torch(name, x, fn):
    tg.set_default_dtype(np.float64)
    ours = tg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    lo = fn(F, ours, ours_const)
    lt = fn(torch.nn.functional, theirs, torch.tensor)
    np.testing.assert_allclose(lo.numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
    v = rng.standard_normal(tuple(lo.shape))
    (lo * tg.tensor(v)).sum().backward()
    (lt * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_bce_log_is_clamped_at_minus_100_and_gradients_stay_finite():
    x = tg.tensor([0.0, 1.0, 0.5], dtype=tg.float64, requires_grad=True)
    loss = F.binary_cross_entropy(x, tg.tensor([1.0, 0.0, 1.0], dtype=tg.float64), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0, np.log(2)])
    loss.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_bce_with_logits_is_stable_for_huge_logits():
    x = tg.tensor([-1e4, 1e4, 0.0], dtype=tg.float64, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, tg.tensor([1.0, 0.0, 1.0], dtype=tg.float64), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [1e4, 1e4, np.log(2)])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1.0, 1.0, -0.5])


def test_loss_modules_hold_options():
    x = tg.tensor(LOGITS, requires_grad=True)
    m = tg.nn.CrossEntropyLoss(weight=WEIGHT, ignore_index=-100, label_smoothing=0.1, reduction="sum")
    direct = F.cross_entropy(x, tg.tensor(IGNORED), weight=tg.tensor(WEIGHT), label_smoothing=0.1, reduction="sum")
    assert m(x, tg.tensor(IGNORED)).item() == pytest.approx(direct.item())
    for cls in [tg.nn.MSELoss, tg.nn.L1Loss, tg.nn.HuberLoss, tg.nn.SmoothL1Loss]:
        assert cls(reduction="sum")(tg.tensor(REG_IN), tg.tensor(REG_T)).shape == ()
    assert tg.nn.BCEWithLogitsLoss(pos_weight=POS_W)(tg.tensor(REG_IN), tg.tensor(BIN_T)).shape == ()
    assert tg.nn.BCELoss()(tg.tensor(PROB_IN), tg.tensor(BIN_T)).shape == ()
    assert tg.nn.NLLLoss()(tg.tensor(LOGITS).log_softmax(1), tg.tensor(TARGETS)).shape == ()
    with pytest.raises(ValueError, match="reduction must be one of mean, sum, none"):
        tg.nn.MSELoss(reduction="avg")


@pytest.mark.parametrize("call,error,words", [
    (lambda: F.cross_entropy(tg.zeros(4, 3), tg.tensor([0.0, 1.0, 2.0, 0.0])), ValueError, "probability targets"),
    (lambda: F.cross_entropy(tg.zeros(4, 3), tg.tensor([0, 1, 3, 0])), IndexError, "target 3 is out of bounds"),
    (lambda: F.cross_entropy(tg.zeros(4, 3), tg.tensor([0, -1, 2, 0])), IndexError, "target -1 is out of bounds"),
    (lambda: F.cross_entropy(tg.zeros(4, 3), tg.tensor([0, 1])), ValueError, r"targets of shape \(4,\)"),
    (lambda: F.cross_entropy(tg.zeros(4, 3), tg.zeros(4, 2)), ValueError, "must have the input's shape"),
    (lambda: F.mse_loss(tg.zeros(4, 1), tg.zeros(4)), ValueError, "broadcasting them would silently"),
    (lambda: F.binary_cross_entropy(tg.full((2,), 1.5), tg.zeros(2)), ValueError, "probabilities in"),
    (lambda: F.binary_cross_entropy_with_logits(tg.zeros(2), tg.tensor([0.0, 2.0])), ValueError, "targets must be"),
])
def test_bad_targets_get_clear_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_ignore_index_inside_the_class_range():
    x = tg.tensor(LOGITS, requires_grad=True)
    t = np.array([0, 1, 2, 1, 3, 1])
    loss = F.cross_entropy(x, tg.tensor(t), ignore_index=1)
    keep = t != 1
    logp = LOGITS - np.log(np.exp(LOGITS).sum(1, keepdims=True))
    assert loss.item() == pytest.approx(-logp[keep, t[keep]].mean())
    loss.backward()
    assert not x.grad.numpy()[~keep].any()
