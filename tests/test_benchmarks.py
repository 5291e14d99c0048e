"""The benchmark scripts run and print well-formed JSON (timings themselves are not tested here:
they belong to benchmarks/, measured as ratios on a quiet machine)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    out = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=ROOT, timeout=600,
                         check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_step_time_records_every_configuration_with_ratios():
    records = [r for r in run("benchmarks.step_time", "--rounds", "1") if r["benchmark"] == "step_time"]
    assert len(records) == 10
    for r in records:
        assert r["ours_over_numpy"] > 0 and r["numpy"]["median_s"] > 0
        assert ("torch_over_ours" in r) == ("torch" in r)


def test_overhead_memory_and_machine_info():
    records = run("benchmarks.overhead", "--quick")
    assert records[0]["benchmark"] == "machine" and "numpy" in records[0]
    assert {r["op"] for r in records[1:]} >= {"add", "matmul", "linear", "softmax"}
    memory = run("benchmarks.memory", "--steps", "30")[-1]
    assert memory["benchmark"] == "memory" and memory["ours"]["peak_mb"] > 0 and "peak_ratio_ours_over_numpy" in memory
