"""Plots of training and of what a network computes (matplotlib, extra ``plot``).

Every function returns a matplotlib ``Figure`` (built without pyplot, so it works headless and
leaves global state alone) and saves it when given ``path``.

>>> import tinygrad_mlp as tg
>>> fig = tg.plot.plot_activation("tanh")
>>> [ax.get_title() for ax in fig.axes]
['tanh and its derivative (autograd)']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import metrics as metrics_mod
from .nn import ACTIVATIONS, Linear, Module
from .state import no_grad
from .tensor import Tensor
from .train import History, predict


def _figure(*size: float) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'tinygrad_mlp[plot]'") from None
    return Figure(figsize=size or (6.4, 4.8), layout="constrained")


def _done(fig: Any, path: str | None) -> Any:
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def plot_history(history: History | dict, path: str | None = None) -> Any:
    """Train and validation loss and accuracy per epoch; the learning rate on a second axis."""
    records = history.epochs if isinstance(history, History) else history["epochs"]
    keys = {k for r in records for k in r}
    epochs = [r["epoch"] for r in records]
    metric = next((m for m in ("accuracy", "r2", "mse", "f1") if m in keys), None)
    fig = _figure(11, 4.2)
    axes = fig.subplots(1, 2 if metric else 1, squeeze=False)[0]
    ax = axes[0]
    ax.plot(epochs, [r["loss"] for r in records], label="train loss")
    if "val_loss" in keys:
        ax.plot(epochs, [r.get("val_loss") for r in records], label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("loss")
    ax.grid(alpha=0.3)
    if "lr" in keys:
        lr_ax = ax.twinx()
        lr_ax.plot(epochs, [r.get("lr") for r in records], ":", color="grey", label="learning rate")
        lr_ax.set_ylabel("learning rate")
    ax.legend(loc="upper right")
    if metric:
        ax2 = axes[1]
        ax2.plot(epochs, [r.get(metric) for r in records], label=f"train {metric}")
        if f"val_{metric}" in keys:
            ax2.plot(epochs, [r.get(f"val_{metric}") for r in records], label=f"validation {metric}")
        ax2.set_xlabel("epoch")
        ax2.set_title(metric)
        ax2.grid(alpha=0.3)
        ax2.legend()
    return _done(fig, path)


def plot_decision_boundary(model: Module, X: Any, y: Any, path: str | None = None, resolution: int = 200,
                           title: str = "decision boundary") -> Any:
    """Class regions of a 2-D classifier with the data points on top (like TensorFlow Playground)."""
    X = np.asarray(X._data if isinstance(X, Tensor) else X)
    y = np.asarray(y._data if isinstance(y, Tensor) else y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: needs 2-D inputs (n, 2), got shape {X.shape}")
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0) + 1e-9)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    scores = predict(model, grid)
    labels = metrics_mod.to_labels(scores).reshape(gx.shape)
    fig = _figure(5.5, 5)
    ax = fig.subplots()
    n_classes = int(max(labels.max(), y.max())) + 1
    ax.contourf(gx, gy, labels, levels=np.arange(n_classes + 1) - 0.5, cmap="coolwarm", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=18, vmin=0, vmax=max(n_classes - 1, 1))
    ax.set_title(title)
    return _done(fig, path)


def _activation_fn(name_or_fn: str | Callable) -> tuple[Callable, str]:
    if callable(name_or_fn):
        return name_or_fn, getattr(name_or_fn, "__name__", "f")
    if name_or_fn not in ACTIVATIONS:
        raise ValueError(f"plot_activation: unknown activation {name_or_fn!r}; valid: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name_or_fn](), name_or_fn


def plot_activation(name_or_fn: str | Callable, path: str | None = None, xlim: tuple = (-4.0, 4.0)) -> Any:
    """An activation and its derivative, the derivative computed by autograd."""
    fn, name = _activation_fn(name_or_fn)
    xs = np.linspace(*xlim, 401)
    x = Tensor(xs, requires_grad=True)
    out = fn(x)
    out.sum().backward()  # elementwise: the gradient of the sum is the derivative
    fig = _figure()
    ax = fig.subplots()
    ax.plot(xs, out.numpy(), label="f(x)")
    ax.plot(xs, x.grad.numpy(), "--", label="f'(x)")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_title(f"{name} and its derivative (autograd)")
    ax.legend()
    ax.grid(alpha=0.3)
    return _done(fig, path)


def plot_weight_histograms(model: Module, path: str | None = None, bins: int = 50) -> Any:
    """The distribution of each Linear layer's weights (e.g. to compare initialisations)."""
    layers = [(name, m) for name, m in model.named_modules() if isinstance(m, Linear)]
    if not layers:
        raise ValueError("plot_weight_histograms: the model has no Linear layers")
    fig = _figure(4 * len(layers), 3.5)
    axes = fig.subplots(1, len(layers), squeeze=False)[0]
    for ax, (name, m) in zip(axes, layers):
        w = m.weight.numpy().ravel()
        ax.hist(w, bins=bins, color="steelblue")
        ax.set_title(f"{name or 'linear'} weight {tuple(m.weight.shape)}\nmean {w.mean():.3g}, std {w.std():.3g}")
    return _done(fig, path)


def plot_gradient_field(f: Callable, xlim: tuple = (-3, 3), ylim: tuple = (-3, 3), path: str | None = None,
                        start: Sequence[float] | None = None, lr: float = 0.1, steps: int = 30,
                        density: int = 20) -> Any:
    """Contours of a 2-D function f(x, y) with arrows of −∇f (from autograd) and, from ``start``,
    the path gradient descent takes."""
    gx, gy = np.meshgrid(np.linspace(*xlim, density), np.linspace(*ylim, density))
    x = Tensor(gx.ravel().copy(), requires_grad=True)
    y = Tensor(gy.ravel().copy(), requires_grad=True)
    f(x, y).sum().backward()
    u, v = -x.grad.numpy().reshape(gx.shape), -y.grad.numpy().reshape(gy.shape)
    fx, fy = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    with no_grad():
        fz = f(Tensor(fx), Tensor(fy)).numpy()
    fig = _figure(6, 5.5)
    ax = fig.subplots()
    ax.contour(fx, fy, fz, levels=20, cmap="viridis", alpha=0.6)
    ax.quiver(gx, gy, u, v, color="grey", angles="xy")
    if start is not None:
        p = Tensor(np.asarray(start, dtype=np.float64), requires_grad=True)
        path_points = [p.numpy().copy()]
        for _ in range(steps):
            p.grad = None
            f(p[0], p[1]).backward()
            with no_grad():
                p -= lr * p.grad
            path_points.append(p.numpy().copy())
        pts = np.array(path_points)
        ax.plot(pts[:, 0], pts[:, 1], "o-", color="crimson", ms=3, label=f"gradient descent, lr {lr}")
        ax.legend()
    ax.set_title("−∇f")
    return _done(fig, path)


def plot_confusion_matrix(y_true: Any, y_pred: Any, path: str | None = None,
                          class_names: Sequence[str] | None = None) -> Any:
    """Counts of true class (rows) against predicted class (columns)."""
    cm = metrics_mod.confusion_matrix(y_true, y_pred, len(class_names) if class_names else None)
    n = cm.shape[0]
    fig = _figure(1.2 + 0.6 * n, 1 + 0.55 * n)
    ax = fig.subplots()
    ax.imshow(cm, cmap="Blues")
    names = list(class_names) if class_names else [str(i) for i in range(n)]
    ax.set_xticks(range(n), names, rotation=45 if n > 5 else 0)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center",
                    color="white" if cm[i, j] > cm.max() / 2 else "black", fontsize=8)
    ax.set_title(f"confusion matrix (accuracy {np.trace(cm) / max(cm.sum(), 1):.4f})")
    return _done(fig, path)


def plot_predictions(model: Module, X: Any, y: Any, path: str | None = None) -> Any:
    """A 1-D regression: the data points and the network's curve."""
    X = np.asarray(X._data if isinstance(X, Tensor) else X).reshape(-1, 1)
    y = np.asarray(y._data if isinstance(y, Tensor) else y).reshape(-1)
    xs = np.linspace(X.min(), X.max(), 400, dtype=np.float32).reshape(-1, 1)
    fig = _figure()
    ax = fig.subplots()
    ax.scatter(X[:, 0], y, s=10, alpha=0.6, label="data")
    ax.plot(xs[:, 0], predict(model, xs).reshape(-1), color="crimson", label="network")
    ax.legend()
    ax.grid(alpha=0.3)
    ax.set_title("fit")
    return _done(fig, path)
