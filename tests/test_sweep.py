"""Sweeps: expansion, parallel runs, resuming after an interruption, and the same table on Dask."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tinygrad_mlp import sweep

pytest.importorskip("joblib", reason="joblib (with scikit-learn) not installed: pip install -e '.[dev]'")

BASE = {"dataset": "digits", "hidden": [32], "epochs": 12, "batch_size": 16, "lr": 0.003}
GRID = {"activation": ["relu", "tanh"], "lr": [0.003, 0.01]}


def test_expand_grid_random_and_errors():
    runs = sweep.expand({"lr": [1, 2], "activation": ["x", "y"]}, seeds=[0, 1])
    assert len(runs) == 8 and runs[0] == {"activation": "x", "lr": 1, "seed": 0}
    assert len(sweep.expand({"lr": [1, 2, 3, 4]}, [0], search="random", n_iter=2)) == 2
    with pytest.raises(ValueError, match="unknown option"):
        sweep.expand({"learning_rate": [1]}, [0])
    assert sweep.run_name({"hidden": [256, 128], "seed": 1}) == "hidden=256-128_seed=1"


def test_sweep_of_8_runs_on_2_workers_is_interrupted_and_resumed(tmp_path):
    spec = tmp_path / "sweep.toml"
    out = tmp_path / "out"
    spec.write_text(f"""
[sweep]
out = "{out}"
seeds = [0, 1]
n_jobs = 2
metric = "test_accuracy"
[base]
dataset = "digits"
hidden = [64]
epochs = 40
batch_size = 8
[grid]
activation = ["relu", "tanh"]
lr = [0.001, 0.003]
""")
    cmd = [sys.executable, "-m", "tinygrad_mlp", "sweep", str(spec)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.glob("runs/*/results.json"))) < 2:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # a hard stop, mid-sweep, workers and all
    proc.wait()
    finished = {p.parent.name: p.stat().st_mtime for p in out.glob("runs/*/results.json")}
    assert 2 <= len(finished) < 8
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = list(out.glob("runs/*/results.json"))
    assert len(results) == 8
    for p in results:  # runs finished before the interruption were not run again
        if p.parent.name in finished:
            assert p.stat().st_mtime == finished[p.parent.name]
    info = json.loads((out / "sweep.json").read_text())
    assert info["runs"] == 8 and info["skipped"] == len(finished)
    rows = (out / "results.csv").read_text().strip().splitlines()
    assert len(rows) == 9 and "test_accuracy" in rows[0]
    md = (out / "results.md").read_text()
    assert md.count("±") >= 8 and "| activation | lr | test accuracy" in md
    assert (out / "results.png").stat().st_size > 5000


def test_dask_local_cluster_gives_the_same_table(tmp_path):
    distributed = pytest.importorskip("dask.distributed", reason="dask[distributed] not installed")
    local = sweep.run(GRID, base=BASE, seeds=[0], out=tmp_path / "local", n_jobs=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                  processes=True) as cluster:
        remote = sweep.run(GRID, base=BASE, seeds=[0], out=tmp_path / "dask", backend="dask",
                           scheduler=cluster.scheduler_address)
    strip = [{k: v for k, v in row.items() if k != "seconds"} for row in local]
    assert strip == [{k: v for k, v in row.items() if k != "seconds"} for row in remote]
    assert len(remote) == 4 and all(Path(tmp_path / "dask" / "runs").iterdir())


def test_sweep_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sweep]\nworkers = 3\n[grid]\nlr = [0.1]\n")
    with pytest.raises(ValueError, match="unknown \\[sweep\\] setting"):
        sweep.run_file(bad)
    bad.write_text("[base]\nlr = 0.1\n")
    with pytest.raises(ValueError, match="needs a \\[grid\\] table"):
        sweep.run_file(bad)
    with pytest.raises(ValueError, match="metric 'test_f1' is not measured"):
        sweep.run({"lr": [0.05]}, base={"dataset": "xor", "epochs": 2}, out=tmp_path / "m", metric="test_f1", n_jobs=1)
