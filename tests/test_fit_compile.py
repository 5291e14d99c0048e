"""fit(compile=True), the default: the same History, weights, .grad, optimizer state and checkpoints as
compile=False, bit for bit; the fallback to eager with its reason; the CLI's --no-compile."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp.cli import main
from tinygrad_mlp.data import load_iris, make_xor
from tinygrad_mlp.train import fit

OPTIMIZERS = {
    "sgd": lambda ps: tg.optim.SGD(ps, lr=0.1),
    "sgd_momentum": lambda ps: tg.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "adam": lambda ps: tg.optim.Adam(ps, lr=0.01),
}


def iris() -> tuple:
    bundle = load_iris()
    X = bundle.data
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32), bundle.target


DATA = {"iris": (iris, (4, [16, 16], 3), 16, 12), "xor": (make_xor, (2, [8], 2), 4, 300)}


class Run:
    """One fit from a seed: the model, optimizer and History it ends with."""

    def __init__(self, data: str, optimizer: str, compile: bool | None, epochs: int | None = None, seed: int = 0,
                 activation: str = "relu", scheduler: bool = False, **kwargs) -> None:
        make, (n_in, hidden, n_out), batch, default_epochs = DATA[data]
        epochs = epochs or default_epochs
        X, y = make()
        tg.manual_seed(seed)
        self.model = tg.nn.MLP(n_in, hidden, n_out, activation=activation)
        self.opt = OPTIMIZERS[optimizer](self.model.parameters())
        sched = None
        if scheduler:
            sched = tg.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=0.05, total_steps=epochs * -(-len(X) // batch))
        kwargs = {"report_every": 0, "progress": False, **kwargs}
        self.history = fit(self.model, tg.nn.CrossEntropyLoss(), self.opt, (X, y), epochs=epochs, batch_size=batch,
                           val_data=(X[::3], y[::3]), scheduler=sched, compile=compile, **kwargs)


def records(history) -> list:
    return [{k: v for k, v in e.items() if k != "seconds"} for e in history.epochs]


def assert_same_state(a: Run, b: Run) -> None:
    for (name, p), q in zip(a.model.named_parameters(), b.model.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)
        if p.grad is None or q.grad is None:
            assert p.grad is None and q.grad is None, name
        else:
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=f"{name}.grad")
    sa, sb = a.opt.state_dict(), b.opt.state_dict()
    assert sa["param_groups"] == sb["param_groups"]
    for k in sa["state"]:
        for key, value in sa["state"][k].items():
            other = sb["state"][k][key]
            if isinstance(value, tg.Tensor):
                np.testing.assert_array_equal(value.numpy(), other.numpy(), err_msg=f"state {k} {key}")
            else:
                assert value == other


@pytest.mark.parametrize("data", sorted(DATA))
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_compiled_fit_gives_the_eager_history_bit_for_bit(data, optimizer):
    compiled, eager = Run(data, optimizer, None), Run(data, optimizer, False)
    assert compiled.history.train_step == "compiled"
    assert eager.history.train_step == "eager: compile=False"
    assert records(compiled.history) == records(eager.history)
    assert len(compiled.history) == DATA[data][3] and compiled.history["accuracy"][-1] >= 0.9
    assert_same_state(compiled, eager)


def test_per_batch_schedule_and_tanh_are_followed():
    compiled = Run("iris", "adam", True, activation="tanh", scheduler=True)
    eager = Run("iris", "adam", False, activation="tanh", scheduler=True)
    assert compiled.history.train_step == "compiled"
    assert records(compiled.history) == records(eager.history)
    assert len(set(compiled.history["lr"])) > 3  # the schedule moved the learning rate
    assert_same_state(compiled, eager)


def test_the_path_taken_is_printed(capsys):
    Run("xor", "adam", None, epochs=2, report_every=1)
    assert capsys.readouterr().out.splitlines()[0] == "training step: compiled"
    Run("xor", "adam", False, epochs=2, report_every=1)
    assert capsys.readouterr().out.splitlines()[0] == "training step: eager: compile=False"
    Run("xor", "adam", None, epochs=2, report_every=0)
    assert capsys.readouterr().out == ""


def test_detect_anomaly_runs_eagerly_and_says_why(capsys):
    run = Run("xor", "sgd", None, epochs=2, report_every=1, detect_anomaly=True)
    assert run.history.train_step.startswith("eager: detect_anomaly=True")
    assert capsys.readouterr().out.splitlines()[0].startswith("training step: eager: detect_anomaly=True")


def test_an_unsupported_model_falls_back_with_the_reason(capsys):
    X, y = iris()
    histories = []
    for compile in (None, False):
        tg.manual_seed(0)
        model = tg.nn.MLP(4, [16], 3, dropout=0.2)
        opt = tg.optim.Adam(model.parameters(), lr=0.01)
        histories.append(fit(model, tg.nn.CrossEntropyLoss(), opt, (X, y), epochs=4, batch_size=16, report_every=1,
                             progress=False, compile=compile))
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("training step: eager: the graph holds") and "not compiled" in first
    assert histories[0].train_step == first.removeprefix("training step: ")
    assert records(histories[0]) == records(histories[1])  # the refused first step was eager's own


def test_a_forward_hook_falls_back_and_still_runs():
    X, y = make_xor()
    tg.manual_seed(0)
    model = tg.nn.MLP(2, [8], 2)
    calls = []
    model.register_forward_hook(lambda module, args, out: calls.append(1))
    fit(model, tg.nn.CrossEntropyLoss(), tg.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3, batch_size=4,
        report_every=0, progress=False)
    assert len(calls) == 3
    history = fit(model, tg.nn.CrossEntropyLoss(), tg.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1,
                  batch_size=4, report_every=0, progress=False)
    assert history.train_step.startswith("eager: a module (MLP) has forward hooks")


def test_a_custom_loss_falls_back():
    X, y = make_xor()
    tg.manual_seed(0)
    model = tg.nn.MLP(2, [8], 2)

    def loss_fn(out, target):
        return tg.nn.functional.cross_entropy(out, target) + 0.01 * (out * out).mean()

    history = fit(model, loss_fn, tg.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2, batch_size=4,
                  report_every=0, progress=False)
    assert history.train_step == ("eager: the loss is test_a_custom_loss_falls_back.<locals>.loss_fn, not "
                                  "nn.CrossEntropyLoss or nn.MSELoss, whose Python a replay would skip (pass "
                                  "compile=True if it only computes)")
    history = fit(model, loss_fn, tg.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2, batch_size=4,
                  report_every=0, progress=False, compile=True)
    assert history.train_step.startswith("eager: the loss is AddBackward")  # compile itself refuses the graph


class Net(tg.nn.Module):
    """A model class of the user's own: compiled only with compile=True."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = tg.nn.Linear(4, 16), tg.nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


def test_a_model_class_of_ones_own_is_compiled_only_when_asked():
    X, y = iris()
    runs = []
    for compile in (None, True, False):
        tg.manual_seed(0)
        model = Net()
        opt = tg.optim.Adam(model.parameters(), lr=0.01)
        runs.append(fit(model, tg.nn.CrossEntropyLoss(), opt, (X, y), epochs=5, batch_size=16, report_every=0,
                        progress=False, compile=compile))
    assert runs[0].train_step.startswith("eager: the model holds Net, a module class of its own")
    assert runs[1].train_step == "compiled"
    assert records(runs[0]) == records(runs[1]) == records(runs[2])


@pytest.mark.parametrize("on_nan", ["raise", "stop"])
def test_a_diverging_run_is_handled_as_eager(on_nan):
    """A huge learning rate: the same error (or stop), the same History and the last good epoch's weights."""
    outcomes = []
    for compile in (True, False):
        X, y = iris()
        tg.manual_seed(0)
        model = tg.nn.MLP(4, [16], 3)
        opt = tg.optim.SGD(model.parameters(), lr=50.0)
        history = tg.train.History()
        try:
            with np.errstate(all="ignore"):
                history = fit(model, tg.nn.CrossEntropyLoss(), opt, (X, y), epochs=20, batch_size=16,
                              report_every=0, progress=False, on_nan=on_nan, compile=compile)
            error = None
        except FloatingPointError as e:
            error = str(e)
        outcomes.append((error, records(history), history.stop_reason, [p.numpy().copy() for p in model.parameters()],
                         [p.grad for p in model.parameters()]))
    (e1, r1, s1, w1, g1), (e2, r2, s2, w2, g2) = outcomes
    assert (e1 is not None) == (on_nan == "raise")
    assert e1 == e2 and r1 == r2 and s1 == s2
    assert "the loss became nan at epoch 2, step 4" in (e1 or s1)  # in a replayed step, after a whole epoch
    assert on_nan == "raise" or len(r1) == 1
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    assert g1 == g2 == [None] * len(g1)  # zero_grad ran and backward did not, as in eager


@pytest.mark.parametrize("first", [True, False], ids=["compiled_then_eager", "eager_then_compiled"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum"])
def test_checkpoints_resume_across_paths(tmp_path, first, optimizer):
    path = tmp_path / "ckpt.safetensors"
    whole = Run("iris", optimizer, False, epochs=10)
    Run("iris", optimizer, first, epochs=5, checkpoint_path=path)
    resumed = Run("iris", optimizer, not first, epochs=10, seed=7, resume_from=path)
    assert resumed.history.train_step == ("eager: compile=False" if first else "compiled")
    assert records(resumed.history) == records(whole.history)
    assert_same_state(resumed, whole)


def test_an_experiment_config_turns_compile_off():
    from tinygrad_mlp.experiment import run

    base = {"dataset": "xor", "epochs": 2, "report_every": 0, "progress": False, "hidden": [8]}
    off, on = run({**base, "compile": False}), run(base)
    assert off["history"].train_step == "eager: compile=False" and on["history"].train_step == "compiled"
    assert records(off["history"]) == records(on["history"])  # the same run either way


def test_compile_returns_the_output_when_the_step_does():
    tg.manual_seed(0)
    model = tg.nn.MLP(6, [12], 4)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = tg.nn.CrossEntropyLoss()
    tg.manual_seed(0)
    twin = tg.nn.MLP(6, [12], 4)
    twin_opt = tg.optim.SGD(twin.parameters(), lr=0.1)

    def make(model, opt):
        def step(x, y):
            opt.zero_grad()
            out = model(x)
            loss = loss_fn(out, y)
            loss.backward()
            opt.step()
            return loss, out

        return step

    eager, compiled = make(twin, twin_opt), tg.compile(make(model, opt), strict=True)
    rng = np.random.default_rng(0)
    kept = []
    for _ in range(5):
        x, y = tg.tensor(rng.standard_normal((8, 6)).astype(np.float32)), tg.tensor(rng.integers(0, 4, 8))
        (loss, out), (eloss, eout) = compiled(x, y), eager(x, y)
        assert loss.item() == eloss.item()
        np.testing.assert_array_equal(out.numpy(), eout.numpy())
        kept.append(out)
    assert len(compiled.plans) == 1
    assert len({id(o.numpy()) for o in kept}) == 5  # a new array each step

    def wrong(x, y):
        opt.zero_grad()
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        opt.step()
        return loss, x

    with pytest.raises(tg.compile.__globals__["CompileError"], match="second returned value"):
        tg.compile(wrong, strict=True)(x, y)


def test_cli_no_compile(tmp_path, capsys):
    args = ["train", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--seed", "1"]
    assert main(args) == 0
    assert "training step: compiled" in capsys.readouterr().out.splitlines()
    assert main([*args, "--no-compile"]) == 0
    assert "training step: eager: compile=False" in capsys.readouterr().out.splitlines()
