"""The run folder is the truth, and survives kills: --resume continues from the run's own config and
its last checkpoint (refusing flags that would change the run, before writing anything), kill -9 and
SIGTERM lose at most the epoch in progress and the resumed run is bit-identical, --overwrite never
mixes two runs, and the run folders of tinygrad_mlp 0.1 are still read."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp.cli import main

from ..checkpoint_files import save_v1

SLOW = ["train", "--dataset", "digits", "--hidden", "256,256", "--batch-size", "4", "--epochs", "9", "--seed", "5",
        "--dropout", "0.1", "--scheduler", "cosine", "--quiet"]
QUICK = ["train", "--dataset", "iris", "--hidden", "16", "--epochs", "4", "--seed", "3", "--lr", "0.01", "--quiet"]


def files(folder):
    """{name: bytes} of everything in a folder (hidden files included)."""
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.is_file()}


def weights(path):
    return {k: v.numpy() for k, v in tg.load(path).items()}


def history_rows(folder):
    path = Path(folder) / "history.csv"
    return max(len(path.read_text().strip().splitlines()) - 1, 0) if path.exists() else 0


def cli(*args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-m", "tinygrad_mlp", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def wait_for_rows(proc, folder, rows, timeout=120):
    deadline = time.time() + timeout
    while history_rows(folder) < rows:
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline, "training did not get far enough"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The uninterrupted run the interrupted ones must match bit for bit."""
    out = tmp_path_factory.mktemp("straight") / "run"
    proc = cli(*SLOW, "--out", str(out))
    assert proc.wait(timeout=300) == 0, proc.communicate()
    return out


# --- surviving kills -------------------------------------------------------------------------------------------


def test_kill_9_loses_at_most_one_epoch_and_the_resumed_run_is_bit_identical(straight, tmp_path):
    out = tmp_path / "run"
    proc = cli(*SLOW, "--out", str(out))
    wait_for_rows(proc, out, 3)
    time.sleep(0.15)  # somewhere inside a later epoch
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    completed = history_rows(out)
    saved = tg.load(out / "checkpoint.safetensors")["epoch"]
    assert completed >= 3 and completed - saved <= 1, (completed, saved)  # at most the epoch being saved
    assert not (out / "model.safetensors").exists()  # it really died mid-run
    resumed = cli(*SLOW, "--out", str(out), "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.communicate()
    a, b = weights(straight / "model.safetensors"), weights(out / "model.safetensors")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    ra, rb = (json.loads((f / "results.json").read_text()) for f in (straight, out))
    assert ra["test"] == rb["test"] and rb["epochs_run"] == 9
    assert (out / "history.csv").read_text().count("\n") == 10
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_sigterm_is_handled_like_ctrl_c(straight, tmp_path):
    out = tmp_path / "run"
    proc = cli(*SLOW, "--out", str(out))
    wait_for_rows(proc, out, 2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Interrupted: kept the state after epoch" in err
    assert tg.load(out / "checkpoint.safetensors")["epoch"] == history_rows(out) >= 2
    assert json.loads((out / "results.json").read_text())["interrupted"] is True
    assert main([*SLOW, "--out", str(out), "--resume"]) == 0
    a, b = weights(straight / "model.safetensors"), weights(out / "model.safetensors")
    assert all(np.array_equal(a[k], b[k]) for k in a)


# --- --resume: the run folder's config is the truth -------------------------------------------------------------


def test_resume_without_repeating_the_flags_continues_the_same_run(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*QUICK, "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert main(["train", "--out", str(out), "--resume", "--epochs", "7", "--quiet"]) == 0
    after = json.loads((out / "config.json").read_text())
    assert {k: v for k, v in after.items() if k not in ("epochs", "resumes", "report_every", "resume")} == \
        {k: v for k, v in config.items() if k not in ("epochs", "report_every", "resume")}
    assert after["epochs"] == 7 and after["resumes"] == [{"epochs": [4, 7], "at_epoch": 4}]
    assert history_rows(out) == 7 and json.loads((out / "results.json").read_text())["epochs_run"] == 7
    capsys.readouterr()
    assert main(["evaluate", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accuracy"] == json.loads((out / "results.json").read_text())["test"]["accuracy"]


@pytest.mark.parametrize("change", [["--optimizer", "sgd"], ["--scheduler", "step"], ["--seed", "4"],
                                    ["--hidden", "64"], ["--dataset", "digits"], ["--test-size", "0.3"],
                                    ["--lr", "0.5"]])
def test_resume_refuses_flags_that_change_the_run_and_writes_nothing(tmp_path, capsys, change):
    out = tmp_path / "run"
    assert main([*QUICK, "--out", str(out)]) == 0
    before = files(out)
    capsys.readouterr()
    assert main([*QUICK, "--out", str(out), "--resume", "--epochs", "8", *change]) == 2
    err = capsys.readouterr().err
    assert "would change its model, data, split, optimizer or seed" in err and change[0][2:].replace("-", "_") in err
    assert files(out) == before


def test_resume_with_fewer_epochs_than_done_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*QUICK, "--out", str(out)]) == 0
    before = files(out)
    capsys.readouterr()
    assert main(["train", "--out", str(out), "--resume", "--epochs", "2"]) == 2
    assert "already holds 4 epochs, more than --epochs 2" in capsys.readouterr().err
    assert files(out) == before


def test_resume_of_a_folder_without_a_run_is_refused(tmp_path, capsys):
    assert main([*QUICK, "--out", str(tmp_path / "nothing"), "--resume"]) == 2
    assert "holds no run to continue" in capsys.readouterr().err
    assert not (tmp_path / "nothing").exists()


def test_stale_temp_files_and_staging_folders_are_cleaned_on_the_next_start(tmp_path):
    out = tmp_path / "run"
    assert main([*QUICK, "--out", str(out)]) == 0
    (out / ".checkpoint.safetensors.999999999-0badf00d.tmp").write_bytes(b"half")
    (tmp_path / ".run.new-999999999").mkdir()
    (tmp_path / ".run.new-999999999" / "model.safetensors").write_bytes(b"half")
    assert main([*QUICK, "--out", str(out), "--resume"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


# --- --overwrite replaces the folder whole -----------------------------------------------------------------------


def test_overwrite_leaves_nothing_of_the_old_run(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--dataset", "moons", "--hidden", "8", "--epochs", "2", "--quiet", "--out", str(out)]) == 0
    (out / "notes.txt").write_text("mine")
    assert (out / "decision_boundary.png").exists()
    assert main([*QUICK, "--out", str(out), "--overwrite"]) == 0
    assert not (out / "decision_boundary.png").exists() and not (out / "notes.txt").exists()
    assert json.loads((out / "config.json").read_text())["dataset"] == "iris"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_an_interrupted_overwrite_keeps_the_old_run_whole(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*QUICK, "--out", str(out)]) == 0
    before = files(out)
    proc = cli(*SLOW, "--out", str(out), "--overwrite")
    staging = next(iter([]), None)
    deadline = time.time() + 60
    while staging is None:
        assert time.time() < deadline and proc.poll() is None
        staging = next(iter(tmp_path.glob(".run.new-*")), None)
        time.sleep(0.02)
    wait_for_rows(proc, staging, 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert files(out) == before  # the old run, untouched
    capsys.readouterr()
    assert main(["evaluate", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == \
        json.loads((out / "results.json").read_text())["test"]["accuracy"]
    assert main([*QUICK, "--out", str(out), "--resume"]) == 0  # the next start removes the dead staging folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


# --- run folders of tinygrad_mlp 0.1 ------------------------------------------------------------------------------


def test_a_version_1_run_folder_is_evaluated_predicted_and_resumed(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*QUICK, "--out", str(out)]) == 0
    state, info = tg.load(out / "model.safetensors", return_metadata=True)
    meta = info["meta"]
    scaler = meta["scaler"]  # as 0.1 wrote it: the scaler's arrays as arrays, no dtype entry
    meta["scaler"] = {"kind": scaler["kind"], "a": np.array(scaler["a"]), "b": np.array(scaler["b"])}
    save_v1({"model": state, "meta": meta}, out / "model.npz")
    save_v1(tg.load(out / "checkpoint.safetensors"), out / "checkpoint.npz", {"kind": "training-checkpoint"})
    (out / "model.safetensors").unlink()
    (out / "checkpoint.safetensors").unlink()
    capsys.readouterr()
    assert main(["evaluate", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == \
        json.loads((out / "results.json").read_text())["test"]["accuracy"]
    flowers = tmp_path / "f.csv"
    flowers.write_text("5.1,3.5,1.4,0.2\n")
    assert main(["predict", str(out), "--input", str(flowers)]) == 0
    assert capsys.readouterr().out.split()[-1] in ("setosa", "versicolor", "virginica")
    assert main(["train", "--out", str(out), "--resume", "--epochs", "6", "--quiet"]) == 0
    assert (out / "model.safetensors").exists() and not (out / "model.npz").exists()
    assert tg.load(out / "checkpoint.safetensors")["epoch"] == 6
