"""The command line, through the entry point and as a subprocess."""

import json
import subprocess
import sys

import pytest

from tinygrad_mlp.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "tinygrad_mlp", *args], capture_output=True, text=True, timeout=300)


def test_demo_prints_a_results_table():
    result = run_cli("demo", "--quick")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("data set"))
    assert header.split()[:3] == ["data", "set", "layers"]
    rows = {line.split()[0]: line.split() for line in lines if line.split() and line.split()[0] in
            ("XOR", "iris", "moons", "digits", "regression")}
    assert set(rows) == {"XOR", "iris", "moons", "digits", "regression"}


def test_train_evaluate_predict_round_trip(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--dataset", "iris", "--hidden", "32", "--lr", "0.01", "--batch-size", "8",
                 "--epochs", "30", "--test-size", "0.4", "--seed", "42", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Total params: 259" in printed and "test" in printed
    for name in ("config.json", "history.csv", "model.safetensors", "results.json", "checkpoint.safetensors"):
        assert (out / name).exists(), name
    results = json.loads((out / "results.json").read_text())
    assert results["test"]["accuracy"] >= 0.95
    assert len((out / "history.csv").read_text().strip().splitlines()) == 31

    assert main(["evaluate", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == results["test"]["accuracy"]

    rows = tmp_path / "flowers.csv"
    rows.write_text("5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    assert main(["predict", str(out), "--input", str(rows)]) == 0
    assert capsys.readouterr().out.split() == ["prediction", "setosa", "virginica"]
    with_labels = tmp_path / "labelled.csv"
    with_labels.write_text("sl,sw,pl,pw,species\n5.1,3.5,1.4,0.2,setosa\n")
    assert main(["predict", str(out), "--input", str(with_labels), "--output", str(tmp_path / "p.txt")]) == 0
    assert (tmp_path / "p.txt").read_text().split() == ["prediction", "setosa"]


def test_run_folder_is_not_overwritten_by_accident(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--dataset", "xor", "--hidden", "4", "--epochs", "2", "--quiet", "--out", str(out)]
    assert main(args) == 0
    before = (out / "model.safetensors").read_bytes()
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "model.safetensors").read_bytes() == before
    assert main(args + ["--overwrite"]) == 0


@pytest.mark.parametrize("args,words", [
    (["train", "--activation", "swishy"], "invalid choice: 'swishy'"),
    (["train", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs' (choose from 'adadelta', 'adagrad', 'adam'"),
    (["train", "--dataset", "cifar"], "unknown dataset 'cifar'; valid choices: iris, digits"),
    (["train", "--hidden", "64,-3"], "hidden sizes must be positive"),
    (["train", "--batch-size", "0"], "must be a positive integer"),
    (["train", "--epochs", "-1"], "must be >= 0"),
    (["train", "--lr", "-0.1"], "must be >= 0"),
    (["train", "--scheduler", "warm"], "invalid choice: 'warm'"),
    (["train", "--loss", "hinge"], "invalid choice: 'hinge'"),
])
def test_bad_flags_list_valid_choices(args, words):
    result = run_cli(*args)
    assert result.returncode == 2
    assert words in result.stderr


def test_regression_with_early_stopping_and_scheduler(tmp_path, capsys):
    code = main(["train", "--dataset", "regression", "--hidden", "32,32", "--activation", "tanh", "--lr", "0.01",
                 "--epochs", "300", "--early-stopping", "5", "--scheduler", "cosine", "--warmup", "2", "--quiet",
                 "--out", str(tmp_path / "r")])
    assert code == 0
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert results["test"]["r2"] > 0.9


def test_csv_dataset_and_wrong_loss_for_the_task(tmp_path, capsys):
    f = tmp_path / "d.csv"
    f.write_text("a,b,label\n" + "\n".join(f"{i % 7},{(i * 3) % 5},{'yes' if i % 7 > 3 else 'no'}"
                                          for i in range(60)))
    assert main(["train", "--dataset", f"csv:{f}", "--target", "label", "--hidden", "8", "--epochs", "5",
                 "--quiet"]) == 0
    assert main(["train", "--dataset", "iris", "--loss", "huber", "--epochs", "1", "--quiet"]) == 2
    assert "unknown loss 'huber'; valid choices: cross_entropy, mse, bce_with_logits" in capsys.readouterr().err


@pytest.mark.parametrize("name, lr", [("adadelta", "1.0"), ("adamax", "0.01"), ("nadam", "0.01"), ("radam", "0.01")])
def test_every_optimizer_of_the_package_is_a_cli_choice(name, lr, capsys):
    try:
        code = main(["train", "--dataset", "iris", "--optimizer", name, "--lr", lr, "--hidden", "16", "--epochs", "40",
                     "--batch-size", "16", "--seed", "0"])
    except SystemExit as e:  # argparse refused the choice
        code = e.code
    assert code == 0
    printed = capsys.readouterr().out
    test_row = next(line for line in printed.splitlines() if line.startswith("test "))
    assert float(test_row.split()[2]) >= 0.9  # loss, accuracy
    assert "training step: eager: the optimizer is" in printed  # compile takes SGD and Adam/AdamW only
