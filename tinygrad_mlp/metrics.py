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


def classification_report(y_true: Any, y_pred: Any, class_names: Any = None, num_classes: int | None = None) -> dict:
    """Per-class precision, recall, F1 and support with accuracy, macro and support-weighted averages —
    the numbers of scikit-learn's ``classification_report(..., output_dict=True)`` (0 where undefined),
    plus the confusion matrix (rows: true class, columns: predicted) as lists.

    >>> r = classification_report([0, 0, 1, 1], [0, 1, 1, 1], ["cat", "dog"])
    >>> r["accuracy"], r["classes"]["dog"]["precision"], r["classes"]["cat"]["recall"]
    (0.75, 0.6666666666666666, 0.5)
    """
    n = num_classes or (len(class_names) if class_names is not None else None)
    prf = precision_recall_f1(y_true, y_pred, n)
    cm = confusion_matrix(y_true, y_pred, n)
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(len(cm))]
    names += [str(i) for i in range(len(names), len(cm))]
    support = prf["support"].astype(float)
    total = float(support.sum())
    classes = {name: {"precision": float(prf["precision"][i]), "recall": float(prf["recall"][i]),
                      "f1": float(prf["f1"][i]), "support": int(prf["support"][i])} for i, name in enumerate(names)}
    weights = support / total if total else np.zeros_like(support)
    return {
        "accuracy": float(np.trace(cm) / total) if total else float("nan"),
        "classes": classes,
        "macro_avg": {"precision": prf["macro_precision"], "recall": prf["macro_recall"], "f1": prf["macro_f1"],
                      "support": int(total)},
        "weighted_avg": {"precision": float(weights @ prf["precision"]), "recall": float(weights @ prf["recall"]),
                         "f1": float(weights @ prf["f1"]), "support": int(total)},
        "confusion_matrix": cm.tolist(),
    }


def regression_report(y_true: Any, y_pred: Any) -> dict:
    """MSE, RMSE, MAE and R² of a regression (averaged over all outputs)."""
    m = mse(y_true, y_pred)
    return {"mse": m, "rmse": float(np.sqrt(m)), "mae": mae(y_true, y_pred), "r2": r2(y_true, y_pred)}


def format_report(report: dict, loss: float | None = None) -> str:
    """A classification or regression report as a plain-text table for a terminal."""
    lines = [] if loss is None else [f"loss      {loss:.4f}"]
    if "classes" not in report:
        return "\n".join(lines + [f"{k:<10}{v:.4f}" for k, v in report.items()])
    names = list(report["classes"])
    width = max(12, *(len(n) + 2 for n in names))
    head = f"{'':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"
    lines += [f"accuracy  {report['accuracy']:.4f}", "", head]
    rows = [(n, report["classes"][n]) for n in names] + [("", None), ("macro avg", report["macro_avg"]),
                                                            ("weighted avg", report["weighted_avg"])]
    for name, r in rows:
        lines.append("" if r is None else f"{name:<{width}}{r['precision']:>10.4f}{r['recall']:>10.4f}"
                                          f"{r['f1']:>10.4f}{r['support']:>10d}")
    cm = report["confusion_matrix"]
    cell = max(5, *(len(str(v)) + 2 for row in cm for v in row), *(len(n) + 1 for n in names))
    lines += ["", "confusion matrix (rows: true, columns: predicted)",
              f"{'':<{width}}" + "".join(f"{n[:cell - 1]:>{cell}}" for n in names)]
    lines += [f"{n:<{width}}" + "".join(f"{v:>{cell}}" for v in row) for n, row in zip(names, cm)]
    return "\n".join(lines)


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
