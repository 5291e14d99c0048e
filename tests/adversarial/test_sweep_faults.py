"""Sweeps never reuse a stale or broken result, write where the client says (also on Dask), refuse
settings that cannot be meant, and leave no worker processes running when they are killed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tinygrad_mlp import sweep

pytest.importorskip("joblib", reason="joblib not installed: pip install -e '.[sweep]'")

BASE = {"dataset": "xor", "hidden": [4], "lr": 0.05, "batch_size": 4, "epochs": 2}


def epochs_run(out):
    return sorted(json.loads(p.read_text())["epochs_run"] for p in Path(out).glob("runs/*/results.json"))


def test_a_changed_base_reruns_every_run(tmp_path):
    out = tmp_path / "s"
    first = sweep.run({"activation": ["relu", "tanh"]}, base=BASE, seeds=[0], out=out, n_jobs=1)
    assert epochs_run(out) == [2, 2] and len(first) == 2
    sweep.run({"activation": ["relu", "tanh"]}, base={**BASE, "epochs": 3}, seeds=[0], out=out, n_jobs=1)
    assert epochs_run(out) == [3, 3]
    info = json.loads((out / "sweep.json").read_text())
    assert info["skipped"] == 0
    sweep.run({"activation": ["relu", "tanh"]}, base={**BASE, "epochs": 3}, seeds=[0], out=out, n_jobs=1)
    assert json.loads((out / "sweep.json").read_text())["skipped"] == 2  # the same config: done


def test_a_changed_csv_data_set_reruns(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n" + "".join(f"{i % 4},{i % 3},{i % 2}\n" for i in range(40)))
    base = {"dataset": f"csv:{data}", "hidden": [4], "epochs": 1}
    sweep.run({"lr": [0.01]}, base=base, seeds=[0], out=tmp_path / "s", n_jobs=1)
    data.write_text("a,b,y\n" + "".join(f"{i % 5},{i % 3},{i % 2}\n" for i in range(40)))
    sweep.run({"lr": [0.01]}, base=base, seeds=[0], out=tmp_path / "s", n_jobs=1)
    assert json.loads((tmp_path / "s" / "sweep.json").read_text())["skipped"] == 0


def test_a_broken_results_json_is_named_and_the_run_redone(tmp_path, capfd):
    out = tmp_path / "s"
    sweep.run({"activation": ["relu"]}, base=BASE, seeds=[0], out=out, n_jobs=1)
    results = next(out.glob("runs/*/results.json"))
    results.write_text("")  # what a crash during a non-atomic write left
    capfd.readouterr()
    table = sweep.run({"activation": ["relu"]}, base=BASE, seeds=[0], out=out, n_jobs=1)
    err = capfd.readouterr().err
    assert str(results) in err and "unreadable" in err
    assert json.loads(results.read_text())["epochs_run"] == 2 and table[0]["test_accuracy"] >= 0
    assert json.loads((out / "sweep.json").read_text())["skipped"] == 0


@pytest.mark.parametrize("kwargs,words", [
    ({"seeds": []}, "seeds must be a non-empty list"),
    ({"seeds": [0, 0]}, "repeat a seed"),
    ({"seeds": ["1"]}, "seeds must be a non-empty list of non-negative integers"),
    ({"grid": {"activation": "relu"}}, "activation = 'relu' must be a non-empty list of values"),
    ({"grid": {"lr": []}}, "must be a non-empty list"),
    ({"base": {"learning_rate": 0.1}}, "unknown [base] option"),
])
def test_sweep_settings_that_cannot_be_meant_are_refused(tmp_path, kwargs, words):
    args = {"grid": {"activation": ["relu"]}, "base": BASE, "seeds": [0], "out": tmp_path / "s", "n_jobs": 1,
            **kwargs}
    with pytest.raises(ValueError) as info:
        sweep.run(args.pop("grid"), **args)
    assert words in str(info.value)
    assert not (tmp_path / "s").exists()


def test_dask_runs_write_to_the_clients_absolute_path(tmp_path, monkeypatch):
    distributed = pytest.importorskip("dask.distributed", reason="dask[distributed] not installed")
    workers_cwd = tmp_path / "workers"
    workers_cwd.mkdir()
    monkeypatch.chdir(workers_cwd)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                  processes=True) as cluster:
        client_cwd = tmp_path / "client"
        client_cwd.mkdir()
        monkeypatch.chdir(client_cwd)  # the workers stay in workers_cwd
        sweep.run({"activation": ["relu", "tanh"]}, base=BASE, seeds=[0], out="rel", backend="dask",
                  scheduler=cluster.scheduler_address)
    assert len(list((client_cwd / "rel").glob("runs/*/results.json"))) == 2
    assert not (workers_cwd / "rel").exists()


def _children(pid):
    """Every descendant of ``pid`` (Linux /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the worker processes")
def test_kill_9_of_a_joblib_sweep_stops_its_workers(tmp_path):
    spec = tmp_path / "sweep.toml"
    out = tmp_path / "out"
    spec.write_text(f'[sweep]\nout = "{out}"\nseeds = [0, 1]\nn_jobs = 2\n[base]\ndataset = "digits"\n'
                    'hidden = [256, 256]\nbatch_size = 4\nepochs = 30\n[grid]\nlr = [0.001, 0.002]\n')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "tinygrad_mlp", "sweep", str(spec)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    workers: set = set()
    try:
        deadline = time.time() + 120
        while len(list(out.glob("runs/*/history.csv"))) < 2:  # two workers are training
            assert time.time() < deadline and proc.poll() is None
            time.sleep(0.05)
        workers = {p for p in _children(proc.pid) if _alive(p)}
        assert workers
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 15
        while any(_alive(p) for p in workers) and time.time() < deadline:
            time.sleep(0.1)
        assert not [p for p in workers if _alive(p)], "worker processes outlived the sweep"
    finally:
        for p in workers:  # (only if the test failed: the processes this test started)
            if _alive(p):
                os.kill(p, signal.SIGKILL)
