"""benchmarks/mnist_time.py runs and reports what it says (on a few random rows: no timing is tested here)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mnist_time_runs_both_paths_and_reports_time_and_memory():
    out = subprocess.run([sys.executable, "-m", "benchmarks.mnist_time", "--synthetic", "512", "--epochs", "2",
                          "--batch-size", "64", "--repeats", "1", "--target", "0.0"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600, check=True).stdout
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0]["benchmark"] == "machine"
    runs = {r["path"]: r for r in records if r["benchmark"] == "mnist_time_run"}
    assert runs["eager"]["train_step"] == "eager: compile=False" and runs["compiled"]["train_step"] == "compiled"
    # the same training bit for bit, so the same test accuracies; a target of 0 is reached after epoch 1
    assert runs["eager"]["test_accuracy"] == runs["compiled"]["test_accuracy"]
    for r in runs.values():
        assert len(r["test_accuracy"]) == 1 and r["seconds_to_target"] == r["seconds_at_epoch"][0] > 0
    summary = records[-1]
    assert summary["benchmark"] == "mnist_time" and summary["data"] == "synthetic 512 rows"
    assert summary["reached"] == {"eager": 1, "compiled": 1} and summary["compiled_over_eager"]["median"] > 0
    for path in ("eager", "compiled"):
        assert summary["memory"][path]["fit_peak_mb"] > 0 and summary["memory"][path]["ru_maxrss_mb"] > 0
    assert summary["fit_peak_compiled_over_eager"] > 0


def run(*args: str) -> list:
    out = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=ROOT, timeout=600,
                         check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_update_kernels_measures_every_variant_it_can():
    import importlib.util

    records = [r for r in run("benchmarks.update_kernels", "--rounds", "1", "--batches", "1")
               if r["benchmark"] == "update_kernels"]
    assert [(r["optimizer"], r["batch"]) for r in records] == [("sgd", 1), ("adam", 1)]
    have = importlib.util.find_spec
    expected = {"numpy", "blocked"} | ({"numba"} if have("numba") else set()) | (
        {"numexpr1", "numexpr"} if have("numexpr") else set())
    for r in records:
        assert set(r["over_numpy"]) == expected and all(v > 0 for v in r["over_numpy"].values())
        assert set(r["us"]) == expected | {"reference"}


def test_compiled_step_reports_the_compiled_step_against_numpy():
    records = [r for r in run("benchmarks.compiled_step", "--rounds", "1", "--batches", "1", "--update", "numpy")
               if r["benchmark"] == "compiled_step"]
    assert [(r["optimizer"], r["batch"], r["update"]) for r in records] == [("sgd", 1, "numpy"), ("adam", 1, "numpy")]
    for r in records:
        assert r["over_numpy"]["compiled"] > 0 and r["over_numpy"]["eager"] > 0 and r["compiled_us"] > 0
        assert isinstance(r["over_numpy"]["jax"], float) == ("compiled_over_jax" in r)
        assert ("compiled_no_grads" in r["over_numpy"]) == (r["optimizer"] == "sgd")  # SGD's product form


def test_a_framework_process_that_slowed_its_numpy_reference_is_run_again(monkeypatch):
    sys.path.insert(0, str(ROOT))
    from benchmarks import compiled_step

    def record(numpy_s):
        return {"numpy": {"median_s": numpy_s}, "jax": {"median_s": 1.0}}

    results = {("ours", "sgd", 32): record(1.0), ("ours", "adam", 32): record(1.0),
               ("jax", "sgd", 32): record(1.8), ("jax", "adam", 32): record(1.1)}  # sgd's ran disturbed
    tries = iter([[{"key": ["sgd", 32], **record(1.7)}, {"key": ["adam", 32], **record(1.0)}],
                  [{"key": ["sgd", 32], **record(1.05)}, {"key": ["adam", 32], **record(1.9)}]])
    calls = []
    monkeypatch.setattr(compiled_step, "run_worker", lambda *args: calls.append(args) or next(tries))
    compiled_step._respawn_disturbed(results, ["ours", "jax"], [32], rounds=3, update="fused")
    assert len(calls) == 2 and all(c[2] == "jax" and c[c.index("--batches") + 1] == "32" for c in calls)
    assert results[("jax", "sgd", 32)]["numpy"]["median_s"] == 1.05 and results[("jax", "sgd", 32)]["respawned"] == 2
    assert results[("jax", "adam", 32)]["numpy"]["median_s"] == 1.0  # the faster try of a process run again
    assert "respawned" not in results[("ours", "sgd", 32)]


def test_our_own_process_is_run_again_when_its_numpy_reference_ran_slow(monkeypatch):
    """A slow reference beside our step would flatter our ratio just as one beside JAX's flatters JAX's."""
    sys.path.insert(0, str(ROOT))
    from benchmarks import compiled_step

    def record(numpy_s):
        return {"numpy": {"median_s": numpy_s}}

    results = {("ours", "sgd", 1): record(2.0), ("ours", "adam", 1): record(2.0),
               ("torch", "sgd", 1): record(1.0), ("torch", "adam", 1): record(1.0)}
    calls = []
    def slow_again(*args):
        calls.append(args)
        return [{"key": ["sgd", 1], **record(1.9)}, {"key": ["adam", 1], **record(1.9)}]

    monkeypatch.setattr(compiled_step, "run_worker", slow_again)
    compiled_step._respawn_disturbed(results, ["ours", "torch"], [1], rounds=3, update="fused")
    assert [c[2] for c in calls] == ["ours"] * compiled_step.RESPAWNS  # never undisturbed: every try is made
    assert results[("ours", "sgd", 1)] == {**record(1.9), "respawned": 1}  # the best try is kept


def test_gemm_update_measures_the_accumulating_product_and_checks_it_trains_the_same():
    records = [r for r in run("benchmarks.gemm_update", "--rounds", "1", "--batches", "1,8")
               if r["benchmark"] == "gemm_update"]
    assert [r["batch"] for r in records] == [1, 8]
    for r in records:
        assert set(r["over_numpy"]) == {"gemm_accumulate", "compiled", "compiled_no_grads"}
        assert all(v > 0 for v in r["over_numpy"].values()) and set(r["us"]) == {"numpy", *r["over_numpy"]}
        assert 0 <= r["param_drift_after_20_steps"] <= 1e-5


def test_the_accumulating_product_updates_as_sgd_does():
    """One fused step against the reference step, from the same weights: the same parameters to rounding."""
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from benchmarks.common import NumpyMLP, init_weights
    from benchmarks.gemm_update import GemmAccumulateSGD

    sizes = [6, 5, 3]
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 6)).astype(np.float32), np.array([0, 2, 1, 2])
    ref, fused = NumpyMLP(init_weights(sizes), 0.5, "sgd", "in_out"), GemmAccumulateSGD(init_weights(sizes), 0.5)
    assert ref.step(x, y) == fused.step(x, y)
    before = init_weights(sizes)
    for a, b, (w0, _) in zip(ref.params[::2], fused.params[::2], before):
        assert not np.allclose(a, w0.T)  # the step moved the weights
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
