"""Our scikit-learn MLPClassifier against scikit-learn's own, same data, same hidden sizes, same
epochs, Adam, batch 128: test accuracy and fit time (and their ratio).

    python -m benchmarks.sklearn_compare [--data-root ../shared/data/mnist]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

from .common import emit, main_guard


def compare(name: str, X: np.ndarray, y: np.ndarray, Xt: np.ndarray, yt: np.ndarray, hidden: tuple,
            epochs: int) -> None:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier as SkMLP

    from tinygrad_mlp.sklearn import MLPClassifier as OurMLP

    row = {"benchmark": "sklearn_compare", "data": name, "hidden": list(hidden), "epochs": epochs,
           "n_train": len(X), "dtype": str(X.dtype)}
    for label, cls in (("sklearn", SkMLP), ("ours", OurMLP)):
        clf = cls(hidden_layer_sizes=hidden, max_iter=epochs, batch_size=128, random_state=0, tol=0.0,
                  n_iter_no_change=epochs + 1)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        row[f"{label}_fit_s"] = time.perf_counter() - start
        row[f"{label}_test_accuracy"] = float(clf.score(Xt, yt))
    row["fit_time_sklearn_over_ours"] = row["sklearn_fit_s"] / row["ours_fit_s"]
    emit(row)


def main() -> None:
    from tinygrad_mlp.data import load_digits, load_mnist, train_test_split

    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", default=os.environ.get("TINYGRAD_MLP_MNIST"))
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    X, y = load_digits()
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    compare("digits 8x8", X_train.astype(np.float32), y_train, X_test.astype(np.float32), y_test, (256, 128),
            args.epochs * 5)
    if args.data_root and os.path.isdir(args.data_root):
        (X, y), (Xt, yt) = load_mnist(args.data_root)
        compare("mnist", X, y, Xt, yt, (256, 128), args.epochs)


if __name__ == "__main__":
    main_guard(main)
