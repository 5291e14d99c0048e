"""Every example runs with small settings and prints what it claims."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = os.environ.get("TINYGRAD_MLP_MNIST") or str(ROOT.parent / "shared/data/mnist")


def run_example(name, *args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args], capture_output=True, text=True,
                            timeout=600, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_xor_starts_from_the_books_outputs():
    out = run_example("xor.py", "--epochs", "20")
    assert "before training: 0.70938314 0.72844306 0.71791234 0.73598705" in out
    assert len(re.findall(r"target \d output", out)) == 4


def test_gradient_descent_sequence():
    out = run_example("gradient_descent.py")
    for x in ("7.200000", "5.520000", "4.512000", "3.907200"):
        assert f"x = {x}" in out
    assert "minimum near x = 3.0000" in out


def test_iris_table():
    out = run_example("iris.py", "--epochs", "50")
    rows = [line for line in out.splitlines() if line.startswith("4-")]
    assert len(rows) == 4
    assert max(float(r.split()[-2]) for r in rows) >= 0.9833


def test_regression_table():
    out = run_example("regression.py", "--epochs", "40", "--samples", "80")
    assert len([line for line in out.splitlines() if line.split() and line.split()[0] in
                ("sigmoid", "tanh", "relu", "leaky_relu")]) == 6
    assert "train and validation loss per epoch" in out


def test_activations_table_and_plot(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib not installed: pip install -e '.[plot]'")
    out = run_example("activations.py", "--plot", str(tmp_path / "a.png"))
    assert "sigmoid" in out and "gelu" in out and (tmp_path / "a.png").stat().st_size > 10_000


@pytest.mark.skipif(not Path(MNIST_DIR).is_dir(), reason=f"MNIST folder {MNIST_DIR} is absent")
def test_mnist_small():
    out = run_example("mnist.py", "--data-root", MNIST_DIR, "--epochs", "1", "--limit", "5000")
    assert "best test accuracy" in out and "s per epoch" in out


@pytest.mark.skipif(not Path(MNIST_DIR).is_dir(), reason=f"MNIST folder {MNIST_DIR} is absent")
def test_digit_images_small(tmp_path):
    pytest.importorskip("PIL", reason="Pillow not installed: pip install -e '.[image]'")
    out = run_example("digit_images.py", "--data-root", MNIST_DIR, "--per-digit", "20", "--epochs", "2",
                      "--workdir", str(tmp_path))
    assert "digits_20x20.csv: 400 pixel columns + 5 one-hot columns" in out
    assert "digits_8x8.csv: 64 pixel columns" in out and "mixed" in out
    assert len(list((tmp_path / "images").rglob("*.png"))) == 100


def test_regularization_l1_makes_weights_sparse_and_l2_small():
    out = run_example("regularization.py", "--epochs", "10")
    rows = {line[:22].strip(): line[22:].split() for line in out.splitlines()[1:]}
    assert float(rows["L2 weight_decay 1e-2"][3]) < float(rows["none"][3])  # Σw² shrinks under L2
    assert float(rows["L1 λ=1e-3"][4]) > 5 * float(rows["none"][4])  # many weights pushed to ~0 by L1
