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
import io
import itertools
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

from .experiment import DEFAULTS, data_fingerprint
from .utils.serialization import atomic_write_text

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
    if not isinstance(grid, dict) or not grid:
        raise ValueError("sweep: the grid must be a non-empty table of option = [values]")
    unknown = set(grid) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"sweep: unknown option(s) {sorted(unknown)}; valid: {', '.join(sorted(DEFAULTS))}")
    for key, values in grid.items():
        if not isinstance(values, list | tuple) or not values:
            raise ValueError(f"sweep: grid option {key} = {values!r} must be a non-empty list of values, e.g. "
                             f"{key} = [{json.dumps(values)}]")
    check_seeds(seeds)
    keys = sorted(grid)
    combos = [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]
    if search == "random":
        rng = np.random.default_rng(random_state)
        n = min(n_iter or len(combos), len(combos))
        combos = [combos[i] for i in sorted(rng.choice(len(combos), n, replace=False))]
    elif search != "grid":
        raise ValueError(f"sweep: search must be 'grid' or 'random', got {search!r}")
    return [{**c, "seed": s} for c in combos for s in seeds]


def check_seeds(seeds: object) -> list:
    """``seeds`` if it is a non-empty list of distinct non-negative integers, else a ValueError."""
    if (not isinstance(seeds, list | tuple) or not seeds
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)):
        raise ValueError(f"sweep: seeds must be a non-empty list of non-negative integers, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"sweep: seeds {list(seeds)} repeat a seed")
    return list(seeds)


# Options that change how a run is watched or stored, not its result: not compared to tell a run is done.
VOLATILE = ("out", "overwrite", "resume", "report_every", "progress", "detect_anomaly", "on_nan", "tensorboard",
            "checkpoint_every", "data_root")


def _resolved(config: dict) -> dict:
    full = {**DEFAULTS, **config}
    return json.loads(json.dumps({k: v for k, v in full.items() if k not in VOLATILE}, default=str))


def finished(folder: str | Path, config: dict, fingerprint: str | None) -> tuple:
    """(summary or None, why not): a run counts as done only if its results are readable, complete,
    and were made with the same full configuration (grid point, base, seed) and the same data."""
    path = Path(folder)
    done = path / RESULTS
    if not done.exists():
        return None, "not run yet"
    try:
        summary = json.loads(done.read_text())
        saved = json.loads((path / "config.json").read_text())
    except (OSError, ValueError, RecursionError) as e:
        return None, f"{done} or its config.json is unreadable ({type(e).__name__}: {e}); running it again"
    if not isinstance(summary, dict) or not isinstance(saved, dict) or "test" not in summary:
        return None, f"{done} is not a run's results; running it again"
    if summary.get("interrupted") or summary.get("diverged"):
        return None, "it was interrupted"
    if _resolved({k: v for k, v in saved.items() if k in DEFAULTS}) != _resolved(config):
        return None, f"{path} was made with another configuration; running it again"
    if summary.get("data") != fingerprint:
        return None, f"the data set changed since {path} was made; running it again"
    return summary, ""


def _watch_parent(parent_pid: int) -> None:
    """In a worker process: exit when the sweep that started it is gone (killed, even with kill -9)."""
    global _WATCHING
    if parent_pid == os.getpid() or _WATCHING:
        return
    _WATCHING = True
    first_parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:
                pass
            if os.getppid() != first_parent:  # re-parented: the process that started this one is gone
                os._exit(1)

    threading.Thread(target=watch, name="tinygrad_mlp-sweep-watchdog", daemon=True).start()


_WATCHING = False


def run_name(options: dict) -> str:
    """A readable, stable folder name for one run's options."""
    parts = []
    for k in sorted(options):
        v = options[k]
        v = "-".join(map(str, v)) if isinstance(v, list | tuple) else str(v)
        parts.append(f"{k}={v}")
    text = "_".join(parts).replace("/", "-").replace(":", "-")
    return text if len(text) <= 120 else text[:100] + "_" + hashlib.sha1(text.encode()).hexdigest()[:12]


def _run_one(config: dict, folder: str, fingerprint: str | None = None, parent_pid: int | None = None) -> dict:
    """Worker: one training run writing its own run folder (skipped when already finished with the same
    configuration and data; continued from its checkpoint when it was interrupted)."""
    if parent_pid is not None:
        _watch_parent(parent_pid)
    path = Path(folder)
    done = path / RESULTS
    summary, why = finished(path, config, fingerprint)
    if summary is not None:
        return {**summary, "skipped": True}
    if path.exists() and why != "not run yet":
        print(f"sweep: {path.name}: {why}", file=sys.stderr)
    from .experiment import run as run_experiment

    quiet = {"out": str(path), "report_every": 0, "progress": False}
    result = None
    if why == "it was interrupted" or (path.is_dir() and not done.exists() and (path / "config.json").exists()):
        try:  # continue the interrupted run from its checkpoint, if it is this configuration's
            result = run_experiment({**config, **quiet, "resume": True})
        except (ValueError, OSError, RuntimeError):
            result = None
    if result is None:
        result = run_experiment({**config, **quiet, "overwrite": True})
    summary = json.loads(done.read_text())
    summary["skipped"] = False
    summary["epochs_run"] = len(result["history"])
    return summary


def run(grid: dict, base: dict | None = None, seeds: list | None = None, out: str | Path = "runs/sweep",
        metric: str = "test_accuracy", search: str = "grid", n_iter: int | None = None, n_jobs: int = -1,
        backend: str = "loky", scheduler: str | None = None, random_state: int = 0) -> list:
    """Run the sweep and return one summary row per option combination (mean ± std over seeds), best
    first by ``metric`` (``test_<metric>`` or ``train_<metric>``, e.g. ``test_accuracy``, ``test_r2``).

    Finished runs are not run again, so an interrupted sweep continues where it stopped (a run cut
    short continues from its checkpoint). A run counts as finished only if its results.json is
    readable and complete and its full configuration — grid point, ``base``, seed, and the checksum
    of a ``csv:`` data set — matches; otherwise it is run again (a broken results.json is named on
    stderr). ``seeds`` must be a non-empty list and every grid value a non-empty list.

    ``backend="dask"`` with ``scheduler="tcp://host:port"`` sends the runs to a Dask cluster instead
    of local processes. ``out`` is made absolute on the client and every worker writes its run folder
    there, so the workers need that path on a shared file system (and tinygrad_mlp installed). Local
    worker processes watch the sweep's process and exit when it is gone, even after ``kill -9``.
    """
    from joblib import Parallel, delayed, parallel_config

    if not isinstance(base, dict | type(None)):
        raise ValueError(f"sweep: [base] must be a table of option = value, got {base!r}")
    base = dict(base or {})
    unknown = set(base) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"sweep: unknown [base] option(s) {sorted(unknown)}; valid: {', '.join(sorted(DEFAULTS))}")
    seeds = check_seeds([0] if seeds is None else seeds)
    runs = expand(grid, seeds, search, n_iter, random_state)
    out = Path(out).expanduser().resolve()  # absolute: Dask workers run elsewhere (they need this path shared)
    for part in (out, out / "runs"):
        if part.exists() and not part.is_dir():
            raise ValueError(f"sweep: out {part} is a file, not a folder")
    (out / "runs").mkdir(parents=True, exist_ok=True)
    folders = [str(out / "runs" / run_name(r)) for r in runs]
    fingerprints = [data_fingerprint({**base, **r}) for r in runs]
    parent = None if backend == "dask" else os.getpid()
    jobs = [delayed(_run_one)({**base, **r}, f, fp, parent) for r, f, fp in zip(runs, folders, fingerprints)]
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
    atomic_write_text(out / "sweep.json", json.dumps({"grid": grid, "base": base, "seeds": seeds, "metric": metric,
                                                      "seconds": seconds, "runs": len(rows),
                                                      "skipped": sum(r["skipped"] for r in rows)}, indent=2,
                                                     default=str))
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
    buffer = io.StringIO()
    w = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    atomic_write_text(out / "results.csv", buffer.getvalue())
    table = summarise(rows, keys, metric)
    atomic_write_text(out / "results.md",
                      f"Sorted by {metric} (mean ± std over seeds).\n\n" + markdown(table, keys, metric))
    try:
        from .plot import plot_sweep

        plot_sweep(table, keys, metric, out / "results.png")  # dots ± std on a zoomed axis
    except ImportError:
        return


def run_file(path: str | Path, n_jobs: int | None = None, backend: str | None = None,
             scheduler: str | None = None) -> list:
    """Run the sweep described by a TOML file: [sweep] settings, [base] fixed options, [grid] values."""
    spec = _load_toml(path)
    settings = spec.get("sweep", {})
    if not isinstance(settings, dict):
        raise ValueError(f"sweep file {path}: [sweep] must be a table")
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
