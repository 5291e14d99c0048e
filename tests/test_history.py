"""History as Keras and pandas users expect it, batch-level callbacks, the progress bar and the
TensorBoard logger."""

import io
import sys

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import nn
from tinygrad_mlp.data import make_moons
from tinygrad_mlp.train import Callback, History, TensorBoardLogger, _TablePrinter, fit


def train(epochs=4, callbacks=(), val=True, **kwargs):
    tg.manual_seed(0)
    X, y = make_moons(120, noise=0.1, random_state=0)
    model = nn.MLP(2, [8], 2)
    history = fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters(), lr=0.01), (X[:100], y[:100]),
                  epochs=epochs, batch_size=25, val_data=(X[100:], y[100:]) if val else None, callbacks=callbacks,
                  report_every=0, progress=False, **kwargs)
    return model, history


@pytest.fixture(scope="module")
def history():
    return train()[1]


def test_history_dict_of_lists_as_in_keras(history):
    h = history.history
    assert list(h) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"]
    assert h["epoch"] == [1, 2, 3, 4]
    assert h["val_loss"] == [e["val_loss"] for e in history.epochs] == history["val_loss"]
    assert all(len(v) == 4 for v in h.values())
    assert h["loss"][-1] < h["loss"][0]


def test_history_to_pandas_and_dataframe(history):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(history)
    assert frame.shape == (4, 7) and list(frame["epoch"]) == [1, 2, 3, 4]
    np.testing.assert_allclose(frame["val_accuracy"], history["val_accuracy"])
    indexed = history.to_pandas()
    assert indexed.index.name == "epoch" and list(indexed.index) == [1, 2, 3, 4]
    assert indexed.loc[3, "loss"] == history["loss"][2]
    assert pd.DataFrame(history.history).equals(frame)


def test_history_html_repr(history):
    html = history._repr_html_()
    assert html.count("<tr>") == 5 and "<th>val_loss</th>" in html
    assert f"{history['loss'][0]:.5g}" in html
    long = History([{"epoch": e, "loss": 1.0 / e} for e in range(1, 41)])
    assert long._repr_html_().count("<tr>") == 1 + 10 + 1 + 5  # header, first 10, an ellipsis row, last 5


def test_history_plot(history):
    pytest.importorskip("matplotlib")
    fig = history.plot()
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]


class Recorder(Callback):
    def __init__(self):
        self.events = []

    def on_batch_begin(self, trainer, step):
        self.events.append(("begin", trainer.epoch + 1, step))

    def on_batch_end(self, trainer, logs):
        self.events.append(("end", logs["epoch"], logs["batch"], logs["size"], logs["loss"]))

    def on_epoch_end(self, trainer, logs):
        self.events.append(("epoch", logs["epoch"]))


def test_batch_hooks_run_around_every_step():
    rec = Recorder()
    _, history = train(epochs=2, callbacks=[rec], val=False)
    kinds = [e[0] for e in rec.events]
    assert kinds == (["begin", "end"] * 4 + ["epoch"]) * 2  # 100 rows / 25 per batch
    ends = [e for e in rec.events if e[0] == "end"]
    assert [(e[1], e[2], e[3]) for e in ends] == [(ep, b, 25) for ep in (1, 2) for b in (1, 2, 3, 4)]
    # the epoch's loss is the size-weighted mean of its batch losses
    assert np.isclose(np.mean([e[4] for e in ends[:4]]), history["loss"][0], rtol=1e-6)


def test_no_progress_bar_in_a_pipe(monkeypatch):
    from tinygrad_mlp import train as T

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert T._progress_bar(True, 10) is None
    assert not T._in_notebook()


def test_table_rows_print_through_the_bar(capsys):
    class Bar:
        def __init__(self):
            self.lines = []

        def write(self, line, file=None):
            self.lines.append(line)

    bar = Bar()
    printer = _TablePrinter(1, ["accuracy"], False, bar)
    printer.row({"epoch": 1, "loss": 0.5, "accuracy": 0.75, "lr": 0.01, "seconds": 0.1})
    assert capsys.readouterr().out == ""
    assert bar.lines[0].split() == ["epoch", "loss", "accuracy", "lr", "seconds"]
    assert bar.lines[1].split() == ["1", "0.5", "0.75", "0.01", "0.1"]


def test_tensorboard_logger_writes_events_tensorboard_reads(tmp_path):
    pytest.importorskip("tensorboard", reason="optional extra: pip install -e '.[tensorboard]'")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model, history = train(epochs=3, callbacks=[TensorBoardLogger(tmp_path / "tb", histograms=True, batch_every=2)])
    files = list((tmp_path / "tb").glob("events.out.tfevents.*"))
    assert len(files) == 1
    acc = EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    assert {"loss/train", "loss/validation", "accuracy/train", "accuracy/validation", "lr"} <= set(tags["scalars"])
    assert [e.step for e in acc.Scalars("loss/train")] == [1, 2, 3]
    np.testing.assert_allclose([e.value for e in acc.Scalars("loss/train")], history["loss"], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in acc.Scalars("loss/validation")], history["val_loss"], rtol=1e-6)
    assert [e.step for e in acc.Scalars("batch/loss")] == [2, 4, 6, 8, 10, 12]  # 4 batches an epoch, every 2nd
    assert set(tags["histograms"]) == {f"weights/{name}" for name, _ in model.named_parameters()}
    last = acc.Histograms("weights/0.weight")[-1].histogram_value
    w = model.state_dict()["0.weight"].numpy()
    assert last.num == w.size and np.isclose(last.min, w.min()) and np.isclose(last.max, w.max())
    assert np.isclose(last.sum, w.sum(), atol=1e-5)


def test_model_summary_html_repr():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    summary = model.summary((4,))
    html = summary._repr_html_()
    assert html.startswith("<table>") and html.count("<tr>") == 1 + 3 + 2  # header, 3 layers, 2 totals
    assert "<td style='text-align:left'>(N, 8)</td>" in html and "<b>67</b>" in html  # 4*8+8 + 8*3+3
    assert summary.total_params == 67
