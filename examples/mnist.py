"""MNIST with a 784-256-128-10 ReLU MLP, Adam, He init: >= 98% test accuracy within 10 epochs.

    python examples/mnist.py --data-root ../shared/data/mnist
    python examples/mnist.py --data-root ../shared/data/mnist --grid    # hidden sizes x batch sizes
"""

import argparse
import time

import tinygrad_mlp as tg
from tinygrad_mlp import data as D
from tinygrad_mlp import nn
from tinygrad_mlp.train import evaluate, fit

parser = argparse.ArgumentParser()
parser.add_argument("--data-root", default=None, help="folder with the MNIST IDX files (default: cache/download)")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--limit", type=int, default=None, help="use only this many training images")
parser.add_argument("--grid", action="store_true", help="also compare hidden sizes and batch sizes (1 epoch each)")
args = parser.parse_args()

(X, y), (X_test, y_test) = D.load_mnist(args.data_root)
if args.limit:
    X, y = X[: args.limit], y[: args.limit]

tg.manual_seed(0)
model = nn.MLP(784, [256, 128], 10, init="kaiming")
optimizer = tg.optim.Adam(model.parameters(), lr=1e-3)
schedule = tg.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
print("784-256-128-10 ReLU, Adam lr 1e-3 with cosine decay, batch 128, He init")
history = fit(model, nn.CrossEntropyLoss(), optimizer, (X, y), epochs=args.epochs, batch_size=128,
              val_data=(X_test, y_test), scheduler=schedule, report_every=1, progress=False)
best = max(history["val_accuracy"])
print(f"best test accuracy {best:.4f}; {sum(history['seconds']) / len(history):.2f} s per epoch")

if args.grid:
    print(f"\n{'hidden':<10}{'batch':>6}{'test acc':>10}{'seconds':>9}   (1 epoch each)")
    for hidden in ([128], [256], [256, 128]):
        for batch in (1, 5, 64):
            tg.manual_seed(0)
            m = nn.MLP(784, hidden, 10, init="kaiming")
            start = time.perf_counter()
            fit(m, nn.CrossEntropyLoss(), tg.optim.Adam(m.parameters(), lr=1e-3 if batch > 1 else 1e-4), (X, y),
                epochs=1, batch_size=batch, report_every=0, progress=False)
            acc = evaluate(m, (X_test, y_test))["accuracy"]
            name = "-".join(map(str, hidden))
            print(f"{name:<10}{batch:>6}{acc:>10.4f}{time.perf_counter() - start:>9.2f}")
