"""Every activation and its derivative, the derivative computed by autograd.

    python examples/activations.py              # a table
    python examples/activations.py --plot a.png # and a plot (needs matplotlib)
"""

import argparse

import numpy as np

import tinygrad_mlp as tg
from tinygrad_mlp import nn

parser = argparse.ArgumentParser()
parser.add_argument("--plot", help="save a plot of each function and its derivative here")
args = parser.parse_args()

names = ["relu", "leaky_relu", "elu", "selu", "sigmoid", "tanh", "softplus", "gelu", "silu", "step"]
points = [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0]


def value_and_derivative(name, xs):
    x = tg.tensor(xs, dtype=tg.float64, requires_grad=True)
    y = nn.ACTIVATIONS[name]()(x)
    y.sum().backward()  # each output depends on its own input only: the gradient is the derivative
    return y.numpy(), x.grad.numpy()


print(f"{'':<12}" + "".join(f"{p:>9.1f}" for p in points))
for name in names:
    f, df = value_and_derivative(name, points)
    print(f"{name:<12}" + "".join(f"{v:>9.4f}" for v in f))
    print(f"{'  d/dx':<12}" + "".join(f"{v:>9.4f}" for v in df))

if args.plot:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = np.linspace(-4, 4, 401)
    fig, axes = plt.subplots(2, 5, figsize=(16, 6), sharex=True)
    for ax, name in zip(axes.ravel(), names):
        f, df = value_and_derivative(name, xs)
        ax.plot(xs, f, label="f(x)")
        ax.plot(xs, df, "--", label="f'(x) by autograd")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    axes[0, 0].legend()
    fig.tight_layout()
    fig.savefig(args.plot, dpi=100)
    print(f"plot saved to {args.plot}")
