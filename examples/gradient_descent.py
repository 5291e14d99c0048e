"""Gradient descent by hand with a Tensor and backward().

    python examples/gradient_descent.py
"""

import argparse

import tinygrad_mlp as tg

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=25)
parser.add_argument("--lr", type=float, default=0.2)
args = parser.parse_args()

print("minimise f(x) = (x - 3)² + 10 from x = 10")
x = tg.tensor(10.0, dtype=tg.float64, requires_grad=True)
for step in range(1, args.steps + 1):
    f = (x - 3) ** 2 + 10
    x.grad = None
    f.backward()
    with tg.no_grad():
        x -= args.lr * x.grad  # x ← x − lr·f'(x)
    if step <= 6 or step == args.steps:
        print(f"  step {step:3d}: x = {x.item():.6f}   f'(x) was {x.grad.item():+.6f}")
print(f"minimum near x = {x.item():.6f} (exact: 3)\n")

print("the bowl f(x, y) = x² + y² from (4, -3)")
p = tg.tensor([4.0, -3.0], dtype=tg.float64, requires_grad=True)
for step in range(1, args.steps + 1):
    p.grad = None
    (p ** 2).sum().backward()
    with tg.no_grad():
        p -= args.lr * p.grad
    if step <= 3 or step == args.steps:
        print(f"  step {step:3d}: (x, y) = ({p[0].item():.6f}, {p[1].item():.6f})")
print(f"minimum near {tuple(round(v, 6) for v in p.tolist())} (exact: (0, 0))")
