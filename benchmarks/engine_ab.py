"""Before/after: the same training step of two checkouts of tinygrad_mlp, each configuration in its own
process, the two alternating round by round (so a slow phase of the machine hits both). This is how an
engine change is held to "within 3% of before".

    git archive OLD_COMMIT | tar -x -C /tmp/before
    python -m benchmarks.engine_ab /tmp/before . [--rounds 3] [--quick]

Prints one JSON line per configuration: the minimum per-step time of each side over its rounds and
``after_over_before``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from .common import main_guard

WORKER = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
import tinygrad_mlp as tg
from tinygrad_mlp import nn
sizes = [int(s) for s in sys.argv[2].split("-")]
batch, optimizer = int(sys.argv[3]), sys.argv[4]
tg.manual_seed(0)
layers = []
for i in range(len(sizes) - 1):
    layers.append(nn.Linear(sizes[i], sizes[i + 1]))
    if i < len(sizes) - 2:
        layers.append(nn.ReLU())
model = nn.Sequential(*layers)
opt = tg.optim.SGD(model.parameters(), lr=0.01) if optimizer == "sgd" else tg.optim.Adam(model.parameters(), lr=1e-3)
rng = np.random.default_rng(1)
x = tg.tensor(rng.standard_normal((batch, sizes[0])).astype(np.float32))
y = tg.tensor(rng.integers(0, sizes[-1], batch))
loss_fn = nn.CrossEntropyLoss()
def step():
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
n = max(int(sys.argv[5]), int(20000 / (batch + 20)))
for _ in range(n // 4):
    step()
best = []
for _ in range(7):
    start = time.perf_counter()
    for _ in range(n):
        step()
    best.append((time.perf_counter() - start) / n)
print(json.dumps(min(best)))
"""

CONFIGS = [("784-256-128-10", b, o) for o in ("sgd", "adam") for b in (1, 32, 128, 512)] + [("4-128-3", 1, "sgd")]


def time_step(checkout: str, sizes: str, batch: int, optimizer: str, min_steps: int) -> float:
    out = subprocess.run([sys.executable, "-c", WORKER, checkout, sizes, str(batch), optimizer, str(min_steps)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="a checkout (folder holding tinygrad_mlp/) to compare against")
    parser.add_argument("after", help="the checkout under test")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one small configuration, few steps (a smoke test)")
    args = parser.parse_args()
    configs = [("4-16-3", 8, "sgd")] if args.quick else CONFIGS
    for sizes, batch, optimizer in configs:
        times: dict = {"before": [], "after": []}
        for r in range(args.rounds):
            order = ("before", "after") if r % 2 == 0 else ("after", "before")
            for side in order:
                times[side].append(time_step(getattr(args, side), sizes, batch, optimizer, 5 if args.quick else 20))
        before, after = min(times["before"]), min(times["after"])
        print(json.dumps({"benchmark": "engine_ab", "config": f"{sizes} b{batch} {optimizer}",
                          "before_us": round(before * 1e6, 1), "after_us": round(after * 1e6, 1),
                          "after_over_before": round(after / before, 3)}), flush=True)


if __name__ == "__main__":
    main_guard(main)
