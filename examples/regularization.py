"""L2 and L1 regularisation of an MLP on the 8×8 digits.

L2 is the optimizer's ``weight_decay`` (adds wd·w to each gradient); L1 is a penalty λ·Σ|w| added
to the loss — any penalty written with tensor ops gets its gradient from autograd.

    python examples/regularization.py
"""

import argparse

import numpy as np

import tinygrad_mlp as tg
from tinygrad_mlp import data as D
from tinygrad_mlp import nn
from tinygrad_mlp.train import evaluate

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=40)
args = parser.parse_args()

X, y = D.load_digits()
X_train, X_test, y_train, y_test = D.train_test_split(X, y, test_size=0.5, random_state=0)
scaler = D.StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
loader = D.DataLoader(D.TensorDataset(X_train, y_train), batch_size=32, shuffle=True, seed=0)


def train(weight_decay: float = 0.0, l1: float = 0.0) -> nn.MLP:
    tg.manual_seed(0)
    model = nn.MLP(64, [128], 10)
    opt = tg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=weight_decay)  # L2
    loss_fn = nn.CrossEntropyLoss()
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    for _ in range(args.epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            if l1:
                loss = loss + l1 * sum(w.abs().sum() for w in weights)  # L1: λ·Σ|w| on the loss
            loss.backward()
            opt.step()
    return model


print(f"{'regularisation':<22}{'train acc':>10}{'test acc':>10}{'Σ|w|':>10}{'Σw²':>10}{'|w|<1e-3':>10}")
for name, kwargs in [("none", {}), ("L2 weight_decay 1e-3", {"weight_decay": 1e-3}),
                     ("L2 weight_decay 1e-2", {"weight_decay": 1e-2}), ("L1 λ=1e-4", {"l1": 1e-4}),
                     ("L1 λ=1e-3", {"l1": 1e-3})]:
    model = train(**kwargs)
    w = np.concatenate([m.weight.numpy().ravel() for m in model.modules() if isinstance(m, nn.Linear)])
    print(f"{name:<22}{evaluate(model, (X_train, y_train))['accuracy']:>10.4f}"
          f"{evaluate(model, (X_test, y_test))['accuracy']:>10.4f}{np.abs(w).sum():>10.1f}{(w ** 2).sum():>10.2f}"
          f"{np.mean(np.abs(w) < 1e-3):>10.3f}")
