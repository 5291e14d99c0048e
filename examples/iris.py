"""Iris with a 4-128-3 ReLU/softmax MLP on scikit-learn's split (test_size=0.4, random_state=42):
batch 1 vs 5, ReLU vs sigmoid, one vs two hidden layers.

    python examples/iris.py
"""

import argparse
import time

import tinygrad_mlp as tg
from tinygrad_mlp import data as D
from tinygrad_mlp import nn
from tinygrad_mlp.train import evaluate, fit

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=50)
args = parser.parse_args()

X, y = D.load_iris()
X_train, X_test, y_train, y_test = D.train_test_split(X, y, test_size=0.4, random_state=42)
scaler = D.StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

experiments = [
    ("4-128-3 relu, batch 1", [128], "relu", 1),
    ("4-128-3 relu, batch 5", [128], "relu", 5),
    ("4-128-3 sigmoid, batch 1", [128], "sigmoid", 1),
    ("4-256-128-3 relu, batch 5", [256, 128], "relu", 5),
]
print(f"{'model':<28}{'epochs':>7}{'train acc':>11}{'test acc':>10}{'seconds':>9}")
for name, hidden, activation, batch in experiments:
    tg.manual_seed(0)
    model = nn.MLP(4, hidden, 3, activation=activation)
    start = time.perf_counter()
    fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters(), lr=1e-3), (X_train, y_train),
        epochs=args.epochs, batch_size=batch, report_every=0, progress=False)
    seconds = time.perf_counter() - start
    train_acc = evaluate(model, (X_train, y_train))["accuracy"]
    test_acc = evaluate(model, (X_test, y_test))["accuracy"]
    print(f"{name:<28}{args.epochs:>7}{train_acc:>11.4f}{test_acc:>10.4f}{seconds:>9.2f}")
