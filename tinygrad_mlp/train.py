"""Training loop: ``fit`` / ``evaluate`` / ``predict``, a ``History`` and callbacks.

>>> import numpy as np, tinygrad_mlp as tg
>>> from tinygrad_mlp.data import make_xor
>>> _ = tg.manual_seed(0)
>>> X, y = make_xor()
>>> model = tg.nn.MLP(2, [8], 2, activation="tanh")
>>> opt = tg.optim.Adam(model.parameters(), lr=0.05)
>>> h = tg.train.fit(model, tg.nn.CrossEntropyLoss(), opt, (X, y), epochs=200, batch_size=4, report_every=0,
...                  progress=False)
>>> h["accuracy"][-1]
1.0
"""

from __future__ import annotations

import copy
import csv
import html
import json
import math
import signal
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import metrics as metrics_mod
from . import rng
from .compile import compile as compile_step
from .data import DataLoader, TensorDataset
from .nn import BCEWithLogitsLoss, CrossEntropyLoss, Module, MSELoss
from .nn.utils import predict  # noqa: F401 - train.predict, as documented
from .optim import Optimizer
from .optim.lr_scheduler import OneCycleLR, ReduceLROnPlateau
from .state import detect_anomaly, no_grad
from .tensor import Tensor
from .utils.serialization import load, save
from .utils.state_check import (
    check_generator_state,
    check_module_state,
    check_optimizer_state,
    check_scheduler_state,
)

# --- History ------------------------------------------------------------------------------------------


class History:
    """Per-epoch records: ``history["val_loss"]`` is a list, ``history.epochs`` the raw dicts.

    As in Keras, ``history.history`` is a dict of lists (one per logged value); iterating yields the
    per-epoch dicts, so ``pandas.DataFrame(history)`` (or ``history.to_pandas()``) is one row per epoch.
    ``history.plot()`` draws the curves; in Jupyter a History shows as an HTML table.
    """

    def __init__(self, epochs: list | None = None) -> None:
        self.epochs: list[dict] = list(epochs or [])
        self.stop_reason: str | None = None
        self.interrupted = False
        self.train_step: str | None = None  # set by fit: "compiled", or "eager: <why>"

    def append(self, record: dict) -> None:
        self.epochs.append(record)

    def __getitem__(self, key: str) -> list:
        if not any(key in e for e in self.epochs):
            raise KeyError(f"History has no {key!r}; it has: {', '.join(self.keys())}")
        return [e.get(key) for e in self.epochs]

    def __len__(self) -> int:
        return len(self.epochs)

    def __iter__(self) -> Any:
        return iter(self.epochs)

    @property
    def history(self) -> dict:
        """``{"loss": [...], "val_loss": [...], ...}``: every logged value as a list over epochs (Keras' shape)."""
        return {k: [e.get(k) for e in self.epochs] for k in self.keys()}

    def to_pandas(self) -> Any:
        """A pandas DataFrame, one row per epoch, indexed by epoch."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("History.to_pandas needs pandas: pip install pandas") from None
        frame = pd.DataFrame(self.epochs, columns=self.keys())
        return frame.set_index("epoch") if "epoch" in frame.columns else frame

    def plot(self, path: str | Path | None = None) -> Any:
        """The loss and metric curves (train vs validation); see `tinygrad_mlp.plot.plot_history`."""
        from .plot import plot_history

        return plot_history(self, path)

    def _repr_html_(self) -> str:
        keys = self.keys()
        rows = self.epochs if len(self.epochs) <= 20 else self.epochs[:10] + [None] + self.epochs[-5:]

        def cell(v: Any) -> str:
            return f"{v:.5g}" if isinstance(v, float) else "" if v is None else html.escape(str(v))

        body = "".join("<tr>" + "".join(f"<td>{cell(r.get(k))}</td>" for k in keys) + "</tr>" if r is not None
                       else f"<tr><td colspan='{len(keys)}'>…</td></tr>" for r in rows)
        note = f"<p>{html.escape(self.stop_reason)}</p>" if self.stop_reason else ""
        return (f"<div><b>History</b>: {len(self.epochs)} epochs<table><thead><tr>"
                + "".join(f"<th>{html.escape(k)}</th>" for k in keys) + f"</tr></thead><tbody>{body}</tbody></table>"
                + note + "</div>")

    def keys(self) -> list:
        out: list = []
        for e in self.epochs:
            out += [k for k in e if k not in out]
        return out

    def last(self) -> dict:
        return self.epochs[-1] if self.epochs else {}

    def to_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=self.keys())
            w.writeheader()
            w.writerows(self.epochs)

    def state_dict(self) -> dict:
        return {"epochs": self.epochs, "stop_reason": self.stop_reason}

    def load_state_dict(self, state: dict) -> None:
        self.epochs = [dict(e) for e in state["epochs"]]
        self.stop_reason = state.get("stop_reason")

    def __repr__(self) -> str:
        return f"History({len(self.epochs)} epochs, last={self.last()})"


# --- callbacks ------------------------------------------------------------------------------------------


class Callback:
    """Hooks into `fit`; set ``trainer.stop = True`` to end training after this epoch.

    ``on_batch_begin(trainer, step)`` and ``on_batch_end(trainer, logs)`` (logs: epoch, batch, size,
    loss of that batch) run around every optimizer step; only callbacks that override them cost anything.
    """

    def on_train_begin(self, trainer: Trainer) -> None:
        pass

    def on_batch_begin(self, trainer: Trainer, step: int) -> None:
        pass

    def on_batch_end(self, trainer: Trainer, logs: dict) -> None:
        pass

    def on_epoch_end(self, trainer: Trainer, logs: dict) -> None:
        pass

    def on_train_end(self, trainer: Trainer) -> None:
        pass


def _mode_for(monitor: str, mode: str) -> str:
    if mode != "auto":
        return mode
    return "max" if any(w in monitor for w in ("acc", "f1", "r2")) else "min"


def _monitored(logs: dict, monitor: str, who: str) -> float:
    if monitor not in logs:
        raise ValueError(f"{who}: monitored value {monitor!r} is not logged; logged: {', '.join(logs)}")
    return logs[monitor]


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0, mode: str = "auto",
                 restore_best_weights: bool = False) -> None:
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.patience, self.min_delta = monitor, patience, abs(min_delta)
        self.mode, self.restore_best_weights = _mode_for(monitor, mode), restore_best_weights
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None
        self._best_state: dict | None = None

    def on_train_begin(self, trainer: Trainer) -> None:
        self.best, self.wait, self.stopped_epoch, self._best_state = None, 0, None, None

    def on_epoch_end(self, trainer: Trainer, logs: dict) -> None:
        value = _monitored(logs, self.monitor, "EarlyStopping")
        better = self.best is None or (value < self.best - self.min_delta if self.mode == "min"
                                       else value > self.best + self.min_delta)
        if better:
            self.best, self.best_epoch, self.wait = value, logs["epoch"], 0
            if self.restore_best_weights:
                self._best_state = {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()}
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = logs["epoch"]
                trainer.stop = True
                trainer.history.stop_reason = (f"early stopping: {self.monitor} did not improve for "
                                               f"{self.patience} epochs (best {self.best:.6g} at epoch "
                                               f"{self.best_epoch})")

    def on_train_end(self, trainer: Trainer) -> None:
        if self.restore_best_weights and self._best_state is not None:
            trainer.model.load_state_dict(self._best_state)


class ModelCheckpoint(Callback):
    """Save the model's state_dict to ``path`` (every epoch, or when ``monitor`` improves)."""

    def __init__(self, path: str | Path, monitor: str = "val_loss", mode: str = "auto",
                 save_best_only: bool = True) -> None:
        self.path, self.monitor, self.mode = Path(path), monitor, _mode_for(monitor, mode)
        self.save_best_only, self.best = save_best_only, None
        self.saved_epochs: list = []

    def on_epoch_end(self, trainer: Trainer, logs: dict) -> None:
        if self.save_best_only:
            value = _monitored(logs, self.monitor, "ModelCheckpoint")
            if self.best is not None and not (value < self.best if self.mode == "min" else value > self.best):
                return
            self.best = value
        save(trainer.model.state_dict(), self.path, metadata={"epoch": logs["epoch"]})
        self.saved_epochs.append(logs["epoch"])


class LossThreshold(Callback):
    """Record the epoch and wall time at which ``monitor`` first falls below ``value`` — the
    "time to converge" figure; with ``stop=True`` also end training there."""

    def __init__(self, value: float, monitor: str = "loss", stop: bool = False) -> None:
        self.value, self.monitor, self.stop = value, monitor, stop
        self.epoch: int | None = None
        self.seconds: float | None = None

    def on_train_begin(self, trainer: Trainer) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, trainer: Trainer, logs: dict) -> None:
        if self.epoch is None and _monitored(logs, self.monitor, "LossThreshold") < self.value:
            self.epoch, self.seconds = logs["epoch"], time.perf_counter() - self._start
            if self.stop:
                trainer.stop = True
                trainer.history.stop_reason = f"{self.monitor} fell below {self.value} at epoch {self.epoch}"


class CSVLogger(Callback):
    """Append each epoch's record to a CSV file (header from the first record)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_train_begin(self, trainer: Trainer) -> None:
        self._fields = None

    def on_epoch_end(self, trainer: Trainer, logs: dict) -> None:
        new = self._fields is None
        if new:
            self._fields = list(logs)
        with open(self.path, "w" if new and not trainer.resumed else "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=self._fields, extrasaction="ignore")
            if new and not trainer.resumed:
                w.writeheader()
            w.writerow(logs)


class JSONLogger(Callback):
    """Append each epoch's record as one JSON line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_train_begin(self, trainer: Trainer) -> None:
        if not trainer.resumed:
            self.path.write_text("")

    def on_epoch_end(self, trainer: Trainer, logs: dict) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(logs) + "\n")


class TensorBoardLogger(Callback):
    """Write TensorBoard event files into ``log_dir`` (extra ``tensorboard``; view with
    ``tensorboard --logdir DIR``): every logged number per epoch (``loss``, ``val_loss``, ``lr``, …,
    ``val_x`` grouped with ``x``), with ``histograms=True`` each parameter's histogram per epoch, and
    with ``batch_every=N`` the loss of every N-th batch (tag ``batch/loss``)."""

    def __init__(self, log_dir: str | Path, histograms: bool = False, batch_every: int = 0) -> None:
        try:
            from tensorboard.compat.proto import event_pb2, summary_pb2
            from tensorboard.summary.writer.event_file_writer import EventFileWriter
        except ImportError:
            raise ImportError("TensorBoardLogger needs tensorboard: pip install 'tinygrad_mlp[tensorboard]'") from None
        self._event, self._summary, self._writer_cls = event_pb2.Event, summary_pb2, EventFileWriter
        self.log_dir, self.histograms, self.batch_every = Path(log_dir), histograms, batch_every
        self.writer: Any = None
        self._step = 0

    def _write(self, step: int, values: list) -> None:
        summary = self._summary.Summary(value=values)
        self.writer.add_event(self._event(wall_time=time.time(), step=step, summary=summary))

    def on_train_begin(self, trainer: Trainer) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.writer = self._writer_cls(str(self.log_dir))
        self._step = 0

    def on_batch_end(self, trainer: Trainer, logs: dict) -> None:
        self._step += 1
        if self.batch_every and self._step % self.batch_every == 0:
            self._write(self._step, [self._summary.Summary.Value(tag="batch/loss", simple_value=logs["loss"])])

    def on_epoch_end(self, trainer: Trainer, logs: dict) -> None:
        S = self._summary
        values = []
        for key, v in logs.items():
            if key == "epoch" or not isinstance(v, int | float) or isinstance(v, bool):
                continue
            if key in ("lr", "seconds"):
                tag = key
            else:
                tag = f"{key[4:]}/validation" if key.startswith("val_") else f"{key}/train"
            values.append(S.Summary.Value(tag=tag, simple_value=float(v)))
        if self.histograms:
            for name, p in trainer.model.named_parameters():
                a = p.detach().numpy().astype(np.float64).ravel()
                counts, edges = np.histogram(a, bins=30)
                values.append(S.Summary.Value(tag=f"weights/{name}", histo=S.HistogramProto(
                    min=float(a.min()), max=float(a.max()), num=float(a.size), sum=float(a.sum()),
                    sum_squares=float((a * a).sum()), bucket_limit=edges[1:].tolist(), bucket=counts.tolist())))
        self._write(logs["epoch"], values)
        self.writer.flush()

    def on_train_end(self, trainer: Trainer) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


# --- helpers ------------------------------------------------------------------------------------------------


def as_loader(data: Any, batch_size: int | None = 32, shuffle: bool = False, what: str = "data") -> DataLoader:
    """A DataLoader from a DataLoader, a Dataset, or a tuple ``(X, y)`` of arrays/tensors."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, tuple | list) and len(data) == 2:
        X, y = (np.asarray(a._data if isinstance(a, Tensor) else a) for a in data)
        if len(X) != len(y):
            raise ValueError(f"fit: {what} has {len(X)} inputs but {len(y)} targets")
        if X.dtype.kind in "iub" or X.dtype == np.float64:
            X = X.astype(np.float32)  # float64 creeping in makes every matmul ~2x slower
        return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle)
    if hasattr(data, "__getitem__") and hasattr(data, "__len__"):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle)
    raise TypeError(f"fit: {what} must be a DataLoader, a Dataset or a tuple (X, y), got {type(data).__name__}")


def _check_finite_dataset(loader: DataLoader) -> bool:
    """Check a TensorDataset's float arrays once, up front; True if the per-batch check is then moot."""
    ds = loader.dataset
    if not isinstance(ds, TensorDataset):
        return False
    for i, a in enumerate(ds.arrays):
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            row = int(np.argwhere(~np.isfinite(a.reshape(len(a), -1)))[0][0])
            what = "inputs" if i == 0 else "targets"
            raise ValueError(f"fit: the training {what} hold NaN or inf (first at row {row} of the data set); "
                             "clean or impute them first")
    return True


def _check_finite_batch(x: Tensor, epoch: int, step: int, start_row: int) -> None:
    a = x._data
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        row = int(np.argwhere(~np.isfinite(a.reshape(len(a), -1)))[0][0])
        raise ValueError(f"fit: the training data holds NaN or inf (epoch {epoch}, step {step}, row {row} of the "
                         f"batch, about row {start_row + row} of the data set); clean or impute it first")


def _scores(outputs: np.ndarray, loss_fn: Any) -> np.ndarray:
    """Predictions as probabilities/scores for metrics (logit losses get their sigmoid)."""
    if isinstance(loss_fn, BCEWithLogitsLoss):
        return 1 / (1 + np.exp(-np.clip(outputs, -60, 60)))
    return outputs


def _compute_metrics(names: Sequence[str], y: np.ndarray, scores: np.ndarray) -> dict:
    out = {}
    for name in names:
        fn = metrics_mod.get_metric(name)
        out[name] = float(fn(y, scores))
    return out




def evaluate(model: Module, data: Any, loss_fn: Any = None, metrics: Sequence[str] = ("accuracy",),
             batch_size: int = 1024) -> dict:
    """Loss (if ``loss_fn``) and metrics over a data set, in eval mode without recording."""
    loader = as_loader(data, batch_size=batch_size, what="evaluation data")
    was_training = model.training
    model.eval()
    total, count, outs, targets = 0.0, 0, [], []
    try:
        with no_grad():
            for x, y in loader:
                out = model(x)
                if loss_fn is not None:
                    total += float(loss_fn(out, y).item()) * len(x)
                count += len(x)
                outs.append(out._data)
                targets.append(y._data)
    finally:
        model.train(was_training)
    result = {}
    if loss_fn is not None:
        result["loss"] = total / max(count, 1)
    if count:
        result.update(_compute_metrics(metrics, np.concatenate(targets), _scores(np.concatenate(outs), loss_fn)))
    return result


# --- the loop ---------------------------------------------------------------------------------------------


class Trainer:
    """The state of one training run (what callbacks see and what a checkpoint holds)."""

    def __init__(self, model: Module, loss_fn: Any, optimizer: Optimizer, scheduler: Any = None) -> None:
        self.model, self.loss_fn, self.optimizer, self.scheduler = model, loss_fn, optimizer, scheduler
        self.history = History()
        self.epoch = 0
        self.stop = False
        self.resumed = False
        self.callbacks: list = []
        self.train_step: _TrainStep | None = None  # set by fit

    def state_dict(self, loader: DataLoader | None = None) -> dict:
        """Everything needed to continue bit for bit: weights, optimizer, schedule, RNGs, history."""
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": _plain(self.scheduler.state_dict()) if self.scheduler is not None else None,
            "history": self.history.state_dict(),
            "epoch": self.epoch,
            "rng": rng.default_generator.get_state(),
            "loader_rng": loader.generator.get_state() if loader is not None and loader.generator else None,
        }
        return copy.deepcopy(state)

    def load_state_dict(self, state: dict, loader: DataLoader | None = None) -> None:
        """Restore a checkpoint. Every part is checked first (model, optimizer, scheduler, history, epoch,
        generator states): if any does not fit, this raises and nothing has changed."""
        if not isinstance(state, dict):
            raise ValueError(f"fit: a training checkpoint is a dict, got {type(state).__name__}")
        for key in ("model", "optimizer", "history", "epoch", "rng"):
            if key not in state:
                raise ValueError(f"fit: the checkpoint has no {key!r}: it is not a training checkpoint "
                                 "(written by fit(checkpoint_path=...) or tinygrad-mlp train --out)")
        check_module_state(self.model, state["model"])
        check_optimizer_state(self.optimizer, state["optimizer"])
        if self.scheduler is not None:
            if state.get("scheduler") is None:
                raise ValueError(f"fit: the checkpoint has no scheduler state, this run has a "
                                 f"{type(self.scheduler).__name__}")
            check_scheduler_state(self.scheduler, state["scheduler"], _plain(self.scheduler.state_dict()))
        elif state.get("scheduler") is not None:
            raise ValueError("fit: the checkpoint holds a scheduler state, this run has no scheduler")
        history = state["history"]
        if (not isinstance(history, dict) or not isinstance(history.get("epochs"), list)
                or not all(isinstance(e, dict) for e in history["epochs"])
                or not isinstance(history.get("stop_reason"), str | type(None))):
            raise ValueError("fit: the checkpoint's history is not a dict with a list of epoch records")
        epoch = state["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0 or epoch != len(history["epochs"]):
            raise ValueError(f"fit: the checkpoint's epoch {epoch!r} does not match its history of "
                             f"{len(history['epochs'])} epochs")
        check_generator_state(rng.default_generator, state["rng"], "fit: the checkpoint's rng")
        loader_rng = state.get("loader_rng")
        if loader is not None and loader.generator is not None and loader_rng is not None:
            check_generator_state(loader.generator, loader_rng, "fit: the checkpoint's loader_rng")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(copy.deepcopy(state["scheduler"]))
        self.history.load_state_dict(history)
        self.epoch = epoch
        rng.default_generator.set_state(state["rng"])
        if loader is not None and loader.generator is not None and loader_rng is not None:
            loader.generator.set_state(loader_rng)


def _plain(obj: Any) -> Any:
    """Scheduler state made saveable (Counters become dicts, functions are dropped)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items() if not callable(v)}
    if isinstance(obj, list | tuple):
        return type(obj)(_plain(v) for v in obj)
    return obj


def save_checkpoint(path: str | Path, state: dict) -> None:
    save(state, path, metadata={"kind": "training-checkpoint"})


def fit(model: Module, loss_fn: Any, optimizer: Optimizer, train_data: Any, epochs: int, val_data: Any = None,
        scheduler: Any = None, callbacks: Iterable[Callback] = (), metrics: Sequence[str] = ("accuracy",),
        report_every: int = 1, progress: bool = True, batch_size: int | None = 32, shuffle: bool = True,
        detect_anomaly: bool = False, on_nan: str = "raise", checkpoint_path: str | Path | None = None,
        resume_from: str | Path | None = None, check_data: bool = True, checkpoint_every: int | str = 1,
        compile: bool | None = None) -> History:  # noqa: A002 - the option's natural name
    """Train ``model`` for ``epochs`` epochs and return its `History`.

    ``train_data``/``val_data``: a DataLoader, a Dataset, or ``(X, y)`` (then ``batch_size`` and
    ``shuffle`` apply). Each epoch logs train loss and ``metrics``, the same on ``val_data``, the
    learning rate and the seconds taken. ``report_every=N`` prints a table row every N epochs
    (0: silent); ``progress`` shows a tqdm bar when output is a terminal and tqdm is installed.

    A non-finite loss raises (``on_nan='raise'``) or ends training (``'stop'``) with the weights of
    the last good epoch restored. Ctrl-C ends training cleanly after saving, to
    ``checkpoint_path`` if given, the state at the last completed epoch; ``resume_from`` continues
    from such a checkpoint exactly as if never stopped. SIGTERM (in the main thread) is handled like
    Ctrl-C. With ``checkpoint_path``, the state is also saved (atomically) every ``checkpoint_every``
    epochs (an int) or seconds (a string like ``"30s"``), and at the end, so a killed run loses at most
    that much.

    ``compile``: run each optimizer step through `tinygrad_mlp.compile` when the model, loss and
    optimizer allow it (an MLP of Linear and ReLU/Tanh/Sigmoid, mean cross-entropy or MSE, SGD or
    Adam/AdamW; no dropout in training mode, batch norm, hooks or ``detect_anomaly``). The History, the
    weights, ``.grad``, the optimizer state and the checkpoints are the same bit for bit as eager's.
    ``None`` (the default) compiles only models and losses made of tinygrad_mlp.nn's own classes: a
    forward or a loss of your own may run Python (counters, branches) that a replay would skip;
    ``compile=True`` compiles those too; ``False`` (the CLI's ``--no-compile``) never compiles.
    When the step cannot be compiled it runs eagerly.
    ``history.train_step`` says which path was taken (``"compiled"`` or ``"eager: <why>"``), and so
    does the first printed line when ``report_every``.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
    if on_nan not in ("raise", "stop"):
        raise ValueError(f"fit: on_nan must be 'raise' or 'stop', got {on_nan!r}")
    if report_every < 0:
        raise ValueError(f"fit: report_every must be >= 0, got {report_every}")
    for name in metrics:
        metrics_mod.get_metric(name)
    every_epochs, every_seconds = parse_checkpoint_every(checkpoint_every)
    loader = as_loader(train_data, batch_size, shuffle, "train_data")
    if len(loader.dataset) == 0:
        raise ValueError("fit: train_data holds no samples")
    if loader.shuffle and loader.generator is None:
        loader.generator = rng.Generator(int(rng.get_rng().integers(0, 2 ** 63 - 1)))
    val_loader = as_loader(val_data, 1024, False, "val_data") if val_data is not None else None
    if check_data and _check_finite_dataset(loader):
        check_data = False  # checked once for the whole data set: no per-batch cost
    trainer = Trainer(model, loss_fn, optimizer, scheduler)
    if resume_from is not None:
        trainer.load_state_dict(load(resume_from), loader)
        trainer.resumed = True
    callbacks = list(callbacks)
    trainer.callbacks = callbacks
    per_batch_schedule = isinstance(scheduler, OneCycleLR)
    bar = _progress_bar(progress, (epochs - trainer.epoch) * len(loader))
    printer = _TablePrinter(report_every, metrics, val_loader is not None, bar)
    enabled = "auto" if compile is None else compile
    trainer.train_step = _TrainStep(trainer, enabled, detect_anomaly, printer)
    good_state = trainer.state_dict(loader)
    for cb in callbacks:
        cb.on_train_begin(trainer)
    model.train()
    last_saved = (trainer.epoch, time.monotonic())
    try:
        with _anomaly(detect_anomaly), _sigterm_as_interrupt():
            while trainer.epoch < epochs and not trainer.stop:
                logs = _run_epoch(trainer, loader, val_loader, metrics, per_batch_schedule, bar, on_nan,
                                  good_state, check_data)
                if logs is None:  # stopped on a non-finite loss
                    break
                for cb in callbacks:
                    cb.on_epoch_end(trainer, logs)
                printer.row(logs)
                good_state = trainer.state_dict(loader)
                if checkpoint_path is not None and (
                        (every_epochs and trainer.epoch - last_saved[0] >= every_epochs)
                        or (every_seconds and time.monotonic() - last_saved[1] >= every_seconds)):
                    save_checkpoint(checkpoint_path, good_state)
                    last_saved = (trainer.epoch, time.monotonic())
    except KeyboardInterrupt as e:
        trainer.load_state_dict(good_state, loader)
        trainer.history.interrupted = True
        trainer.history.stop_reason = (f"{'terminated (SIGTERM)' if isinstance(e, Terminated) else 'interrupted'} "
                                       f"during epoch {trainer.epoch + 1}")
        if checkpoint_path is not None:
            save_checkpoint(checkpoint_path, good_state)
        print(f"\nInterrupted: kept the state after epoch {trainer.epoch}"
              + (f", saved to {checkpoint_path}" if checkpoint_path else ""), file=sys.stderr)
    finally:
        if bar is not None:
            bar.close()
    if checkpoint_path is not None and not trainer.history.interrupted:
        save_checkpoint(checkpoint_path, trainer.state_dict(loader))
    for cb in callbacks:
        cb.on_train_end(trainer)
    return trainer.history


class Terminated(KeyboardInterrupt):
    """SIGTERM received during `fit`: handled like Ctrl-C (the last completed epoch is kept and saved)."""


class _sigterm_as_interrupt:
    """Within ``fit`` in the main thread, SIGTERM raises `Terminated`; the old handler comes back after."""

    def __enter__(self) -> None:
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            try:
                self.previous = signal.signal(signal.SIGTERM, self._handle)
            except (ValueError, OSError):  # pragma: no cover - no signals here (e.g. an embedded interpreter)
                self.previous = None

    @staticmethod
    def _handle(signum: int, frame: Any) -> None:
        raise Terminated

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def parse_checkpoint_every(value: int | str) -> tuple:
    """``(epochs, seconds)`` from ``3`` / ``"3"`` (epochs) or ``"30s"`` (seconds); 0 means never."""
    text = str(value).strip().lower()
    try:
        if text.endswith("s"):
            seconds = float(text[:-1])
            if math.isfinite(seconds) and seconds > 0:
                return 0, seconds
        elif not isinstance(value, bool):
            epochs = int(text)
            if epochs >= 0:
                return epochs, 0.0
    except ValueError:
        pass
    raise ValueError(f"checkpoint_every must be a number of epochs (e.g. 1) or of seconds (e.g. '30s'), "
                     f"got {value!r}")


def _anomaly(enabled: bool) -> Any:
    return detect_anomaly() if enabled else _Null()


class _Null:
    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        pass


def _run_epoch(trainer: Trainer, loader: DataLoader, val_loader: DataLoader | None, metric_names: Sequence[str],
               per_batch_schedule: bool, bar: Any, on_nan: str, good_state: dict, check_data: bool) -> dict | None:
    loss_fn, optimizer, scheduler = trainer.loss_fn, trainer.optimizer, trainer.scheduler
    epoch = trainer.epoch + 1
    start = time.perf_counter()
    total, count, outs, targets = 0.0, 0, [], []
    want_metrics = bool(metric_names)
    lr = optimizer.param_groups[0]["lr"]
    begin_cbs = [cb for cb in trainer.callbacks if type(cb).on_batch_begin is not Callback.on_batch_begin]
    end_cbs = [cb for cb in trainer.callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
    for step, (x, y) in enumerate(loader, 1):
        for cb in begin_cbs:
            cb.on_batch_begin(trainer, step)
        if check_data:
            try:
                _check_finite_batch(x, epoch, step, count)
            except ValueError:
                trainer.load_state_dict(good_state, loader)  # bad data changes nothing
                raise
        value, out = _train_batch(trainer, x, y)
        if not math.isfinite(value):
            trainer.load_state_dict(good_state, loader)
            message = (f"fit: the loss became {value} at epoch {epoch}, step {step}; the weights of epoch "
                       f"{trainer.epoch} were kept (lower the learning rate, or use tg.detect_anomaly() to find "
                       f"the op that produced it)")
            trainer.history.stop_reason = message
            if on_nan == "raise":
                raise FloatingPointError(message)
            print(message, file=sys.stderr)
            trainer.stop = True
            return None
        if per_batch_schedule:
            scheduler.step()
        n = len(x)
        total += value * n
        count += n
        for cb in end_cbs:
            cb.on_batch_end(trainer, {"epoch": epoch, "batch": step, "size": n, "loss": value})
        if want_metrics:
            outs.append(out._data)
            targets.append(y._data)
        if bar is not None:
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(epoch=epoch, loss=f"{total / count:.4f}", refresh=False)
    logs: dict = {"epoch": epoch, "loss": total / max(count, 1)}
    if want_metrics and count:
        logs.update(_compute_metrics(metric_names, np.concatenate(targets), _scores(np.concatenate(outs), loss_fn)))
    if val_loader is not None:
        val = evaluate(trainer.model, val_loader, loss_fn, metric_names)
        logs.update({f"val_{k}": v for k, v in val.items()})
    logs["lr"] = lr
    if scheduler is not None and not per_batch_schedule:
        if isinstance(scheduler, ReduceLROnPlateau):
            scheduler.step(logs.get("val_loss", logs["loss"]))
        else:
            scheduler.step()
    logs["seconds"] = time.perf_counter() - start
    trainer.epoch = epoch
    trainer.history.append(logs)
    if bar is not None:
        bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k in ("epoch", "loss", "accuracy", "val_loss",
                                                                          "val_accuracy")})
    return logs


def _train_batch(trainer: Trainer, x: Tensor, y: Tensor) -> tuple:
    """One optimizer step: (the loss as a float, the model's output). With a non-finite loss the eager step
    stops before backward; a compiled one has already updated (fit restores the last good state either way),
    so its gradients are cleared as eager's are."""
    runner = trainer.train_step
    if runner is not None and runner.compiled is not None:
        loss, out = runner(x, y)
        value = float(loss._data)
        if not math.isfinite(value):
            trainer.optimizer.zero_grad()
        return value, out
    trainer.optimizer.zero_grad()
    out = trainer.model(x)
    loss = trainer.loss_fn(out, y)
    value = float(loss._data)
    if math.isfinite(value):
        loss.backward()
        trainer.optimizer.step()
    return value, out


class _TrainStep:
    """fit's optimizer step through `tinygrad_mlp.compile` while that compiles it; ``compiled`` becomes None
    (eager from then on) as soon as compile refuses a batch, with the reason in ``history.train_step``."""

    def __init__(self, trainer: Trainer, enabled: bool | str, anomaly: bool, printer: _TablePrinter) -> None:
        self.history, self.printer = trainer.history, printer
        self.compiled: Any = None
        own = _own_code(trainer.model, trainer.loss_fn) if enabled == "auto" else None
        if not enabled:
            self._say("eager: compile=False")
        elif anomaly:
            self._say("eager: detect_anomaly=True checks every op as it runs")
        elif own:
            self._say(f"eager: {own}, whose Python a replay would skip (pass compile=True if it only computes)")
        else:
            # "auto": numba's fused update only once a run is long enough to pay for loading it (~1-2 s)
            self.compiled = compile_step(_step_function(trainer), optimizer=trainer.optimizer, warn=False,
                                         fused="auto")

    def __call__(self, x: Tensor, y: Tensor) -> tuple:
        result = self.compiled(x, y)
        if self.compiled.eager:
            self._say(f"eager: {next(iter(self.compiled.eager.values()))}")
            self.compiled = None
        elif self.history.train_step is None and self.compiled.plans:
            self._say("compiled")
        return result

    def _say(self, path: str) -> None:
        self.history.train_step = path
        self.printer.note(f"training step: {path}")


def _own_code(model: Module, loss_fn: Any) -> str | None:
    """Why the step may run Python of the user's own (a module or loss not from tinygrad_mlp.nn), or None."""
    if type(loss_fn) not in (CrossEntropyLoss, MSELoss):
        return f"the loss is {_name(loss_fn)}, not nn.CrossEntropyLoss or nn.MSELoss"
    for m in model.modules():
        if not type(m).__module__.startswith("tinygrad_mlp.nn"):
            return f"the model holds {_name(m)}, a module class of its own"
    return None


def _name(obj: Any) -> str:
    if isinstance(obj, Module) or not hasattr(obj, "__qualname__"):
        return type(obj).__qualname__
    return obj.__qualname__


def _step_function(trainer: Trainer) -> Any:
    model, loss_fn, optimizer = trainer.model, trainer.loss_fn, trainer.optimizer

    def step(x: Tensor, y: Tensor) -> tuple:
        optimizer.zero_grad()
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        optimizer.step()
        return loss, out

    return step


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where output is not a terminal but a bar still shows)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _progress_bar(progress: bool, total: int) -> Any:
    """tqdm.auto's bar: a widget in Jupyter, a text bar on a terminal, nothing when output is piped."""
    if not progress or not (_in_notebook() or sys.stderr.isatty()):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    try:
        return tqdm(total=total, unit="step", leave=False, mininterval=0.2)
    except ImportError:  # Jupyter without ipywidgets: tqdm's text bar instead of the widget
        from tqdm.std import tqdm as text_tqdm

        return text_tqdm(total=total, unit="step", leave=False, mininterval=0.2)


class _TablePrinter:
    """Prints one row per ``every`` epochs under a header (through the bar's ``write``: no stale bar lines)."""

    def __init__(self, every: int, metric_names: Sequence[str], has_val: bool, bar: Any = None) -> None:
        self.every = every
        self.bar = bar
        self.columns = ["epoch", "loss", *metric_names]
        if has_val:
            self.columns += ["val_loss"] + [f"val_{m}" for m in metric_names]
        self.columns += ["lr", "seconds"]
        self.printed_header = False

    def row(self, logs: dict) -> None:
        if not self.every or logs["epoch"] % self.every and logs["epoch"] != 1:
            return
        if not self.printed_header:
            self._print("  ".join(f"{c:>12}" for c in self.columns))
            self.printed_header = True
        cells = []
        for c in self.columns:
            v = logs.get(c)
            cells.append(f"{v:>12d}" if isinstance(v, int) else f"{v:>12.5g}" if v is not None else " " * 12)
        self._print("  ".join(cells))

    def note(self, line: str) -> None:
        """A line of its own above the table (only when rows are printed at all)."""
        if self.every:
            self._print(line)

    def _print(self, line: str) -> None:
        if self.bar is not None and not _in_notebook():  # (a Jupyter widget is not in the text stream)
            self.bar.write(line, file=sys.stdout)  # clears the bar, prints, redraws it below
            sys.stdout.flush()
        else:
            print(line, flush=True)
