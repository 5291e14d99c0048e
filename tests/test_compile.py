"""tg.compile: a compiled training step against the eager one, step for step and bit for bit; re-planning;
refusals with their reasons; state interchange with eager (state_dict, optimizer state, checkpoint files)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp.compile import CompileError, CompileWarning

# 64*80 = 5120 >= Linear.column_major_from: the first weight is column-major, the others row-major
SIZES = (64, 80, 16, 5)
ACTS = {"relu": tg.nn.ReLU, "tanh": tg.nn.Tanh, "sigmoid": tg.nn.Sigmoid}
OPTIMIZERS = {
    "sgd": lambda ps: tg.optim.SGD(ps, lr=0.05),
    "sgd_momentum_wd": lambda ps: tg.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "sgd_nesterov": lambda ps: tg.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "sgd_dampening_maximize": lambda ps: tg.optim.SGD(ps, lr=0.01, momentum=0.5, dampening=0.3, maximize=True),
    "adam": lambda ps: tg.optim.Adam(ps, lr=1e-3),
    "adam_wd_amsgrad": lambda ps: tg.optim.Adam(ps, lr=1e-3, weight_decay=1e-2, amsgrad=True),
    "adamw": lambda ps: tg.optim.AdamW(ps, lr=1e-3),
}


class Setup:
    """A model, optimizer, loss and step function built the same way from a seed."""

    def __init__(self, optimizer: str = "sgd", act: str = "relu", loss: str = "ce", fuse: bool = True,
                 sizes: tuple = SIZES, seed: int = 0, extra: list | None = None) -> None:
        tg.manual_seed(seed)
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(tg.nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(ACTS[act]())
        layers += extra or []
        self.model = tg.nn.Sequential(*layers)
        self.model.fuse_linear_relu = fuse
        self.opt = OPTIMIZERS[optimizer](self.model.parameters())
        self.loss_fn = tg.nn.CrossEntropyLoss() if loss == "ce" else tg.nn.MSELoss()
        model, opt, loss_fn = self.model, self.opt, self.loss_fn

        def step(x, y):
            opt.zero_grad()
            out = loss_fn(model(x), y)
            out.backward()
            opt.step()
            return out

        self.step = step


def batches(n: int, batch: int, loss: str = "ce", seed: int = 1, n_in: int = SIZES[0], n_out: int = SIZES[-1]):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x = tg.tensor(rng.standard_normal((batch, n_in)).astype(np.float32))
        if loss == "ce":
            y = tg.tensor(rng.integers(0, n_out, batch))
        else:
            y = tg.tensor(rng.standard_normal((batch, n_out)).astype(np.float32))
        out.append((x, y))
    return out


def assert_same_state(a: Setup, b: Setup) -> None:
    """Parameters (values and layout), .grad and optimizer state identical, bit for bit."""
    for (name, p), q in zip(a.model.named_parameters(), b.model.parameters()):
        pa, pb = p.detach().numpy(), q.detach().numpy()
        assert pa.strides == pb.strides and pa.shape == pb.shape, name
        np.testing.assert_array_equal(pa, pb, err_msg=name)
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=f"{name}.grad")
    sa, sb = a.opt.state_dict(), b.opt.state_dict()
    assert sa["param_groups"] == sb["param_groups"]
    assert sa["state"].keys() == sb["state"].keys()
    for k in sa["state"]:
        for key, value in sa["state"][k].items():
            other = sb["state"][k][key]
            if isinstance(value, tg.Tensor):
                np.testing.assert_array_equal(value.numpy(), other.numpy(), err_msg=f"state {k} {key}")
            else:
                assert value == other, (k, key)


def run_both(eager: Setup, compiled_setup: Setup, data: list, strict: bool = True) -> tg.compile:
    step = tg.compile(compiled_setup.step, strict=strict)
    for x, y in data:
        expected = eager.step(x, y).item()
        got = step(x, y).item()
        assert got == expected
    return step


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("batch", [1, 32, 128])
def test_compiled_equals_eager_bit_for_bit(optimizer, batch):
    data = batches(12, batch)
    eager, compiled = Setup(optimizer), Setup(optimizer)
    step = run_both(eager, compiled, data)
    assert len(step.plans) == 1 and not step.eager
    assert_same_state(eager, compiled)


@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("loss", ["ce", "mse"])
@pytest.mark.parametrize("fuse", [True, False])
@pytest.mark.parametrize("optimizer", ["sgd_momentum_wd", "adam"])
def test_activations_losses_and_fusion(act, loss, fuse, optimizer):
    data = batches(10, 16, loss)
    eager, compiled = Setup(optimizer, act, loss, fuse), Setup(optimizer, act, loss, fuse)
    step = run_both(eager, compiled, data)
    assert_same_state(eager, compiled)
    source = step.source()
    if act == "relu":
        assert "maximum(Z0, 0, out=Z0)" in source and "multiply(D0, M0, D0)" in source  # in place, both ways
    assert "dot(x.T" in source and "dot(D0, W0" not in source  # the input data gets no gradient


def test_output_activation_before_cross_entropy():
    """A ReLU on the logits: the loss must not overwrite the activation its backward needs."""
    extra = [tg.nn.ReLU()]
    data = batches(8, 8)
    eager, compiled = Setup("adam", extra=extra), Setup("adam", extra=extra)
    run_both(eager, compiled, data)
    assert_same_state(eager, compiled)


def test_a_thousand_steps_stay_bit_for_bit():
    """No fusion in the plan changes rounding, so the trajectories never part."""
    data = batches(50, 32, seed=3)
    eager, compiled = Setup("adam"), Setup("adam")
    step = tg.compile(compiled.step, strict=True)
    for i in range(1000):
        x, y = data[i % len(data)]
        assert step(x, y).item() == eager.step(x, y).item(), i
    assert_same_state(eager, compiled)


def test_replans_on_a_changed_batch_size_and_shares_the_flat_buffers():
    eager, compiled = Setup("sgd_momentum_wd"), Setup("sgd_momentum_wd")
    data = batches(4, 32) + batches(3, 7, seed=5) + batches(4, 32, seed=6) + batches(2, 7, seed=7)
    step = run_both(eager, compiled, data)
    assert len(step.plans) == 2
    assert_same_state(eager, compiled)
    stores = {id(plan.store) for plan in step.plans.values()}
    assert len(stores) == 1


def test_parameters_become_views_into_one_flat_buffer_with_their_layout():
    s = Setup("adam")
    before = {name: (p.detach().numpy().copy(), p.detach().numpy().strides) for name, p in s.model.named_parameters()}
    step = tg.compile(s.step, strict=True)
    for x, y in batches(2, 4):
        step(x, y)
    store = next(iter(step.plans.values())).store
    for (name, p), g in zip(s.model.named_parameters(), store.grad_tensors):
        data = p.detach().numpy()
        assert np.shares_memory(data, store.P) and data.strides == before[name][1], name
        assert p.grad is g and np.shares_memory(p.grad.numpy(), store.G)
        assert np.shares_memory(s.opt.state[p]["exp_avg"], store.state_flat["exp_avg"])
    assert s.model[0].weight.detach().numpy().flags.f_contiguous  # the large weight stays column-major


def test_lr_scheduler_is_followed():
    data = batches(12, 16)
    eager, compiled = Setup("sgd_momentum_wd"), Setup("sgd_momentum_wd")
    sched_e = tg.optim.lr_scheduler.StepLR(eager.opt, step_size=3, gamma=0.5)
    sched_c = tg.optim.lr_scheduler.StepLR(compiled.opt, step_size=3, gamma=0.5)
    step = tg.compile(compiled.step, strict=True)
    for x, y in data:
        assert step(x, y).item() == eager.step(x, y).item()
        sched_e.step()
        sched_c.step()
    assert_same_state(eager, compiled)


# --- state interchange with eager ------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum_wd"])
def test_compiled_run_saved_and_resumed_eagerly(tmp_path, optimizer):
    data = batches(16, 16)
    reference, compiled = Setup(optimizer), Setup(optimizer)
    step = tg.compile(compiled.step, strict=True)
    for x, y in data[:8]:
        reference.step(x, y)
        step(x, y)
    path = tmp_path / "ckpt.safetensors"
    tg.save({"model": compiled.model.state_dict(), "optim": compiled.opt.state_dict()}, path)
    resumed = Setup(optimizer, seed=99)  # other initial weights: everything must come from the file
    saved = tg.load(path)
    resumed.model.load_state_dict(saved["model"])
    resumed.opt.load_state_dict(saved["optim"])
    for x, y in data[8:]:
        assert resumed.step(x, y).item() == reference.step(x, y).item()
    assert_same_state(reference, resumed)


@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum_wd"])
def test_eager_run_saved_and_resumed_compiled(tmp_path, optimizer):
    data = batches(16, 16)
    reference = Setup(optimizer)
    for x, y in data[:8]:
        reference.step(x, y)
    path = tmp_path / "ckpt.safetensors"
    tg.save({"model": reference.model.state_dict(), "optim": reference.opt.state_dict()}, path)
    resumed = Setup(optimizer, seed=99)
    saved = tg.load(path)
    resumed.model.load_state_dict(saved["model"])
    resumed.opt.load_state_dict(saved["optim"])
    step = tg.compile(resumed.step, strict=True)
    for x, y in data[8:]:
        assert step(x, y).item() == reference.step(x, y).item()
    assert_same_state(reference, resumed)
    assert len(step.plans) == 1


def test_loading_state_into_a_compiled_run_midway_is_followed():
    """load_state_dict on the model and the optimizer between compiled steps: the plan re-adopts them."""
    data = batches(12, 16)
    reference, other, compiled = Setup("adam"), Setup("adam", seed=5), Setup("adam")
    step = tg.compile(compiled.step, strict=True)
    for x, y in data[:4]:
        step(x, y)
        other.step(x, y)
    for x, y in data[:4]:
        reference.step(x, y)
    reference.model.load_state_dict(other.model.state_dict())
    reference.opt.load_state_dict(other.opt.state_dict())
    compiled.model.load_state_dict(other.model.state_dict())
    compiled.opt.load_state_dict(other.opt.state_dict())
    for x, y in data[4:]:
        assert step(x, y).item() == reference.step(x, y).item()
    assert_same_state(reference, compiled)


def test_eager_steps_between_compiled_ones_share_the_state():
    data = batches(10, 8)
    reference, mixed = Setup("adam"), Setup("adam")
    step = tg.compile(mixed.step, strict=True)
    for i, (x, y) in enumerate(data):
        expected = reference.step(x, y).item()
        got = (mixed.step(x, y) if i % 3 == 2 else step(x, y)).item()
        assert got == expected, i
    assert_same_state(reference, mixed)


# --- refusals: eager, with the reason ------------------------------------------------------------------------


def _refused(setup_step, data, match: str, eager_step=None):
    step = tg.compile(setup_step)
    with pytest.warns(CompileWarning, match=match):
        first = step(*data[0])
    results = [first.item()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per signature
        results += [step(x, y).item() for x, y in data[1:]]
    assert not step.plans and step.eager
    if eager_step is not None:
        assert results == [eager_step(x, y).item() for x, y in data]
    with pytest.raises(CompileError, match=match):
        tg.compile(setup_step, strict=True)(*data[0])
    return step


def test_dropout_in_training_is_refused_and_runs_eagerly():
    data = batches(3, 8)
    tg.manual_seed(0)
    s = Setup("sgd", extra=[tg.nn.Dropout(0.5)])
    _refused(s.step, data, "Dropout|not compiled")


def test_item_inside_the_step_is_refused():
    s = Setup("sgd")
    ref = Setup("sgd")
    seen = []

    def step(x, y):
        loss = s.step(x, y)
        seen.append(loss.item())
        return loss

    def ref_step(x, y):
        return ref.step(x, y)

    _refused(step, batches(3, 8), r"reads a tensor's value while it runs \(item\(\)\)", ref_step)
    assert len(seen) == 4  # eager: every call ran the function


def test_value_dependent_control_flow_is_refused():
    s = Setup("sgd")

    def step(x, y):
        s.opt.zero_grad()
        out = s.model(x)
        if out.sum() > 0:  # a Python branch on a tensor's value
            out = out * 2
        loss = s.loss_fn(out, y)
        loss.backward()
        s.opt.step()
        return loss

    _refused(step, batches(2, 8), "reads a tensor's value")


def test_missing_zero_grad_is_refused():
    s, ref = Setup("sgd"), Setup("sgd")

    def no_zero(setup):
        def step(x, y):
            loss = setup.loss_fn(setup.model(x), y)
            loss.backward()
            setup.opt.step()
            return loss
        return step

    _refused(no_zero(s), batches(3, 8), "never calls zero_grad", no_zero(ref))


def test_input_made_inside_the_step_is_refused():
    s = Setup("sgd")

    def step(x, y):
        s.opt.zero_grad()
        loss = s.loss_fn(s.model(x / 2), y)
        loss.backward()
        s.opt.step()
        return loss

    _refused(step, batches(2, 8), "input is not one of its arguments")


def _step_of(model, opt, loss_fn):
    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def test_unsupported_loss_and_optimizer_are_named():
    s = Setup("sgd", loss="mse")
    _refused(_step_of(s.model, s.opt, tg.nn.L1Loss()), batches(2, 8, "mse"), "a mean loss other than mse_loss")
    _refused(_step_of(s.model, s.opt, tg.nn.MSELoss(reduction="sum")), batches(2, 8, "mse"), "the loss is Sum")
    r = Setup("sgd")
    rms = tg.optim.RMSprop(r.model.parameters(), lr=1e-3)
    _refused(_step_of(r.model, rms, r.loss_fn), batches(2, 8), "the optimizer is RMSprop")


def test_two_optimizers_in_reach_need_to_be_named():
    a, b = Setup("sgd"), Setup("sgd", seed=1)

    def step(x, y):
        a.opt.zero_grad()
        loss = a.loss_fn(a.model(x), y)
        loss.backward()
        a.opt.step()
        b.opt.zero_grad()
        return loss

    opts = [a.opt, b.opt]  # noqa: F841 - both reachable through the closure below

    def wrapped(x, y):
        _ = opts
        return step(x, y)

    _refused(wrapped, batches(2, 8), "2 optimizers found")
    a = Setup("sgd")
    compiled = tg.compile(wrapped, optimizer=a.opt, strict=True)
    ref = Setup("sgd")
    for x, y in batches(4, 8):
        assert compiled(x, y).item() == ref.step(x, y).item()


def test_ignored_targets_run_that_batch_eagerly():
    data = batches(6, 8)
    x, y = data[3]
    y_ignored = y.numpy().copy()
    y_ignored[:2] = -100
    data[3] = (x, tg.tensor(y_ignored))
    eager, compiled = Setup("adam"), Setup("adam")
    step = run_both(eager, compiled, data)
    assert len(step.plans) == 1
    assert_same_state(eager, compiled)


def test_out_of_range_target_raises_as_eager():
    s = Setup("sgd")
    step = tg.compile(s.step, strict=True)
    data = batches(2, 8)
    step(*data[0])
    bad = data[1][1].numpy().copy()
    bad[0] = 7
    with pytest.raises(IndexError, match="out of bounds"):
        step(data[1][0], tg.tensor(bad))


def test_no_grad_runs_eagerly_with_a_reason():
    s = Setup("sgd")
    step = tg.compile(s.step)
    with tg.no_grad(), pytest.warns(CompileWarning, match="grad mode is off"), pytest.raises(RuntimeError):
        step(*batches(1, 4)[0])


def test_a_compiled_step_returns_a_plain_loss_tensor():
    s = Setup("sgd")
    step = tg.compile(s.step, strict=True)
    data = batches(3, 8)
    first = step(*data[0])
    assert first.grad_fn is not None  # the recorded call is eager
    later = step(*data[1])
    assert later.grad_fn is None and later.shape == () and later.dtype == np.float32
    again = step(*data[2])
    assert later.item() != again.item()  # each step's loss is its own array


def test_dropout_in_eval_mode_compiles_and_train_mode_is_followed():
    data = batches(6, 8)
    eager = Setup("sgd", extra=[tg.nn.Dropout(0.5)])
    compiled = Setup("sgd", extra=[tg.nn.Dropout(0.5)])
    eager.model.eval()
    compiled.model.eval()
    step = tg.compile(compiled.step)
    for x, y in data[:3]:
        assert step(x, y).item() == eager.step(x, y).item()
    assert len(step.plans) == 1
    compiled.model.train()  # dropout now draws masks: a new signature, recorded, and refused
    with pytest.warns(CompileWarning, match="Dropout|not compiled"):
        step(*data[3])
    compiled.model.eval()
    eager.model.train()
    eager.step(*data[3])  # (the same draws are not replayed: only the eval-mode steps are compared below)
    eager.model.eval()
    for name, p in compiled.model.named_parameters():
        dict(eager.model.named_parameters())[name].data = p.detach().numpy().copy()
    for x, y in data[4:]:
        assert step(x, y).item() == eager.step(x, y).item()


def test_gradient_clipping_inside_the_step_is_refused():
    s = Setup("sgd")

    def step(x, y):
        s.opt.zero_grad()
        loss = s.loss_fn(s.model(x), y)
        loss.backward()
        tg.nn.utils.clip_grad_norm_(s.model.parameters(), 1e-3)
        s.opt.step()
        return loss

    _refused(step, batches(2, 8), "changes gradients in place")


def test_a_new_parameter_group_records_again():
    data = batches(6, 8)
    eager, compiled = Setup("adam"), Setup("adam")
    extra_e, extra_c = tg.nn.Linear(3, 3), tg.nn.Linear(3, 3)
    step = tg.compile(compiled.step, strict=True)
    for x, y in data[:3]:
        assert step(x, y).item() == eager.step(x, y).item()
    eager.opt.add_param_group({"params": extra_e.parameters()})
    compiled.opt.add_param_group({"params": extra_c.parameters()})
    with pytest.raises(CompileError, match="not exactly the parameters"):
        step(*data[3])


def test_anomaly_mode_runs_eagerly():
    s = Setup("sgd")
    step = tg.compile(s.step)
    with tg.detect_anomaly(), pytest.warns(CompileWarning, match="anomaly detection is on"):
        step(*batches(1, 4)[0])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("batch", [1, 128])
def test_the_benchmark_network_bit_for_bit(optimizer, batch):
    """784-256-128-10, the network of the benchmarks: two column-major weights, one row-major."""
    sizes = (784, 256, 128, 10)
    data = batches(4, batch, n_in=784, n_out=10)
    eager, compiled = Setup(optimizer, sizes=sizes), Setup(optimizer, sizes=sizes)
    run_both(eager, compiled, data)
    assert_same_state(eager, compiled)


def test_as_a_decorator_with_options():
    s, ref = Setup("sgd"), Setup("sgd")

    @tg.compile(optimizer=s.opt, strict=True)
    def train_step(x, y):
        return s.step(x, y)

    assert train_step.__name__ == "train_step"
    for x, y in batches(3, 8):
        assert train_step(x, y).item() == ref.step(x, y).item()
    assert len(train_step.plans) == 1
