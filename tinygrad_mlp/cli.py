"""The ``tinygrad-mlp`` command (also ``python -m tinygrad_mlp``).

    tinygrad-mlp demo                      train a few MLPs on bundled data, print a results table
    tinygrad-mlp train --dataset iris ...  train one MLP from flags, write a run folder
    tinygrad-mlp evaluate runs/NAME        test metrics of a saved run
    tinygrad-mlp predict runs/NAME --input file.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

from . import nn, optim
from .experiment import (
    CLASSIFICATION_LOSSES,
    DATASETS,
    REGRESSION_LOSSES,
    SCHEDULER_NAMES,
    apply_scaler,
    load_dataset,
    load_run,
    run,
    split,
)
from .utils.serialization import atomic_write_text


def _hidden(text: str) -> list:
    parts = [s.strip() for s in text.split(",")] if text.strip() else []
    if "" in parts:
        raise argparse.ArgumentTypeError(f"--hidden has an empty size in {text!r} (write sizes like 256,128)")
    try:
        sizes = [int(s) for s in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--hidden takes comma-separated sizes like 256,128, got {text!r}") from None
    if any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError(f"hidden sizes must be positive, got {text!r}")
    return sizes


def _number(cast: type, minimum: float, what: str) -> Any:
    """An argparse type: ``cast(text)``, refused below ``minimum``."""
    def parse(text: str) -> Any:
        value = cast(text)
        if value != value or value in (float("inf"), float("-inf")):  # nan and inf pass every comparison test
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return value

    parse.__name__ = cast.__name__  # argparse names the type in its messages
    return parse


_positive_int = _number(int, 1, "a positive integer")
_non_negative_int = _number(int, 0, ">= 0")
_non_negative_float = _number(float, 0, ">= 0")


def _momentum(text: str) -> float:
    value = _non_negative_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1) (momentum >= 1 makes the updates grow without bound), "
                                         f"got {text}")
    return value


def _checkpoint_every(text: str) -> str:
    from .train import parse_checkpoint_every

    try:
        parse_checkpoint_every(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def _dataset(text: str) -> str:
    if text.startswith("csv:") or text in DATASETS[:-1]:
        return text
    raise argparse.ArgumentTypeError(f"unknown dataset {text!r}; valid choices: {', '.join(DATASETS)}")


def _version() -> str:
    from . import __version__  # the source's own version (an editable install's metadata can lag behind)

    return __version__


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tinygrad-mlp", description="Train and compare MLPs with tinygrad_mlp.")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train a few MLPs on bundled data (iris, digits, XOR, moons)")
    demo.add_argument("--quick", action="store_true", help="fewer epochs (for smoke tests)")

    t = sub.add_parser("train", help="train one MLP", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Train one MLP and (with --out) write a run folder: config.json, history.csv, "
                                   "model.safetensors, checkpoint.safetensors, results.json and plots.")
    t.add_argument("--dataset", type=_dataset, default="iris", help=f"one of {', '.join(DATASETS)}")
    t.add_argument("--data-root", help="folder holding the MNIST IDX files (None: ~/.cache/tinygrad_mlp/mnist, "
                                       "downloaded once)")
    t.add_argument("--target", default="-1", help="csv: label column (index or name) or comma-separated one-hot "
                                                  "columns")
    t.add_argument("--hidden", type=_hidden, default=[64], help="hidden layer sizes, e.g. 256,128")
    t.add_argument("--activation", choices=sorted(nn.ACTIVATIONS), default="relu",
                   help="activation after each hidden layer")
    t.add_argument("--loss", choices=sorted(set(CLASSIFICATION_LOSSES + REGRESSION_LOSSES)),
                   help="loss function (None: cross_entropy for classes, mse for regression)")
    t.add_argument("--optimizer", choices=sorted(optim.OPTIMIZERS), default="adam", help="optimizer")
    t.add_argument("--lr", type=_non_negative_float, default=1e-3, help="learning rate")
    t.add_argument("--momentum", type=_momentum, default=0.0, help="momentum (sgd and rmsprop)")
    t.add_argument("--batch-size", type=_positive_int, default=32, help="rows per optimizer step")
    t.add_argument("--epochs", type=_non_negative_int, default=20, help="passes over the training rows")
    t.add_argument("--init", choices=nn.INITS, default="default", help="weight initialisation of the Linear layers")
    t.add_argument("--init-std", type=_non_negative_float, default=0.01, help="std of --init normal")
    t.add_argument("--weight-decay", type=_non_negative_float, default=0.0, help="L2 penalty (decoupled for adamw)")
    t.add_argument("--dropout", type=float, default=0.0, help="dropout probability after each hidden activation")
    t.add_argument("--batchnorm", action="store_true", help="BatchNorm1d after each hidden Linear layer")
    t.add_argument("--scheduler", choices=SCHEDULER_NAMES, default="none", help="learning-rate schedule")
    t.add_argument("--warmup", type=_non_negative_int, default=0, help="epochs of linear warm-up")
    t.add_argument("--early-stopping", type=_non_negative_int, default=0, metavar="PATIENCE",
                   help="stop when the validation loss (the training loss with --val-size 0) has not improved for "
                        "PATIENCE epochs, and keep the best epoch's weights (0: off)")
    t.add_argument("--test-size", type=float, default=0.25, help="fraction of the rows held out for the test "
                                                                 "metrics (MNIST keeps its own 10k test set)")
    t.add_argument("--val-size", type=float, default=0.1, help="fraction of the training rows held out to "
                                                               "validate every epoch (0: none)")
    t.add_argument("--scale", choices=["standard", "minmax", "none"], default="standard",
                   help="feature scaling fitted on the training rows (MNIST is already in [0, 1])")
    t.add_argument("--seed", type=int, default=0, help="seed for the weights, the shuffling and the splits")
    t.add_argument("--out", help="run folder to write (config, history, checkpoint, plots)")
    t.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    t.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoint, with the run's own config.json (flags "
                        "that would change its model, data, split, optimizer or seed are refused; --epochs may grow)")
    t.add_argument("--checkpoint-every", type=_checkpoint_every, default="1", metavar="N|Ns",
                   help="save the training checkpoint every N epochs, or every N seconds with a trailing s (0: only "
                        "at the end); SIGTERM and Ctrl-C also save it")
    t.add_argument("--detect-anomaly", action="store_true", help="stop at the first op producing NaN/inf")
    t.add_argument("--no-compile", dest="compile", action="store_const", const=False, default=None,
                   help="run every training step eagerly; by default the step is compiled with tg.compile when the "
                        "model, loss and optimizer allow it (same results bit for bit, faster), and the first "
                        "printed line says which path was taken")
    t.add_argument("--quiet", action="store_true", help="no per-epoch table")
    t.add_argument("--tensorboard", metavar="DIR", help="also write TensorBoard event files to DIR (extra "
                                                         "tensorboard)")

    sw = sub.add_parser("sweep", help="a grid or random search described by a TOML file, run in parallel")
    sw.add_argument("file", help="sweep file: [sweep] settings, [base] fixed options, [grid] option = [values]")
    sw.add_argument("--n-jobs", type=int, help="worker processes (default: all cores)")
    sw.add_argument("--backend", choices=["loky", "multiprocessing", "threading", "sequential", "dask"])
    sw.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786 (with --backend dask)")

    pg = sub.add_parser("playground", help="a local web page to train 2-D classifiers and watch them learn")
    pg.add_argument("--host", default="127.0.0.1")
    pg.add_argument("--port", type=int, default=8000)

    e = sub.add_parser("evaluate", help="test metrics of a saved run: loss, accuracy, per-class precision/recall/F1 "
                                        "and the confusion matrix (MSE, MAE, R² for regression)")
    e.add_argument("run", help="run folder")
    e.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    pr = sub.add_parser("predict", help="predictions of a saved run for a CSV of features")
    pr.add_argument("run", help="run folder")
    pr.add_argument("--input", required=True, help="CSV with the same feature columns as training")
    pr.add_argument("--output", help="write predictions here instead of printing them")
    pr.add_argument("--proba", action="store_true", help="one column of probability per class instead of labels")
    return p


def cmd_train(args: argparse.Namespace) -> int:
    target: object = args.target
    if "," in args.target:
        target = args.target.split(",")
    elif args.target.lstrip("-").isdigit():
        target = int(args.target)
    cfg = {"dataset": args.dataset, "data_root": args.data_root, "target": target, "hidden": args.hidden,
           "activation": args.activation, "loss": args.loss, "optimizer": args.optimizer, "lr": args.lr,
           "momentum": args.momentum, "batch_size": args.batch_size, "epochs": args.epochs, "init": args.init,
           "init_std": args.init_std, "weight_decay": args.weight_decay, "dropout": args.dropout,
           "batchnorm": args.batchnorm, "scheduler": args.scheduler, "warmup": args.warmup,
           "early_stopping": args.early_stopping, "seed": args.seed, "test_size": args.test_size,
           "val_size": args.val_size, "tensorboard": args.tensorboard,
           "scale": args.scale, "out": args.out, "overwrite": args.overwrite, "resume": args.resume,
           "detect_anomaly": args.detect_anomaly, "report_every": 0 if args.quiet else 1,
           "checkpoint_every": args.checkpoint_every, "on_nan": "stop", "compile": args.compile}
    if args.resume:  # the run folder's config.json is the truth: pass on only what was typed
        given = set(getattr(args, "given", ())) | {"out", "resume"}
        given |= {"report_every"} if "quiet" in given else set()
        cfg = {k: v for k, v in cfg.items() if k in given or k == "on_nan"}
    result = run(cfg)
    print()
    print(result["model"].summary((result["model"].config["in_features"],)))
    print()
    print(f"{'':10}" + "".join(f"{k:>12}" for k in result["test"]))
    for part in ("train", "test"):
        print(f"{part:10}" + "".join(f"{v:>12.4f}" for v in result[part].values()))
    print(f"\n{len(result['history'])} epochs in {result['seconds']:.2f} s"
          + (f"; {result['stop_reason']}" if result["stop_reason"] else ""))
    if args.out:
        plots = result.get("plots") or []
        print(f"run written to {args.out}" + (f" (plots: {', '.join(plots)})" if plots else
                                               " (install matplotlib for plots)"))
    if result.get("diverged"):
        print(f"tinygrad-mlp train: the run diverged: {result['stop_reason']}", file=sys.stderr)
        return 1
    if result["interrupted"]:
        return 143 if (result["stop_reason"] or "").startswith("terminated") else 130
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep import _load_toml, markdown, run_file

    table = run_file(args.file, n_jobs=args.n_jobs, backend=args.backend, scheduler=args.scheduler)
    spec = _load_toml(args.file)
    settings = spec.get("sweep", {})
    out = settings.get("out", Path(args.file).with_suffix("").name)
    print(markdown(table, sorted(spec["grid"]), settings.get("metric", "test_accuracy")), end="")
    print(f"\nresults.csv, results.md and results.png in {out}")
    return 0


def cmd_playground(args: argparse.Namespace) -> int:
    from .playground import serve

    server = serve(args.host, args.port)
    host, port = server.server_address[:2]
    print(f"tinygrad_mlp playground on http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _loss_name(meta: dict, cfg: dict) -> str:
    return cfg.get("loss") or ("cross_entropy" if meta["classification"] else "mse")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from . import metrics
    from .data import one_hot
    from .train import evaluate, predict

    model, meta, cfg = load_run(args.run)
    X, y, _ = load_dataset(cfg)
    _, X_test, _, y_test = split(cfg, X, y)
    X_test = apply_scaler(meta, X_test)
    loss_name, n_out = _loss_name(meta, cfg), meta["model"]["out_features"]
    one_hot_targets = meta["classification"] and loss_name in ("mse", "bce_with_logits")
    targets = one_hot(y_test, n_out) if one_hot_targets else y_test
    if not meta["classification"] and targets.ndim == 1:  # one column per output, as in training
        targets = targets.reshape(-1, 1)
    loss = evaluate(model, (X_test, targets), nn.LOSSES[loss_name](), ())["loss"]
    outputs = predict(model, X_test)
    if meta["classification"]:
        report = metrics.classification_report(y_test, outputs, meta["classes"], n_out)
    else:
        report = metrics.regression_report(y_test, outputs)
    if args.json:
        print(json.dumps({"loss": loss, **report}, indent=2))
    else:
        print(f"{args.run}: {len(y_test)} test rows, {loss_name} loss\n")
        print(metrics.format_report(report, loss))
    return 0


def _probabilities(outputs: Any, loss_name: str) -> Any:
    import numpy as np

    if loss_name == "cross_entropy":
        e = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if loss_name == "bce_with_logits":  # one independent sigmoid per class
        return 1 / (1 + np.exp(-np.clip(outputs, -60, 60)))
    raise ValueError(f"predict --proba: this model was trained with the {loss_name} loss, so its outputs are "
                     "scores, not probabilities (train with --loss cross_entropy)")


def cmd_predict(args: argparse.Namespace) -> int:
    from .data import load_csv
    from .train import predict

    source, target = Path(args.input), Path(args.output) if args.output else None
    if not source.is_file():
        raise FileNotFoundError(f"--input {source} is {'a folder' if source.is_dir() else 'not found'}; "
                                "it must be a CSV file")
    if target is not None:
        if target.is_dir():
            raise IsADirectoryError(f"--output {target} is a folder; name a file to write")
        if target.exists() and target.resolve() == source.resolve():
            raise ValueError(f"--output {target} is the --input file; it would be overwritten")
        if not target.parent.is_dir():
            raise FileNotFoundError(f"--output {target}: folder {target.parent} does not exist")
    model, meta, cfg = load_run(args.run)
    n_in = meta["model"]["in_features"]
    with open(args.input, newline="", encoding="utf-8-sig") as f:
        columns = len(next((row for row in csv.reader(f) if row), []))
    if columns not in (n_in, n_in + 1):
        raise ValueError(f"predict: {args.input} has {columns} columns, the model takes {n_in} features "
                         f"(optionally followed by a label column, which is ignored)")
    X = load_csv(args.input, target=None if columns == n_in else -1).data
    out = predict(model, apply_scaler(meta, X))
    writer_rows: list = []
    if meta["classification"]:
        names = meta["classes"] or [str(i) for i in range(out.shape[1])]
        if args.proba:
            writer_rows = [names] + [[f"{v:.6g}" for v in row] for row in _probabilities(out, _loss_name(meta, cfg))]
        else:
            writer_rows = [["prediction"]] + [[names[i]] for i in out.argmax(axis=1)]
    else:
        if args.proba:
            raise ValueError("predict --proba: this is a regression model; it has no class probabilities")
        out = out.reshape(len(out), -1)
        header = ["prediction"] if out.shape[1] == 1 else [f"prediction_{i}" for i in range(out.shape[1])]
        writer_rows = [header] + [[f"{v:.6g}" for v in row] for row in out]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(writer_rows)
    text = buffer.getvalue()
    if args.output:
        atomic_write_text(Path(args.output), text)  # a failed write leaves any old file whole
    else:
        sys.stdout.write(text)
    return 0


DEMO = [
    ("XOR", {"dataset": "xor", "hidden": [4], "activation": "tanh", "lr": 0.05, "epochs": 500, "batch_size": 4}),
    ("iris", {"dataset": "iris", "hidden": [16], "lr": 0.01, "epochs": 100, "batch_size": 16, "test_size": 0.4,
              "seed": 42}),
    ("moons", {"dataset": "moons", "hidden": [16, 16], "lr": 0.01, "epochs": 100, "batch_size": 32}),
    ("digits 8x8", {"dataset": "digits", "hidden": [64], "lr": 1e-3, "epochs": 30, "batch_size": 32}),
    ("regression", {"dataset": "regression", "hidden": [64, 64], "activation": "tanh", "lr": 0.01, "epochs": 200,
                    "batch_size": 16}),
]


def cmd_demo(args: argparse.Namespace) -> int:
    print("tinygrad_mlp demo: MLPs trained from scratch on data bundled with the package\n")
    header = f"{'data set':<12}{'layers':<16}{'epochs':>7}{'train':>10}{'test':>10}{'metric':>10}{'seconds':>9}"
    print(header)
    print("-" * len(header))
    total = time.perf_counter()
    for name, cfg in DEMO:
        cfg = {**cfg, "report_every": 0, "progress": False}
        if args.quick:
            cfg["epochs"] = max(cfg["epochs"] // 10, 5)
        result = run(cfg)
        metric = "accuracy" if result["classification"] else "r2"
        layers = "-".join(str(s) for s in [result["model"].config["in_features"], *cfg["hidden"],
                                            result["model"].config["out_features"]])
        print(f"{name:<12}{layers:<16}{cfg['epochs']:>7}{result['train'][metric]:>10.4f}"
              f"{result['test'][metric]:>10.4f}{metric:>10}{result['seconds']:>9.2f}", flush=True)
    print(f"\nall done in {time.perf_counter() - total:.1f} s. Next: tinygrad-mlp train --help")
    return 0


_UNSET = object()


def _given(argv: list | None) -> set:
    """The train options typed on the command line (not left at their defaults)."""
    parser = _parser()
    for action in parser._actions:  # noqa: SLF001 - argparse has no public way to reach its subparsers
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for sub in action.choices.values():
                sub.set_defaults(**{a.dest: _UNSET for a in sub._actions  # noqa: SLF001
                                    if a.dest != "help" and a.default is not argparse.SUPPRESS})
    return {k for k, v in vars(parser.parse_args(argv)).items() if v is not _UNSET}


def main(argv: list | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "train":
        args.given = _given(argv)
    handler = {"demo": cmd_demo, "train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict,
               "sweep": cmd_sweep, "playground": cmd_playground}[args.command]
    try:
        return handler(args)
    except (ValueError, OSError, TypeError, RuntimeError, IndexError, KeyError) as e:
        # a user's mistake (bad flag values, files, data, run folders): a message, never a traceback
        message = e.strerror + f": {e.filename}" if isinstance(e, OSError) and e.strerror and e.filename else e
        print(f"tinygrad-mlp {args.command}: error: {message}", file=sys.stderr)
        return 2
    except FloatingPointError as e:  # a numerical fault found by --detect-anomaly or a non-finite loss
        print(f"tinygrad-mlp {args.command}: numerical fault: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # outside training (which saves and returns 130 itself)
        print(f"tinygrad-mlp {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
