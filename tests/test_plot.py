"""Every plot renders to a PNG of the right size (150 dpi) with more than one colour, with the axis labels,
ticks and titles a report needs."""

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


def renderer(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def text_boxes_overlap(fig, texts):
    renderer_ = renderer(fig)
    boxes = [t.get_window_extent(renderer_) for t in texts if t.get_text()]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def inside_figure(fig, artist):
    box = artist.get_window_extent(renderer(fig))
    return box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height


def test_history(trained, tmp_path):
    fig = P.plot_history(trained[1], tmp_path / "h.png")
    check_png(tmp_path / "h.png", 1380, 570)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]  # constant lr: no lr panel, no twin axis
    loss_ax = fig.axes[0]
    assert [line.get_label() for line in loss_ax.lines[:2]] == ["train (mean over the epoch)",
                                                               "validation (end of epoch)"]
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), trained[1]["val_loss"])
    assert all(ax.get_xlabel() == "epoch" and ax.get_ylabel() for ax in fig.axes)


def test_history_ticks_are_whole_epochs_and_lr_shows_only_when_it_changes():
    two = tg.train.History([{"epoch": 1, "loss": 0.9, "accuracy": 0.5, "lr": 0.01},
                            {"epoch": 2, "loss": 0.5, "accuracy": 0.8, "lr": 0.01}])
    fig = P.plot_history(two)
    renderer(fig)
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
    assert len(fig.axes) == 2
    decaying = tg.train.History([{"epoch": e, "loss": 1 / e, "lr": 0.1 * 0.5 ** e} for e in range(1, 6)])
    fig = P.plot_history(decaying)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "learning rate (during each epoch)"]
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), [0.1 * 0.5 ** e for e in range(1, 6)])
    one = P.plot_history(tg.train.History([{"epoch": 1, "loss": 0.3, "val_loss": 0.2}]))
    assert list(one.axes[0].get_xticks()) == [1]
    assert sorted(t.get_text() for t in one.axes[0].texts) == ["0.2", "0.3"]  # values printed by the dots


def test_figures_show_in_jupyter_as_png(trained):
    png = P.plot_history(trained[1])._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert P.figure(3, 2)._repr_png_()[:4] == b"\x89PNG"


def test_decision_boundary(trained, tmp_path):
    model, _, X, y = trained
    fig = P.plot_decision_boundary(model, X, y, tmp_path / "d.png", class_names=["upper", "lower"])
    check_png(tmp_path / "d.png", 780, 690)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("feature 1", "feature 2")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class upper", "class lower"]
    assert inside_figure(fig, ax.title)
    with pytest.raises(ValueError, match="needs 2-D inputs"):
        P.plot_decision_boundary(model, np.zeros((3, 3)), y[:3])


def test_activation_and_its_autograd_derivative(tmp_path):
    fig = P.plot_activation("sigmoid", tmp_path / "a.png")
    check_png(tmp_path / "a.png", 960, 720)
    assert fig.axes[0].get_xlabel() == "x"
    xs, f = fig.axes[0].lines[0].get_data()
    _, df = fig.axes[0].lines[1].get_data()
    np.testing.assert_allclose(df, f * (1 - f), atol=1e-6)
    with pytest.raises(ValueError, match="unknown activation"):
        P.plot_activation("nope")


def test_weight_histograms(trained, tmp_path):
    fig = P.plot_weight_histograms(trained[0], tmp_path / "w.png")
    check_png(tmp_path / "w.png", 1620, 510)
    assert [ax.get_xlabel() for ax in fig.axes] == ["weight value"] * 3 and fig.axes[0].get_ylabel() == "count"
    assert [ax.get_title() for ax in fig.axes] == ["0.weight (16, 2)", "2.weight (16, 16)", "4.weight (2, 16)"]


def test_gradient_field_and_descent_path(tmp_path):
    fig = P.plot_gradient_field(lambda x, y: x ** 2 + 2 * y ** 2, path=tmp_path / "g.png", start=(2.5, 2.0),
                                lr=0.1, steps=20)
    check_png(tmp_path / "g.png", 840, 750)
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("x", "y")
    path = fig.axes[0].lines[-1].get_xydata()
    assert len(path) == 21 and np.hypot(*path[-1]) < 0.1 * np.hypot(*path[0])


def test_confusion_matrix_and_predictions(trained, tmp_path):
    model, _, X, y = trained
    P.plot_confusion_matrix(y, tg.train.predict(model, X), tmp_path / "c.png", ["a", "b"])
    check_png(tmp_path / "c.png", 540, 480)
    Xr, yr = D.make_regression_1d(50, random_state=0)
    fig = P.plot_predictions(nn.MLP(1, [8], 1), Xr[:40], yr[:40], tmp_path / "p.png", X_test=Xr[40:], y_test=yr[40:])
    check_png(tmp_path / "p.png", 900, 630)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training data", "test data", "network"]


def test_confusion_matrix_is_sized_to_its_classes_and_readable():
    rng = np.random.default_rng(0)
    iris = ["setosa", "versicolor", "virginica"]
    y3 = rng.integers(0, 3, 60)
    fig3 = P.plot_confusion_matrix(y3, y3, class_names=iris)
    ax = fig3.axes[0]
    assert all(t.get_rotation() == 0 for t in ax.get_xticklabels())
    counts = fig3.axes[1].get_yticks()  # the colorbar of counts has whole-number ticks
    assert len(counts) >= 2 and np.all(counts == np.round(counts))
    assert not text_boxes_overlap(fig3, ax.get_xticklabels())
    assert inside_figure(fig3, ax.title) and ax.title.get_text().startswith("confusion matrix")
    y10 = rng.integers(0, 10, 500)
    p10 = (y10 + (rng.random(500) < 0.1)) % 10
    fig10 = P.plot_confusion_matrix(y10, p10, class_names=[str(d) for d in range(10)])
    ax10 = fig10.axes[0]
    assert all(t.get_rotation() == 0 for t in ax10.get_xticklabels())  # digits: no 45° rotation
    assert not text_boxes_overlap(fig10, ax10.get_xticklabels())
    w3, h3 = fig3.get_size_inches()
    w10, h10 = fig10.get_size_inches()
    assert w10 > w3 and h10 > h3  # more classes, bigger figure
    counts = [int(t.get_text()) for t in ax10.texts]
    assert counts == tg.metrics.confusion_matrix(y10, p10, 10).ravel().tolist()


def test_sweep_chart_zooms_to_the_differences(tmp_path):
    table = [{"activation": "relu", "test_accuracy": 0.96, "test_accuracy_std": 0.01},
             {"activation": "tanh", "test_accuracy": 0.93, "test_accuracy_std": 0.02}]
    fig = P.plot_sweep(table, ["activation"], "test_accuracy", tmp_path / "s.png")
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    assert 0.85 < lo < 0.91 and 0.97 < hi < 1.0  # not from 0: 0.93 and 0.96 are far apart on the axis
    assert [t.get_text() for t in ax.get_yticklabels()] == ["activation=relu", "activation=tanh"]  # best first
    assert ax.get_xlabel().startswith("test_accuracy")
    assert inside_figure(fig, ax.xaxis.label)


def test_comparison_of_runs(trained):
    h = trained[1]
    fig = P.plot_comparison({"run a": h, "run b": h}, ["val_loss", "val_accuracy", "nothing"])
    assert [ax.get_title() for ax in fig.axes] == ["loss (validation)", "accuracy (validation)"]
    assert [line.get_label() for line in fig.axes[0].lines] == ["run a", "run b"]


def test_cli_train_writes_plots(tmp_path):
    from tinygrad_mlp.cli import main

    assert main(["train", "--dataset", "moons", "--hidden", "8", "--epochs", "3", "--quiet",
                 "--out", str(tmp_path / "c")]) == 0
    for name in ("history.png", "confusion.png", "decision_boundary.png"):
        assert (tmp_path / "c" / name).stat().st_size > 5000
    assert main(["train", "--dataset", "regression", "--hidden", "8", "--epochs", "3", "--quiet",
                 "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "fit.png").exists() and not (tmp_path / "r" / "confusion.png").exists()


def test_tg_plot_is_reachable_lazily():
    import subprocess
    import sys

    code = ("import sys, tinygrad_mlp as tg\n"
            "assert 'matplotlib' not in sys.modules and 'tinygrad_mlp.plot' not in sys.modules\n"
            "print(tg.plot.plot_activation('relu').axes[0].get_title())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "relu and its derivative (autograd)"
