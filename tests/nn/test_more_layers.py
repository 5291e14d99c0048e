"""nn breadth against torch.nn: Embedding (seeded init, padding, from_pretrained), the dict/list containers,
Unflatten, the option-taking activations, AlphaDropout's stream, the three losses, forward (pre-)hooks and
the gradient-clipping utilities."""

import numpy as np
import pytest

import tinygrad_mlp as tg
import tinygrad_mlp.functional as F
from tinygrad_mlp import nn

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")
TF = torch.nn.functional


def close(ours, theirs, rtol=1e-6):
    o = ours.detach().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    t = theirs.detach().numpy()
    assert o.shape == t.shape and o.dtype == t.dtype
    np.testing.assert_allclose(o, t, rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("kwargs", [dict(), dict(padding_idx=2), dict(padding_idx=-1)])
def test_embedding_init_forward_backward_match_torch(kwargs):
    tg.manual_seed(7)
    torch.manual_seed(7)
    ours, theirs = nn.Embedding(10, 4, **kwargs), torch.nn.Embedding(10, 4, **kwargs)
    np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    idx = np.array([[1, 2, 9], [2, 2, 0]])
    out_o, out_t = ours(tg.tensor(idx)), theirs(torch.tensor(idx))
    close(out_o, out_t, rtol=0)
    (out_o * tg.arange(4.0)).sum().backward()
    (out_t * torch.arange(4.0)).sum().backward()
    close(ours.weight.grad, theirs.weight.grad, rtol=0)
    assert repr(ours) == repr(theirs)
    assert ours.padding_idx == theirs.padding_idx
    np.testing.assert_array_equal(tg.rand(3).numpy(), torch.rand(3).numpy())  # the streams stay in step


def test_embedding_from_pretrained_and_errors():
    w = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    ours = nn.Embedding.from_pretrained(tg.tensor(w))
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w))
    assert ours.weight.requires_grad == theirs.weight.requires_grad is False
    close(ours(tg.tensor([3, 0])), theirs(torch.tensor([3, 0])), rtol=0)
    assert nn.Embedding.from_pretrained(tg.tensor(w), freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(IndexError, match="out of range"):
        ours(tg.tensor([4]))


def test_module_dict_parameter_list_and_dict_register_like_torch():
    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.heads = lib.nn.ModuleDict({"a": lib.nn.Linear(2, 3), "b": lib.nn.Linear(2, 1)})
                self.scales = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(3)), lib.ones(1)])
                self.extra = lib.nn.ParameterDict({"bias": lib.nn.Parameter(lib.zeros(2))})

            def forward(self, x):
                x = x + self.extra["bias"]
                return [self.heads[k](x) * s for k, s in zip(self.heads, self.scales)]

        return Net()

    ours, theirs = build(tg), build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(ours.heads) == 2 and "a" in ours.heads and list(ours.heads.keys()) == ["a", "b"]
    assert len(ours.scales) == 2 and isinstance(ours.scales[1], nn.Parameter)
    ours.heads["c"] = nn.Linear(2, 2)
    assert "heads.c.weight" in ours.state_dict()
    del ours.heads["c"]
    assert "heads.c.weight" not in ours.state_dict()
    ours.extra["gain"] = tg.ones(2)
    assert isinstance(ours.extra["gain"], nn.Parameter) and "extra.gain" in ours.state_dict()
    assert ours.extra.pop("gain") is not None and len(ours.extra) == 1
    theirs.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    for o, t in zip(ours(tg.tensor(x)), theirs(torch.tensor(x))):
        close(o, t)


def test_unflatten_and_activation_modules_match_torch():
    x = np.random.default_rng(1).standard_normal((3, 6)).astype(np.float32) * 4
    pairs = [(nn.Unflatten(1, (2, 3)), torch.nn.Unflatten(1, (2, 3))),
             (nn.CELU(0.5), torch.nn.CELU(0.5)), (nn.Mish(), torch.nn.Mish()),
             (nn.Hardtanh(-2.0, 0.5), torch.nn.Hardtanh(-2.0, 0.5)), (nn.ReLU6(), torch.nn.ReLU6()),
             (nn.Hardswish(), torch.nn.Hardswish()), (nn.Hardsigmoid(), torch.nn.Hardsigmoid()),
             (nn.Softsign(), torch.nn.Softsign())]
    for ours, theirs in pairs:
        xo, xt = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        close(ours(xo), theirs(xt))
        ours(xo).sum().backward()
        theirs(xt).sum().backward()
        close(xo.grad, xt.grad)
    for name in ("celu", "mish", "hardtanh", "relu6", "hardswish", "hardsigmoid", "softsign"):
        assert name in nn.ACTIVATIONS  # usable in nn.MLP and the CLI
        mlp = nn.MLP(2, [4], 1, activation=name)
        assert mlp(tg.zeros(3, 2)).shape == (3, 1)


def test_prelu_module_learns_its_slopes_as_torch():
    x = np.random.default_rng(2).standard_normal((5, 3, 2)).astype(np.float32)
    for n in (1, 3):
        ours, theirs = nn.PReLU(n, init=0.1), torch.nn.PReLU(n, init=0.1)
        xo, xt = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        (ours(xo) ** 2).sum().backward()
        (theirs(xt) ** 2).sum().backward()
        close(ours.weight.grad, theirs.weight.grad, rtol=1e-5)
        close(xo.grad, xt.grad)
        assert repr(ours) == repr(theirs)
    with pytest.raises(RuntimeError, match="prelu"):
        F.prelu(tg.zeros(2, 3), tg.ones(2))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_matches_torch_stream_and_moments(p):
    x = np.random.default_rng(3).standard_normal((64, 32)).astype(np.float32)
    tg.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = nn.AlphaDropout(p), torch.nn.AlphaDropout(p)
    close(ours(tg.tensor(x)), theirs(torch.tensor(x)))
    close(F.alpha_dropout(tg.tensor(x), p, training=True), TF.alpha_dropout(torch.tensor(x), p, training=True))
    big = tg.randn(200000)
    out = F.alpha_dropout(big, p, training=True).numpy()
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.01  # SELU's fixed point is kept
    ours.eval()
    assert ours(tg.tensor(x)).numpy() is not None and np.array_equal(ours(tg.tensor(x)).numpy(), x)
    assert np.array_equal(F.alpha_dropout(tg.tensor(x), p).numpy(), x)  # training=False by default, as torch


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_kl_div_matches_torch(reduction, log_target):
    rng = np.random.default_rng(4)
    logits, target = rng.standard_normal((4, 5)), rng.random((4, 5))
    target[0, :2] = 0
    target = target / target.sum(1, keepdims=True)
    if log_target:
        target = np.log(target + 1e-3)
    xo, xt = tg.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    kw = dict(reduction=reduction, log_target=log_target)
    lo = nn.KLDivLoss(**kw)(xo.log_softmax(1), tg.tensor(target))
    lt = torch.nn.KLDivLoss(**kw)(xt.log_softmax(1), torch.tensor(target))
    close(lo, lt, rtol=1e-12)
    lo.sum().backward()
    lt.sum().backward()
    close(xo.grad, xt.grad, rtol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cosine_embedding_and_margin_ranking_losses_match_torch(reduction):
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    y = np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])
    for margin in (0.0, 0.3):
        ao, bo, at, bt = (tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True),
                          torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True))
        lo = nn.CosineEmbeddingLoss(margin, reduction=reduction)(ao, bo, tg.tensor(y))
        lt = torch.nn.CosineEmbeddingLoss(margin, reduction=reduction)(at, bt, torch.tensor(y))
        close(lo, lt, rtol=1e-12)
        lo.sum().backward()
        lt.sum().backward()
        close(ao.grad, at.grad, rtol=1e-10)
        lo = nn.MarginRankingLoss(margin, reduction=reduction)(ao[:, 0], bo[:, 0], tg.tensor(y))
        lt = torch.nn.MarginRankingLoss(margin, reduction=reduction)(at[:, 0], bt[:, 0], torch.tensor(y))
        close(lo, lt, rtol=1e-12)
    close(F.cosine_embedding_loss(tg.tensor(a[0]), tg.tensor(b[0]), tg.tensor(-1.0)),
          TF.cosine_embedding_loss(torch.tensor(a[0]), torch.tensor(b[0]), torch.tensor(-1.0)), rtol=1e-12)


def test_functional_similarity_forms_match_torch():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    tiny = np.full((3, 5), 1e-10)
    for x, y in ((a, b), (a, tiny)):
        close(F.cosine_similarity(tg.tensor(x), tg.tensor(y)), TF.cosine_similarity(torch.tensor(x), torch.tensor(y)),
              rtol=1e-12)
        close(F.normalize(tg.tensor(y), p=1, dim=0), TF.normalize(torch.tensor(y), p=1, dim=0), rtol=1e-12)
        close(F.pairwise_distance(tg.tensor(x), tg.tensor(y), p=3.0, keepdim=True),
              TF.pairwise_distance(torch.tensor(x), torch.tensor(y), p=3.0, keepdim=True), rtol=1e-12)
    xo, xt = tg.tensor(tiny, requires_grad=True), torch.tensor(tiny, requires_grad=True)
    F.cosine_similarity(xo, tg.tensor(a)).sum().backward()
    TF.cosine_similarity(xt, torch.tensor(a)).sum().backward()
    close(xo.grad, xt.grad, rtol=1e-10)  # below eps: the clamped norm passes its gradient as torch's does
    close(nn.CosineSimilarity(dim=0)(tg.tensor(a), tg.tensor(b)),
          torch.nn.CosineSimilarity(dim=0)(torch.tensor(a), torch.tensor(b)), rtol=1e-12)
    close(nn.PairwiseDistance()(tg.tensor(a), tg.tensor(b)), torch.nn.PairwiseDistance()(torch.tensor(a),
                                                                                          torch.tensor(b)), rtol=1e-12)


def test_forward_hooks_and_pre_hooks_run_as_torch():
    def run(lib):
        calls = []
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
        h1 = model[0].register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        h2 = model[0].register_forward_hook(lambda m, args, out: calls.append(("post", tuple(out.shape))))
        model[2].register_forward_pre_hook(lambda m, args: calls.append(("pre", len(args))))
        model[2].register_forward_hook(lambda m, args, out: out + 1)
        model[2].register_forward_pre_hook(lambda m, args, kwargs: calls.append(("pre-kw", kwargs)),
                                           with_kwargs=True, prepend=True)
        x = lib.ones(5, 3)
        first = model(x).detach().numpy().copy()
        h1.remove()
        h2.remove()
        second = model(x).detach().numpy().copy()
        return first, second, calls

    (o1, o2, oc), (t1, t2, tc) = run(tg), run(torch)
    np.testing.assert_allclose(o1, t1, rtol=1e-6)
    np.testing.assert_allclose(o2, t2, rtol=1e-6)
    assert oc == tc


def test_clip_grad_norm_and_value_return_and_clip_as_torch():
    rng = np.random.default_rng(7)
    grads = [rng.standard_normal((20, 10)).astype(np.float32) * 3, rng.standard_normal(10).astype(np.float32)]
    for norm_type in (2.0, 1.0, float("inf"), 3.0):
        for max_norm in (0.5, 1e6):
            po = [nn.Parameter(tg.zeros(*g.shape)) for g in grads]
            pt = [torch.nn.Parameter(torch.zeros(*g.shape)) for g in grads]
            for p, q, g in zip(po, pt, grads):
                p.grad, q.grad = tg.tensor(g.copy()), torch.tensor(g.copy())
            total_o = nn.utils.clip_grad_norm_(po, max_norm, norm_type, foreach=None)
            total_t = torch.nn.utils.clip_grad_norm_(pt, max_norm, norm_type, foreach=None)
            close(total_o, total_t, rtol=1e-6)  # (summed in float64 here: equal to float32 rounding)
            for p, q in zip(po, pt):
                close(p.grad, q.grad, rtol=1e-6)
    po = [nn.Parameter(tg.zeros(3))]
    po[0].grad = tg.tensor([-3.0, 0.2, 5.0])
    assert nn.utils.clip_grad_value_(po, 1.0, foreach=False) is None
    np.testing.assert_array_equal(po[0].grad.numpy(), np.float32([-1.0, 0.2, 1.0]))
    with pytest.raises(RuntimeError, match="non-finite"):
        po[0].grad = tg.tensor([np.inf, 0.0, 0.0])
        nn.utils.clip_grad_norm_(po, 1.0, error_if_nonfinite=True)


def test_init_eye_and_trunc_normal_exist_and_match_torch():
    ours, theirs = tg.zeros(3, 5), torch.zeros(3, 5)
    nn.init.eye_(ours)
    torch.nn.init.eye_(theirs)
    close(ours, theirs, rtol=0)
    tg.manual_seed(1)
    torch.manual_seed(1)
    close(nn.init.trunc_normal_(tg.zeros(4, 4), std=0.5), torch.nn.init.trunc_normal_(torch.zeros(4, 4), std=0.5))
