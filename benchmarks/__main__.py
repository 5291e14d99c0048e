"""``python -m benchmarks``: the quick set (step time, weight layout, per-op overhead, scaling, memory, torch-
identical random draws, and the MNIST epoch when the data is found), in about two minutes. Each prints JSON lines."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
mnist = os.environ.get("TINYGRAD_MLP_MNIST") or str(HERE.parent.parent / "shared" / "data" / "mnist")
runs = [["step_time", "--quick"], ["layout", "--quick"], ["overhead"], ["scaling", "--quick"],
        ["memory", "--steps", "300"], ["rng", "--quick"]]
if Path(mnist).is_dir():
    runs.append(["mnist_epoch", "--quick", "--data-root", mnist])
for args in runs:
    code = subprocess.run([sys.executable, "-m", f"benchmarks.{args[0]}", *args[1:]], cwd=HERE.parent).returncode
    if code:
        sys.exit(code)
