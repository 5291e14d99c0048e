"""The benchmark scripts run and print well-formed JSON (timings themselves are not tested here:
they belong to benchmarks/, measured as ratios on a quiet machine)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    out = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=ROOT, timeout=600,
                         check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_step_time_records_every_configuration_with_ratios():
    records = [r for r in run("benchmarks.step_time", "--rounds", "1") if r["benchmark"] == "step_time"]
    assert len(records) == 10
    for r in records:
        assert r["ours_over_numpy"] > 0 and r["numpy"]["median_s"] > 0 and r["ours_over_numpy_in_out"] > 0
        assert ("torch_over_ours" in r) == ("torch" in r)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_numpy_references_compute_what_ours_computes(optimizer):
    """Both hand-written references (either weight layout) and our model take the same steps."""
    import tinygrad_mlp as tg
    from benchmarks.common import NumpyMLP, init_weights, ours_model

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 12)).astype(np.float32), rng.integers(0, 4, 16)
    sizes, lr = [12, 10, 8, 4], 0.05 if optimizer == "sgd" else 0.01
    refs = [NumpyMLP(init_weights(sizes), lr, optimizer, layout) for layout in ("out_in", "in_out")]
    model = ours_model(init_weights(sizes))
    opt = tg.optim.SGD(model.parameters(), lr=lr) if optimizer == "sgd" else tg.optim.Adam(model.parameters(), lr=lr)
    for _ in range(5):
        losses = [ref.step(x, y) for ref in refs]
        opt.zero_grad()
        loss = tg.nn.functional.cross_entropy(model(tg.tensor(x)), tg.tensor(y))
        loss.backward()
        opt.step()
        np.testing.assert_allclose(losses, loss.item(), rtol=1e-5)
    np.testing.assert_allclose(refs[0].params[0], refs[1].params[0].T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(refs[0].params[0], model[0].weight.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(refs[1].predict(x), model(tg.tensor(x)).numpy(), rtol=1e-4, atol=1e-5)


def test_overhead_memory_and_machine_info():
    records = run("benchmarks.overhead", "--quick")
    assert records[0]["benchmark"] == "machine" and "numpy" in records[0]
    assert {r["op"] for r in records[1:]} >= {"add", "matmul", "linear", "softmax"}
    memory = run("benchmarks.memory", "--steps", "30")[-1]
    assert memory["benchmark"] == "memory" and memory["ours"]["peak_mb"] > 0 and "peak_ratio_ours_over_numpy" in memory


def test_layout_benchmark_times_every_product_and_the_step():
    records = [r for r in run("benchmarks.layout", "--quick") if r["benchmark"] == "layout"]
    steps = [r for r in records if r["product"] == "sgd_step"]
    assert [r["batch"] for r in steps] == [1, 32, 128, 512]
    assert len(records) == 4 * (1 + 3 * 3)  # per batch: 3 products of 3 layers, and the step
    for r in records:
        assert r["row_major_us"] > 0 and r["column_major_us"] > 0 and r["column_over_row"] > 0
    assert all(r["default_us"] > 0 and r["default_over_row"] > 0 for r in steps)


def test_rng_benchmark_compares_the_torch_stream_with_numpy():
    records = [r for r in run("benchmarks.rng", "--quick") if r.get("benchmark") == "rng"]
    assert records and all(r["ours_over_numpy"] > 0 for r in records)


def test_engine_ab_compares_two_checkouts():
    records = [r for r in run("benchmarks.engine_ab", str(ROOT), str(ROOT), "--quick", "--rounds", "2")
               if r.get("benchmark") == "engine_ab"]
    assert len(records) == 1 and records[0]["before_us"] > 0 and 0.5 < records[0]["after_over_before"] < 2


def test_gemm_shapes_times_every_product_of_the_step():
    records = [r for r in run("benchmarks.gemm_shapes", "--batches", "4", "--rounds", "1")
               if r["benchmark"] == "gemm_shapes"]
    assert len(records) == 1 and records[0]["batch"] == 4
    products = {k: v for k, v in records[0].items() if "@" in k}
    assert list(products) == ["4x784 @ 784x256", "784x4 @ 4x256", "4x256 @ 256x128", "256x4 @ 4x128"]
    for timing in products.values():
        assert timing["numpy_us"] > 0 and ("xla_us" not in timing or timing["xla_over_numpy"] > 0)
