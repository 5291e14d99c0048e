"""A 1-150-150-1 network fitting a noisy 1-D curve with MSE: SGD vs Adam, four activations,
batch 1 vs 8, early stopping on a loss plateau.

    python examples/regression.py
"""

import argparse

import tinygrad_mlp as tg
from tinygrad_mlp import data as D
from tinygrad_mlp import nn
from tinygrad_mlp.train import EarlyStopping, evaluate, fit

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=300)
parser.add_argument("--samples", type=int, default=200)
args = parser.parse_args()

X, y = D.make_regression_1d(args.samples, noise=0.1, random_state=0)
X_train, X_val, y_train, y_val = D.train_test_split(X, y, test_size=0.25, random_state=0)

print(f"{'activation':<12}{'optimizer':<10}{'batch':>6}{'epochs':>8}{'train mse':>11}{'val mse':>10}{'val r2':>8}")
runs = [(a, "adam", 8) for a in ("sigmoid", "tanh", "relu", "leaky_relu")]
runs += [("tanh", "sgd", 8), ("tanh", "adam", 1)]
for activation, opt_name, batch in runs:
    tg.manual_seed(0)
    model = nn.MLP(1, [150, 150], 1, activation=activation)
    opt = tg.optim.Adam(model.parameters(), lr=3e-3) if opt_name == "adam" else \
        tg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    history = fit(model, nn.MSELoss(), opt, (X_train, y_train), epochs=args.epochs, batch_size=batch,
                  val_data=(X_val, y_val), metrics=("mse",), report_every=0, progress=False,
                  callbacks=[EarlyStopping("val_loss", patience=20, min_delta=1e-5, restore_best_weights=True)])
    val = evaluate(model, (X_val, y_val), nn.MSELoss(), ("mse", "r2"))
    train = evaluate(model, (X_train, y_train), nn.MSELoss(), ("mse",))
    print(f"{activation:<12}{opt_name:<10}{batch:>6}{len(history):>8}{train['mse']:>11.5f}{val['mse']:>10.5f}"
          f"{val['r2']:>8.4f}")

print("\ntrain and validation loss per epoch of the last run (every 10th epoch):")
for record in history.epochs[::10]:
    print(f"  epoch {record['epoch']:4d}  train {record['loss']:.5f}  val {record['val_loss']:.5f}")
