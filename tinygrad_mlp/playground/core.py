"""The playground's model side: its 2-D data sets, input features, settings, and one page's
training session (train, snapshot for drawing, inspect one sample, export). No HTTP here.

Only the package's public API is used: ``nn.MLP`` and its modules, ``optim``, tensors,
``backward``/``retain_grad``, ``tg.no_grad``, ``tg.utils.trace_backward`` and ``tg.utils.draw_graph``.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_mlp as tg

from .. import data as D
from .. import nn, optim, rng
from ..experiment import save_model

DOMAIN = 6.0  # points and heatmaps live in [-6, 6]²
N_POINTS = 400
MAX_LAYERS, MAX_NEURONS = 6, 8
NEURON_GRID, OUTPUT_GRID = 24, 100
CLASSIFICATION_SETS = ("circle", "xor", "gauss", "spiral", "moons")
REGRESSION_SETS = ("plane", "bumps")
FEATURES = {"x1": lambda a, b: a, "x2": lambda a, b: b, "x1sq": lambda a, b: a * a, "x2sq": lambda a, b: b * b,
            "x1x2": lambda a, b: a * b, "sinx1": lambda a, b: np.sin(a), "sinx2": lambda a, b: np.sin(b)}
FEATURE_LABELS = {"x1": "x1", "x2": "x2", "x1sq": "x1²", "x2sq": "x2²", "x1x2": "x1·x2", "sinx1": "sin x1",
                  "sinx2": "sin x2"}
ACTIVATIONS = {"tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", "linear": "identity", "leaky_relu": "leaky_relu",
               "gelu": "gelu", "silu": "silu", "elu": "elu"}
OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZERS = ("none", "l1", "l2")
STRUCTURAL = ("problem", "dataset", "noise", "ratio", "seed", "features", "hidden", "activation")
DEFAULTS: dict = {"problem": "classification", "dataset": "circle", "noise": 0, "ratio": 50, "seed": 1,
                  "features": ["x1", "x2"], "hidden": [4, 2], "activation": "tanh", "lr": 0.03, "batch": 10,
                  "reg": "none", "reg_rate": 0.0, "optimizer": "sgd"}
MAX_EPOCHS_PER_REQUEST, MAX_SECONDS_PER_REQUEST = 100, 0.25
LOCK_WAIT = 5.0  # seconds a request waits for its page's session before it is told "busy"


class Busy(RuntimeError):
    """Another request of the same page still holds its session."""


# ---------------------------------------------------------------- data sets


def make_data(name: str, n: int = N_POINTS, noise: float = 0.0, seed: int = 0) -> tuple:
    """(points (n, 2) float32 in about [-6, 6]², targets): classes 0/1 (int64) for the classification
    sets, a number in [-1, 1] (float32, shape (n, 1)) for the regression sets. ``noise`` is 0..50 (%)."""
    g = np.random.default_rng(seed)
    half = n // 2
    if name == "circle":  # a disc of one class inside a ring of the other
        r = np.r_[g.uniform(0, 2.5, half), g.uniform(3.5, 5.0, n - half)]
        a = g.uniform(0, 2 * np.pi, n)
        P, y = np.c_[r * np.cos(a), r * np.sin(a)], np.r_[np.ones(half), np.zeros(n - half)]
    elif name == "xor":  # the four quadrants, kept a little off the axes
        P = g.uniform(-5, 5, (n, 2))
        P += np.sign(P) * 0.3
        y = (P[:, 0] * P[:, 1] > 0).astype(float)
    elif name == "gauss":  # two blobs
        centres = np.r_[np.tile([2.0, 2.0], (half, 1)), np.tile([-2.0, -2.0], (n - half, 1))]
        P, y = centres + g.normal(0, 1.0, (n, 2)), np.r_[np.ones(half), np.zeros(n - half)]
    elif name == "spiral":  # two interleaved arms
        t = np.r_[np.linspace(0, 1, half), np.linspace(0, 1, n - half)]
        phase = np.r_[np.zeros(half), np.full(n - half, np.pi)]
        angle = 1.75 * 2 * np.pi * t + phase
        P, y = np.c_[5 * t * np.sin(angle), 5 * t * np.cos(angle)], np.r_[np.ones(half), np.zeros(n - half)]
    elif name == "moons":  # two interlocking half circles
        a = g.uniform(0, np.pi, n)
        first = np.c_[np.cos(a[:half]), np.sin(a[:half])]
        second = np.c_[1 - np.cos(a[half:]), 0.5 - np.sin(a[half:])]
        P = (np.r_[first, second] - [0.5, 0.25]) * 2.8
        y = np.r_[np.ones(half), np.zeros(n - half)]
    elif name == "plane":  # a tilted plane
        P = g.uniform(-DOMAIN, DOMAIN, (n, 2))
        y = (P[:, 0] + P[:, 1]) / (2 * DOMAIN)
    elif name == "bumps":  # signed Gaussian bumps
        P = g.uniform(-DOMAIN, DOMAIN, (n, 2))
        y = np.zeros(n)
        for cx, cy, s in ((-3, 2.5, 1), (3, 2.5, -1), (-3, -2.5, -1), (3, -2.5, 1), (0, 0, 0.6)):
            y += s * np.exp(-((P[:, 0] - cx) ** 2 + (P[:, 1] - cy) ** 2) / 4)
        y = np.clip(y, -1, 1)
    else:
        raise ValueError(f"unknown data set {name!r}")
    P = P + g.normal(0, 1.0, P.shape) * (noise / 100.0) * 2.0  # noise moves the points, not the labels
    order = g.permutation(n)  # classes interleaved, so any split keeps both
    P, y = P[order].astype(np.float32), y[order]
    if name in REGRESSION_SETS:
        return P, y.astype(np.float32).reshape(-1, 1)
    return P, y.astype(np.int64)


def feature_matrix(points: np.ndarray, features: list) -> np.ndarray:
    """The network's inputs: the chosen features of each (x1, x2) point."""
    a, b = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    return np.stack([FEATURES[f](a, b) for f in features], axis=1).astype(np.float32)


# ---------------------------------------------------------------- settings


def _number(cfg: dict, key: str, lo: float, hi: float, integer: bool = False) -> Any:
    v = cfg.get(key, DEFAULTS.get(key))
    if isinstance(v, bool) or not isinstance(v, int | float) or (integer and not float(v).is_integer()):
        raise ValueError(f"{key} must be {'an integer' if integer else 'a number'} in [{lo:g}, {hi:g}], got {v!r}")
    if not math.isfinite(v) or not lo <= v <= hi:
        raise ValueError(f"{key} must be in [{lo:g}, {hi:g}], got {v!r}")
    return int(v) if integer else float(v)


def _choice(cfg: dict, key: str, valid: tuple) -> str:
    v = cfg.get(key, DEFAULTS.get(key))
    if v not in valid:
        raise ValueError(f"unknown {key} {str(v)[:40]!r}; valid: {', '.join(valid)}")
    return v


def validate(cfg: Any) -> dict:
    """Checked settings with defaults filled in; a ValueError with a short reason otherwise."""
    if not isinstance(cfg, dict):
        raise ValueError("config must be a JSON object")
    unknown = sorted(set(cfg) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(str(k)[:30] for k in unknown[:5])}; valid: "
                         f"{', '.join(DEFAULTS)}")
    out: dict = {"problem": _choice(cfg, "problem", ("classification", "regression"))}
    sets = CLASSIFICATION_SETS if out["problem"] == "classification" else REGRESSION_SETS
    out["dataset"] = _choice(cfg, "dataset", sets)
    out["noise"] = _number(cfg, "noise", 0, 50, integer=True)
    out["ratio"] = _number(cfg, "ratio", 10, 90, integer=True)
    out["seed"] = _number(cfg, "seed", 0, 2**31 - 1, integer=True)
    features = cfg.get("features", DEFAULTS["features"])
    if not isinstance(features, list) or not features or any(f not in FEATURES for f in features):
        raise ValueError(f"features must be a non-empty list of {', '.join(FEATURES)}")
    out["features"] = [f for f in FEATURES if f in features]
    hidden = cfg.get("hidden", DEFAULTS["hidden"])
    if isinstance(hidden, str):  # "8,8" as typed
        parts = [h.strip() for h in hidden.split(",") if h.strip()]
        hidden = [int(h) if h.isdigit() else h for h in parts]
    if (not isinstance(hidden, list) or len(hidden) > MAX_LAYERS
            or any(isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= MAX_NEURONS for h in hidden)):
        raise ValueError(f"hidden must be a list of up to {MAX_LAYERS} layer sizes of 1 to {MAX_NEURONS} neurons, "
                         f"e.g. [4, 2]; got {str(cfg.get('hidden'))[:40]!r}")
    out["hidden"] = list(hidden)
    out["activation"] = _choice(cfg, "activation", tuple(ACTIVATIONS))
    out["lr"] = _number(cfg, "lr", 1e-6, 10)
    out["batch"] = _number(cfg, "batch", 1, 100, integer=True)
    out["reg"] = _choice(cfg, "reg", REGULARIZERS)
    out["reg_rate"] = _number(cfg, "reg_rate", 0, 10)
    out["optimizer"] = _choice(cfg, "optimizer", OPTIMIZERS)
    return out


def test_size(cfg: dict) -> float:
    """The test fraction, exact in decimal (1 - 0.7 would be 0.30000000000000004: 121 rows of 400)."""
    return (100 - cfg["ratio"]) / 100


def make_optimizer(name: str, params: Any, lr: float) -> optim.Optimizer:
    if name == "adam":
        return optim.Adam(params, lr=lr)
    return optim.SGD(params, lr=lr, momentum=0.9 if name == "momentum" else 0.0)


def _finite(v: float) -> float | None:
    """A loss for JSON: rounded, or None once training has diverged."""
    return round(v, 6) if math.isfinite(v) else None


def _plain(a: np.ndarray) -> list:
    """Weights for JSON (a diverged network's inf/NaN become large/zero numbers)."""
    return np.round(np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=1e6, neginf=-1e6), 5).tolist()


def _b64(values: np.ndarray, lo: float, hi: float) -> str:
    """Values quantised to bytes over [lo, hi], base64: the page turns them into colours."""
    values = np.nan_to_num(values.astype(np.float64), nan=(lo + hi) / 2, posinf=hi, neginf=lo)
    q = np.clip(np.round((values - lo) / max(hi - lo, 1e-12) * 255), 0, 255).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode()


def _grid(n: int) -> np.ndarray:
    """Cell centres of an n×n grid over the domain, row by row from the top (x2 = +6) down."""
    c = (np.arange(n) + 0.5) / n * 2 * DOMAIN - DOMAIN
    gx, gy = np.meshgrid(c, c[::-1])
    return np.c_[gx.ravel(), gy.ravel()].astype(np.float32)


def _parse_dot(dot: str) -> dict:
    """Nodes and edges of the DOT text that ``tg.utils.draw_graph`` writes (read-only use)."""
    nodes, edges = [], []
    for m in re.finditer(r'^\s*(n\d+)\s*\[(.*)\];\s*$', dot, re.M):
        label = re.search(r'label="((?:[^"\\]|\\.)*)"', m.group(2))
        nodes.append({"id": m.group(1), "label": (label.group(1) if label else m.group(1)).replace("\\n", "\n")
                      .replace('\\"', '"'), "leaf": "ellipse" in m.group(2)})
    for m in re.finditer(r'^\s*(n\d+)\s*->\s*(n\d+)', dot, re.M):
        edges.append([m.group(1), m.group(2)])
    return {"nodes": nodes, "edges": edges}


# ---------------------------------------------------------------- one page's session


class Session:
    """One page's network, data and history. Every public method holds ``self.lock()``, so
    concurrent requests for the same page run one after the other and never mix."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.last_used = time.monotonic()
        self.cfg: dict = {}
        self.reset(dict(DEFAULTS))

    @contextmanager
    def lock(self) -> Iterator[None]:
        if not self._lock.acquire(timeout=LOCK_WAIT):
            raise Busy("busy: another request of this page is still running")
        try:
            yield
        finally:
            self._lock.release()

    # -- building
    def reset(self, cfg: dict, keep_weights: bool = False) -> dict:
        """Apply settings. Data and architecture changes (or ``keep_weights=False``) rebuild the
        network from the seed; learning rate, batch size, regularisation and optimiser changes
        keep training where it is."""
        cfg = validate(cfg)
        with self.lock():
            same = bool(self.cfg) and all(self.cfg[k] == cfg[k] for k in STRUCTURAL)
            old = self.cfg
            self.cfg = cfg
            if keep_weights and same:
                if cfg["optimizer"] != old["optimizer"]:
                    self.opt = make_optimizer(cfg["optimizer"], self.model.parameters(), cfg["lr"])
                for group in self.opt.param_groups:
                    group["lr"] = cfg["lr"]
            else:
                self._build()
            return self._snapshot(points=True)

    def _build(self) -> None:
        c = self.cfg
        self.classification = c["problem"] == "classification"
        P, y = make_data(c["dataset"], N_POINTS, c["noise"], c["seed"])
        X = feature_matrix(P, c["features"])
        # train_test_split's row choice depends only on the row count and seed: `tinygrad-mlp evaluate`
        # of an exported run picks the same test rows from the saved features
        idx = np.arange(N_POINTS)
        train_idx, test_idx = D.train_test_split(idx, test_size=test_size(c), random_state=c["seed"])
        self.P_train, self.P_test = P[train_idx], P[test_idx]
        self.X_train, self.X_test, self.y_train, self.y_test = X[train_idx], X[test_idx], y[train_idx], y[test_idx]
        self.X_all, self.y_all = X, y
        rng.manual_seed(c["seed"])
        self.model = nn.MLP(len(c["features"]), c["hidden"], 2 if self.classification else 1,
                            activation=ACTIVATIONS[c["activation"]])
        self.loss_fn = nn.CrossEntropyLoss() if self.classification else nn.MSELoss()
        self.opt = make_optimizer(c["optimizer"], self.model.parameters(), c["lr"])
        self.epoch, self.steps = 0, 0
        self.last_update: dict = {name: np.zeros(p.shape, np.float32) for name, p in self.model.named_parameters()}
        self.grid_neuron = feature_matrix(_grid(NEURON_GRID), c["features"])
        self.grid_output = feature_matrix(_grid(OUTPUT_GRID), c["features"])
        self.train_loss = [self._loss(self.X_train, self.y_train)]
        self.test_loss = [self._loss(self.X_test, self.y_test)]

    # -- training
    def _penalty(self) -> Any:
        c = self.cfg
        weights = [p for name, p in self.model.named_parameters() if name.endswith("weight")]
        if c["reg"] == "l2":
            return sum((w * w).sum() for w in weights) * c["reg_rate"]
        return sum(w.abs().sum() for w in weights) * c["reg_rate"]

    def _loss(self, X: np.ndarray, y: np.ndarray) -> float:
        with tg.no_grad():
            return float(self.loss_fn(self.model(tg.tensor(X)), tg.tensor(y)).item())

    def _epoch(self) -> None:
        c = self.cfg
        order = np.random.default_rng([c["seed"], self.epoch]).permutation(len(self.X_train))
        for start in range(0, len(order), c["batch"]):
            rows = order[start:start + c["batch"]]
            loss = self.loss_fn(self.model(tg.tensor(self.X_train[rows])), tg.tensor(self.y_train[rows]))
            if c["reg"] != "none" and c["reg_rate"] > 0:
                loss = loss + self._penalty()
            self.opt.zero_grad()
            loss.backward()
            before = {name: p.detach().numpy().copy() for name, p in self.model.named_parameters()}
            self.opt.step()
            self.last_update = {name: p.detach().numpy() - before[name] for name, p in self.model.named_parameters()}
            self.steps += 1
        self.epoch += 1
        self.train_loss.append(self._loss(self.X_train, self.y_train))
        self.test_loss.append(self._loss(self.X_test, self.y_test))

    def step(self, epochs: int = 1) -> dict:
        """Train up to ``epochs`` epochs, stopping early after MAX_SECONDS_PER_REQUEST."""
        with self.lock(), np.errstate(all="ignore"):  # a diverging run shows as such, not as warnings
            start, done = time.perf_counter(), 0
            while done < epochs:
                self._epoch()
                done += 1
                if not math.isfinite(self.train_loss[-1]) or time.perf_counter() - start > MAX_SECONDS_PER_REQUEST:
                    break
            snap = self._snapshot()
            snap["epochs_done"] = done
            return snap

    def snapshot(self, points: bool = False) -> dict:
        with self.lock():
            return self._snapshot(points)

    # -- what the page draws
    def _layer_outputs(self, X: np.ndarray) -> list:
        """Per node column: the inputs, then each hidden layer after its activation, then the output."""
        outs = [X]
        with tg.no_grad():
            h = tg.tensor(X)
            modules = list(self.model)
            for i, m in enumerate(modules):
                h = m(h)
                if isinstance(m, nn.Linear) and i == len(modules) - 1:
                    outs.append(h.detach().numpy())
                elif not isinstance(m, nn.Linear):
                    outs.append(h.detach().numpy())
        return outs

    def _output_values(self, logits: np.ndarray) -> np.ndarray:
        """P(class 1) for classification (a softmax of the two logits), the prediction for regression."""
        if self.classification:
            z = logits - logits.max(axis=1, keepdims=True)
            e = np.exp(z)
            return e[:, 1] / e.sum(axis=1)
        return logits[:, 0]

    def _snapshot(self, points: bool = False) -> dict:
        self.last_used = time.monotonic()
        layers = self._layer_outputs(self.grid_neuron)
        heat = []
        for values in layers[:-1]:  # inputs and hidden neurons: each scaled by its own largest |value|
            col = []
            for j in range(values.shape[1]):
                s = float(np.max(np.abs(np.nan_to_num(values[:, j])))) or 1.0
                s = s if math.isfinite(s) else 1e6
                col.append({"scale": round(s, 4), "q": _b64(values[:, j], -s, s)})
            heat.append(col)
        out_small = self._output_values(layers[-1])
        lo = 0.0 if self.classification else -1.0
        heat.append([{"scale": 1.0, "q": _b64(out_small, lo, 1.0)}])
        output = self._output_values(self._layer_outputs(self.grid_output)[-1])
        weights = []
        for m in self.model:
            if isinstance(m, nn.Linear):
                weights.append({"w": _plain(m.weight.detach().numpy()), "b": _plain(m.bias.detach().numpy())})
        snap = {"config": self.cfg, "epoch": self.epoch, "steps": self.steps,
                "train_loss": [_finite(v) for v in self.train_loss], "test_loss": [_finite(v) for v in self.test_loss],
                "weights": weights, "heatmaps": heat, "neuron_grid": NEURON_GRID,
                "output": {"grid": OUTPUT_GRID, "q": _b64(output, lo, 1.0), "lo": lo, "hi": 1.0},
                "feature_labels": [FEATURE_LABELS[f] for f in self.cfg["features"]]}
        if self.classification:
            with tg.no_grad():
                acc = [float((self.model(tg.tensor(X)).detach().numpy().argmax(axis=1) == y).mean())
                       for X, y in ((self.X_train, self.y_train), (self.X_test, self.y_test))]
            snap["accuracy"] = {"train": round(acc[0], 4), "test": round(acc[1], 4)}
        if points:
            snap["points"] = {"train": self._points(self.P_train, self.y_train),
                              "test": self._points(self.P_test, self.y_test)}
        return snap

    @staticmethod
    def _points(P: np.ndarray, y: np.ndarray) -> list:
        return [[round(float(a), 3), round(float(b), 3), round(float(t), 3)]
                for (a, b), t in zip(P, y.reshape(len(y), -1)[:, 0])]

    # -- beyond: one sample under the microscope
    def inspect(self, sample: int) -> dict:
        """Forward and backward of one training sample's loss on a copy of the network: every
        neuron's pre-activation, value and gradient, every weight's gradient and last update, the
        chain-rule trace and the computation graph."""
        with self.lock(), np.errstate(all="ignore"):
            if not 0 <= sample < len(self.X_train):
                raise ValueError(f"sample must be a training point index in [0, {len(self.X_train) - 1}]")
            model = nn.MLP(**self.model.config)
            model.load_state_dict(self.model.state_dict())
            x = tg.tensor(self.X_train[sample:sample + 1])
            target = tg.tensor(self.y_train[sample:sample + 1])
            h, pre, post = x, [], []
            modules = list(model)
            for i, m in enumerate(modules):
                h = m(h)
                h.retain_grad()
                (pre if isinstance(m, nn.Linear) else post).append(h)
                if isinstance(m, nn.Linear) and i == len(modules) - 1:
                    post.append(h)
            loss = self.loss_fn(h, target)
            loss_value = float(loss.item())
            graph = {"nodes": [], "edges": [], "dot": ""}
            try:
                graph["dot"] = tg.utils.draw_graph(loss, model=model, show_data=True)
                graph.update(_parse_dot(graph["dot"]))
            except Exception as e:  # a drawing problem must not hide the numbers
                graph["error"] = f"{type(e).__name__}: {e}"[:200]
            records = tg.utils.trace_backward(loss, model, printed=False)
            layers = []
            for z, a in zip(pre, post):
                layers.append({"pre": _row(z.detach().numpy()), "value": _row(a.detach().numpy()),
                               "grad_pre": _row(z.grad.numpy() if z.grad is not None else np.zeros(z.shape)),
                               "grad": _row(a.grad.numpy() if a.grad is not None else np.zeros(a.shape))})
            params = dict(model.named_parameters())
            edges = []
            for name in [n for n in params if n.endswith("weight")]:
                bias = name[:-len("weight")] + "bias"
                edges.append({"name": name, "grad": _mat(params[name].grad.numpy()),
                              "update": _mat(self.last_update[name]), "value": _mat(params[name].detach().numpy()),
                              "bias_grad": _row(params[bias].grad.numpy()[None]),
                              "bias_update": _row(self.last_update[bias][None])})
            return {"sample": sample, "point": [float(v) for v in self.P_train[sample]],
                    "target": float(np.asarray(self.y_train[sample]).ravel()[0]), "input": _row(x.detach().numpy()),
                    "loss": _sig(loss_value), "layers": layers, "edges": edges, "epoch": self.epoch,
                    "steps": self.steps, "trace": [str(r) for r in records], "graph": graph}

    # -- export
    def export_run(self, folder: Path) -> Path:
        """A run folder that ``tinygrad-mlp evaluate`` reads: the features as data.csv (with the
        label last), config.json pointing at it, model.safetensors, history.csv and results.json."""
        with self.lock():
            c = self.cfg
            folder.mkdir(parents=True, exist_ok=False)
            names = [FEATURE_LABELS[f].replace("²", "^2").replace("·", "*").replace(" ", "_") for f in c["features"]]
            lines = [",".join([*names, "target"])]
            for xs, t in zip(self.X_all, self.y_all.reshape(N_POINTS, -1)[:, 0]):
                lines.append(",".join([*(repr(float(v)) for v in xs), str(int(t)) if self.classification
                                       else repr(float(t))]))
            (folder / "data.csv").write_text("\n".join(lines) + "\n")
            cfg = {"dataset": f"csv:{(folder / 'data.csv').resolve()}", "target": -1, "hidden": c["hidden"],
                   "activation": ACTIVATIONS[c["activation"]], "loss": "cross_entropy" if self.classification
                   else "mse", "optimizer": "adam" if c["optimizer"] == "adam" else "sgd",
                   "momentum": 0.9 if c["optimizer"] == "momentum" else 0.0, "lr": c["lr"], "batch_size": c["batch"],
                   "epochs": self.epoch, "seed": c["seed"], "test_size": test_size(c),
                   "scale": "none", "playground": c}
            (folder / "config.json").write_text(json.dumps(cfg, indent=2))
            meta = {"model": self.model.config, "classes": ["0", "1"] if self.classification else None,
                    "classification": self.classification, "scaler": None}
            save_model(folder, self.model, meta)  # the run folders' model file, as the CLI writes it
            rows = ["epoch,loss,test_loss"] + [f"{i},{a!r},{b!r}" for i, (a, b) in
                                                enumerate(zip(self.train_loss, self.test_loss))]
            (folder / "history.csv").write_text("\n".join(rows) + "\n")
            results = {"train": {"loss": self.train_loss[-1]}, "test": {"loss": self.test_loss[-1]},
                       "epochs": self.epoch, "source": "tinygrad-mlp playground"}
            (folder / "results.json").write_text(json.dumps(results, indent=2))
            return folder

    def export_script(self) -> str:
        """A short Python script that rebuilds the data and the network and trains it the same way."""
        with self.lock():
            c = self.cfg
            epochs = max(self.epoch, 1)
        opt = {"adam": "optim.Adam(model.parameters(), lr={lr})", "sgd": "optim.SGD(model.parameters(), lr={lr})",
               "momentum": "optim.SGD(model.parameters(), lr={lr}, momentum=0.9)"}[c["optimizer"]].format(lr=c["lr"])
        reg = {"none": "", "l1": "    loss = loss + sum(w.abs().sum() for w in weights) * {r}\n",
               "l2": "    loss = loss + sum((w * w).sum() for w in weights) * {r}\n"}[c["reg"]].format(r=c["reg_rate"])
        if c["reg_rate"] == 0:
            reg = ""
        loss = "nn.CrossEntropyLoss()" if c["problem"] == "classification" else "nn.MSELoss()"
        n_out = 2 if c["problem"] == "classification" else 1
        return f'''"""The tinygrad_mlp playground's network, rebuilt and trained as a script.

{c["dataset"]} ({c["problem"]}), noise {c["noise"]}%, {c["ratio"]}% of {N_POINTS} points for training;
inputs {", ".join(FEATURE_LABELS[f] for f in c["features"])}; hidden layers {c["hidden"]}, {c["activation"]};
{c["optimizer"]} with learning rate {c["lr"]}, batch {c["batch"]}, regularisation {c["reg"]} {c["reg_rate"]}.
"""

import numpy as np

import tinygrad_mlp as tg
import tinygrad_mlp.nn as nn
import tinygrad_mlp.optim as optim
from tinygrad_mlp.data import train_test_split
from tinygrad_mlp.playground import feature_matrix, make_data

seed, epochs, batch = {c["seed"]}, {epochs}, {c["batch"]}
points, y = make_data({c["dataset"]!r}, n={N_POINTS}, noise={c["noise"]}, seed=seed)
X = feature_matrix(points, {c["features"]!r})
train, test = train_test_split(np.arange(len(X)), test_size={test_size(c)!r}, random_state=seed)
X_train, y_train, X_test, y_test = X[train], y[train], X[test], y[test]

tg.manual_seed(seed)
model = nn.MLP({len(c["features"])}, {c["hidden"]!r}, {n_out}, activation={ACTIVATIONS[c["activation"]]!r})
loss_fn = {loss}
optimizer = {opt}
weights = [p for name, p in model.named_parameters() if name.endswith("weight")]

for epoch in range(epochs):
    order = np.random.default_rng([seed, epoch]).permutation(len(X_train))
    for start in range(0, len(order), batch):
        rows = order[start:start + batch]
        loss = loss_fn(model(tg.tensor(X_train[rows])), tg.tensor(y_train[rows]))
{reg.replace("    loss", "        loss")}        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

with tg.no_grad():
    train_loss = loss_fn(model(tg.tensor(X_train)), tg.tensor(y_train)).item()
    test_loss = loss_fn(model(tg.tensor(X_test)), tg.tensor(y_test)).item()
print(f"epochs {{epochs}}  train loss {{train_loss:.6f}}  test loss {{test_loss:.6f}}")
'''


def _sig(v: Any) -> float | None:
    v = float(v)  # 7 significant digits: float32's precision, tiny gradients kept; None once diverged
    return float(f"{v:.7g}") if math.isfinite(v) else None


def _row(a: np.ndarray) -> list:
    return [_sig(v) for v in np.asarray(a).reshape(-1)]


def _mat(a: np.ndarray) -> list:
    return [[_sig(v) for v in r] for r in np.asarray(a)]
