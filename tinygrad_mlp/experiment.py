"""One experiment from a plain config dict: data → split → scale → MLP → fit → test metrics → run folder.

The command line (``tinygrad-mlp train``), the demo and sweeps all go through ``run``.

>>> from tinygrad_mlp.experiment import run
>>> result = run({"dataset": "xor", "hidden": [8], "activation": "tanh", "optimizer": "adam", "lr": 0.05,
...               "epochs": 300, "batch_size": 4, "report_every": 0, "progress": False})
>>> result["test"]["accuracy"]
1.0
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import data as D
from . import nn, optim, rng
from .optim import lr_scheduler as S
from .tensor import Tensor
from .train import CSVLogger, EarlyStopping, TensorBoardLogger, evaluate, fit, parse_checkpoint_every
from .utils.serialization import CheckpointError, atomic_write_text, load, remove_stale_temp_files, save
from .utils.state_check import check_module_state

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
    "detect_anomaly": False, "on_nan": "raise", "resume": False, "tensorboard": None, "checkpoint_every": 1,
    "compile": None,  # fit's: None compiles the step when the model allows it, False never
}
# Options a --resume may change: everything else fixes the model, data, split, optimizer or seed of the run.
RESUMABLE = ("epochs", "data_root", "out", "overwrite", "resume", "report_every", "progress", "detect_anomaly",
             "on_nan", "tensorboard", "checkpoint_every", "compile")
MODEL_FILE, CHECKPOINT_FILE = "model.safetensors", "checkpoint.safetensors"
LEGACY_MODEL_FILE, LEGACY_CHECKPOINT_FILE = "model.npz", "checkpoint.npz"  # run folders of tinygrad_mlp 0.1
MEMORY_FRACTION = 0.5  # a model whose parameters, gradients and optimizer state need more of RAM is refused


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


def validation_split(cfg: dict, X_train: np.ndarray, y_train: np.ndarray, classification: bool) -> tuple:
    """(X_train, y_train, X_val, y_val): ``val_size`` of the training rows held out for validation after
    a seeded shuffle (stratified for classes); X_val and y_val are None when ``val_size`` is 0."""
    size = cfg.get("val_size") or 0.0
    if not size or cfg["dataset"] == "xor":  # XOR's 4 points are all there is
        return X_train, y_train, None, None
    if not 0 < size < 1:
        raise ValueError(f"val_size must be a fraction in (0, 1), got {size}")
    n_val = int(np.ceil(size * len(X_train)))
    if not 0 < n_val < len(X_train):
        raise ValueError(f"val_size {size} of {len(X_train)} training rows leaves no rows for training or validation")
    order = np.random.default_rng(cfg["seed"] + 1).permutation(len(X_train))
    if classification:  # interleave the classes so the tail holds each in proportion
        labels = y_train[order]
        rank = np.empty(len(order))
        for c in np.unique(labels):
            idx = np.flatnonzero(labels == c)
            rank[idx] = (np.arange(len(idx)) + 0.5) / len(idx)
        order = order[np.argsort(rank, kind="stable")]
    train, val = np.sort(order[:-n_val]), np.sort(order[-n_val:])
    return X_train[train], y_train[train], X_train[val], y_train[val]


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
    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; valid: {', '.join(sorted(DEFAULTS))}")
    cfg = {**DEFAULTS, **config}
    out = Path(cfg["out"]) if cfg["out"] else None
    resumes: list = []
    if out is not None:
        cfg, resumes = prepare_run_folder(out, cfg, config)
    check_config(cfg)
    rng.manual_seed(cfg["seed"])
    X, y, class_names = load_dataset(cfg)
    if len(X) == 0:
        raise ValueError(f"the data set {cfg['dataset']} holds no rows")
    classification = y.dtype.kind in "iu"
    if not classification and y.ndim == 1:  # a regression target column: one output
        y = y.reshape(-1, 1)
    X_train, X_test, y_train, y_test = split(cfg, X, y)
    X_train, y_train, X_val, y_val = validation_split(cfg, X_train, y_train, classification)
    scaler = None
    if cfg["scale"] == "standard" and cfg["dataset"] not in ("mnist", "xor"):
        scaler = D.StandardScaler().fit(X_train)
    elif cfg["scale"] == "minmax":
        scaler = D.MinMaxScaler().fit(X_train)
    if scaler is not None:
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        X_val = scaler.transform(X_val) if X_val is not None else None
    X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)
    X_val = X_val.astype(np.float32) if X_val is not None else None
    n_out = int(max(y.max() + 1, len(class_names or []))) if classification else y.shape[1]
    check_model_size(X_train.shape[1], cfg["hidden"], n_out, cfg["optimizer"])
    if len(X_train) == 0 or len(X_test) == 0:
        raise ValueError(f"test_size {cfg['test_size']} of {len(X)} rows leaves no rows for training or testing")
    loss_name = cfg["loss"] or ("cross_entropy" if classification else "mse")
    if classification and loss_name in ("mse", "bce_with_logits"):  # these compare with one-hot targets
        y_train_fit, y_test_fit = D.one_hot(y_train, n_out), D.one_hot(y_test, n_out)
    else:
        y_train_fit, y_test_fit = y_train, y_test
    val_data = None
    if X_val is not None:
        val_data = (X_val, D.one_hot(y_val, n_out) if classification and loss_name in ("mse", "bce_with_logits")
                    else y_val)
    loader = D.DataLoader(D.TensorDataset(X_train, y_train_fit), batch_size=cfg["batch_size"], shuffle=True,
                          seed=cfg["seed"])
    model, loss_fn, optimizer, scheduler = build(cfg, X_train.shape[1], n_out, classification, len(loader))
    metric_names = ("accuracy",) if classification else ("mse", "r2")
    callbacks: list = []
    if cfg["early_stopping"]:
        callbacks.append(EarlyStopping("val_loss" if val_data is not None else "loss", patience=cfg["early_stopping"],
                                       restore_best_weights=True))
    checkpoint = resume_from = work = None
    if out is not None:
        resume_from = _resume_checkpoint(out, cfg, model, loss_fn, optimizer, scheduler, loader, resumes)
        # everything is checked: only now is anything written. A replaced run is built beside the old one
        work = _staging_folder(out) if cfg["overwrite"] and _non_empty(out) else out
        work.mkdir(parents=True, exist_ok=True)
        callbacks.append(CSVLogger(work / "history.csv"))
        checkpoint = work / CHECKPOINT_FILE
        atomic_write_text(work / "config.json", json.dumps({**cfg, "resumes": resumes} if resumes else cfg, indent=2,
                                                           default=str))
    if cfg["tensorboard"]:
        callbacks.append(TensorBoardLogger(cfg["tensorboard"], histograms=True))
    start = time.perf_counter()
    try:
        history = fit(model, loss_fn, optimizer, loader, cfg["epochs"], val_data=val_data, scheduler=scheduler,
                      callbacks=callbacks, metrics=metric_names, report_every=cfg["report_every"],
                      progress=cfg["progress"], detect_anomaly=cfg["detect_anomaly"], on_nan=cfg["on_nan"],
                      checkpoint_path=checkpoint, resume_from=resume_from, checkpoint_every=cfg["checkpoint_every"],
                      compile=cfg["compile"])
    except BaseException:
        if work is not None and work != out:  # a replacement that failed: the old run stays, alone
            shutil.rmtree(work, ignore_errors=True)
        raise
    seconds = time.perf_counter() - start
    test = evaluate(model, (X_test, y_test_fit), loss_fn, metric_names)
    train_metrics = evaluate(model, (X_train, y_train_fit), loss_fn, metric_names)
    result = {"config": cfg, "history": history, "test": test, "train": train_metrics, "seconds": seconds,
              "model": model, "classification": classification, "class_names": class_names,
              "params": sum(p.numel() for p in model.parameters()), "stop_reason": history.stop_reason,
              "interrupted": history.interrupted,
              "diverged": bool(history.stop_reason and "the loss became" in history.stop_reason)}
    if work is not None:
        write_run(work, cfg, model, scaler, class_names, result)
        result["plots"] = write_plots(work, model, result, X_train, y_train, X_test, y_test)
        if work != out:
            _swap_in(work, out)
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
        scaled = {"standard": " (standardised)", "minmax": " (min-max scaled)"}.get(result["config"]["scale"], "")
        written = []
        if len(result["history"]):  # (a run that diverged in its first epoch has no curves)
            written.append(out / "history.png")
            plot.plot_history(result["history"], written[-1])
        if result["classification"]:
            from .train import predict

            written.append(out / "confusion.png")
            plot.plot_confusion_matrix(y_test, predict(model, X_test), written[-1], result["class_names"])
            if X_train.shape[1] == 2:
                written.append(out / "decision_boundary.png")
                plot.plot_decision_boundary(model, np.concatenate([X_train, X_test]),
                                            np.concatenate([y_train, y_test]), written[-1],
                                            class_names=result["class_names"],
                                            feature_names=(f"feature 1{scaled}", f"feature 2{scaled}"))
        elif X_train.shape[1] == 1:
            written.append(out / "fit.png")
            plot.plot_predictions(model, X_train, y_train, written[-1], X_test=X_test, y_test=y_test,
                                  xlabel=f"x{scaled}")
    except ImportError:
        return []
    return [p.name for p in written]


def write_run(out: Path, cfg: dict, model: nn.MLP, scaler: Any, class_names: list | None, result: dict) -> None:
    meta = {"model": model.config, "classes": class_names, "classification": result["classification"],
            "scaler": None if scaler is None else {"kind": type(scaler).__name__,
                                                   "a": scaler.mean_ if hasattr(scaler, "mean_") else scaler.min_,
                                                   "b": scaler.scale_, "dtype": str(np.asarray(scaler.scale_).dtype)}}
    save_model(out, model, meta)
    result["history"].to_csv(out / "history.csv")
    summary = {k: result[k] for k in ("test", "train", "seconds", "params", "stop_reason", "interrupted",
                                      "diverged")}
    summary["epochs_run"] = len(result["history"])
    summary["data"] = data_fingerprint(cfg)
    atomic_write_text(out / "results.json", json.dumps(summary, indent=2))
    for legacy in (LEGACY_MODEL_FILE, LEGACY_CHECKPOINT_FILE):  # a resumed 0.1 run now lives in safetensors
        (out / legacy).unlink(missing_ok=True)


def save_model(folder: str | Path, model: nn.MLP, meta: dict) -> Path:
    """Write ``folder/model.safetensors``: the weights under their state_dict names (PyTorch's) and, in
    the file's metadata, ``meta`` (model config, classes, classification, scaler) as JSON."""
    meta = json.loads(json.dumps(meta, default=lambda a: np.asarray(a).tolist()))  # arrays as JSON lists
    path = Path(folder) / MODEL_FILE
    save(model.state_dict(), path, metadata={"kind": "tinygrad_mlp.model", "meta": meta})
    return path


def load_run(folder: str | Path) -> tuple:
    """(model, meta, config) of a saved run; a folder that is not a readable run raises CheckpointError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"{folder} is not a run folder ({'a file' if folder.exists() else 'it does not exist'})")
    path = folder / MODEL_FILE
    if path.exists():
        state, info = load(path, return_metadata=True)
        meta = info.get("meta")
    elif (folder / LEGACY_MODEL_FILE).exists():
        path = folder / LEGACY_MODEL_FILE
        saved = load(path)
        if not isinstance(saved, dict):
            raise CheckpointError(f"{path} is not a run's model file")
        state, meta = saved.get("model"), saved.get("meta")
    else:
        raise CheckpointError(f"{folder} is not a run folder (no {MODEL_FILE})")
    model = _model_from_meta(path, meta, state)
    try:
        cfg = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError, RecursionError) as e:
        raise CheckpointError(f"{folder / 'config.json'} cannot be read ({type(e).__name__}: {e})") from None
    if not isinstance(cfg, dict):
        raise CheckpointError(f"{folder / 'config.json'} is not a JSON object")
    cfg = {**DEFAULTS, **{k: v for k, v in cfg.items() if k in DEFAULTS}}
    return model, meta, cfg


def _model_from_meta(path: Path, meta: Any, state: Any) -> nn.MLP:
    """The MLP a model file describes, its sizes checked against the tensors present before building it."""
    if not isinstance(meta, dict) or not isinstance(meta.get("model"), dict) or not isinstance(state, dict):
        raise CheckpointError(f"{path}: no model description (meta) or no weights")
    spec = meta["model"]
    sizes = [spec.get("in_features"), *(spec.get("hidden_sizes") or [None]), spec.get("out_features")]
    if not isinstance(spec.get("hidden_sizes"), list) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise CheckpointError(f"{path}: layer sizes {sizes} are not positive integers")
    needed = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    present = sum(int(np.prod(np.shape(v.numpy() if hasattr(v, "numpy") else v))) for v in state.values())
    if needed > present:
        raise CheckpointError(f"{path}: layer sizes {sizes} need {needed} weights, the file holds {present}")
    try:
        model = nn.MLP(**spec)
        check_module_state(model, state)
    except (TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{path}: the weights do not fit the model it describes ({e})") from None
    model.load_state_dict(state)
    model.eval()
    for key in ("classification", "classes", "scaler"):
        if key not in meta:
            raise CheckpointError(f"{path}: the model description has no {key!r}")
    scaler, n_in = meta["scaler"], sizes[0]
    if isinstance(scaler, dict):  # 0.1 run folders hold the scaler's arrays as arrays
        for k in ("a", "b"):
            v = scaler.get(k)
            v = v.numpy() if isinstance(v, Tensor) else v
            if isinstance(v, np.ndarray) and v.dtype.kind in "iuf":
                scaler[k] = v.tolist()
    if scaler is not None and not (
            isinstance(scaler, dict) and scaler.get("kind") in ("StandardScaler", "MinMaxScaler")
            and scaler.get("dtype", "float64") in ("float32", "float64")
            and all(isinstance(scaler.get(k), list) and len(scaler[k]) == n_in
                    and all(isinstance(v, int | float) and not isinstance(v, bool) for v in scaler[k])
                    for k in ("a", "b"))):
        raise CheckpointError(f"{path}: the scaler in the model description is malformed")
    classes = meta["classes"]
    if classes is not None and not (isinstance(classes, list) and all(isinstance(c, str) for c in classes)):
        raise CheckpointError(f"{path}: the class names in the model description are malformed")
    return model


def data_fingerprint(config: dict) -> str | None:
    """The SHA-256 of a ``csv:PATH`` data set's file (the bundled and generated sets are fixed by the code)."""
    dataset = config.get("dataset", DEFAULTS["dataset"])
    if isinstance(dataset, str) and dataset.startswith("csv:"):
        try:
            return hashlib.sha256(Path(dataset[4:]).read_bytes()).hexdigest()
        except OSError as e:
            raise ValueError(f"data set {dataset[4:]} cannot be read ({e.strerror or e})") from None
    return None


def check_config(cfg: dict) -> None:
    """Refuse values that cannot make a sensible run, before any data is loaded or file written."""
    def number(key: str, low: float, high: float, closed_high: bool = False) -> None:
        v = cfg[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or not (
                low <= v < high or (closed_high and v == high)):
            raise ValueError(f"{key} must be a number in [{low}, {high}{']' if closed_high else ')'}, got {v!r}")

    for key in ("epochs", "batch_size", "warmup", "early_stopping", "seed"):
        v = cfg[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < (1 if key == "batch_size" else 0):
            raise ValueError(f"{key} must be a {'positive' if key == 'batch_size' else 'non-negative'} integer, "
                             f"got {v!r}")
    if not isinstance(cfg["hidden"], list | tuple) or any(
            isinstance(h, bool) or not isinstance(h, int) or h <= 0 for h in cfg["hidden"]):
        raise ValueError(f"hidden sizes must be positive integers, got {cfg['hidden']!r}")
    number("lr", 0, math.inf)
    number("momentum", 0, 1)
    number("weight_decay", 0, math.inf)
    number("init_std", 0, math.inf)
    number("dropout", 0, 1)
    number("val_size", 0, 1)
    v = cfg["test_size"]
    if isinstance(v, bool) or not isinstance(v, int | float) or not (0 < v < 1 or (isinstance(v, int) and v >= 1)):
        raise ValueError(f"test_size must be a fraction in (0, 1) or a number of rows, got {v!r}")
    if not isinstance(cfg["dataset"], str):
        raise ValueError(f"dataset must be a name, got {cfg['dataset']!r}")
    for key, valid in (("activation", tuple(nn.ACTIVATIONS)), ("optimizer", tuple(optim.OPTIMIZERS)),
                       ("scheduler", SCHEDULER_NAMES), ("scale", ("standard", "minmax", "none")),
                       ("init", tuple(nn.INITS))):
        if not isinstance(cfg[key], str):
            raise ValueError(f"{key} must be a name, got {cfg[key]!r}")
        choose(key, cfg[key], valid)
    parse_checkpoint_every(cfg["checkpoint_every"])


def check_model_size(n_in: int, hidden: list, n_out: int, optimizer: str = "adam") -> None:
    """Refuse a model whose parameters, gradients and optimizer state would not fit in memory."""
    sizes = [int(n_in), *map(int, hidden), int(n_out)]
    params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    copies = 4 if optimizer in ("adam", "adamw") else 3  # weights, gradients, one or two optimizer buffers
    need = params * 4 * copies
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        ram = 16 * 2 ** 30
    if need > MEMORY_FRACTION * ram:
        raise ValueError(f"a {'-'.join(map(str, sizes))} MLP has {params:,} parameters and would need about "
                         f"{need / 2 ** 30:,.1f} GiB for its weights, gradients and optimizer state; this machine has "
                         f"{ram / 2 ** 30:,.1f} GiB (smaller --hidden sizes, or fewer classes)")


def _non_empty(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def _same(a: Any, b: Any) -> bool:
    norm = lambda v: json.loads(json.dumps(v, default=str))  # noqa: E731 - lists vs tuples, as config.json has them
    return norm(a) == norm(b)


def prepare_run_folder(out: Path, cfg: dict, given: dict) -> tuple:
    """Check ``out`` and, for a resume, the config to continue with (the run's own config.json, with only
    the options in RESUMABLE taken from ``given``). Writes nothing but cleans up what a killed process
    left: stale temporary files and staging folders. Returns (config, resume records)."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out} is a file, not a run folder")
    _clean_leftovers(out)
    if cfg["resume"] and cfg["overwrite"]:
        raise ValueError("--resume continues the run in --out and --overwrite replaces it: choose one")
    if not cfg["resume"]:
        if _non_empty(out) and not cfg["overwrite"]:
            raise FileExistsError(f"run folder {out} already exists and is not empty; pass --overwrite to replace it "
                                  "or --resume to continue it")
        return cfg, []
    config_file = out / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"--resume: {out} holds no run to continue (no config.json)")
    try:
        saved = json.loads(config_file.read_text())
    except (OSError, ValueError, RecursionError) as e:
        raise ValueError(f"--resume: {config_file} cannot be read ({type(e).__name__}: {e})") from None
    if not isinstance(saved, dict):
        raise ValueError(f"--resume: {config_file} is not a JSON object")
    changed = [k for k in given if k not in RESUMABLE and k in saved and not _same(given[k], saved[k])]
    if changed:
        raise ValueError(f"--resume: the run in {out} was made with "
                         + ", ".join(f"{k}={saved[k]!r}" for k in changed) + "; "
                         + ", ".join(f"{k}={given[k]!r}" for k in changed)
                         + " would change its model, data, split, optimizer or seed. Resume with the run's own "
                         "settings (only --epochs may change), or start a new run (another --out, or --overwrite)")
    resumed = {**DEFAULTS, **{k: v for k, v in saved.items() if k in DEFAULTS}}
    resumed.update({k: given[k] for k in given if k in RESUMABLE})
    resumed.update(out=str(out), resume=True, overwrite=False)
    records = list(saved.get("resumes") or []) if isinstance(saved.get("resumes"), list) else []
    if resumed["epochs"] != saved.get("epochs"):
        if resumed["scheduler"] == "onecycle":
            raise ValueError("--resume: --epochs cannot change for a run with the onecycle scheduler (its schedule "
                             "is fixed by the total number of steps)")
        records.append({"epochs": [saved.get("epochs"), resumed["epochs"]]})
    return resumed, records


def _resume_checkpoint(out: Path, cfg: dict, model: Any, loss_fn: Any, optimizer: Any, scheduler: Any,
                       loader: Any, records: list) -> Path | None:
    """The checkpoint to resume from, loaded once here so that a bad one fails before anything is written."""
    if not cfg["resume"]:
        return None
    path = next((out / n for n in (CHECKPOINT_FILE, LEGACY_CHECKPOINT_FILE) if (out / n).exists()), None)
    if path is None:
        print(f"--resume: {out} holds no checkpoint yet; starting from epoch 1", file=sys.stderr)
        return None
    from .train import Trainer

    state = load(path)
    try:
        Trainer(model, loss_fn, optimizer, scheduler).load_state_dict(state, loader)
    except (ValueError, RuntimeError, TypeError) as e:
        raise CheckpointError(f"--resume: {path} does not fit this run ({e})") from None
    if state["epoch"] > cfg["epochs"]:
        raise ValueError(f"--resume: {path} already holds {state['epoch']} epochs, more than --epochs "
                         f"{cfg['epochs']}")
    if records and "at_epoch" not in records[-1]:
        records[-1]["at_epoch"] = state["epoch"]
    return path


def _staging_folder(out: Path) -> Path:
    work = out.parent / f".{out.name}.new-{os.getpid()}"
    if work.exists():
        shutil.rmtree(work)
    return work


def _swap_in(work: Path, out: Path) -> None:
    """Replace ``out`` by the finished run in ``work``: two renames, the old run deleted last."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    os.replace(out, old)
    os.replace(work, out)
    shutil.rmtree(old, ignore_errors=True)


def _clean_leftovers(out: Path) -> None:
    """Undo what a process killed while writing ``out`` left behind."""
    pattern = re.compile(re.escape(f".{out.name}.") + r"(new|old)-(\d+)")
    if out.parent.is_dir():
        for p in sorted(out.parent.iterdir()):
            m = pattern.fullmatch(p.name)
            if m is None or _alive(int(m.group(2))):
                continue
            if m.group(1) == "old" and not out.exists():
                os.replace(p, out)  # killed between the two renames of a swap: the old run comes back
            else:
                shutil.rmtree(p, ignore_errors=True)
    if out.is_dir():
        for name in (MODEL_FILE, CHECKPOINT_FILE, "config.json", "results.json"):
            remove_stale_temp_files(out / name)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def apply_scaler(meta: dict, X: np.ndarray) -> np.ndarray:
    s = meta.get("scaler")
    if s is None:
        return X.astype(np.float32)
    a, b = np.asarray(s["a"], dtype=s.get("dtype")), np.asarray(s["b"], dtype=s.get("dtype"))
    if s["kind"] == "StandardScaler":
        return ((X - a) / b).astype(np.float32)
    return (X * b + a).astype(np.float32)
