"""Grid and random searches over ``tinygrad-mlp train`` options and seeds, run in parallel worker
processes (joblib) or on a Dask cluster, resumable, summarised as CSV, Markdown and a plot.

>>> import tempfile
>>> from tinygrad_mlp import sweep
>>> table = sweep.run({"activation": ["relu", "tanh"]}, base={"dataset": "xor", "hidden": [8], "lr": 0.05,
...                   "epochs": 200, "batch_size": 4}, seeds=[0], out=tempfile.mkdtemp(), n_jobs=1)
>>> sorted(row["activation"] for row in table)
['relu', 'tanh']
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from .experiment import DEFAULTS

RESULTS = "results.json"


def _load_toml(path: str | Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with open(path, "rb") as f:
        return tomllib.load(f)


def expand(grid: dict, seeds: list, search: str = "grid", n_iter: int | None = None,
           random_state: int = 0) -> list:
    """The list of option dicts to run: every combination (grid) or ``n_iter`` random ones, × seeds."""
    unknown = set(grid) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"sweep: unknown option(s) {sorted(unknown)}; valid: {', '.join(sorted(DEFAULTS))}")
    keys = sorted(grid)
    combos = [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]
    if search == "random":
        rng = np.random.default_rng(random_state)
        n = min(n_iter or len(combos), len(combos))
        combos = [combos[i] for i in sorted(rng.choice(len(combos), n, replace=False))]
    elif search != "grid":
        raise ValueError(f"sweep: search must be 'grid' or 'random', got {search!r}")
    return [{**c, "seed": s} for c in combos for s in seeds]


def run_name(options: dict) -> str:
    """A readable, stable folder name for one run's options."""
    parts = []
    for k in sorted(options):
        v = options[k]
        v = "-".join(map(str, v)) if isinstance(v, list | tuple) else str(v)
        parts.append(f"{k}={v}")
    text = "_".join(parts).replace("/", "-").replace(":", "-")
    return text if len(text) <= 120 else text[:100] + "_" + hashlib.sha1(text.encode()).hexdigest()[:12]


def _run_one(config: dict, folder: str) -> dict:
    """Worker: one training run writing its own run folder (skipped when already finished)."""
    path = Path(folder)
    done = path / RESULTS
    if done.exists():
        return {**json.loads(done.read_text()), "skipped": True}
    from .experiment import run as run_experiment

    result = run_experiment({**config, "out": str(path), "overwrite": True, "report_every": 0, "progress": False})
    summary = json.loads(done.read_text())
    summary["skipped"] = False
    summary["epochs_run"] = len(result["history"])
    return summary


def run(grid: dict, base: dict | None = None, seeds: list | None = None, out: str | Path = "runs/sweep",
        metric: str = "test_accuracy", search: str = "grid", n_iter: int | None = None, n_jobs: int = -1,
        backend: str = "loky", scheduler: str | None = None, random_state: int = 0) -> list:
    """Run the sweep and return one summary row per option combination (mean ± std over seeds), best
    first by ``metric`` (``test_<metric>`` or ``train_<metric>``, e.g. ``test_accuracy``, ``test_r2``).

    Finished runs (a run folder holding results.json) are not run again, so an interrupted sweep
    continues where it stopped. ``backend="dask"`` with ``scheduler="tcp://host:port"`` sends the
    runs to a Dask cluster instead of local processes.
    """
    from joblib import Parallel, delayed, parallel_config

    base = dict(base or {})
    seeds = list(seeds or [0])
    runs = expand(grid, seeds, search, n_iter, random_state)
    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    folders = [str(out / "runs" / run_name(r)) for r in runs]
    jobs = [delayed(_run_one)({**base, **r}, f) for r, f in zip(runs, folders)]
    start = time.perf_counter()
    if backend == "dask":
        from dask.distributed import Client

        with Client(scheduler) if scheduler else Client(processes=True) as client, parallel_config(backend="dask"):
            results = Parallel(n_jobs=n_jobs)(jobs)
            client.close()
    elif backend in ("loky", "multiprocessing", "threading", "sequential"):
        with parallel_config(backend=backend if n_jobs != 1 else "sequential"):
            results = Parallel(n_jobs=n_jobs)(jobs)
    else:
        raise ValueError(f"sweep: backend must be loky, multiprocessing, threading, sequential or dask; "
                         f"got {backend!r}")
    seconds = time.perf_counter() - start
    rows = [_flatten(r, res, f) for r, res, f in zip(runs, results, folders)]
    write_results(out, rows, list(grid), metric)
    table = summarise(rows, list(grid), metric)
    (out / "sweep.json").write_text(json.dumps({"grid": grid, "base": base, "seeds": seeds, "metric": metric,
                                                "seconds": seconds, "runs": len(rows),
                                                "skipped": sum(r["skipped"] for r in rows)}, indent=2, default=str))
    return table


def _flatten(options: dict, result: dict, folder: str) -> dict:
    row = {k: (json.dumps(v) if isinstance(v, list) else v) for k, v in options.items()}
    for part in ("train", "test"):
        for k, v in result.get(part, {}).items():
            row[f"{part}_{k}"] = v
    row["seconds"] = result.get("seconds")
    row["skipped"] = bool(result.get("skipped"))
    row["folder"] = os.path.relpath(folder)
    return row


def summarise(rows: list, keys: list, metric: str) -> list:
    """Mean ± std of every metric over seeds, per option combination, best first."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    table = []
    for combo, members in groups.items():
        entry = dict(zip(keys, combo))
        entry["seeds"] = len(members)
        for m in sorted({k for r in members for k in r if k.startswith(("train_", "test_"))}):
            values = [r[m] for r in members if r.get(m) is not None]
            entry[m] = statistics.mean(values)
            entry[m + "_std"] = statistics.pstdev(values) if len(values) > 1 else 0.0
        entry["seconds"] = statistics.mean(r["seconds"] for r in members)
        table.append(entry)
    if table and metric not in table[0]:
        raise ValueError(f"sweep: metric {metric!r} is not measured; measured: "
                         f"{', '.join(k for k in table[0] if k.startswith(('train_', 'test_')) and 'std' not in k)}")
    lower_is_better = any(w in metric for w in ("loss", "mse", "mae"))
    table.sort(key=lambda e: e[metric], reverse=not lower_is_better)
    return table


def markdown(table: list, keys: list, metric: str) -> str:
    metrics = [metric] + [m for m in table[0] if m.startswith("test_") and not m.endswith("_std") and m != metric]
    header = keys + [m.replace("_", " ") for m in metrics] + ["seconds"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for e in table:
        cells = [str(e[k]) for k in keys]
        cells += [f"{e[m]:.4f} ± {e[m + '_std']:.4f}" for m in metrics]
        cells.append(f"{e['seconds']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_results(out: Path, rows: list, keys: list, metric: str) -> None:
    fields: list = []
    for r in rows:
        fields += [k for k in r if k not in fields]
    with open(out / "results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    table = summarise(rows, keys, metric)
    (out / "results.md").write_text(f"Sorted by {metric} (mean ± std over seeds).\n\n" + markdown(table, keys, metric))
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return
    fig = Figure(figsize=(max(6, 0.6 * len(table) + 2), 4.5), layout="constrained")
    ax = fig.subplots()
    labels = [", ".join(f"{e[k]}" for k in keys) for e in table]
    ax.bar(range(len(table)), [e[metric] for e in table], yerr=[e[metric + "_std"] for e in table], capsize=3)
    ax.set_xticks(range(len(table)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} by {', '.join(keys)} (mean ± std over seeds)")
    fig.savefig(out / "results.png", dpi=100)


def run_file(path: str | Path, n_jobs: int | None = None, backend: str | None = None,
             scheduler: str | None = None) -> list:
    """Run the sweep described by a TOML file: [sweep] settings, [base] fixed options, [grid] values."""
    spec = _load_toml(path)
    settings = spec.get("sweep", {})
    allowed = {"out", "metric", "seeds", "search", "n_iter", "n_jobs", "backend", "scheduler", "random_state"}
    unknown = set(settings) - allowed
    if unknown:
        raise ValueError(f"sweep file {path}: unknown [sweep] setting(s) {sorted(unknown)}; valid: {sorted(allowed)}")
    if "grid" not in spec:
        raise ValueError(f"sweep file {path}: needs a [grid] table of option = [values]")
    return run(spec["grid"], base=spec.get("base", {}), seeds=settings.get("seeds", [0]),
               out=settings.get("out", Path(path).with_suffix("").name), metric=settings.get("metric", "test_accuracy"),
               search=settings.get("search", "grid"), n_iter=settings.get("n_iter"),
               n_jobs=n_jobs if n_jobs is not None else settings.get("n_jobs", -1),
               backend=backend or settings.get("backend", "loky"), scheduler=scheduler or settings.get("scheduler"),
               random_state=settings.get("random_state", 0))
