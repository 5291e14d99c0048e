"""Plots of training and of what a network computes (matplotlib, extra ``plot``).

Every function returns a matplotlib ``Figure`` (built without pyplot, so it works headless and
leaves global state alone) and saves it at 150 dpi when given ``path``. Returned as the last value of
a Jupyter cell, the figure shows as an image whatever matplotlib backend is set.

>>> import tinygrad_mlp as tg
>>> fig = tg.plot.plot_activation("tanh")
>>> [ax.get_title() for ax in fig.axes]
['tanh and its derivative (autograd)']
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import metrics as metrics_mod
from .nn import ACTIVATIONS, Linear, Module
from .nn.utils import predict
from .state import no_grad
from .tensor import Tensor

DPI = 150  # saved figures; what a report or a slide needs
_figure_class: Any = None


def _figure_type() -> Any:
    """matplotlib's Figure with ``_repr_png_``, so Jupyter shows it without pyplot or an inline backend."""
    global _figure_class
    if _figure_class is None:
        try:
            from matplotlib.figure import Figure
        except ImportError:
            raise ImportError("plots need matplotlib: pip install 'tinygrad_mlp[plot]'") from None

        class PlotFigure(Figure):
            """A matplotlib Figure that renders itself as a PNG in Jupyter."""

            def _repr_png_(self) -> bytes:
                buffer = io.BytesIO()
                self.savefig(buffer, format="png", dpi=100)
                return buffer.getvalue()

        _figure_class = PlotFigure
    return _figure_class


def _figure(*size: float) -> Any:
    return _figure_type()(figsize=size or (6.4, 4.8), layout="constrained")


def figure(width: float = 6.4, height: float = 4.8) -> Any:
    """A blank matplotlib Figure (constrained layout) that Jupyter shows as an image when returned from
    a cell, without pyplot: for figures of your own next to these."""
    return _figure(width, height)


def _done(fig: Any, path: Any) -> Any:
    if path is not None:
        fig.savefig(path, dpi=DPI)
    return fig


def _np(a: Any) -> np.ndarray:
    return np.asarray(a.detach().numpy() if isinstance(a, Tensor) else a)


def _integer_ticks(ax: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))


_METRIC_TITLES = {"accuracy": "accuracy", "r2": "R²", "mse": "mean squared error", "mae": "mean absolute error",
                  "f1": "macro F1"}


def plot_history(history: Any, path: Any = None) -> Any:
    """Train and validation loss and the main metric per epoch; the learning rate on a panel of its own
    only when it changed during training. The best validation loss is marked."""
    records = history["epochs"] if isinstance(history, dict) else history.epochs
    if not records:
        raise ValueError("plot_history: the history has no epochs")
    keys = {k for r in records for k in r}
    epochs = [r["epoch"] for r in records]
    metric = next((m for m in ("accuracy", "r2", "mse", "f1") if m in keys), None)
    lrs = [r.get("lr") for r in records]
    lr_changes = "lr" in keys and len({v for v in lrs if v is not None}) > 1
    panels = ["loss"] + ([metric] if metric else []) + (["lr"] if lr_changes else [])
    fig = _figure(4.6 * len(panels), 3.8)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    style = {"marker": "o", "ms": 4} if len(epochs) <= 30 else {}
    best = None
    if "val_loss" in keys:
        val = [(r["val_loss"], r["epoch"]) for r in records if r.get("val_loss") is not None]
        best = min(val)[1] if val else None
    for ax, panel in zip(axes, panels):
        if panel == "lr":
            ax.plot(epochs, lrs, color="grey", **style)
            ax.set_ylabel("learning rate")
            ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
            ax.set_title("learning rate (during each epoch)")
        else:
            train = [r.get(panel) for r in records]
            has_val = f"val_{panel}" in keys
            ax.plot(epochs, train, label="train (mean over the epoch)" if has_val else "train", **style)
            if has_val:
                ax.plot(epochs, [r.get(f"val_{panel}") for r in records], label="validation (end of epoch)", **style)
            if len(epochs) == 1:  # one epoch draws no line: print the values by the dots
                for key in (panel, f"val_{panel}"):
                    if records[0].get(key) is not None:
                        ax.annotate(f"{records[0][key]:.4g}", (epochs[0], records[0][key]), xytext=(7, 0),
                                    fontsize=8, textcoords="offset points", va="center")
            if best is not None and best != epochs[-1]:
                ax.axvline(best, color="grey", ls=":", lw=1,
                           label=f"best validation loss (epoch {best})" if panel == "loss" else None)
            values = [v for r in records for v in (r.get(panel), r.get(f"val_{panel}")) if v is not None]
            if panel == "loss" and min(values) > 0 and max(values) / min(values) > 30:
                ax.set_yscale("log")  # a loss falling by orders of magnitude: keep the late epochs readable
            name = _METRIC_TITLES.get(panel, panel)
            ax.set_ylabel(name + (" (log scale)" if ax.get_yscale() == "log" else ""))
            ax.set_title(name)
            ax.legend(fontsize=8)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        _integer_ticks(ax)
        if len(epochs) == 1:
            ax.set_xticks(epochs)
            ax.set_xlim(epochs[0] - 0.5, epochs[0] + 0.5)
    return _done(fig, path)


def plot_decision_boundary(model: Module, X: Any, y: Any, path: Any = None, resolution: int = 200,
                           title: str = "decision boundary", class_names: Sequence[str] | None = None,
                           feature_names: Sequence[str] = ("feature 1", "feature 2")) -> Any:
    """Class regions of a 2-D classifier with the data points on top (like TensorFlow Playground)."""
    X, y = _np(X), _np(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: needs 2-D inputs (n, 2), got shape {X.shape}")
    y = metrics_mod.to_labels(y) if y.ndim == 2 else y.astype(np.int64)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0) + 1e-9)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    labels = metrics_mod.to_labels(predict(model, grid)).reshape(gx.shape)
    fig = _figure(5.2, 4.6)
    ax = fig.subplots()
    n_classes = int(max(labels.max(), y.max())) + 1
    ax.contourf(gx, gy, labels, levels=np.arange(n_classes + 1) - 0.5, cmap="coolwarm", alpha=0.35)
    names = list(class_names) if class_names is not None else [str(c) for c in range(n_classes)]
    cmap = _colormap("coolwarm")
    for c in range(n_classes):
        rows = y == c
        if rows.any():
            ax.scatter(X[rows, 0], X[rows, 1], color=cmap(c / max(n_classes - 1, 1)), edgecolors="k", linewidths=0.5,
                       s=18, label=f"class {names[c]}" if c < len(names) else f"class {c}")
    accuracy = float((metrics_mod.to_labels(predict(model, X.astype(np.float32))) == y).mean())
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    ax.set_title(f"{title} (accuracy {accuracy:.3f} on these points)", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    return _done(fig, path)


def _colormap(name: str) -> Any:
    from matplotlib import colormaps

    return colormaps[name]


def _activation_fn(name_or_fn: str | Callable) -> tuple[Callable, str]:
    if callable(name_or_fn):
        return name_or_fn, getattr(name_or_fn, "__name__", "f")
    if name_or_fn not in ACTIVATIONS:
        raise ValueError(f"plot_activation: unknown activation {name_or_fn!r}; valid: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name_or_fn](), name_or_fn


def plot_activation(name_or_fn: str | Callable, path: Any = None, xlim: tuple = (-4.0, 4.0)) -> Any:
    """An activation and its derivative, the derivative computed by autograd."""
    fn, name = _activation_fn(name_or_fn)
    xs = np.linspace(*xlim, 401)
    x = Tensor(xs, requires_grad=True)
    out = fn(x)
    out.sum().backward()  # elementwise: the gradient of the sum is the derivative
    fig = _figure()
    ax = fig.subplots()
    ax.plot(xs, out.detach().numpy(), label="f(x)")
    ax.plot(xs, x.grad.numpy(), "--", label="f'(x) by autograd")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x), f'(x)")
    ax.set_title(f"{name} and its derivative (autograd)")
    ax.legend()
    ax.grid(alpha=0.3)
    return _done(fig, path)


def plot_weight_histograms(model: Module, path: Any = None, bins: int = 50) -> Any:
    """The distribution of each Linear layer's weights (e.g. to compare initialisations)."""
    layers = [(name, m) for name, m in model.named_modules() if isinstance(m, Linear)]
    if not layers:
        raise ValueError("plot_weight_histograms: the model has no Linear layers")
    fig = _figure(3.6 * len(layers), 3.4)
    axes = fig.subplots(1, len(layers), squeeze=False)[0]
    for ax, (name, m) in zip(axes, layers):
        w = m.weight.detach().numpy().ravel()
        ax.hist(w, bins=bins, color="steelblue")
        ax.set_title(f"{name + '.' if name else ''}weight {tuple(m.weight.shape)}", fontsize=10)
        ax.text(0.98, 0.97, f"mean {w.mean():.3g}\nstd {w.std():.3g}", transform=ax.transAxes, ha="right",
                va="top", fontsize=8, bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
        ax.set_xlabel("weight value")
    axes[0].set_ylabel("count")
    return _done(fig, path)


def plot_gradient_field(f: Callable, xlim: tuple = (-3, 3), ylim: tuple = (-3, 3), path: Any = None,
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
        fz = f(Tensor(fx), Tensor(fy)).detach().numpy()
    fig = _figure(5.6, 5)
    ax = fig.subplots()
    contours = ax.contour(fx, fy, fz, levels=10, cmap="viridis", alpha=0.7)
    ax.clabel(contours, fontsize=7, fmt="%.3g")
    ax.quiver(gx, gy, u, v, color="grey", angles="xy")
    if start is not None:
        p = Tensor(np.asarray(start, dtype=np.float64), requires_grad=True)
        path_points = [p.detach().numpy().copy()]
        for _ in range(steps):
            p.grad = None
            f(p[0], p[1]).backward()
            with no_grad():
                p -= lr * p.grad
            path_points.append(p.detach().numpy().copy())
        pts = np.array(path_points)
        ax.plot(pts[:, 0], pts[:, 1], "o-", color="crimson", ms=3, label=f"gradient descent, lr {lr}, {steps} steps")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("contours of f(x, y), arrows −∇f (autograd)", fontsize=10)
    return _done(fig, path)


def _ticker() -> Any:
    import matplotlib.ticker

    return matplotlib.ticker


def plot_confusion_matrix(y_true: Any, y_pred: Any, path: Any = None,
                          class_names: Sequence[str] | None = None) -> Any:
    """Counts of true class (rows) against predicted class (columns), sized to the number of classes."""
    cm = metrics_mod.confusion_matrix(y_true, y_pred, len(class_names) if class_names else None)
    n = cm.shape[0]
    names = [str(c) for c in class_names] if class_names else [str(i) for i in range(n)]
    longest = max(len(s) for s in names)
    fontsize = 9 if n <= 12 else 7
    char = 0.075 * fontsize / 9  # inches per character of a tick label
    rotate = longest * char > 0.9 * max(0.45, 3.2 / n) and n > 4  # only when names would collide
    cell = max(0.42, min(longest * char + 0.15, 1.1)) if not rotate else 0.42
    label_room = longest * char
    width = max(3.6, n * cell + label_room + 1.6)
    height = max(3.2, n * 0.42 + (label_room * 0.75 if rotate else 0.3) + 1.5)
    fig = _figure(width, height)
    ax = fig.subplots()
    image = ax.imshow(cm, cmap="Blues", aspect="auto")
    count_font = fontsize - 1 if len(str(cm.max())) <= 4 or cell > 0.5 else fontsize - 2
    ax.set_xticks(range(n), names, rotation=45 if rotate else 0, ha="right" if rotate else "center",
                  fontsize=fontsize)
    ax.set_yticks(range(n), names, fontsize=fontsize)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=count_font,
                    color="white" if cm[i, j] > cm.max() / 2 else "black")
    bar = fig.colorbar(image, ax=ax, shrink=0.8, label="count")
    bar.locator = _ticker().MaxNLocator(integer=True)  # counts are whole numbers
    bar.update_ticks()
    accuracy = np.trace(cm) / max(cm.sum(), 1)
    ax.set_title(f"confusion matrix\naccuracy {accuracy:.4f} on {cm.sum()} rows", fontsize=10)
    return _done(fig, path)


def plot_predictions(model: Module, X: Any, y: Any, path: Any = None, X_test: Any = None, y_test: Any = None,
                     xlabel: str = "x", ylabel: str = "y") -> Any:
    """A 1-D regression: the data points (training, and test if given) and the network's curve."""
    X = _np(X).reshape(-1, 1)
    y = _np(y).reshape(-1)
    lo, hi = X.min(), X.max()
    if X_test is not None:
        X_test, y_test = _np(X_test).reshape(-1, 1), _np(y_test).reshape(-1)
        lo, hi = min(lo, X_test.min()), max(hi, X_test.max())
    xs = np.linspace(lo, hi, 400, dtype=np.float32).reshape(-1, 1)
    fig = _figure(6, 4.2)
    ax = fig.subplots()
    ax.scatter(X[:, 0], y, s=10, alpha=0.6, label="training data" if X_test is not None else "data")
    if X_test is not None:
        ax.scatter(X_test[:, 0], y_test, s=14, alpha=0.8, marker="x", label="test data")
    ax.plot(xs[:, 0], predict(model, xs).reshape(-1), color="crimson", label="network")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    ax.grid(alpha=0.3)
    ax.set_title("the network's fit")
    return _done(fig, path)


def plot_sweep(table: Sequence[dict], keys: Sequence[str], metric: str, path: Any = None) -> Any:
    """One dot per option combination (mean over seeds) with ± std error bars, best at the top, on an
    axis zoomed to the values so that 0.93 and 0.96 look different."""
    if not table:
        raise ValueError("plot_sweep: the table is empty")
    order = sorted(table, key=lambda e: e[metric], reverse="loss" not in metric and "mse" not in metric)
    labels = [", ".join(f"{k}={e[k]}" for k in keys) for e in order]
    means = np.array([e[metric] for e in order], dtype=float)
    stds = np.array([e.get(metric + "_std", 0.0) for e in order], dtype=float)
    longest = max(len(s) for s in labels)
    fig = _figure(max(6.0, 3.5 + 0.065 * longest), max(2.6, 0.3 * len(order) + 1.4))
    ax = fig.subplots()
    rows = np.arange(len(order))
    ax.errorbar(means, rows, xerr=stds, fmt="o", color="C0", ecolor="grey", capsize=3, ms=5)
    ax.set_yticks(rows, labels, fontsize=8)
    ax.set_ylim(len(order) - 0.5, -0.8)  # best at the top, room above it for its label
    lo, hi = float((means - stds).min()), float((means + stds).max())
    margin = max(hi - lo, 1e-3) * 0.2
    ax.set_xlim(lo - margin, hi + margin)
    for m, sd, row in zip(means, stds, rows):
        ax.annotate(f"{m:.4f} ± {sd:.4f}", (m, row), xytext=(0, 6), textcoords="offset points", fontsize=7,
                    color="dimgrey", ha="center")
    ax.set_xlabel(f"{metric}, mean ± std over seeds (zoomed axis)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"{metric} by {', '.join(keys)}", fontsize=10)
    return _done(fig, path)


def plot_comparison(histories: dict, keys: Sequence[str] = ("val_loss", "val_accuracy"), path: Any = None,
                    title: str | None = None) -> Any:
    """Curves of several runs side by side: one panel per logged value in ``keys`` (e.g. ``val_loss``),
    one line per run, labelled by the dict's keys — to compare activations, optimisers, learning rates."""
    if not histories:
        raise ValueError("plot_comparison: no histories given")
    records = {name: (h["epochs"] if isinstance(h, dict) else h.epochs) for name, h in histories.items()}
    keys = [k for k in keys if any(k in r for recs in records.values() for r in recs)]
    if not keys:
        raise ValueError("plot_comparison: none of the keys is logged in these histories")
    fig = _figure(4.8 * len(keys), 3.8)
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys):
        for name, recs in records.items():
            ax.plot([r["epoch"] for r in recs], [r.get(key) for r in recs], label=str(name))
        base = key[4:] if key.startswith("val_") else key
        label = _METRIC_TITLES.get(base, base) + (" (validation)" if key.startswith("val_") else " (train)")
        ax.set_title(label)
        ax.set_ylabel(label)
        ax.set_xlabel("epoch")
        if base == "loss":
            values = [r[key] for recs in records.values() for r in recs if r.get(key) is not None]
            if values and min(values) > 0 and max(values) / min(values) > 30:
                ax.set_yscale("log")
        ax.grid(alpha=0.3)
        _integer_ticks(ax)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _done(fig, path)
