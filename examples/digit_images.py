"""Digits 1-5 from MNIST as PNG files → CSVs at 20×20 and 8×8 (pixel columns, then one-hot
is<Label> columns) → a 256-256 MLP, He init vs N(0, 0.003²) init. Needs Pillow.

    python examples/digit_images.py --data-root ../shared/data/mnist
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

import tinygrad_mlp as tg
from tinygrad_mlp import data as D
from tinygrad_mlp import nn
from tinygrad_mlp.train import evaluate, fit

NAMES = {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five"}

parser = argparse.ArgumentParser()
parser.add_argument("--data-root", default=None)
parser.add_argument("--per-digit", type=int, default=300, help="images of each digit")
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--workdir", default=None, help="where to write the PNGs and CSVs (default: a temp folder)")
args = parser.parse_args()

work = Path(args.workdir or tempfile.mkdtemp(prefix="digit_images_"))
(X, y), _ = D.load_mnist(args.data_root, flatten=False, normalize=False)
for digit, name in NAMES.items():
    folder = work / "images" / name
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(X[y == digit][: args.per_digit]):
        Image.fromarray(image).save(folder / f"{i:05d}.png")
print(f"wrote {args.per_digit * 5} PNG files under {work / 'images'}")

sets = {}
for size in (20, 8):
    csv_path = D.images_to_csv(work / "images", work / f"digits_{size}x{size}.csv", size=(size, size))
    label_columns = [f"is{name}" for name in sorted(NAMES.values())]
    bundle = D.load_csv(csv_path, target=label_columns)
    sets[f"{size}x{size}"] = (bundle.data, bundle.target)
    print(f"{csv_path.name}: {bundle.data.shape[1]} pixel columns + {len(label_columns)} one-hot columns")

# The mixed set: half the images at 20×20, half seen at 8×8 and blown back up to 20×20.
X20, labels = sets["20x20"]
X8 = sets["8x8"][0]
up = np.stack([np.asarray(Image.fromarray((r.reshape(8, 8) * 255).astype(np.uint8)).resize((20, 20)),
                          dtype=np.float32).reshape(-1) / 255 for r in X8])
mixed = np.where((np.arange(len(X20)) % 2 == 0)[:, None], X20, up)
sets["mixed"] = (mixed, labels)

print(f"\n{'data':<8}{'init':<14}{'train acc':>10}{'test acc':>10}")
for data_name, (features, target) in sets.items():
    X_train, X_test, y_train, y_test = D.train_test_split(features, target, test_size=0.25, random_state=0)
    for init, std in (("kaiming", 0.0), ("normal", 0.003)):
        tg.manual_seed(0)
        model = nn.MLP(features.shape[1], [256, 256], 5, init=init, init_std=std)
        fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters(), lr=1e-3), (X_train, y_train),
            epochs=args.epochs, batch_size=32, report_every=0, progress=False)
        label = "He" if init == "kaiming" else "N(0, 0.003²)"
        print(f"{data_name:<8}{label:<14}{evaluate(model, (X_train, y_train))['accuracy']:>10.4f}"
              f"{evaluate(model, (X_test, y_test))['accuracy']:>10.4f}")
