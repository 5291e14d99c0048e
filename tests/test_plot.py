"""Every plot renders to a PNG of the right size with more than one colour."""

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import data as D
from tinygrad_mlp import nn
from tinygrad_mlp import plot as P
from tinygrad_mlp.train import fit

pytest.importorskip("matplotlib", reason="matplotlib not installed: pip install -e '.[plot]'")


def check_png(path, width, height):
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    assert img.shape[:2] == (height, width)
    colours = np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) >= 2


@pytest.fixture(scope="module")
def trained():
    tg.manual_seed(0)
    X, y = D.make_moons(200, noise=0.1, random_state=0)
    model = nn.MLP(2, [16, 16], 2)
    history = fit(model, nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters(), lr=0.01), (X, y), epochs=15,
                  val_data=(X, y), report_every=0, progress=False)
    return model, history, X, y


def test_history(trained, tmp_path):
    fig = P.plot_history(trained[1], tmp_path / "h.png")
    check_png(tmp_path / "h.png", 1100, 420)
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["loss", "accuracy"]


def test_decision_boundary(trained, tmp_path):
    model, _, X, y = trained
    P.plot_decision_boundary(model, X, y, tmp_path / "d.png")
    check_png(tmp_path / "d.png", 550, 500)
    with pytest.raises(ValueError, match="needs 2-D inputs"):
        P.plot_decision_boundary(model, np.zeros((3, 3)), y[:3])


def test_activation_and_its_autograd_derivative(tmp_path):
    fig = P.plot_activation("sigmoid", tmp_path / "a.png")
    check_png(tmp_path / "a.png", 640, 480)
    xs, f = fig.axes[0].lines[0].get_data()
    _, df = fig.axes[0].lines[1].get_data()
    np.testing.assert_allclose(df, f * (1 - f), atol=1e-6)
    with pytest.raises(ValueError, match="unknown activation"):
        P.plot_activation("nope")


def test_weight_histograms(trained, tmp_path):
    P.plot_weight_histograms(trained[0], tmp_path / "w.png")
    check_png(tmp_path / "w.png", 1200, 350)


def test_gradient_field_and_descent_path(tmp_path):
    fig = P.plot_gradient_field(lambda x, y: x ** 2 + 2 * y ** 2, path=tmp_path / "g.png", start=(2.5, 2.0),
                                lr=0.1, steps=20)
    check_png(tmp_path / "g.png", 600, 550)
    path = fig.axes[0].lines[-1].get_xydata()
    assert len(path) == 21 and np.hypot(*path[-1]) < 0.1 * np.hypot(*path[0])


def test_confusion_matrix_and_predictions(trained, tmp_path):
    model, _, X, y = trained
    P.plot_confusion_matrix(y, tg.train.predict(model, X), tmp_path / "c.png", ["a", "b"])
    check_png(tmp_path / "c.png", 240, 210)
    Xr, yr = D.make_regression_1d(50, random_state=0)
    P.plot_predictions(nn.MLP(1, [8], 1), Xr, yr, tmp_path / "p.png")
    check_png(tmp_path / "p.png", 640, 480)


def test_cli_train_writes_plots(tmp_path):
    from tinygrad_mlp.cli import main

    assert main(["train", "--dataset", "moons", "--hidden", "8", "--epochs", "3", "--quiet",
                 "--out", str(tmp_path / "c")]) == 0
    for name in ("history.png", "confusion.png", "decision_boundary.png"):
        assert (tmp_path / "c" / name).stat().st_size > 5000
    assert main(["train", "--dataset", "regression", "--hidden", "8", "--epochs", "3", "--quiet",
                 "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "fit.png").exists() and not (tmp_path / "r" / "confusion.png").exists()
