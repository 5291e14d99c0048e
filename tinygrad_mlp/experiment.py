"""One experiment from a plain config dict: data → split → scale → MLP → fit → test metrics → run folder.

The command line (``tinygrad-mlp train``), the demo and sweeps all go through ``run``.

>>> from tinygrad_mlp.experiment import run
>>> result = run({"dataset": "xor", "hidden": [8], "activation": "tanh", "optimizer": "adam", "lr": 0.05,
...               "epochs": 300, "batch_size": 4, "report_every": 0, "progress": False})
>>> result["test"]["accuracy"]
1.0
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import data as D
from . import nn, optim, rng
from .optim import lr_scheduler as S
from .train import CSVLogger, EarlyStopping, evaluate, fit
from .utils.serialization import load, save

DATASETS = ("iris", "digits", "mnist", "xor", "moons", "circles", "spirals", "regression", "csv:PATH")
CLASSIFICATION_LOSSES = ("cross_entropy", "mse", "bce_with_logits")
REGRESSION_LOSSES = ("mse", "l1", "huber", "smooth_l1")
SCHEDULER_NAMES = ("none", "step", "exponential", "cosine", "cosine_restarts", "onecycle", "plateau")

DEFAULTS: dict = {
    "dataset": "iris", "data_root": None, "target": -1, "hidden": [64], "activation": "relu",
    "loss": None, "optimizer": "adam", "lr": 1e-3, "momentum": 0.0, "batch_size": 32, "epochs": 20,
    "init": "default", "init_std": 0.01, "weight_decay": 0.0, "dropout": 0.0, "batchnorm": False,
    "scheduler": "none", "warmup": 0, "early_stopping": 0, "seed": 0, "test_size": 0.25, "val_size": 0.0,
    "scale": "standard", "out": None, "overwrite": False, "report_every": 1, "progress": True,
    "detect_anomaly": False, "on_nan": "raise", "resume": False,
}


def choose(name: str, value: str, valid: tuple | dict) -> str:
    """``value`` if it is one of ``valid``, else a ValueError listing the valid choices."""
    if value not in valid:
        raise ValueError(f"unknown {name} {value!r}; valid choices: {', '.join(valid)}")
    return value


def load_dataset(cfg: dict) -> tuple:
    """(X, y, class_names or None) for the configured data set."""
    name = cfg["dataset"]
    seed = cfg["seed"]
    if name.startswith("csv:"):
        b = D.load_csv(name[4:], target=cfg.get("target", -1))
        return b.data, b.target, b.target_names or None
    choose("dataset", name, DATASETS[:-1])
    if name == "iris":
        b = D.load_iris()
        return b.data, b.target, b.target_names
    if name == "digits":
        b = D.load_digits()
        return b.data, b.target, b.target_names
    if name == "mnist":
        (xt, yt), (xs, ys) = D.load_mnist(cfg.get("data_root"))
        return np.concatenate([xt, xs]), np.concatenate([yt, ys]), [str(d) for d in range(10)]
    if name == "xor":
        X, y = D.make_xor()
        return X, y, ["0", "1"]
    if name == "regression":
        X, y = D.make_regression_1d(200, noise=0.1, random_state=seed)
        return X, y, None
    maker = {"moons": D.make_moons, "circles": D.make_circles, "spirals": D.make_spirals}[name]
    X, y = maker(400, noise=0.1, random_state=seed) if name != "spirals" else maker(400, random_state=seed)
    return X, y, ["0", "1"]


def split(cfg: dict, X: np.ndarray, y: np.ndarray) -> tuple:
    """Train/test rows: MNIST keeps its official 60k/10k split, XOR trains and tests on its 4 points."""
    if cfg["dataset"] == "mnist":
        return X[:60000], X[60000:], y[:60000], y[60000:]
    if cfg["dataset"] == "xor":
        return X, X, y, y
    return D.train_test_split(X, y, test_size=cfg["test_size"], random_state=cfg["seed"])


def build(cfg: dict, n_in: int, n_out: int, classification: bool, steps_per_epoch: int) -> tuple:
    """Model, loss, optimizer and scheduler for a config."""
    model = nn.MLP(n_in, list(cfg["hidden"]), n_out, activation=choose("activation", cfg["activation"],
                                                                              nn.ACTIVATIONS),
                   dropout=cfg["dropout"], init=choose("init", cfg["init"], nn.INITS), init_std=cfg["init_std"],
                   batchnorm=cfg["batchnorm"])
    loss_name = cfg["loss"] or ("cross_entropy" if classification else "mse")
    choose("loss", loss_name, CLASSIFICATION_LOSSES if classification else REGRESSION_LOSSES)
    loss_fn = nn.LOSSES[loss_name]()
    opt_name = choose("optimizer", cfg["optimizer"], optim.OPTIMIZERS)
    kwargs: dict = {"lr": cfg["lr"], "weight_decay": cfg["weight_decay"]}
    if opt_name in ("sgd", "rmsprop"):
        kwargs["momentum"] = cfg["momentum"]
    optimizer = optim.OPTIMIZERS[opt_name](model.parameters(), **kwargs)
    scheduler = make_scheduler(cfg, optimizer, steps_per_epoch)
    return model, loss_fn, optimizer, scheduler


def make_scheduler(cfg: dict, optimizer: optim.Optimizer, steps_per_epoch: int) -> Any:
    name = choose("scheduler", cfg["scheduler"], SCHEDULER_NAMES)
    epochs, warmup = cfg["epochs"], cfg["warmup"]
    main_epochs = max(epochs - warmup, 1)
    main = {
        "none": lambda: None,
        "step": lambda: S.StepLR(optimizer, step_size=max(main_epochs // 3, 1), gamma=0.1),
        "exponential": lambda: S.ExponentialLR(optimizer, gamma=0.95),
        "cosine": lambda: S.CosineAnnealingLR(optimizer, T_max=main_epochs),
        "cosine_restarts": lambda: S.CosineAnnealingWarmRestarts(optimizer, T_0=max(main_epochs // 3, 1)),
        "onecycle": lambda: S.OneCycleLR(optimizer, max_lr=cfg["lr"], total_steps=epochs * steps_per_epoch),
        "plateau": lambda: S.ReduceLROnPlateau(optimizer, patience=max(epochs // 10, 2)),
    }[name]()
    if warmup <= 0:
        return main
    if name in ("onecycle", "plateau"):
        raise ValueError(f"--warmup cannot be combined with the {name} scheduler")
    warm = S.LinearLR(optimizer, start_factor=0.1, total_iters=warmup)
    if main is None:
        return warm
    return S.SequentialLR(optimizer, [warm, main], milestones=[warmup])


def run(config: dict) -> dict:
    """Run one experiment; returns config, history, test metrics and timing (and writes ``out``)."""
    cfg = {**DEFAULTS, **config}
    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; valid: {', '.join(sorted(DEFAULTS))}")
    for key in ("epochs", "batch_size"):
        if not isinstance(cfg[key], int) or cfg[key] < (1 if key == "batch_size" else 0):
            raise ValueError(f"{key} must be a {'positive' if key == 'batch_size' else 'non-negative'} integer, "
                             f"got {cfg[key]!r}")
    if any((not isinstance(h, int)) or h <= 0 for h in cfg["hidden"]):
        raise ValueError(f"hidden sizes must be positive integers, got {cfg['hidden']}")
    out = Path(cfg["out"]) if cfg["out"] else None
    if out is not None and out.exists() and any(out.iterdir()) and not (cfg["overwrite"] or cfg["resume"]):
        raise FileExistsError(f"run folder {out} already exists and is not empty; pass --overwrite to replace it "
                              "or --resume to continue it")
    rng.manual_seed(cfg["seed"])
    X, y, class_names = load_dataset(cfg)
    classification = y.dtype.kind in "iu"
    X_train, X_test, y_train, y_test = split(cfg, X, y)
    scaler = None
    if cfg["scale"] == "standard" and cfg["dataset"] not in ("mnist", "xor"):
        scaler = D.StandardScaler().fit(X_train)
    elif cfg["scale"] == "minmax":
        scaler = D.MinMaxScaler().fit(X_train)
    if scaler is not None:
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)
    n_out = int(max(y.max() + 1, len(class_names or []))) if classification else y.shape[1]
    loss_name = cfg["loss"] or ("cross_entropy" if classification else "mse")
    if classification and loss_name in ("mse", "bce_with_logits"):  # these compare with one-hot targets
        y_train_fit, y_test_fit = D.one_hot(y_train, n_out), D.one_hot(y_test, n_out)
    else:
        y_train_fit, y_test_fit = y_train, y_test
    loader = D.DataLoader(D.TensorDataset(X_train, y_train_fit), batch_size=cfg["batch_size"], shuffle=True,
                          seed=cfg["seed"])
    model, loss_fn, optimizer, scheduler = build(cfg, X_train.shape[1], n_out, classification, len(loader))
    metric_names = ("accuracy",) if classification else ("mse", "r2")
    callbacks: list = []
    if cfg["early_stopping"]:
        callbacks.append(EarlyStopping("loss", patience=cfg["early_stopping"], restore_best_weights=True))
    checkpoint = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        callbacks.append(CSVLogger(out / "history.csv"))
        checkpoint = out / "checkpoint.npz"
        (out / "config.json").write_text(json.dumps(cfg, indent=2, default=str))
    resume_from = checkpoint if cfg["resume"] and checkpoint is not None and checkpoint.exists() else None
    start = time.perf_counter()
    history = fit(model, loss_fn, optimizer, loader, cfg["epochs"], val_data=None, scheduler=scheduler,
                  callbacks=callbacks, metrics=metric_names, report_every=cfg["report_every"],
                  progress=cfg["progress"], detect_anomaly=cfg["detect_anomaly"], on_nan=cfg["on_nan"],
                  checkpoint_path=checkpoint, resume_from=resume_from)
    seconds = time.perf_counter() - start
    test = evaluate(model, (X_test, y_test_fit), loss_fn, metric_names)
    train_metrics = evaluate(model, (X_train, y_train_fit), loss_fn, metric_names)
    result = {"config": cfg, "history": history, "test": test, "train": train_metrics, "seconds": seconds,
              "model": model, "classification": classification, "class_names": class_names,
              "params": sum(p.numel() for p in model.parameters()), "stop_reason": history.stop_reason,
              "interrupted": history.interrupted}
    if out is not None:
        write_run(out, cfg, model, scaler, class_names, result)
        result["plots"] = write_plots(out, model, result, X_train, y_train, X_test, y_test)
    return result


def write_plots(out: Path, model: nn.MLP, result: dict, X_train: np.ndarray, y_train: np.ndarray,
                X_test: np.ndarray, y_test: np.ndarray) -> list:
    """history.png, then confusion.png (classification) or fit.png (regression), and
    decision_boundary.png for 2-D inputs — when matplotlib is installed."""
    try:
        from . import plot
    except ImportError:
        return []
    try:
        written = [out / "history.png"]
        plot.plot_history(result["history"], written[-1])
        if result["classification"]:
            from .train import predict

            written.append(out / "confusion.png")
            plot.plot_confusion_matrix(y_test, predict(model, X_test), written[-1], result["class_names"])
            if X_train.shape[1] == 2:
                written.append(out / "decision_boundary.png")
                plot.plot_decision_boundary(model, np.concatenate([X_train, X_test]),
                                            np.concatenate([y_train, y_test]), written[-1])
        elif X_train.shape[1] == 1:
            written.append(out / "fit.png")
            plot.plot_predictions(model, np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test]),
                                  written[-1])
    except ImportError:
        return []
    return [p.name for p in written]


def write_run(out: Path, cfg: dict, model: nn.MLP, scaler: Any, class_names: list | None, result: dict) -> None:
    meta = {"model": model.config, "classes": class_names, "classification": result["classification"],
            "scaler": None if scaler is None else {"kind": type(scaler).__name__,
                                                   "a": scaler.mean_ if hasattr(scaler, "mean_") else scaler.min_,
                                                   "b": scaler.scale_}}
    save({"model": model.state_dict(), "meta": meta}, out / "model.npz")
    result["history"].to_csv(out / "history.csv")
    summary = {k: result[k] for k in ("test", "train", "seconds", "params", "stop_reason", "interrupted")}
    (out / "results.json").write_text(json.dumps(summary, indent=2))


def load_run(folder: str | Path) -> tuple:
    """(model, meta, config) of a saved run."""
    folder = Path(folder)
    if not (folder / "model.npz").exists():
        raise FileNotFoundError(f"{folder} is not a run folder (no model.npz)")
    saved = load(folder / "model.npz")
    meta = saved["meta"]
    model = nn.MLP(**meta["model"])
    model.load_state_dict(saved["model"])
    model.eval()
    cfg = json.loads((folder / "config.json").read_text())
    return model, meta, cfg


def apply_scaler(meta: dict, X: np.ndarray) -> np.ndarray:
    s = meta.get("scaler")
    if s is None:
        return X.astype(np.float32)
    a, b = np.asarray(s["a"]), np.asarray(s["b"])
    if s["kind"] == "StandardScaler":
        return ((X - a) / b).astype(np.float32)
    return (X * b + a).astype(np.float32)
