"""A user's mistake on the command line gets a clear message and exit status 2 — never a Python
traceback — and changes nothing; data rows are never dropped silently; regression CSVs work; a
diverging run ends with its last good weights and a non-zero status."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_mlp as tg
from tinygrad_mlp import nn, optim
from tinygrad_mlp.cli import main
from tinygrad_mlp.train import fit


def snapshot(folder):
    folder = Path(folder)
    if not folder.exists():
        return None
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def run_main(args, capsys):
    """(exit status, stderr) of the CLI in this process; argparse's exits count as statuses."""
    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "iris"
    assert main(["train", "--dataset", "iris", "--hidden", "16", "--epochs", "3", "--lr", "0.01", "--quiet",
                 "--out", str(out)]) == 0
    return out


def csv_file(folder, name, text):
    path = Path(folder) / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


# Each case: (name, a function of (tmp_path, run folder) giving the arguments, words the error must contain)
CASES = [
    ("--out names a file", lambda t, r: ["train", "--epochs", "1", "--out", csv_file(t, "f.txt", "keep")],
     "is a file, not a run folder"),
    ("--input names a folder", lambda t, r: ["predict", r, "--input", t], "is a folder; it must be a CSV file"),
    ("--output names a folder", lambda t, r: ["predict", r, "--input", csv_file(t, "x.csv", "1,2,3,4\n"),
                                              "--output", t], "is a folder"),
    ("--output is the --input", lambda t, r: ["predict", r, "--input", csv_file(t, "x.csv", "1,2,3,4\n"),
                                              "--output", t / "x.csv"], "is the --input file"),
    ("--hidden 99999999999", lambda t, r: ["train", "--hidden", "99999999999", "--epochs", "1"],
     "would need about"),
    ("--hidden 16,,8", lambda t, r: ["train", "--hidden", "16,,8"], "empty size"),
    ("--momentum 5", lambda t, r: ["train", "--optimizer", "sgd", "--momentum", "5"], "must be in [0, 1)"),
    ("--lr nan", lambda t, r: ["train", "--lr", "nan"], "must be a finite number"),
    ("--test-size 1.5", lambda t, r: ["train", "--test-size", "1.5"], "test_size must be a fraction"),
    ("--checkpoint-every soon", lambda t, r: ["train", "--checkpoint-every", "soon"], "checkpoint_every must be"),
    ("CSV label 1e8 classes, 1 row each", lambda t, r: [
        "train", "--dataset", f"csv:{csv_file(t, 'l.csv', 'a,b,y' + chr(10) + '1,2,100000000' + chr(10))}",
        "--epochs", "1"], "do not fit 1 samples"),
    ("NaN feature in a training CSV", lambda t, r: [
        "train", "--dataset", f"csv:{csv_file(t, 'n.csv', 'a,b,y' + chr(10) + '1,2,0' + chr(10) + '3,nan,1')}"],
     "n.csv line 3, column 'b': 'nan' is not a finite float32 number"),
    ("inf feature in predict", lambda t, r: ["predict", r, "--input", csv_file(t, "i.csv", "1,2,3,4\n1,inf,3,4\n")],
     "i.csv line 2, column 'x1': 'inf' is not a finite float32 number"),
    ("1e39 feature in predict", lambda t, r: ["predict", r, "--input", csv_file(t, "e.csv", "1,2,3,1e39\n")],
     "e.csv line 1, column 'x3': '1e39' is not a finite float32 number"),
    ("text in a first data row", lambda t, r: ["predict", r, "--input", csv_file(t, "t.csv",
                                                                                "abc,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")],
     "t.csv line 1, column 'x0': 'abc' is not a number"),
    ("wrong column count", lambda t, r: ["predict", r, "--input", csv_file(t, "w.csv", "1,2\n")], "has 2 columns"),
    ("evaluate a folder that is no run", lambda t, r: ["evaluate", t], "is not a run folder"),
    ("evaluate a missing folder", lambda t, r: ["evaluate", t / "nope"], "it does not exist"),
    ("sweep out names a file", lambda t, r: ["sweep", csv_file(t, "s.toml", f'[sweep]\nout = "{t / "f.txt"}"\n'
                                                                          '[grid]\nlr = [0.1]\n')],
     "is a file, not a folder"),
    ("sweep seeds = []", lambda t, r: ["sweep", csv_file(t, "s.toml", f'[sweep]\nout = "{t / "o"}"\nseeds = []\n'
                                                                     '[grid]\nlr = [0.1]\n')],
     "seeds must be a non-empty list"),
    ("sweep grid value a string", lambda t, r: ["sweep", csv_file(t, "s.toml", f'[sweep]\nout = "{t / "o"}"\n'
                                                                               '[grid]\nactivation = "relu"\n')],
     "must be a non-empty list of values"),
]


@pytest.mark.parametrize("name,make,words", CASES, ids=[c[0] for c in CASES])
def test_cli_mistake_exits_2_with_a_message_and_changes_nothing(tmp_path, iris_run, capsys, name, make, words):
    (tmp_path / "f.txt").write_text("keep")
    args = make(tmp_path, iris_run)
    before_run, before_tmp = snapshot(iris_run), snapshot(tmp_path)
    code, err = run_main(args, capsys)
    assert code == 2, (name, err)
    assert words in err, err
    assert "Traceback" not in err
    assert snapshot(iris_run) == before_run and snapshot(tmp_path) == before_tmp


def test_no_traceback_as_a_subprocess(tmp_path):
    bad = csv_file(tmp_path, "bad.csv", "1,2\n")
    result = subprocess.run([sys.executable, "-m", "tinygrad_mlp", "evaluate", str(bad)], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.returncode == 2 and "Traceback" not in result.stderr and "is not a run folder" in result.stderr


# --- data is read whole and right --------------------------------------------------------------------------


def test_predict_reads_a_bom_and_a_string_label_column_without_dropping_rows(tmp_path, iris_run, capsys):
    bom = csv_file(tmp_path, "bom.csv", b"\xef\xbb\xbf5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    assert run_main(["predict", iris_run, "--input", bom], capsys)[0] == 0
    labelled = csv_file(tmp_path, "l.csv", "5.1,3.5,1.4,0.2,setosa\n6.7,3.0,5.2,2.3,virginica\n")
    capsys.readouterr()
    assert main(["predict", str(iris_run), "--input", str(labelled)]) == 0
    assert len(capsys.readouterr().out.split()[1:]) == 2  # a header line, then one prediction per row
    header = csv_file(tmp_path, "h.csv", "sl,sw,pl,pw\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    assert main(["predict", str(iris_run), "--input", str(header)]) == 0
    assert len(capsys.readouterr().out.split()[1:]) == 2


def test_regression_csv_trains_evaluates_and_predicts(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (120, 2))
    y = 0.5 * X[:, 0] - 0.25 * X[:, 1] + 0.125
    lines = "".join(f"{a:.6f},{b:.6f},{t:.6f}\n" for (a, b), t in zip(X, y))
    data = csv_file(tmp_path, "r.csv", "a,b,target\n" + lines)
    out = tmp_path / "run"
    assert main(["train", "--dataset", f"csv:{data}", "--target", "target", "--hidden", "16", "--epochs", "40",
                 "--lr", "0.01", "--quiet", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["test"]) == {"loss", "mse", "r2"} and results["test"]["r2"] > 0.8
    rows = csv_file(tmp_path, "p.csv", "0.5,0.5\n-0.5,0.25\n")
    capsys.readouterr()
    assert main(["predict", str(out), "--input", str(rows)]) == 0
    values = [float(v) for v in capsys.readouterr().out.split()[1:]]
    np.testing.assert_allclose(values, [0.25, -0.1875], atol=0.15)


def test_csv_labels_minus_one_and_1e8_are_classes(tmp_path, capsys):
    rows = "".join(f"{i % 5},{(i * 7) % 3},{-1 if i % 2 else 100000000}\n" for i in range(40))
    data = csv_file(tmp_path, "c.csv", "a,b,label\n" + rows)
    out = tmp_path / "run"
    assert main(["train", "--dataset", f"csv:{data}", "--target", "label", "--hidden", "4", "--epochs", "2",
                 "--quiet", "--out", str(out)]) == 0
    info = tg.load(out / "model.safetensors", return_metadata=True)[1]["meta"]
    assert info["classes"] == ["-1", "100000000"] and info["model"]["out_features"] == 2


def test_training_nan_is_reported_at_the_files_line(tmp_path, capsys):
    rows = ["a,b,y"] + [f"{i},{i % 3},{i % 2}" for i in range(30)]
    rows[17] = "16,nan,0"
    data = csv_file(tmp_path, "n.csv", "\n".join(rows) + "\n")
    code, err = run_main(["train", "--dataset", f"csv:{data}", "--epochs", "1"], capsys)
    assert code == 2 and "n.csv line 18, column 'b'" in err


# --- training that cannot work -------------------------------------------------------------------------------


def test_fit_on_zero_samples_is_refused():
    model = nn.MLP(2, [4], 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="train_data holds no samples"):
        fit(model, nn.CrossEntropyLoss(), opt, (np.zeros((0, 2)), np.zeros(0, dtype=int)), epochs=5,
            report_every=0, progress=False)


def test_divergence_keeps_the_last_good_weights_and_exits_non_zero(tmp_path, capsys):
    out = tmp_path / "run"
    code, err = run_main(["train", "--dataset", "iris", "--optimizer", "sgd", "--lr", "1e30", "--epochs", "5",
                          "--quiet", "--out", out], capsys)
    assert code == 1 and "the run diverged" in err and "the loss became" in err
    results = json.loads((out / "results.json").read_text())
    assert results["diverged"] is True and results["epochs_run"] < 5
    saved = tg.load(out / "model.safetensors")
    assert all(np.isfinite(v.numpy()).all() for v in saved.values())
    assert tg.load(out / "checkpoint.safetensors")["epoch"] == results["epochs_run"]


# --- fuzzing the command line ----------------------------------------------------------------------------------

FLAG_VALUES = {
    "--dataset": ["iris", "xor", "cifar", "csv:", "csv:/nonexistent.csv", ""],
    "--hidden": ["8", "0", "-1", "4,4", ",", "x", "1e3", "99999999999", "16,,8"],
    "--epochs": ["0", "1", "2", "-1", "1.5", "abc"],
    "--batch-size": ["1", "0", "-3", "nan"],
    "--lr": ["0.01", "-1", "nan", "inf", "1e400", "x"],
    "--momentum": ["0.5", "1", "5", "-0.1"],
    "--test-size": ["0.5", "0", "1", "2", "-1", "nan"],
    "--val-size": ["0", "0.2", "1", "-1"],
    "--dropout": ["0", "0.5", "1", "2"],
    "--seed": ["0", "-1", "x"],
    "--checkpoint-every": ["1", "0", "5s", "-1", "xs", "nan"],
    "--optimizer": ["sgd", "adam", "nope"],
    "--scheduler": ["none", "cosine", "onecycle", "bad"],
    "--warmup": ["0", "1", "-2"],
    "--target": ["-1", "0", "99", "a,b"],
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(FLAG_VALUES)), min_size=1, max_size=4, unique=True).flatmap(
    lambda flags: st.tuples(*(st.tuples(st.just(f), st.sampled_from(FLAG_VALUES[f])) for f in flags))),
    st.sampled_from(["resume", "overwrite-copy", "fresh", "none"]))
def test_fuzz_train_arguments_exit_cleanly_and_a_refused_run_changes_nothing(iris_run, tmp_path_factory, capsys,
                                                                             flags, target):
    args = ["train", "--quiet"]
    for flag, value in flags:
        args += [flag, value] if not value.startswith("-") else [f"{flag}={value}"]
    if "--epochs" not in dict(flags):
        args += ["--epochs", "1"]
    folder = iris_run
    if target == "resume":
        args += ["--out", str(iris_run), "--resume"]
    elif target == "fresh":
        folder = tmp_path_factory.mktemp("fuzz") / "run"
        args += ["--out", str(folder)]
    elif target == "overwrite-copy":
        import shutil

        folder = tmp_path_factory.mktemp("fuzz") / "run"
        shutil.copytree(iris_run, folder)
        args += ["--out", str(folder), "--overwrite"]
    before = snapshot(folder)
    code, err = run_main(args, capsys)
    assert code in (0, 1, 2), (args, code, err)
    assert "Traceback" not in err
    if code == 2:
        assert err.strip(), args
        assert snapshot(folder) == before, args
