"""fit / evaluate / predict, callbacks, metrics, NaN handling, interrupt and resume."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import data as D
from tinygrad_mlp import metrics as M
from tinygrad_mlp import nn
from tinygrad_mlp.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    JSONLogger,
    LossThreshold,
    ModelCheckpoint,
    evaluate,
    fit,
    predict,
)

try:
    import sklearn.metrics as skm
except ImportError:
    skm = None

MNIST_DIR = os.environ.get("TINYGRAD_MLP_MNIST") or str(Path(__file__).resolve().parents[3] / "shared/data/mnist")


def iris_split():
    X, y = D.load_iris()
    X_train, X_test, y_train, y_test = D.train_test_split(X, y, test_size=0.4, random_state=42)
    scaler = D.StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def test_iris_reaches_the_bar():
    X_train, X_test, y_train, y_test = iris_split()
    tg.manual_seed(0)
    model = nn.MLP(4, [128], 3)
    history = fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters(), lr=0.01), (X_train, y_train),
                  epochs=60, batch_size=8, val_data=(X_test, y_test), report_every=0, progress=False)
    assert history["val_accuracy"][-1] >= 0.9833
    assert set(history.keys()) >= {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    result = evaluate(model, (X_test, y_test), nn.CrossEntropyLoss(), ("accuracy", "f1"))
    assert result["accuracy"] == history["val_accuracy"][-1] and 0 < result["loss"] < 0.2
    assert predict(model, X_test).shape == (60, 3)
    assert history["loss"][-1] < history["loss"][0]


def test_batch_size_one_and_full_batch():
    X_train, _, y_train, _ = iris_split()
    for batch_size in (1, None):
        tg.manual_seed(0)
        model = nn.MLP(4, [16], 3)
        h = fit(model, nn.CrossEntropyLoss(), tg.optim.SGD(model.parameters(), lr=0.05 if batch_size else 0.5),
                (X_train, y_train), epochs=20 if batch_size else 200, batch_size=batch_size, report_every=0,
                progress=False)
        assert h["accuracy"][-1] > 0.9


def test_fit_is_reproducible_under_manual_seed():
    X_train, _, y_train, _ = iris_split()

    def once():
        tg.manual_seed(5)
        model = nn.MLP(4, [8], 3, dropout=0.2)
        return fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters()), (X_train, y_train), epochs=3,
                   report_every=0, progress=False)["loss"]

    assert once() == once()


def test_scheduler_steps_per_epoch_and_onecycle_per_batch():
    X_train, _, y_train, _ = iris_split()
    model = nn.MLP(4, [8], 3)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    h = fit(model, nn.CrossEntropyLoss(), opt, (X_train, y_train), epochs=4,
            scheduler=tg.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5), report_every=0, progress=False)
    assert h["lr"] == [0.1, 0.1, 0.05, 0.05]
    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = D.DataLoader(D.TensorDataset(X_train, y_train), batch_size=30)
    sched = tg.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=2 * len(loader))
    fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=2, scheduler=sched, report_every=0, progress=False)
    assert sched.last_epoch == 2 * len(loader)
    opt = tg.optim.Adam(model.parameters(), lr=0.1)
    plateau = tg.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5, threshold=10.0)
    h = fit(model, nn.CrossEntropyLoss(), opt, (X_train, y_train), epochs=3, scheduler=plateau, report_every=0,
            progress=False)
    assert h["lr"] == [0.1, 0.05, 0.025]


def test_report_every_prints_a_table(capsys):
    X_train, _, y_train, _ = iris_split()
    model = nn.MLP(4, [8], 3)
    fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters()), (X_train, y_train), epochs=4,
        report_every=2, progress=False)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "training step: compiled"  # the path fit took (tests/test_fit_compile.py)
    assert lines[1].split() == ["epoch", "loss", "accuracy", "lr", "seconds"]
    assert [int(line.split()[0]) for line in lines[2:]] == [1, 2, 4]


# --- callbacks ----------------------------------------------------------------------------------------------


def test_early_stopping_restores_best_weights():
    X_train, X_test, y_train, y_test = iris_split()
    tg.manual_seed(0)
    model = nn.MLP(4, [32], 3)
    stopper = EarlyStopping("val_loss", patience=3, restore_best_weights=True)
    opt = tg.optim.SGD(model.parameters(), lr=3.0)  # far too high: the val loss soon stops improving
    h = fit(model, nn.CrossEntropyLoss(), opt, (X_train, y_train), epochs=200, val_data=(X_test, y_test),
            callbacks=[stopper], report_every=0, progress=False)
    assert len(h) < 200 and "early stopping" in h.stop_reason
    assert len(h) == stopper.best_epoch + 3
    best = min(h["val_loss"])
    assert evaluate(model, (X_test, y_test), nn.CrossEntropyLoss())["loss"] == pytest.approx(best, rel=1e-5)


def test_missing_monitor_is_a_clear_error():
    X_train, _, y_train, _ = iris_split()
    model = nn.MLP(4, [8], 3)
    with pytest.raises(ValueError, match="monitored value 'val_loss' is not logged"):
        fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters()), (X_train, y_train), epochs=2,
            callbacks=[EarlyStopping()], report_every=0, progress=False)


def test_checkpoint_threshold_and_loggers(tmp_path):
    X_train, X_test, y_train, y_test = iris_split()
    tg.manual_seed(1)
    model = nn.MLP(4, [32], 3)
    ckpt = ModelCheckpoint(tmp_path / "best.npz", monitor="val_accuracy")
    threshold = LossThreshold(0.3)
    h = fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters(), lr=0.02), (X_train, y_train),
            epochs=30, val_data=(X_test, y_test), report_every=0, progress=False,
            callbacks=[ckpt, threshold, CSVLogger(tmp_path / "h.csv"), JSONLogger(tmp_path / "h.jsonl")])
    assert ckpt.saved_epochs[0] == 1 and len(ckpt.saved_epochs) < 30
    best = nn.MLP(4, [32], 3)
    best.load_state_dict(tg.load(tmp_path / "best.npz"))
    assert evaluate(best, (X_test, y_test))["accuracy"] == max(h["val_accuracy"])
    first_below = next(i for i, v in enumerate(h["loss"], 1) if v < 0.3)
    assert threshold.epoch == first_below and 0 < threshold.seconds < 30
    rows = (tmp_path / "h.csv").read_text().strip().splitlines()
    assert rows[0].startswith("epoch,loss,accuracy,val_loss") and len(rows) == 31
    records = [json.loads(line) for line in (tmp_path / "h.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1, 31))


def test_custom_callback_can_stop_training():
    class StopAt(Callback):
        def on_epoch_end(self, trainer, logs):
            trainer.stop = logs["epoch"] == 3

    X_train, _, y_train, _ = iris_split()
    model = nn.MLP(4, [8], 3)
    h = fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters()), (X_train, y_train), epochs=10,
            callbacks=[StopAt()], report_every=0, progress=False)
    assert len(h) == 3


# --- faults -------------------------------------------------------------------------------------------------


def test_nan_loss_stops_with_last_good_weights():
    X_train, _, y_train, _ = iris_split()
    model = nn.MLP(4, [8], 3)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    fit(model, nn.CrossEntropyLoss(), opt, (X_train, y_train), epochs=1, report_every=0, progress=False)
    good = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    class Poison(nn.Module):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def forward(self, out, y):
            self.calls += 1
            loss = nn.functional.cross_entropy(out, y)
            return loss * float("nan") if self.calls > 5 else loss

    h = fit(model, Poison(), opt, (X_train, y_train), epochs=3, on_nan="stop", report_every=0, progress=False)
    assert "loss became nan at epoch 2, step 3" in h.stop_reason and len(h) == 1
    poison = Poison()
    poison.calls = 3
    with pytest.raises(FloatingPointError, match="loss became nan at epoch 1, step 3"):
        fit(model, poison, opt, (X_train, y_train), epochs=3, report_every=0, progress=False)
    for v in model.state_dict().values():
        assert np.all(np.isfinite(v.numpy()))
    assert not np.array_equal(good["0.weight"], np.zeros_like(good["0.weight"]))


def test_nan_in_training_data_names_the_row():
    X = np.ones((10, 2), dtype=np.float32)
    X[7, 1] = np.nan
    model = nn.MLP(2, [4], 2)
    with pytest.raises(ValueError, match="inputs hold NaN or inf .*row 7 of the data set"):
        fit(model, nn.CrossEntropyLoss(), tg.optim.SGD(model.parameters(), lr=0.1), (X, np.zeros(10, dtype=int)),
            epochs=1, batch_size=10, shuffle=False, report_every=0, progress=False)


def test_interrupt_then_resume_equals_uninterrupted(tmp_path):
    X_train, _, y_train, _ = iris_split()

    def setup():
        tg.manual_seed(11)
        model = nn.MLP(4, [16], 3, dropout=0.1)
        opt = tg.optim.Adam(model.parameters(), lr=0.01)
        sched = tg.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.7)
        loader = D.DataLoader(D.TensorDataset(X_train, y_train), batch_size=16, shuffle=True, seed=4)
        return model, opt, sched, loader

    model, opt, sched, loader = setup()
    straight = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=6, scheduler=sched, report_every=0,
                   progress=False)
    expected = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    class CtrlC(Callback):
        def on_epoch_end(self, trainer, logs):
            if logs["epoch"] == 3:
                raise KeyboardInterrupt

    model, opt, sched, loader = setup()
    path = tmp_path / "ckpt.npz"
    h = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=6, scheduler=sched, callbacks=[CtrlC()],
            checkpoint_path=path, report_every=0, progress=False)
    assert h.interrupted and len(h) == 2 and path.exists()

    model, opt, sched, loader = setup()
    tg.manual_seed(999)  # a different global state: the checkpoint must restore it
    resumed = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=6, scheduler=sched, resume_from=path,
                  report_every=0, progress=False)
    assert resumed["loss"] == straight["loss"]
    for k, v in model.state_dict().items():
        assert np.array_equal(v.numpy(), expected[k]), k


def test_bad_fit_arguments():
    model = nn.MLP(2, [4], 2)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    data = (np.zeros((4, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
        fit(model, nn.CrossEntropyLoss(), opt, data, epochs=-1)
    with pytest.raises(ValueError, match="unknown metric 'acc'; valid: accuracy"):
        fit(model, nn.CrossEntropyLoss(), opt, data, epochs=1, metrics=("acc",))
    with pytest.raises(ValueError, match="4 inputs but 3 targets"):
        fit(model, nn.CrossEntropyLoss(), opt, (np.zeros((4, 2)), np.zeros(3, dtype=int)), epochs=1)
    with pytest.raises(ValueError, match="on_nan must be"):
        fit(model, nn.CrossEntropyLoss(), opt, data, epochs=1, on_nan="ignore")


# --- metrics --------------------------------------------------------------------------------------------------


def test_metrics_against_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    scores = rng.standard_normal((200, 4)) + np.eye(4)[y] * 1.5
    pred = scores.argmax(1)
    assert M.accuracy(y, scores) == np.mean(pred == y)
    assert M.accuracy(np.eye(4)[y], scores) == np.mean(pred == y)
    cm = M.confusion_matrix(y, pred, 4)
    prf = M.precision_recall_f1(y, pred)
    reg_t, reg_p = rng.standard_normal(50), rng.standard_normal(50)
    if skm is not None:
        assert np.array_equal(cm, skm.confusion_matrix(y, pred))
        assert np.allclose(prf["precision"], skm.precision_score(y, pred, average=None))
        assert np.allclose(prf["recall"], skm.recall_score(y, pred, average=None))
        assert prf["macro_f1"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
        assert M.top_k_accuracy(y, scores, 2) == pytest.approx(skm.top_k_accuracy_score(y, scores, k=2))
        assert M.r2(reg_t, reg_p) == pytest.approx(skm.r2_score(reg_t, reg_p))
        assert M.mae(reg_t, reg_p) == pytest.approx(skm.mean_absolute_error(reg_t, reg_p))
        assert M.mse(reg_t, reg_p) == pytest.approx(skm.mean_squared_error(reg_t, reg_p))
    assert cm.sum() == 200 and np.trace(cm) == np.sum(pred == y)
    assert M.top_k_accuracy(y, scores, 4) == 1.0
    assert M.accuracy([1, 0], np.array([[0.9], [0.2]])) == 1.0  # one column of probabilities
    assert M.r2([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 1.0


@pytest.mark.skipif(not Path(MNIST_DIR).is_dir(), reason=f"MNIST folder {MNIST_DIR} is absent")
def test_mnist_reaches_97_percent_in_two_epochs():
    (X, y), (Xt, yt) = D.load_mnist(MNIST_DIR)
    tg.manual_seed(0)
    model = nn.MLP(784, [256, 128], 10, init="kaiming")
    h = fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters(), lr=1e-3), (X, y), epochs=2,
            batch_size=128, val_data=(Xt, yt), report_every=0, progress=False)
    assert h["val_accuracy"][-1] >= 0.97


def test_progress_bar_on_a_terminal_and_none_otherwise(monkeypatch):
    pytest.importorskip("tqdm", reason="tqdm not installed: pip install -e '.[progress]'")
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    X_train, _, y_train, _ = iris_split()
    model = nn.MLP(4, [8], 3)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters()), (X_train, y_train), epochs=3, batch_size=4,
        report_every=0, progress=True)
    shown = terminal.getvalue()
    assert "step" in shown and "loss=" in shown and "accuracy=" in shown
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters()), (X_train, y_train), epochs=1,
        report_every=0, progress=True)
    assert pipe.getvalue() == ""  # not a terminal: no bar
