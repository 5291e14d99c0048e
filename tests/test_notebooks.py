"""The notebooks under examples/notebooks run top to bottom in a Jupyter kernel, each in under 60 s,
and are stored without outputs."""

import os
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs the dev extra: pip install -e '.[dev]'")
nbclient = pytest.importorskip("nbclient", reason="needs the dev extra: pip install -e '.[dev]'")
pytest.importorskip("ipykernel", reason="needs the dev extra: pip install -e '.[dev]'")
pytest.importorskip("matplotlib", reason="the notebooks draw plots: pip install -e '.[plot]'")

FOLDER = Path(__file__).resolve().parents[1] / "examples" / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))


def test_there_are_three_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_autograd_from_scratch.ipynb", "02_mnist_mlp.ipynb",
                                           "03_activations_and_optimisers.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_under_a_minute(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    repo = FOLDER.parents[1]
    # the kernel imports this checkout, whatever is installed
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "agg")  # figures must show through their own _repr_png_
    if "TINYGRAD_MLP_MNIST" not in os.environ and (repo.parent / "shared" / "data" / "mnist").is_dir():
        monkeypatch.setenv("TINYGRAD_MLP_MNIST", str(repo.parent / "shared" / "data" / "mnist"))
    client = nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": FOLDER}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    assert seconds < 60, f"{path.name} took {seconds:.1f} s"
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, "no figure was displayed as an image"
