"""Metrics on numpy arrays (or tensors): classification and regression.

>>> import numpy as np
>>> accuracy(np.array([0, 1, 1]), np.array([[2.0, 0.1], [0.3, 0.9], [0.8, 0.1]]))
0.6666666666666666
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Tensor


def _np(a: Any) -> np.ndarray:
    return a._data if isinstance(a, Tensor) else np.asarray(a)


def to_labels(pred: Any) -> np.ndarray:
    """Class labels from predictions: argmax of scores (N, C), ``> 0.5`` of one column of probabilities
    (N, 1), or the labels themselves (N,)."""
    p = _np(pred)
    if p.ndim == 2 and p.shape[1] > 1:
        return p.argmax(axis=1)
    if p.dtype.kind == "f":
        return (p.reshape(len(p)) > 0.5).astype(np.int64)
    return p.reshape(len(p)) if p.ndim else p


def _true_labels(y: Any) -> np.ndarray:
    t = _np(y)
    return t.argmax(axis=1) if t.ndim == 2 and t.shape[1] > 1 else t.reshape(len(t)).astype(np.int64)


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of correct labels (predictions may be scores, probabilities or labels; targets labels or one-hot)."""
    t, p = _true_labels(y_true), to_labels(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"accuracy: {t.shape[0]} targets but {p.shape[0]} predictions")
    return float((t == p).mean()) if t.size else float("nan")


def top_k_accuracy(y_true: Any, scores: Any, k: int = 5) -> float:
    """Fraction of rows whose true class is among the k highest scores."""
    t, s = _true_labels(y_true), _np(scores)
    top = np.argpartition(-s, min(k, s.shape[1]) - 1, axis=1)[:, :k]
    return float((top == t[:, None]).any(axis=1).mean())


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts C[i, j] of samples of true class i predicted as j."""
    t, p = _true_labels(y_true), to_labels(y_pred)
    n = num_classes or int(max(t.max(initial=0), p.max(initial=0))) + 1
    out = np.zeros((n, n), dtype=np.int64)
    np.add.at(out, (t, p), 1)
    return out


def precision_recall_f1(y_true: Any, y_pred: Any, num_classes: int | None = None) -> dict:
    """Per-class precision, recall, F1 and support (0 where undefined), plus their macro averages."""
    cm = confusion_matrix(y_true, y_pred, num_classes)
    tp = np.diag(cm).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.nan_to_num(tp / cm.sum(axis=0))
        recall = np.nan_to_num(tp / cm.sum(axis=1))
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    return {"precision": precision, "recall": recall, "f1": f1, "support": cm.sum(axis=1),
            "macro_precision": float(precision.mean()), "macro_recall": float(recall.mean()),
            "macro_f1": float(f1.mean())}


def mse(y_true: Any, y_pred: Any) -> float:
    return float(np.mean((_np(y_true).astype(float) - _np(y_pred).reshape(_np(y_true).shape)) ** 2))


def mae(y_true: Any, y_pred: Any) -> float:
    return float(np.mean(np.abs(_np(y_true).astype(float) - _np(y_pred).reshape(_np(y_true).shape))))


def r2(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination, 1 − SS_res / SS_tot."""
    t = _np(y_true).astype(float)
    p = _np(y_pred).reshape(t.shape)
    ss_tot = float(((t - t.mean(axis=0)) ** 2).sum())
    return 1.0 - float(((t - p) ** 2).sum()) / ss_tot if ss_tot else float("nan")


METRICS = {
    "accuracy": accuracy,
    "top5_accuracy": lambda t, p: top_k_accuracy(t, p, 5),
    "top3_accuracy": lambda t, p: top_k_accuracy(t, p, 3),
    "f1": lambda t, p: precision_recall_f1(t, p)["macro_f1"],
    "mse": mse,
    "mae": mae,
    "r2": r2,
}


def get_metric(name: str) -> Any:
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; valid: {', '.join(METRICS)}")
    return METRICS[name]
