"""Data sets: iris and 8×8 digits shipped with the package, MNIST from a folder or a one-time
download, CSV files, and generators of classic toy problems (XOR, moons, circles, spirals, 1-D
regression)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import shutil
import urllib.request
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .preprocessing import LabelEncoder


@dataclass
class DataBundle:
    """Features, targets and names; unpacks as ``X, y = load_iris()``."""

    data: np.ndarray
    target: np.ndarray
    feature_names: list = field(default_factory=list)
    target_names: list = field(default_factory=list)
    description: str = ""

    def __iter__(self):
        return iter((self.data, self.target))


def _package_file(name: str) -> bytes:
    return resources.files("tinygrad_mlp.data").joinpath("datasets", name).read_bytes()


def load_iris() -> DataBundle:
    """Fisher's iris: 150×4 float32 features (cm), labels 0..2 (setosa, versicolor, virginica)."""
    bundle = load_csv(io.StringIO(_package_file("iris.csv").decode()), target="species")
    bundle.description = "Fisher's iris (UCI Machine Learning Repository, public domain)"
    return bundle


def load_digits() -> DataBundle:
    """1,797 handwritten digits as 8×8 images: 64 float32 pixel columns (0..16), labels 0..9."""
    raw = np.loadtxt(io.StringIO(gzip.decompress(_package_file("digits8x8.csv.gz")).decode()), delimiter=",")
    return DataBundle(raw[:, :64].astype(np.float32), raw[:, 64].astype(np.int64),
                      [f"pixel_{r}_{c}" for r in range(8) for c in range(8)], [str(d) for d in range(10)],
                      "Optical recognition of handwritten digits (UCI Machine Learning Repository, CC BY 4.0)")


# --- CSV -------------------------------------------------------------------------------------------


def load_csv(path: Any, target: Any = -1, header: bool | None = None, delimiter: str = ",") -> DataBundle:
    """Read a numeric CSV into features and a target.

    ``target`` is a column index or name, or a list of one-hot columns (the class is the column
    holding the 1), or None for features only. A target of whole numbers or of strings is a class
    label: its distinct values, sorted, become classes 0..k-1, named in ``target_names``; any other
    numeric target is a regression target (float32).

    The header rule (``header=None``): the first non-empty row is a header when none of its cells
    is a number; otherwise it is data. So a header of names is never read as data, and a data row
    is never dropped as a header. A UTF-8 byte-order mark is ignored. Missing values, non-numeric
    cells, NaN, inf, values too large for float32 and ragged rows raise a ValueError that names
    the file's line and the column.
    """
    name = getattr(path, "name", str(path)) if not isinstance(path, io.StringIO) else "<text>"
    try:
        f = open(path, newline="", encoding="utf-8-sig") if isinstance(path, str | os.PathLike) else path  # noqa: SIM115
    except IsADirectoryError:
        raise ValueError(f"load_csv: {name} is a folder, not a CSV file") from None
    try:
        rows = list(csv.reader(f, delimiter=delimiter))
    except UnicodeDecodeError as e:
        raise ValueError(f"load_csv: {name} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    except csv.Error as e:
        raise ValueError(f"load_csv: {name} is not a readable CSV file ({e})") from None
    finally:
        if f is not path:
            f.close()
    if rows and rows[0] and rows[0][0].startswith("\ufeff"):  # a BOM in text handed over already decoded
        rows[0][0] = rows[0][0][1:]
    rows = [(i + 1, r) for i, r in enumerate(rows) if r and any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"load_csv: {name} is empty")
    first = rows[0][1]
    if header is None:
        header = not any(_is_number(c) for c in first)
    columns = [c.strip() for c in first] if header else [f"x{i}" for i in range(len(first))]
    body = rows[1:] if header else rows
    width = len(columns)
    for line, r in body:
        if len(r) != width:
            raise ValueError(f"load_csv: {name} line {line} has {len(r)} columns, expected {width} (ragged row)")
    targets = [] if target is None else target if isinstance(target, list | tuple) else [target]
    target_cols = [_column_index(t, columns, name) for t in targets]
    feature_cols = [i for i in range(width) if i not in target_cols]
    X = np.empty((len(body), len(feature_cols)), dtype=np.float32)
    for r_i, (line, r) in enumerate(body):
        for c_i, c in enumerate(feature_cols):
            X[r_i, c_i] = _parse(r[c], name, line, columns[c])
    if not target_cols:  # features only (e.g. data to predict)
        y, names = np.empty(0, dtype=np.float32), []
    elif len(target_cols) > 1:  # one-hot label columns
        onehot = np.array([[_parse(r[c], name, line, columns[c]) for c in target_cols] for line, r in body])
        bad = np.flatnonzero(~np.isin(onehot, (0, 1)).all(axis=1) | (onehot.sum(axis=1) != 1))
        if bad.size:
            raise ValueError(f"load_csv: {name} line {body[bad[0]][0]}: one-hot label columns must hold a single 1")
        y = onehot.argmax(axis=1).astype(np.int64)
        names = [columns[c] for c in target_cols]
    else:
        c = target_cols[0]
        raw = [r[c].strip() for _, r in body]
        for (line, _), v in zip(body, raw):
            if v == "":
                raise ValueError(f"load_csv: {name} line {line}, column {columns[c]!r}: missing value")
        if all(_is_number(v) for v in raw):
            values = np.array([float(v) for v in raw])
            bad = np.flatnonzero(~np.isfinite(values) | (np.abs(values) > np.finfo(np.float32).max))
            if bad.size:
                raise ValueError(f"load_csv: {name} line {body[bad[0]][0]}, column {columns[c]!r}: "
                                 f"{raw[bad[0]]!r} is not a finite float32 number")
            if np.all(values == np.round(values)):  # class labels, in sorted order, named by their value
                classes, y = np.unique(values, return_inverse=True)
                y = y.astype(np.int64)
                names = [str(int(v)) for v in classes]
            else:
                y, names = values.astype(np.float32), []
        else:
            enc = LabelEncoder().fit(raw)
            y, names = enc.transform(raw), [str(v) for v in enc.classes_]
    return DataBundle(X, y, [columns[i] for i in feature_cols], names)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _parse(cell: str, name: str, line: int, column: str) -> float:
    cell = cell.strip()
    if cell == "":
        raise ValueError(f"load_csv: {name} line {line}, column {column!r}: missing value")
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(f"load_csv: {name} line {line}, column {column!r}: {cell!r} is not a number") from None
    if not abs(value) <= _FLOAT32_MAX:  # nan, inf, and what overflows float32
        raise ValueError(f"load_csv: {name} line {line}, column {column!r}: {cell!r} is not a finite float32 "
                         f"number (clean or impute it first)")
    return value


def _column_index(t: Any, columns: list, name: str) -> int:
    if isinstance(t, int | np.integer):
        if not -len(columns) <= t < len(columns):
            raise ValueError(f"load_csv: target column {t} is out of range for {len(columns)} columns in {name}")
        return int(t) % len(columns)
    if t not in columns:
        raise ValueError(f"load_csv: no column {t!r} in {name}; columns: {columns}")
    return columns.index(t)


# --- MNIST -------------------------------------------------------------------------------------------

MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte", "6bbc9ace898e44ae57da46a324031adb"),
    "train_labels": ("train-labels-idx1-ubyte", "a25bea736e30d166cdddb491f175f624"),
    "test_images": ("t10k-images-idx3-ubyte", "2646ac647ad5339dbf082846283269ea"),
    "test_labels": ("t10k-labels-idx1-ubyte", "27ae3e4e09519cfbb04c329615203637"),
}
MNIST_MIRRORS = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"]


def read_idx(path: str | os.PathLike, expected_md5: str | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a uint8 array, checking magic number, size and md5."""
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise ValueError(f"read_idx: {path} cannot be read (truncated or not gzip): {e}") from None
    if expected_md5 is not None and hashlib.md5(raw).hexdigest() != expected_md5:
        raise ValueError(f"read_idx: {path} fails its checksum (md5 {hashlib.md5(raw).hexdigest()}, "
                         f"expected {expected_md5}): the file is corrupted or not the MNIST one")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise ValueError(f"read_idx: {path} has a wrong magic number {raw[:4].hex()} (expected 0x00000801 "
                         "for labels or 0x00000803 for images)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} is truncated inside its header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(shape))
    if len(raw) - header != size:
        raise ValueError(f"read_idx: {path} holds {len(raw) - header} bytes of data, its header promises {size} "
                         f"for shape {shape} (truncated)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def default_cache_dir() -> Path:
    return Path(os.environ.get("TINYGRAD_MLP_DATA", Path.home() / ".cache" / "tinygrad_mlp"))


def _find(folder: Path, base: str) -> Path | None:
    for candidate in (folder / (base + ".gz"), folder / base):
        if candidate.exists():
            return candidate
    return None


def _download(base: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    errors = []
    for mirror in MNIST_MIRRORS:
        target = folder / (base + ".gz")
        tmp = target.with_suffix(".part")
        try:
            with urllib.request.urlopen(mirror + base + ".gz", timeout=30) as r, open(tmp, "wb") as out:
                shutil.copyfileobj(r, out)
            os.replace(tmp, target)
            return target
        except OSError as e:
            errors.append(f"{mirror}: {e}")
            if tmp.exists():
                tmp.unlink()
    raise RuntimeError(f"load_mnist: could not download {base}.gz ({'; '.join(errors)}); download the four MNIST "
                       f"files yourself and pass their folder as root=...")


def load_mnist(root: str | os.PathLike | None = None, download: bool = True, flatten: bool = True,
               normalize: bool = True) -> tuple:
    """MNIST as ``(X_train, y_train), (X_test, y_test)``.

    Reads the four standard IDX files (gzipped or not) from ``root``; without ``root``, from the
    cache folder (``$TINYGRAD_MLP_DATA`` or ``~/.cache/tinygrad_mlp``)/mnist, downloading them
    there once if ``download``. Every file is checked against its published md5. Images are
    float32 in [0, 1] and flattened to 784 columns unless asked otherwise.
    """
    folder = Path(root) if root is not None else default_cache_dir() / "mnist"
    arrays = {}
    for key, (base, md5) in MNIST_FILES.items():
        path = _find(folder, base)
        if path is None:
            if root is not None or not download:
                raise FileNotFoundError(f"load_mnist: {base}(.gz) not found in {folder}")
            path = _download(base, folder)
        arrays[key] = read_idx(path, md5)

    def images(a: np.ndarray) -> np.ndarray:
        out = a.astype(np.float32) / 255.0 if normalize else a.copy()
        return out.reshape(len(a), -1) if flatten else out

    return ((images(arrays["train_images"]), arrays["train_labels"].astype(np.int64)),
            (images(arrays["test_images"]), arrays["test_labels"].astype(np.int64)))


# --- generators ---------------------------------------------------------------------------------------


def _rng(random_state: int | None) -> np.random.Generator:
    if random_state is not None:
        return np.random.default_rng(random_state)
    from ..rng import get_rng

    return get_rng()


def make_xor(n_samples: int | None = None, noise: float = 0.0, random_state: int | None = None) -> tuple:
    """The XOR problem: the 4 corners of the unit square (label = x1 xor x2), or ``n_samples``
    points drawn around the corners with Gaussian ``noise``."""
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    labels = np.array([0, 1, 1, 0], dtype=np.int64)
    if n_samples is None:
        return corners, labels
    g = _rng(random_state)
    pick = g.integers(0, 4, n_samples)
    X = corners[pick] + g.normal(0, noise, (n_samples, 2)).astype(np.float32)
    return X.astype(np.float32), labels[pick]


def make_moons(n_samples: int = 200, noise: float | None = None, random_state: int | None = None) -> tuple:
    """Two interleaving half circles (as scikit-learn's make_moons)."""
    g = _rng(random_state)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n_in)
    return _two_classes(np.c_[np.cos(outer), np.sin(outer)], np.c_[1 - np.cos(inner), 1 - np.sin(inner) - 0.5],
                        g, noise)


def _two_classes(first: np.ndarray, second: np.ndarray, g: np.random.Generator, noise: float | None) -> tuple:
    """Points of class 0 then class 1, shuffled, with Gaussian noise."""
    X = np.vstack([first, second])
    y = np.r_[np.zeros(len(first), dtype=np.int64), np.ones(len(second), dtype=np.int64)]
    perm = g.permutation(len(y))
    X, y = X[perm], y[perm]
    if noise:
        X = X + g.normal(0, noise, X.shape)
    return X.astype(np.float32), y


def make_circles(n_samples: int = 200, noise: float | None = None, factor: float = 0.5,
                 random_state: int | None = None) -> tuple:
    """A small circle (label 1) inside a large one (label 0)."""
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must be in (0, 1), got {factor}")
    g = _rng(random_state)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    a_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    a_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    return _two_classes(np.c_[np.cos(a_out), np.sin(a_out)], factor * np.c_[np.cos(a_in), np.sin(a_in)], g, noise)


def make_spirals(n_samples: int = 300, n_classes: int = 2, noise: float = 0.1,
                 random_state: int | None = None) -> tuple:
    """Interleaved spiral arms, one per class (the hardest 2-D toy problem)."""
    g = _rng(random_state)
    per = n_samples // n_classes
    X, y = [], []
    for c in range(n_classes):
        r = np.linspace(0.05, 1, per)
        theta = np.linspace(c * 2 * np.pi / n_classes, c * 2 * np.pi / n_classes + 3 * np.pi, per)
        theta = theta + g.normal(0, noise, per)
        X.append(np.c_[r * np.sin(theta), r * np.cos(theta)])
        y.append(np.full(per, c, dtype=np.int64))
    X, y = np.vstack(X), np.concatenate(y)
    perm = g.permutation(len(y))
    return X[perm].astype(np.float32), y[perm]


def make_regression_1d(n_samples: int = 200, noise: float = 0.1, x_range: tuple = (-3.0, 3.0),
                       random_state: int | None = None) -> tuple:
    """A noisy 1-D curve y = sin(x) + 0.3·x + noise, as (n, 1) float32 columns (x sorted)."""
    g = _rng(random_state)
    x = np.sort(g.uniform(*x_range, n_samples))
    y = np.sin(x) + 0.3 * x + g.normal(0, noise, n_samples)
    return x.reshape(-1, 1).astype(np.float32), y.reshape(-1, 1).astype(np.float32)
