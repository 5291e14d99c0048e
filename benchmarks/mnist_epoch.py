"""A full MNIST epoch (784-256-128-10 ReLU, Adam lr 1e-3, batch 128, shuffled) — ours against
hand-written numpy, interleaved; PyTorch against the same numpy in its own process; and the time
each takes to reach 98% test accuracy, next to scikit-learn's MLPClassifier time to its best.

    python -m benchmarks.mnist_epoch --data-root ../shared/data/mnist [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

from .common import (
    NumpyMLP,
    emit,
    have_torch,
    init_weights,
    main_guard,
    ours_model,
    round_ratio,
    run_worker,
    torch_model,
)

SIZES = [784, 256, 128, 10]
BATCH = 128


def mnist(root: str | None) -> tuple:
    from tinygrad_mlp.data import load_mnist

    return load_mnist(root)


def numpy_trainer(X: np.ndarray, y: np.ndarray, seed: int = 0, layout: str = "out_in"):
    ref = NumpyMLP(init_weights(SIZES), 1e-3, "adam", layout)
    rng = np.random.default_rng(seed)

    def epoch() -> None:
        order = rng.permutation(len(X))
        for i in range(0, len(X), BATCH):
            idx = order[i:i + BATCH]
            ref.step(X[idx], y[idx])

    return epoch, lambda Xt: ref.predict(Xt)


def numpy_in_out_trainer(X: np.ndarray, y: np.ndarray, seed: int = 0):
    """The hand-written numpy with (in, out) weights (see benchmarks/step_time.py)."""
    return numpy_trainer(X, y, seed, "in_out")


def ours_trainer(X: np.ndarray, y: np.ndarray, seed: int = 0):
    import tinygrad_mlp as tg

    model = ours_model(init_weights(SIZES))
    opt = tg.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = tg.nn.CrossEntropyLoss()
    loader = tg.data.DataLoader(tg.data.TensorDataset(X, y), batch_size=BATCH, shuffle=True, seed=seed)

    def epoch() -> None:
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()

    return epoch, lambda Xt: tg.train.predict(model, Xt)


def ours_fit_trainer(X: np.ndarray, y: np.ndarray, seed: int = 0):
    """The same through tg.train.fit (per-batch data checks, loss and accuracy bookkeeping)."""
    import tinygrad_mlp as tg

    model = ours_model(init_weights(SIZES))
    opt = tg.optim.Adam(model.parameters(), lr=1e-3)
    loader = tg.data.DataLoader(tg.data.TensorDataset(X, y), batch_size=BATCH, shuffle=True, seed=seed)

    def epoch() -> None:
        tg.train.fit(model, tg.nn.CrossEntropyLoss(), opt, loader, epochs=1, report_every=0, progress=False)

    return epoch, lambda Xt: tg.train.predict(model, Xt)


def torch_trainer(X: np.ndarray, y: np.ndarray, seed: int = 0):
    import torch

    model = torch_model(init_weights(SIZES))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(seed)

    def epoch() -> None:
        order = torch.randperm(len(X), generator=gen)
        for i in range(0, len(X), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad()
            loss_fn(model(Xt[idx]), yt[idx]).backward()
            opt.step()

    def predict(Xs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(Xs)).numpy()

    return epoch, predict


def compare_epochs(trainers: dict, X: np.ndarray, y: np.ndarray, rounds: int) -> dict:
    epochs = {name: make(X, y)[0] for name, make in trainers.items()}
    times: dict = {name: [] for name in trainers}
    for _ in range(rounds):
        for name, epoch in epochs.items():
            start = time.perf_counter()
            epoch()
            times[name].append(time.perf_counter() - start)
    ref = next(iter(trainers))
    return {name: {"median_s": statistics.median(t), "min_s": min(t), "max_s": max(t), "rounds_s": t,
                   "ratio_to_" + ref: statistics.median([a / b for a, b in zip(t, times[ref])])}
            for name, t in times.items()}


def time_to_accuracy(make, X, y, Xt, yt, target: float = 0.98, max_epochs: int = 10) -> dict:
    epoch, predict = make(X, y)
    train_time = 0.0
    accs = []
    for e in range(1, max_epochs + 1):
        start = time.perf_counter()
        epoch()
        train_time += time.perf_counter() - start
        accs.append(float((predict(Xt).argmax(1) == yt).mean()))
        if accs[-1] >= target:
            return {"reached": True, "epochs": e, "seconds": train_time, "accuracy": accs[-1]}
    return {"reached": False, "epochs": max_epochs, "seconds": train_time, "best_accuracy": max(accs)}


def sklearn_best(X, y, Xt, yt, max_epochs: int) -> dict | None:
    try:
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return None
    clf = MLPClassifier(hidden_layer_sizes=(256, 128), solver="adam", learning_rate_init=1e-3, batch_size=BATCH,
                        random_state=0)
    classes = np.arange(10)
    train_time, best, best_at = 0.0, 0.0, 0
    for e in range(1, max_epochs + 1):
        start = time.perf_counter()
        clf.partial_fit(X, y, classes=classes)
        train_time += time.perf_counter() - start
        acc = float(clf.score(Xt, yt))
        if acc > best:
            best, best_at, best_time = acc, e, train_time
    return {"best_accuracy": best, "epochs_to_best": best_at, "seconds_to_best": best_time,
            "seconds_total": train_time}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", default=os.environ.get("TINYGRAD_MLP_MNIST"))
    parser.add_argument("--quick", action="store_true", help="one round, no time-to-accuracy runs")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    (X, y), (Xt, yt) = mnist(args.data_root)
    rounds = 1 if args.quick else args.rounds
    if args.torch_worker:
        result = {"epoch": compare_epochs({"numpy": numpy_trainer, "torch": torch_trainer}, X, y, rounds)}
        if not args.quick:
            result["to_98"] = time_to_accuracy(torch_trainer, X, y, Xt, yt)
        print(json.dumps(result))
        return
    result = compare_epochs({"numpy": numpy_trainer, "numpy_in_out": numpy_in_out_trainer, "ours": ours_trainer,
                             "ours_fit": ours_fit_trainer}, X, y, rounds)
    record = {"benchmark": "mnist_epoch", "model": "784-256-128-10", "optimizer": "adam", "batch": BATCH,
              "rounds": rounds, **result, "ours_over_numpy": result["ours"]["ratio_to_numpy"],
              "ours_over_numpy_in_out": round_ratio(result, "ours", "numpy_in_out"),
              "ours_fit_over_numpy": result["ours_fit"]["ratio_to_numpy"]}
    if have_torch():
        extra = (["--data-root", args.data_root] if args.data_root else []) + (["--quick"] if args.quick else [])
        worker = run_worker("mnist_epoch", "--torch-worker", "--rounds", str(rounds), *extra)[0]
        record["torch"] = worker["epoch"]["torch"]
        record["torch_over_ours"] = worker["epoch"]["torch"]["ratio_to_numpy"] / result["ours"]["ratio_to_numpy"]
        if "to_98" in worker:
            record["torch_to_98"] = worker["to_98"]
    if not args.quick:
        record["ours_to_98"] = time_to_accuracy(ours_trainer, X, y, Xt, yt)
        record["numpy_to_98"] = time_to_accuracy(numpy_trainer, X, y, Xt, yt)
        record["sklearn"] = sklearn_best(X.astype(np.float32), y, Xt.astype(np.float32), yt, max_epochs=10)
    emit(record)


if __name__ == "__main__":
    main_guard(main)
