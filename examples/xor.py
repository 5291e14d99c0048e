"""The textbook XOR network: 2-2-1 with sigmoids, fixed initial weights, per-sample SGD (lr 0.2).

    python examples/xor.py            # 90,000 epochs, as in the book
    python examples/xor.py --epochs 2000
"""

import argparse
import time

import numpy as np

import tinygrad_mlp as tg
from tinygrad_mlp import nn

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=90_000)
parser.add_argument("--lr", type=float, default=0.2)
args = parser.parse_args()

tg.set_default_dtype(np.float64)
model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
# The book's weights in its x·W convention; torch-style Linear stores W transposed.
model.load_state_dict({"0.weight": np.array([[0.1, 0.2], [0.3, 0.4]]).T, "0.bias": [0.1, 0.2],
                       "2.weight": np.array([[0.5], [0.6]]).T, "2.bias": [0.3]})
X = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
T = tg.tensor([[1.0], [0.0], [0.0], [1.0]])

with tg.no_grad():
    print("before training:", " ".join(f"{v:.8f}" for v in model(X).numpy().ravel()))

optimizer = tg.optim.SGD(model.parameters(), lr=args.lr)
start = time.perf_counter()
for _ in range(args.epochs):
    for i in range(4):  # one sample at a time
        optimizer.zero_grad()
        loss = 0.5 * ((model(X[i:i + 1]) - T[i:i + 1]) ** 2).sum()  # E = ½Σ(y − t)²
        loss.backward()
        optimizer.step()
seconds = time.perf_counter() - start

with tg.no_grad():
    out = model(X).numpy().ravel()
print(f"after {args.epochs} epochs ({seconds:.1f} s):")
for x, t, y in zip(X.tolist(), T.numpy().ravel(), out):
    print(f"  input {x} target {t:.0f} output {y:.6f}")
print("outputs:", " ".join(f"{v:.6f}" for v in out))
