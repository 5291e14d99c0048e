"""MNIST time to 98% test accuracy through ``fit``, compiled against eager, and the peak memory of each.

784-256-128-10 ReLU MLP, softmax cross-entropy, float32, trained with ``tinygrad_mlp.train.fit``:
``compile=None`` (the default: the compiled step) against ``compile=False`` (eager). After every epoch
a callback measures the test accuracy; the time it takes is not counted. Reported per run: the training
seconds (wall time inside ``fit`` minus that evaluation) when the test accuracy first reached the target,
the accuracy after each epoch, and which step path ``fit`` took. Runs alternate eager/compiled, each in
its own process (``--repeats`` pairs), and the summary gives the median and range of each, and the
median of the per-pair ratios.

Peak memory: each path again in a fresh process, fewer epochs, with ``tracemalloc`` (numpy reports its
arrays to it): the peak of what ``fit`` allocated above what was held when it started (the data set
itself is outside), and the process's ``ru_maxrss``.

    python -m benchmarks.mnist_time [--data-root DIR] [--repeats 3] [--quick]

(``--data-root`` defaults to ``$TINYGRAD_MLP_MNIST``, else ``../shared/data/mnist`` beside the project.)

The defaults are the settings that reach 98.0% in <= 5 s on the 2-core machines of PERF_NOTES.md:
Adam, lr 4e-3 at the peak of a one-cycle schedule over 6 epochs, batch 256 (see benchmarks/README.md).
``--synthetic N`` trains on N random rows instead (only to check that the script runs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from tinygrad_mlp.train import Callback

from .common import emit, main_guard, run_worker

SIZES = [784, 256, 128, 10]
DEFAULT_ROOT = os.environ.get("TINYGRAD_MLP_MNIST") or Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
DEFAULTS = {"optimizer": "adam", "lr": 4e-3, "batch_size": 256, "epochs": 6, "schedule": "onecycle", "target": 0.98}


def load(args: argparse.Namespace) -> tuple:
    if args.synthetic:
        rng = np.random.default_rng(0)
        X = rng.random((args.synthetic, SIZES[0]), dtype=np.float32)
        y = rng.integers(0, SIZES[-1], args.synthetic)
        return (X, y), (X[: max(len(X) // 5, 1)], y[: max(len(X) // 5, 1)])
    from tinygrad_mlp.data import load_mnist

    return load_mnist(args.data_root, download=False)


def build(args: argparse.Namespace, steps_per_epoch: int) -> tuple:
    import tinygrad_mlp as tg

    tg.manual_seed(args.seed)
    model = tg.nn.MLP(SIZES[0], SIZES[1:-1], SIZES[-1])
    if args.optimizer == "adam":
        opt = tg.optim.Adam(model.parameters(), lr=args.lr)
    else:
        opt = tg.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True)
    S = tg.optim.lr_scheduler
    scheduler = {"none": lambda: None,
                 "onecycle": lambda: S.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch),
                 "cosine": lambda: S.CosineAnnealingLR(opt, T_max=args.epochs)}[args.schedule]()
    return model, opt, scheduler


class TestAccuracy(Callback):
    """A fit callback: test accuracy after each epoch, and the training seconds without its own time."""

    def __init__(self, X: np.ndarray, y: np.ndarray, target: float, stop: bool) -> None:
        self.X, self.y, self.target, self.stop = X, y, target, stop
        self.accuracies: list = []
        self.seconds_at: list = []
        self.reached: float | None = None

    def on_train_begin(self, trainer) -> None:
        self.start, self.excluded = time.perf_counter(), 0.0

    def on_epoch_end(self, trainer, logs: dict) -> None:
        now = time.perf_counter()
        from tinygrad_mlp.train import predict

        accuracy = float((predict(trainer.model, self.X).argmax(1) == self.y).mean())
        self.accuracies.append(round(accuracy, 4))
        self.seconds_at.append(round(now - self.start - self.excluded, 3))
        if self.reached is None and accuracy >= self.target:
            self.reached = self.seconds_at[-1]
            trainer.stop = trainer.stop or self.stop
        self.excluded += time.perf_counter() - now


def train_worker(args: argparse.Namespace) -> dict:
    from tinygrad_mlp.train import fit

    (X, y), (Xt, yt) = load(args)
    steps = -(-len(X) // args.batch_size)
    model, opt, scheduler = build(args, steps)
    import tinygrad_mlp as tg

    probe = TestAccuracy(Xt, yt, args.target, stop=True)
    history = fit(model, tg.nn.CrossEntropyLoss(), opt, (X, y), epochs=args.epochs, batch_size=args.batch_size,
                  scheduler=scheduler, callbacks=[probe], metrics=(), report_every=0, progress=False,
                  compile=None if args.path == "compiled" else False)
    return {"path": args.path, "train_step": history.train_step, "seconds_to_target": probe.reached,
            "test_accuracy": probe.accuracies, "seconds_at_epoch": probe.seconds_at}


def memory_worker(args: argparse.Namespace) -> dict:
    import resource
    import tracemalloc

    import tinygrad_mlp as tg
    from tinygrad_mlp.train import fit

    (X, y), _ = load(args)
    model, opt, scheduler = build(args, -(-len(X) // args.batch_size))
    tracemalloc.start()
    held = tracemalloc.get_traced_memory()[0]
    fit(model, tg.nn.CrossEntropyLoss(), opt, (X, y), epochs=args.memory_epochs, batch_size=args.batch_size,
        scheduler=scheduler, metrics=("accuracy",), report_every=0, progress=False,
        compile=None if args.path == "compiled" else False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"path": args.path, "fit_peak_mb": round((peak - held) / 2 ** 20, 2),
            "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _spread(values: list) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None}
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def _forward(args: argparse.Namespace, *extra: str) -> list:
    flags = ["--optimizer", args.optimizer, "--lr", str(args.lr), "--batch-size", str(args.batch_size),
             "--epochs", str(args.epochs), "--schedule", args.schedule, "--target", str(args.target),
             "--seed", str(args.seed), "--memory-epochs", str(args.memory_epochs)]
    flags += ["--synthetic", str(args.synthetic)] if args.synthetic else ["--data-root", str(args.data_root)]
    return run_worker("mnist_time", *flags, *extra)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", default=str(DEFAULT_ROOT), help="folder with the four MNIST IDX files")
    p.add_argument("--synthetic", type=int, default=0, help="N random rows instead of MNIST (smoke test)")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default=DEFAULTS["optimizer"])
    p.add_argument("--lr", type=float, default=DEFAULTS["lr"], help="learning rate (the one-cycle peak)")
    p.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    p.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    p.add_argument("--schedule", choices=["onecycle", "cosine", "none"], default=DEFAULTS["schedule"])
    p.add_argument("--target", type=float, default=DEFAULTS["target"], help="test accuracy to reach")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=3, help="eager/compiled pairs, alternated")
    p.add_argument("--memory-epochs", type=int, default=1, help="epochs of each memory run")
    p.add_argument("--quick", action="store_true", help="one pair, no memory runs")
    p.add_argument("--worker", choices=["train", "memory"], help=argparse.SUPPRESS)
    p.add_argument("--path", choices=["eager", "compiled"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps((train_worker if args.worker == "train" else memory_worker)(args)), flush=True)
        return
    runs: dict = {"eager": [], "compiled": []}
    for i in range(1 if args.quick else args.repeats):
        order = ("eager", "compiled") if i % 2 == 0 else ("compiled", "eager")
        for path in order:
            r = _forward(args, "--worker", "train", "--path", path)[0]
            runs[path].append(r)
            emit({"benchmark": "mnist_time_run", "repeat": i, **r})
    pairs = [(e["seconds_to_target"], c["seconds_to_target"]) for e, c in zip(runs["eager"], runs["compiled"])]
    ratios = [c / e for e, c in pairs if e and c]
    settings = {k: getattr(args, k) for k in DEFAULTS}
    summary = {"benchmark": "mnist_time", "model": "-".join(map(str, SIZES)), **settings,
               "data": f"synthetic {args.synthetic} rows" if args.synthetic else "MNIST",
               "seconds_to_target": {path: _spread([r["seconds_to_target"] for r in rs]) for path, rs in runs.items()},
               "reached": {path: sum(r["seconds_to_target"] is not None for r in rs) for path, rs in runs.items()},
               "runs": {path: len(rs) for path, rs in runs.items()},
               "compiled_over_eager": _spread(ratios),
               "final_test_accuracy": {path: _spread([r["test_accuracy"][-1] for r in rs])
                                       for path, rs in runs.items()}}
    if not args.quick:
        memory = {path: _forward(args, "--worker", "memory", "--path", path)[0] for path in ("eager", "compiled")}
        summary["memory"] = memory
        summary["fit_peak_compiled_over_eager"] = round(memory["compiled"]["fit_peak_mb"]
                                                        / max(memory["eager"]["fit_peak_mb"], 1e-9), 3)
    emit(summary)


if __name__ == "__main__":
    main_guard(main)
    sys.exit(0)
