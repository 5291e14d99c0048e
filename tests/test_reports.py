"""What a run reports: evaluate's classification/regression report (checked against scikit-learn),
predict's probabilities and header, validation curves, early stopping on the validation loss,
the help text of every option and --version."""

import csv
import json

import numpy as np
import pytest

from tinygrad_mlp import metrics
from tinygrad_mlp.cli import _parser, main
from tinygrad_mlp.experiment import apply_scaler, load_dataset, load_run, split
from tinygrad_mlp.train import predict

sk_metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn is the reference: pip install -e '.[dev]'")


def check_against_sklearn(report, y_true, y_pred, names):
    ref = sk_metrics.classification_report(y_true, y_pred, labels=list(range(len(names))), target_names=names,
                                           output_dict=True, zero_division=0)
    assert report["accuracy"] == pytest.approx(sk_metrics.accuracy_score(y_true, y_pred), abs=1e-12)
    for name in names:
        for key, sk_key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score"),
                            ("support", "support")):
            assert report["classes"][name][key] == pytest.approx(ref[name][sk_key], abs=1e-12), (name, key)
    for ours, theirs in (("macro_avg", "macro avg"), ("weighted_avg", "weighted avg")):
        for key, sk_key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert report[ours][key] == pytest.approx(ref[theirs][sk_key], abs=1e-12), (ours, key)
    assert report["confusion_matrix"] == sk_metrics.confusion_matrix(y_true, y_pred,
                                                                     labels=list(range(len(names)))).tolist()


def test_classification_report_equals_sklearn_with_a_class_never_predicted():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 3, 200))  # class 3 only by luck
    y_pred[y_pred == 3] = 2  # now never predicted: its precision is undefined, reported as 0
    names = ["a", "b", "c", "d"]
    report = metrics.classification_report(y_true, y_pred, names)
    check_against_sklearn(report, y_true, y_pred, names)
    assert report["classes"]["d"]["precision"] == 0.0 and report["classes"]["d"]["support"] > 0
    scores = np.eye(4)[y_pred] + 0.01  # scores, not labels: the argmax is taken
    assert metrics.classification_report(y_true, scores, names) == report


def test_regression_report_equals_sklearn():
    rng = np.random.default_rng(1)
    y = rng.normal(size=(50, 1))
    p = y + rng.normal(scale=0.3, size=(50, 1))
    r = metrics.regression_report(y, p)
    assert r["mse"] == pytest.approx(sk_metrics.mean_squared_error(y, p), rel=1e-12)
    assert r["mae"] == pytest.approx(sk_metrics.mean_absolute_error(y, p), rel=1e-12)
    assert r["r2"] == pytest.approx(sk_metrics.r2_score(y, p), rel=1e-12)
    assert r["rmse"] == pytest.approx(np.sqrt(r["mse"]))


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "iris"
    assert main(["train", "--dataset", "iris", "--hidden", "16", "--lr", "0.01", "--batch-size", "16", "--epochs",
                 "12", "--test-size", "0.4", "--seed", "42", "--quiet", "--out", str(out)]) == 0
    return out


def test_cli_runs_validate_every_epoch_by_default(iris_run):
    rows = list(csv.DictReader(open(iris_run / "history.csv")))
    assert len(rows) == 12
    assert all(float(r["val_loss"]) > 0 and 0 <= float(r["val_accuracy"]) <= 1 for r in rows)
    assert json.loads((iris_run / "config.json").read_text())["val_size"] == 0.1


def test_evaluate_json_equals_sklearn_on_the_same_predictions(iris_run, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(iris_run), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    model, meta, cfg = load_run(iris_run)
    X, y, names = load_dataset(cfg)
    _, X_test, _, y_test = split(cfg, X, y)
    y_pred = predict(model, apply_scaler(meta, X_test)).argmax(axis=1)
    check_against_sklearn(report, y_test, y_pred, names)
    results = json.loads((iris_run / "results.json").read_text())
    assert report["loss"] == pytest.approx(results["test"]["loss"], rel=1e-6)
    assert report["accuracy"] == results["test"]["accuracy"]


def test_evaluate_prints_a_table_on_a_terminal(iris_run, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(iris_run)]) == 0
    text = capsys.readouterr().out
    assert "60 test rows" in text and "precision" in text and "confusion matrix" in text
    row = next(line for line in text.splitlines() if line.startswith("versicolor") and "." in line).split()
    report = metrics.classification_report(*_truth_and_prediction(iris_run), ["setosa", "versicolor", "virginica"])
    assert [float(v) for v in row[1:4]] == pytest.approx([round(report["classes"]["versicolor"][k], 4)
                                                          for k in ("precision", "recall", "f1")])


def _truth_and_prediction(run):
    model, meta, cfg = load_run(run)
    X, y, _ = load_dataset(cfg)
    _, X_test, _, y_test = split(cfg, X, y)
    return y_test, predict(model, apply_scaler(meta, X_test)).argmax(axis=1)


def test_predict_proba_and_header(iris_run, tmp_path, capsys):
    rows = tmp_path / "flowers.csv"
    rows.write_text("5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    capsys.readouterr()
    assert main(["predict", str(iris_run), "--input", str(rows), "--proba", "--output", str(tmp_path / "p.csv")]) == 0
    table = list(csv.reader(open(tmp_path / "p.csv")))
    assert table[0] == ["setosa", "versicolor", "virginica"]
    probs = np.array(table[1:], dtype=float)
    assert probs.shape == (2, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert main(["predict", str(iris_run), "--input", str(rows)]) == 0
    labels = capsys.readouterr().out.split()
    assert labels[0] == "prediction" and labels[1:] == [table[0][i] for i in probs.argmax(axis=1)]


def test_regression_evaluate_and_predict(tmp_path, capsys):
    out = tmp_path / "reg"
    assert main(["train", "--dataset", "regression", "--hidden", "16", "--epochs", "5", "--quiet",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    model, meta, cfg = load_run(out)
    X, y, _ = load_dataset(cfg)
    _, X_test, _, y_test = split(cfg, X, y)
    p = predict(model, apply_scaler(meta, X_test)).astype(np.float64)
    assert report["mse"] == pytest.approx(sk_metrics.mean_squared_error(y_test, p), rel=1e-6)
    assert report["mae"] == pytest.approx(sk_metrics.mean_absolute_error(y_test, p), rel=1e-6)
    assert report["r2"] == pytest.approx(sk_metrics.r2_score(y_test, p), rel=1e-6)
    assert report["loss"] == pytest.approx(report["mse"], rel=1e-5)  # the mse loss
    rows = tmp_path / "x.csv"
    rows.write_text("0.5\n-1.0\n")
    assert main(["predict", str(out), "--input", str(rows), "--proba"]) == 2
    assert "no class probabilities" in capsys.readouterr().err


def test_early_stopping_watches_the_validation_loss_and_keeps_the_best(tmp_path):
    out = tmp_path / "es"
    assert main(["train", "--dataset", "moons", "--hidden", "64,64", "--lr", "0.05", "--epochs", "200",
                 "--early-stopping", "3", "--quiet", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["stop_reason"].startswith("early stopping: val_loss did not improve for 3 epochs")
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert len(rows) < 200
    val = [float(r["val_loss"]) for r in rows]
    best = int(np.argmin(val))
    assert best == len(rows) - 4  # three epochs without improvement after the best one
    assert f"best {val[best]:.6g} at epoch {best + 1}" in results["stop_reason"]


def test_every_train_option_has_help_and_shows_its_default(capsys):
    train = next(a for a in _parser()._subparsers._group_actions[0].choices.items() if a[0] == "train")[1]
    options = [a for a in train._actions if a.option_strings and a.dest != "help"]
    assert len(options) > 25
    assert [a.dest for a in options if not a.help] == []
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for phrase in ("learning rate (default: 0.001)", "(default: 0.1)", "--val-size", "(default: adam)"):
        assert phrase in text


def test_version(capsys):
    from tinygrad_mlp import __version__

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"tinygrad-mlp {__version__}"


def test_train_tensorboard_flag(tmp_path):
    pytest.importorskip("tensorboard", reason="optional extra: pip install -e '.[tensorboard]'")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    assert main(["train", "--dataset", "moons", "--hidden", "8", "--epochs", "3", "--quiet",
                 "--tensorboard", str(tmp_path / "tb")]) == 0
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    assert [e.step for e in acc.Scalars("loss/validation")] == [1, 2, 3]
    assert "weights/0.weight" in acc.Tags()["histograms"]


def test_evaluate_a_csv_regression_run_reports_its_mse_as_the_loss(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (120, 2))
    y = X[:, 0] ** 2 - X[:, 1] + 0.1 * rng.standard_normal(120)
    data = tmp_path / "curve.csv"
    np.savetxt(data, np.c_[X, y], delimiter=",", header="a,b,y", comments="")
    run = tmp_path / "run"
    assert main(["train", "--dataset", f"csv:{data}", "--hidden", "8", "--epochs", "5", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(run), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    model, meta, cfg = load_run(run)
    Xs, ys, _ = load_dataset(cfg)
    _, X_test, _, y_test = split(cfg, Xs, ys)
    outputs = predict(model, apply_scaler(meta, X_test)).reshape(-1)
    expected = sk_metrics.mean_squared_error(y_test.reshape(-1), outputs)
    assert report["mse"] == pytest.approx(expected, rel=1e-5) and report["loss"] == pytest.approx(expected, rel=1e-5)
    assert report["r2"] == pytest.approx(sk_metrics.r2_score(y_test.reshape(-1), outputs), rel=1e-5)
