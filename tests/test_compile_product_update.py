"""``tg.compile(step, keep_grads=False)``: plain SGD updates each weight inside its gradient's product (one
BLAS gemm with beta = 1 into the weights). The same training as eager to float rounding, the weights' .grad
None, everything else (loss, biases and their .grad) bit for bit where the step starts from the same state;
and where it does not apply (Adam, momentum, no numpy BLAS) the ordinary compiled step, grads kept."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_mlp as tg
import tinygrad_mlp.compile

C = sys.modules["tinygrad_mlp.compile"]
EPS32 = np.finfo(np.float32).eps


def setup(sizes=(20, 16, 8, 3), optimizer=None, dtype=tg.float32, loss="ce", column_major=False, seed=0):
    tg.manual_seed(seed)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [tg.nn.Linear(a, b, dtype=dtype), tg.nn.ReLU()]
    model = tg.nn.Sequential(*layers[:-1])
    if column_major:  # weights kept as the transpose of a C-ordered block (same values); Tensor keeps the array
        for m in model:
            if isinstance(m, tg.nn.Linear):
                m.weight.data = tg.Tensor(np.array(m.weight.numpy(), order="F"))  # (a writable copy)
                assert m.weight.numpy().flags.f_contiguous
                assert min(m.weight.shape) == 1 or not m.weight.numpy().flags.c_contiguous
    opt = (optimizer or (lambda ps: tg.optim.SGD(ps, lr=0.1)))(model.parameters())
    loss_fn = tg.nn.CrossEntropyLoss() if loss == "ce" else tg.nn.MSELoss()

    def step(x, y):
        opt.zero_grad()
        out = loss_fn(model(x), y)
        out.backward()
        opt.step()
        return out

    return model, opt, step


def batch(n=32, n_in=20, n_out=3, dtype=np.float32, loss="ce", seed=0):
    rng = np.random.default_rng(seed)
    x = tg.tensor(rng.standard_normal((n, n_in)).astype(dtype))
    if loss == "ce":
        return x, tg.tensor(rng.integers(0, n_out, n))
    return x, tg.tensor(rng.standard_normal((n, n_out)).astype(dtype))


def weights(model):
    return [(n, p) for n, p in model.named_parameters() if n.endswith("weight")]


def assert_one_step_apart(got, eager, before, dtype=np.float32, moved=True):
    """got and eager are the same SGD step from `before`, to a few ulps of the values and of the update."""
    eps = np.finfo(dtype).eps
    tolerance = 8 * eps * (np.abs(eager) + np.abs(eager - before)) + np.finfo(dtype).tiny
    assert (np.abs(got - eager) <= tolerance).all(), np.abs(got - eager).max()
    assert not moved or not np.array_equal(before, eager)  # the step did move the weights


def test_plain_sgd_updates_every_weight_in_its_product_and_leaves_its_grad_none():
    model, _, step = setup()
    compiled = tg.compile(step, keep_grads=False, strict=True)
    x, y = batch()
    compiled(x, y)
    compiled(x, y)
    source = compiled.source()
    assert source.count("gemm(") == 3 and "GW" not in source  # no weight gradient is written anywhere
    for name, p in model.named_parameters():
        assert (p.grad is None) == name.endswith("weight"), name


def test_a_replayed_step_is_eagers_step_bit_for_bit_but_the_weights_to_rounding():
    model, _, step = setup()
    twin, _, eager = setup()
    compiled = tg.compile(step, keep_grads=False, strict=True)
    x, y = batch()
    assert compiled(x, y).item() == eager(x, y).item()  # the recorded call is eager's own step
    before = [p.numpy().copy() for p in twin.parameters()]
    assert compiled(x, y).item() == eager(x, y).item()  # the replay: forward and backward unchanged
    for (name, p), q, b in zip(model.named_parameters(), twin.parameters(), before):
        if name.endswith("weight"):
            assert_one_step_apart(p.numpy(), q.numpy(), b)
        else:  # biases: their gradient and update as eager's
            np.testing.assert_array_equal(p.numpy(), q.numpy())
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_a_thousand_steps_train_as_eager_does_to_float32_rounding():
    model, _, step = setup()
    twin, _, eager = setup()
    compiled = tg.compile(step, keep_grads=False, strict=True)
    batches = [batch(seed=s) for s in range(10)]
    for i in range(1000):
        x, y = batches[i % 10]
        got, want = compiled(x, y).item(), eager(x, y).item()
        assert abs(got - want) <= 1e-5 * abs(want) + 1e-6, (i, got, want)
    for p, q in zip(model.parameters(), twin.parameters()):
        scale = np.abs(q.numpy()).max()
        assert np.abs(p.numpy() - q.numpy()).max() <= 5e-4 * scale  # measured: 1.2e-4 at most


@settings(max_examples=12, deadline=None)
@given(n=st.sampled_from([1, 2, 7, 64, 300]), hidden=st.integers(1, 40), column_major=st.booleans(),
       loss=st.sampled_from(["ce", "mse"]), contiguous=st.booleans())
def test_one_replayed_step_matches_eager_for_any_shape_layout_and_loss(n, hidden, column_major, loss, contiguous):
    sizes = (9, hidden, 4)
    model, _, step = setup(sizes, loss=loss, column_major=column_major)
    twin, _, eager = setup(sizes, loss=loss, column_major=column_major)
    compiled = tg.compile(step, keep_grads=False, strict=True)
    x, y = batch(n, 9, 4, loss=loss)
    if not contiguous:  # a column-ordered input: the product reads it by address, so run() reorders it
        x = tg.Tensor(np.asfortranarray(x.numpy()))
        assert n == 1 or not x.numpy().flags.c_contiguous
    compiled(x, y)
    eager(x, y)
    before = [p.numpy().copy() for p in twin.parameters()]
    assert compiled(x, y).item() == eager(x, y).item()
    assert compiled.source().count("gemm(") == 2
    for (name, p), q, b in zip(model.named_parameters(), twin.parameters(), before):
        def layout(a):  # (a stride along a length-1 axis means nothing)
            return [st for st, d in zip(a.strides, a.shape) if d > 1]

        assert layout(p.numpy()) == layout(q.numpy())  # the layout is kept
        if name.endswith("weight"):  # (a tiny layer can be all dead ReLUs: no move)
            assert_one_step_apart(p.numpy(), q.numpy(), b, moved=False)
        else:
            np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_float64_weights_use_the_double_precision_product():
    model, _, step = setup(dtype=tg.float64)
    twin, _, eager = setup(dtype=tg.float64)
    compiled = tg.compile(step, keep_grads=False, strict=True)
    x, y = batch(dtype=np.float64)
    compiled(x, y)
    eager(x, y)
    before = [p.numpy().copy() for p in twin.parameters()]
    assert compiled(x, y).item() == eager(x, y).item()
    assert compiled.source().count("gemm(") == 3
    for (_, p), (_, q), b in zip(weights(model), weights(twin), before[::2]):
        assert p.dtype == tg.float64 and p.grad is None
        assert_one_step_apart(p.numpy(), q.numpy(), b, np.float64)


def test_the_learning_rate_is_read_on_every_call_as_schedulers_change_it():
    model, opt, step = setup()
    twin, twin_opt, eager = setup()
    schedulers = [tg.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5) for o in (opt, twin_opt)]
    compiled = tg.compile(step, keep_grads=False, strict=True)
    x, y = batch()
    for _ in range(12):
        before = [p.numpy().copy() for p in twin.parameters()]
        for p, b in zip(model.parameters(), before):  # each step from the same weights: one step apart
            p.data = tg.tensor(b.copy())
        compiled(x, y)
        eager(x, y)
        for (_, p), (_, q), b in zip(weights(model), weights(twin), before[::2]):
            assert_one_step_apart(p.numpy(), q.numpy(), b)
        for s in schedulers:
            s.step()
    assert opt.param_groups[0]["lr"] == twin_opt.param_groups[0]["lr"] == 0.1 * 0.5 ** 4


def test_switching_momentum_on_plans_again_with_gradients_kept():
    model, opt, step = setup()
    compiled = tg.compile(step, keep_grads=False, strict=True)
    x, y = batch()
    for _ in range(3):
        compiled(x, y)
    assert all(p.grad is None for _, p in weights(model))
    opt.param_groups[0]["momentum"] = 0.9
    twin, twin_opt, eager = setup()
    twin.load_state_dict(model.state_dict())
    twin_opt.param_groups[0]["momentum"] = 0.9
    for _ in range(5):  # from here on the ordinary compiled step: bit for bit, .grad kept
        assert compiled(x, y).item() == eager(x, y).item()
    assert "gemm(" not in compiled.source()
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


@pytest.mark.parametrize("case", ["adam", "momentum", "no_blas"])
def test_where_it_does_not_apply_the_step_keeps_its_grads_and_eagers_numbers(case, monkeypatch):
    optimizer = {"adam": lambda ps: tg.optim.Adam(ps, lr=1e-3),
                 "momentum": lambda ps: tg.optim.SGD(ps, lr=0.1, momentum=0.9)}.get(case)
    if case == "no_blas":  # a numpy built on another BLAS: nothing to call, the gradients are kept
        monkeypatch.setattr(C, "_GEMMS", {np.dtype(np.float32): None})
    model, _, step = setup(optimizer=optimizer)
    twin, _, eager = setup(optimizer=optimizer)
    compiled = tg.compile(step, keep_grads=False, strict=True)
    x, y = batch()
    for _ in range(5):
        assert compiled(x, y).item() == eager(x, y).item()
    assert "gemm(" not in compiled.source()
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_a_wrong_product_is_caught_by_the_check_run(monkeypatch):
    gemm = C._blas_gemm(np.float32)

    def twice_the_step(*args):
        gemm(*args[:6], 2 * args[6], *args[7:])

    monkeypatch.setattr(C, "_GEMMS", {np.dtype(np.float32): twice_the_step})
    _, _, step = setup()
    compiled = tg.compile(step, keep_grads=False, strict=True)
    with pytest.raises(C.CompileError, match="parameter 0 .* more than rounding"):
        compiled(*batch())


def test_the_product_is_numpys_own_blas_not_a_second_one(monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")  # (a dev dependency: always there in the tests)
    if "scipy-openblas" not in str(np.show_config(mode="dicts")["Build Dependencies"]["blas"].get("name")):
        pytest.skip("numpy is built on another BLAS here: keep_grads=False keeps the gradients (tested above)")
    pools = sorted(p["filepath"] for p in threadpoolctl.threadpool_info())
    monkeypatch.setattr(C, "_GEMMS", {})  # loaded afresh here
    assert C._blas_gemm(np.float32) is not None and C._blas_gemm(np.float64) is not None
    assert C._blas_gemm(np.float16) is None
    # loading it gave numpy's library back, not a second copy with its own threads
    assert sorted(p["filepath"] for p in threadpoolctl.threadpool_info()) == pools


def test_a_run_saved_from_the_fused_step_resumes_eagerly():
    model, opt, step = setup()
    compiled = tg.compile(step, keep_grads=False, strict=True)
    x, y = batch()
    for _ in range(20):
        compiled(x, y)
    twin, twin_opt, eager = setup(seed=1)
    twin.load_state_dict(model.state_dict())
    twin_opt.load_state_dict(opt.state_dict())
    loss = eager(x, y).item()
    assert loss == compiled(x, y).item()
    assert all(p.grad is not None for p in twin.parameters())


def test_a_plain_group_beside_one_with_momentum_is_fused_and_the_other_keeps_its_update():
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(20, 16), tg.nn.ReLU(), tg.nn.Linear(16, 3))
    twin = tg.nn.Sequential(tg.nn.Linear(20, 16), tg.nn.ReLU(), tg.nn.Linear(16, 3))
    twin.load_state_dict(model.state_dict())
    steps, opts = [], []
    for m in (model, twin):
        opt = tg.optim.SGD([{"params": m[0].parameters()},
                            {"params": m[2].parameters(), "momentum": 0.9, "weight_decay": 1e-3}], lr=0.1)

        def step(x, y, m=m, opt=opt):
            opt.zero_grad()
            loss = tg.nn.functional.cross_entropy(m(x), y)
            loss.backward()
            opt.step()
            return loss

        steps.append(step)
        opts.append(opt)
    compiled = tg.compile(steps[0], optimizer=opts[0], keep_grads=False, strict=True)
    eager = steps[1]
    x, y = batch()
    for _ in range(4):
        assert abs(compiled(x, y).item() - eager(x, y).item()) <= 1e-6
    assert compiled.source().count("gemm(") == 1 and model[0].weight.grad is None
    np.testing.assert_allclose(model[2].weight.grad.numpy(), twin[2].weight.grad.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model[2].weight.numpy(), twin[2].weight.numpy(), rtol=1e-5, atol=1e-7)


def test_a_weight_frozen_mid_run_is_not_updated_the_step_runs_eagerly_and_says_why():
    model, _, step = setup()
    compiled = tg.compile(step, keep_grads=False)
    x, y = batch()
    for _ in range(3):
        compiled(x, y)
    model[0].weight.requires_grad = False
    frozen = model[0].weight.numpy().copy()
    with pytest.warns(C.CompileWarning, match="parameter 0 .* is frozen"):
        compiled(x, y)
    compiled(x, y)
    np.testing.assert_array_equal(model[0].weight.numpy(), frozen)


def test_a_zero_initialised_last_layer_at_a_large_batch_passes_the_check_run():
    """Where the batch's contributions cancel, the product's blocked sums round at lr x their magnitudes,
    not at the (zero) weight's: the check run's tolerance allows exactly that much."""
    model, _, step = setup((64, 32, 8), loss="mse")
    model[2].weight.data = tg.zeros(8, 32)
    compiled = tg.compile(step, keep_grads=False, strict=True)
    x, y = batch(4096, 64, 8, loss="mse")
    compiled(x, y)
    compiled(x, y)
    assert compiled.source().count("gemm(") == 2 and model[2].weight.grad is None


@pytest.mark.parametrize("make", [lambda ps: tg.optim.SGD(ps, lr=tg.tensor(0.1)),
                                  lambda ps: tg.optim.Adam(ps, lr=tg.tensor(1e-2))], ids=["sgd", "adam"])
def test_a_tensor_learning_rate_is_read_by_the_optimizer_not_by_the_step(make):
    """Reading the lr tensor on each call is the optimizer's business: no control flow, so it compiles."""
    model, opt, step = setup(optimizer=make)
    twin, _, eager = setup(optimizer=make)
    compiled = tg.compile(step, strict=True)
    x, y = batch()
    for _ in range(5):
        assert compiled(x, y).item() == eager(x, y).item()
    assert compiled.plans and isinstance(opt.param_groups[0]["lr"], tg.Tensor)
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
