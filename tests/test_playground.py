"""The playground's model side: data sets, features, settings, training, inspecting one sample,
and exporting (a run folder that `tinygrad-mlp evaluate` reads, a script that trains the same)."""

import base64
import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_mlp
from tinygrad_mlp import cli, experiment
from tinygrad_mlp.playground import FEATURES, Session, feature_matrix, make_data, validate
from tinygrad_mlp.playground.core import REGRESSION_SETS


@pytest.mark.parametrize("name", ["circle", "xor", "gauss", "spiral", "moons", "plane", "bumps"])
def test_data_sets_are_seeded_2d_and_noise_moves_points(name):
    P, y = make_data(name, 400, noise=0, seed=3)
    assert P.shape == (400, 2) and P.dtype == np.float32 and np.abs(P).max() < 7
    again, y2 = make_data(name, 400, noise=0, seed=3)
    assert np.array_equal(P, again) and np.array_equal(y, y2)
    noisy, y3 = make_data(name, 400, noise=50, seed=3)
    assert np.array_equal(y, y3) and 0.3 < np.abs(noisy - P).mean() < 1.5
    if name in REGRESSION_SETS:
        assert y.shape == (400, 1) and y.dtype == np.float32 and -1 <= y.min() < 0 < y.max() <= 1
    else:
        assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1} and y[:200].mean() not in (0.0, 1.0)
    assert not np.array_equal(make_data(name, 400, 0, seed=4)[0], P)  # regenerate gives new points


def test_features_are_the_seven_of_tensorflow_playground():
    P = np.array([[2.0, -3.0]], dtype=np.float32)
    X = feature_matrix(P, list(FEATURES))
    assert np.allclose(X[0], [2, -3, 4, 9, -6, np.sin(2), np.sin(-3)], atol=1e-6)


def test_settings_are_checked_and_defaults_filled():
    cfg = validate({"hidden": [], "features": ["sinx2", "x1"]})
    assert cfg["hidden"] == [] and cfg["features"] == ["x1", "sinx2"] and cfg["lr"] == 0.03
    for bad in ({"hidden": "8,abc"}, {"hidden": [9]}, {"hidden": [True]}, {"lr": float("nan")}, {"batch": 2.5},
                {"problem": "regression", "dataset": "circle"}, {"features": ["x3"]}, {"noise": 1e400}):
        with pytest.raises(ValueError) as e:
            validate(bad)
        assert len(str(e.value)) < 200 and "invalid literal" not in str(e.value)


def test_training_lowers_both_losses_and_the_snapshot_has_everything_to_draw():
    s = Session()
    snap = s.reset({"dataset": "xor", "features": ["x1", "x2", "x1x2"], "hidden": [4], "lr": 0.1, "ratio": 60})
    assert len(snap["points"]["train"]) == 240 and len(snap["points"]["test"]) == 160
    before = snap["heatmaps"][1][0]["q"]
    for _ in range(6):
        snap = s.step(5)
    assert snap["epoch"] == 30 and len(snap["train_loss"]) == len(snap["test_loss"]) == 31
    assert snap["train_loss"][-1] < 0.3 * snap["train_loss"][0] and snap["test_loss"][-1] < 0.5 * snap["test_loss"][0]
    assert snap["accuracy"]["test"] > 0.9
    # per node heatmaps: 3 inputs, 4 hidden, 1 output, each a NEURON_GRID² byte image
    assert [len(col) for col in snap["heatmaps"]] == [3, 4, 1]
    assert len(base64.b64decode(snap["heatmaps"][1][0]["q"])) == snap["neuron_grid"] ** 2
    assert snap["heatmaps"][1][0]["q"] != before
    out = np.frombuffer(base64.b64decode(snap["output"]["q"]), np.uint8).reshape(snap["output"]["grid"], -1)
    # P(class 1) over the plane, top row first: xor's class 1 is x1·x2 > 0 (top right), class 0 top left
    assert out[2, -3] > 200 and out[2, 2] < 55 and ((out > 30) & (out < 225)).any()  # soft near the boundary


def test_regression_and_regularisation_and_optimisers():
    s = Session()
    s.reset({"problem": "regression", "dataset": "plane", "hidden": [3], "lr": 0.01, "optimizer": "adam"})
    first = s.snapshot()["train_loss"][0]
    snap = s.step(20)
    assert "accuracy" not in snap and snap["train_loss"][-1] < 0.2 * first
    weights = lambda: sum(np.abs(np.array(w["w"])).sum() for w in s.snapshot()["weights"])  # noqa: E731
    s.reset({"hidden": [6, 6], "reg": "l1", "reg_rate": 0.3, "optimizer": "momentum", "lr": 0.03})
    start = weights()
    s.step(15)
    assert weights() < 0.5 * start  # a strong L1 penalty shrinks the weights


def test_hyperparameter_changes_keep_the_weights_and_structural_ones_do_not():
    s = Session()
    s.reset({"hidden": [3]})
    s.step(3)
    snap = s.reset({"hidden": [3], "lr": 0.3, "optimizer": "adam", "batch": 20}, keep_weights=True)
    assert snap["epoch"] == 3 and s.opt.param_groups[0]["lr"] == 0.3
    snap = s.reset({"hidden": [3], "lr": 0.3, "noise": 10}, keep_weights=True)
    assert snap["epoch"] == 0


def test_inspect_shows_the_chain_rule_for_one_sample():
    s = Session()
    s.reset({"dataset": "spiral", "hidden": [5, 3], "features": ["x1", "x2", "sinx1"], "optimizer": "momentum"})
    s.step(2)
    r = s.inspect(7)
    assert np.allclose(r["point"], s.P_train[7]) and r["target"] == s.y_train[7]
    assert np.allclose(r["input"], s.X_train[7], atol=1e-5)
    # value = tanh(pre) in each hidden layer; ∂L/∂z = ∂L/∂a · tanh'(z)
    for layer in r["layers"][:-1]:
        pre, val = np.array(layer["pre"]), np.array(layer["value"])
        assert np.allclose(val, np.tanh(pre), atol=1e-5)
        assert np.allclose(layer["grad_pre"], np.array(layer["grad"]) * (1 - val**2), rtol=1e-4, atol=1e-9)
    # ∂L/∂W[j, i] = ∂L/∂z_j · a_i for every layer, as backward() computed it
    inputs = [r["input"]] + [layer["value"] for layer in r["layers"][:-1]]
    for edge, a, layer in zip(r["edges"], inputs, r["layers"]):
        assert np.allclose(edge["grad"], np.outer(layer["grad_pre"], a), rtol=1e-5, atol=1e-9)
        assert np.allclose(edge["bias_grad"], layer["grad_pre"], rtol=1e-6, atol=1e-9)
    # the logits' gradient of cross-entropy is softmax - onehot
    logits = np.array(r["layers"][-1]["pre"])
    p = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    assert np.allclose(r["layers"][-1]["grad"], p - np.eye(2)[int(r["target"])], atol=1e-5)
    assert r["loss"] == pytest.approx(-np.log(p[int(r["target"])]), rel=1e-4)
    # last update: what the optimiser's last step changed (momentum SGD: nonzero everywhere)
    assert np.abs(np.array(r["edges"][0]["update"])).max() > 0
    assert r["trace"][0].startswith("NllLossBackward0") and sum(t.startswith("AddmmBackward0") for t in r["trace"]) == 3
    labels = [n["label"].split("\n")[0] for n in r["graph"]["nodes"]]
    assert labels.count("Linear") == 3 and "0.weight" in labels and len(r["graph"]["edges"]) >= 10
    assert r["epoch"] == 2 and s.snapshot()["epoch"] == 2  # inspecting trained nothing
    with pytest.raises(ValueError):
        s.inspect(10_000)


def _evaluate_json(folder):
    """`tinygrad-mlp evaluate RUN` as JSON (with --json where the CLI has that flag)."""
    for args in (["evaluate", str(folder), "--json"], ["evaluate", str(folder)]):
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main(args)
        except SystemExit:  # an older CLI without --json
            continue
        assert code == 0, err.getvalue()
        return json.loads(out.getvalue())
    raise AssertionError("tinygrad-mlp evaluate failed")


def test_export_as_a_run_folder_that_the_cli_evaluates(tmp_path):
    s = Session()
    s.reset({"dataset": "gauss", "noise": 40, "features": ["x1", "x2", "x1sq"], "hidden": [4], "ratio": 70})
    snap = s.step(3)
    assert len(s.y_test) == 120  # 30% of 400, exactly
    folder = s.export_run(tmp_path / "run")
    assert {"config.json", "model.safetensors", "data.csv", "history.csv", "results.json"} <= {
        p.name for p in folder.iterdir()}
    result = _evaluate_json(folder)
    assert result["accuracy"] == pytest.approx(snap["accuracy"]["test"], abs=1e-4) and result["accuracy"] < 1
    if "loss" in result:
        assert result["loss"] == pytest.approx(s.test_loss[-1], rel=1e-5)
    # regression: the folder rebuilds the same model and the same test rows
    s.reset({"problem": "regression", "dataset": "bumps", "hidden": [6, 6], "features": ["x1", "x2"], "lr": 0.01,
             "optimizer": "adam"})
    s.step(5)
    folder = s.export_run(tmp_path / "reg")
    model, meta, cfg = experiment.load_run(folder)
    X, y, _ = experiment.load_dataset(cfg)
    _, X_test, _, y_test = experiment.split(cfg, X, y)
    with tinygrad_mlp.no_grad():
        pred = model(tinygrad_mlp.tensor(experiment.apply_scaler(meta, X_test))).numpy()
    assert not meta["classification"] and pred.shape == (len(y_test), 1)
    assert np.mean((pred[:, 0] - y_test.reshape(-1)) ** 2) == pytest.approx(s.test_loss[-1], rel=1e-5)


def test_exported_script_trains_the_same_network_to_the_same_loss(tmp_path):
    s = Session()
    s.reset({"dataset": "moons", "noise": 10, "features": ["x1", "x2", "sinx2"], "hidden": [5, 3], "lr": 0.03,
             "batch": 7, "reg": "l2", "reg_rate": 0.001, "optimizer": "momentum", "seed": 11})
    s.step(4)
    script = s.export_script()
    assert "nn.MLP(3, [5, 3], 2, activation='tanh')" in script and "momentum=0.9" in script
    (tmp_path / "model.py").write_text(script)
    env = {**os.environ, "PYTHONPATH": str(Path(tinygrad_mlp.__file__).parents[1])}
    done = subprocess.run([sys.executable, str(tmp_path / "model.py")], capture_output=True, text=True, env=env,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    train, test = map(float, re.search(r"train loss ([\d.]+)\s+test loss ([\d.]+)", done.stdout).groups())
    assert train == pytest.approx(s.train_loss[-1], abs=2e-6) and test == pytest.approx(s.test_loss[-1], abs=2e-6)


def test_a_diverging_run_is_reported_not_crashed():
    s = Session()
    s.reset({"problem": "regression", "dataset": "bumps", "hidden": [8, 8, 8], "activation": "relu", "lr": 10,
             "features": ["x1", "x2", "x1sq", "x2sq", "x1x2"]})
    for _ in range(5):
        snap = s.step(3)
    assert snap["train_loss"][-1] is None and snap["epochs_done"] == 1  # stops at the first non-finite epoch
    json.dumps(snap, allow_nan=False)
    json.dumps(s.inspect(0), allow_nan=False)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear", "leaky_relu", "gelu", "silu", "elu"])
def test_every_activation_trains_and_can_be_inspected(activation):
    s = Session()
    s.reset({"activation": activation, "hidden": [3, 2], "dataset": "gauss", "lr": 0.1})
    snap = s.step(2)
    assert snap["train_loss"][-1] < snap["train_loss"][0]
    r = s.inspect(1)
    assert [len(layer["value"]) for layer in r["layers"]] == [3, 2, 2]
    assert sum(t.startswith("AddmmBackward0") for t in r["trace"]) == 3
