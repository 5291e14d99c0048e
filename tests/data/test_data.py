"""Loaders, scalers, splits, data sets and generators."""

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import data as D

try:
    import sklearn.model_selection as skms
    import sklearn.preprocessing as skp
except ImportError:
    skms = skp = None

MNIST_DIR = os.environ.get("TINYGRAD_MLP_MNIST") or str(Path(__file__).resolve().parents[3] / "shared/data/mnist")


# --- DataLoader ---------------------------------------------------------------------------------------


def test_dataloader_batches_cover_the_data_once():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    loader = D.DataLoader(D.TensorDataset(X, y), batch_size=3, shuffle=True, seed=1)
    seen = np.concatenate([yb.numpy() for _, yb in loader])
    assert sorted(seen.tolist()) == list(range(10)) and len(loader) == 4
    assert [len(yb) for _, yb in D.DataLoader(D.TensorDataset(X, y), batch_size=3, drop_last=True)] == [3, 3, 3]
    assert [len(yb) for _, yb in D.DataLoader(D.TensorDataset(X, y), batch_size=None)] == [10]
    assert [len(yb) for _, yb in D.DataLoader(D.TensorDataset(X, y), batch_size=1)] == [1] * 10


def test_dataloader_reshuffles_each_epoch_reproducibly():
    ds = D.TensorDataset(np.arange(50.0), np.arange(50))

    def two_epochs():
        tg.manual_seed(3)
        loader = D.DataLoader(ds, batch_size=50, shuffle=True)
        return [next(iter(loader))[1].tolist() for _ in range(2)]

    a, b = two_epochs(), two_epochs()
    assert a == b and a[0] != a[1]
    unshuffled = next(iter(D.DataLoader(ds, batch_size=50)))[1].tolist()
    assert unshuffled == list(range(50))


def test_dataloader_generic_dataset_and_collate():
    class Squares(D.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=np.float32), i

    x, y = next(iter(D.DataLoader(Squares(), batch_size=5)))
    assert x.shape == (5, 2) and y.tolist() == [0, 1, 2, 3, 4]
    got = list(D.DataLoader(Squares(), batch_size=2, collate_fn=lambda items: len(items)))
    assert got == [2, 2, 1]
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        D.DataLoader(Squares(), batch_size=0)
    with pytest.raises(ValueError, match="same number of rows"):
        D.TensorDataset(np.zeros(3), np.zeros(4))


# --- preprocessing ------------------------------------------------------------------------------------


def test_standard_scaler_matches_sklearn_and_handles_constant_columns():
    X = np.array([[1.0, 5.0, 3.0], [3.0, 5.0, 4.0], [8.0, 5.0, 1.0]])
    s = D.StandardScaler().fit(X)
    Z = s.transform(X)
    assert np.allclose(Z[:, 1], 0) and np.allclose(Z[:, 0].std(), 1)
    assert np.allclose(s.inverse_transform(Z), X)
    if skp is not None:
        assert np.allclose(Z, skp.StandardScaler().fit_transform(X))
        assert np.allclose(D.MinMaxScaler((-1, 1)).fit_transform(X), skp.MinMaxScaler((-1, 1)).fit_transform(X))
    m = D.MinMaxScaler().fit(X)
    assert m.transform(X)[:, 0].tolist() == [0.0, pytest.approx(2 / 7), 1.0]
    assert np.allclose(m.inverse_transform(m.transform(X)), X)
    assert isinstance(D.StandardScaler().fit_transform(tg.tensor(X)), tg.Tensor)
    with pytest.raises(RuntimeError, match="not fitted"):
        D.StandardScaler().transform(X)
    with pytest.raises(ValueError, match="fitted on 3 columns"):
        s.transform(np.zeros((2, 4)))


def test_label_encoder_and_one_hot():
    enc = D.LabelEncoder()
    assert enc.fit_transform(["b", "a", "c", "a"]).tolist() == [1, 0, 2, 0]
    assert enc.inverse_transform([2, 0]).tolist() == ["c", "a"]
    with pytest.raises(ValueError, match="unseen label"):
        enc.transform(["z"])
    assert D.one_hot(np.array([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\)"):
        D.one_hot(np.array([0, 2]), 2)


@pytest.mark.skipif(skms is None, reason="scikit-learn not installed")
@pytest.mark.parametrize("kwargs", [dict(test_size=0.4, random_state=42), dict(train_size=0.5, random_state=0),
                                    dict(test_size=7, random_state=3), dict(random_state=1),
                                    dict(test_size=0.2, train_size=0.5, random_state=9), dict(shuffle=False)])
def test_train_test_split_is_exactly_sklearns(kwargs):
    X, y = D.load_iris()
    ours = D.train_test_split(X, y, **kwargs)
    theirs = skms.train_test_split(X, y, **kwargs)
    assert len(ours) == 4 and all(np.array_equal(a, b) for a, b in zip(ours, theirs))


def test_stratified_split_keeps_proportions():
    X, y = D.load_iris()
    _, _, y_train, y_test = D.train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    assert np.bincount(y_test).tolist() == [10, 10, 10] and len(y_train) == 120
    with pytest.raises(ValueError, match="should be a float in"):
        D.train_test_split(X, y, test_size=1.5)


# --- data sets ----------------------------------------------------------------------------------------------


def test_bundled_iris_and_digits():
    iris = D.load_iris()
    assert iris.data.shape == (150, 4) and iris.data.dtype == np.float32
    assert np.bincount(iris.target).tolist() == [50, 50, 50]
    assert iris.target_names == ["setosa", "versicolor", "virginica"]
    X, y = D.load_digits()
    assert X.shape == (1797, 64) and X.max() == 16 and sorted(set(y.tolist())) == list(range(10))


def test_load_csv_label_column_one_hot_columns_and_errors(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n")
    b = D.load_csv(f, target="label")
    assert b.data.tolist() == [[1, 2], [3, 4], [5, 6]] and b.target.tolist() == [0, 1, 0]
    assert b.target_names == ["cat", "dog"] and b.feature_names == ["a", "b"]
    f.write_text("p0,p1,isOne,isTwo\n0.5,0.1,1,0\n0.2,0.3,0,1\n")
    b = D.load_csv(f, target=["isOne", "isTwo"])
    assert b.target.tolist() == [0, 1] and b.target_names == ["isOne", "isTwo"]
    f.write_text("1,2,0\n3,,1\n")
    with pytest.raises(ValueError, match=r"line 2, column 'x1': missing value"):
        D.load_csv(f)
    f.write_text("a,b,y\n1,2,0\n3,x,1\n")
    with pytest.raises(ValueError, match=r"line 3, column 'b': 'x' is not a number"):
        D.load_csv(f)
    f.write_text("a,b,y\n1,2,0\n3,4\n")
    with pytest.raises(ValueError, match="line 3 has 2 columns, expected 3"):
        D.load_csv(f)
    f.write_text("a,b,y\n1,2,0\n")
    with pytest.raises(ValueError, match="no column 'zz'"):
        D.load_csv(f, target="zz")


def _write_idx(path, array, magic_type=8):
    header = bytes([0, 0, magic_type, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return raw


def test_read_idx_gz_and_plain_and_its_errors(tmp_path):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4) % 256
    raw = _write_idx(tmp_path / "img.gz", images)
    assert np.array_equal(D.read_idx(tmp_path / "img.gz", hashlib.md5(raw).hexdigest()), images)
    _write_idx(tmp_path / "img", images)
    assert np.array_equal(D.read_idx(tmp_path / "img"), images)
    with pytest.raises(ValueError, match="fails its checksum"):
        D.read_idx(tmp_path / "img", "0" * 32)
    (tmp_path / "short").write_bytes((tmp_path / "img").read_bytes()[:-5])
    with pytest.raises(ValueError, match="truncated"):
        D.read_idx(tmp_path / "short")
    (tmp_path / "bad").write_bytes(b"\x12\x34\x56\x78" + b"\x00" * 8)
    with pytest.raises(ValueError, match="wrong magic number"):
        D.read_idx(tmp_path / "bad")
    (tmp_path / "broken.gz").write_bytes(gzip.compress(b"x" * 1000)[:20])
    with pytest.raises(ValueError, match="cannot be read"):
        D.read_idx(tmp_path / "broken.gz")


def test_load_mnist_from_a_folder_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        D.load_mnist(tmp_path)


@pytest.mark.skipif(not Path(MNIST_DIR).is_dir(), reason=f"MNIST folder {MNIST_DIR} is absent")
def test_load_mnist_shared_folder():
    (X, y), (Xt, yt) = D.load_mnist(MNIST_DIR)
    assert X.shape == (60000, 784) and Xt.shape == (10000, 784) and X.dtype == np.float32
    assert 0 <= X.min() and X.max() == 1.0 and y[:5].tolist() == [5, 0, 4, 1, 9]
    assert np.bincount(yt).sum() == 10000


def test_generators_are_reproducible_and_shaped():
    X, y = D.make_xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    for maker in (D.make_moons, D.make_circles, D.make_spirals):
        a, b = maker(100, random_state=0), maker(100, random_state=0)
        assert a[0].shape == (100, 2) and np.array_equal(a[0], b[0]) and set(a[1].tolist()) == {0, 1}
    Xn, yn = D.make_xor(40, noise=0.1, random_state=0)
    assert Xn.shape == (40, 2) and np.all((yn == 0) | (yn == 1))
    Xr, yr = D.make_regression_1d(50, random_state=0)
    assert Xr.shape == (50, 1) and yr.shape == (50, 1) and np.all(np.diff(Xr[:, 0]) >= 0)


def test_image_folder_to_matrix_and_csv(tmp_path):
    Image = pytest.importorskip("PIL.Image", reason="Pillow not installed: pip install -e '.[image]'")
    for label, value in (("one", 255), ("two", 0)):
        (tmp_path / "imgs" / label).mkdir(parents=True)
        for i in range(2):
            arr = np.full((40, 40), value, dtype=np.uint8)
            arr[:20, :20] = 128
            Image.fromarray(arr).save(tmp_path / "imgs" / label / f"{i}.png")
    X, y, classes = D.load_image_folder(tmp_path / "imgs", size=(20, 20))
    assert X.shape == (4, 400) and y.tolist() == [0, 0, 1, 1] and classes == ["one", "two"]
    assert X[0, 0] == pytest.approx(128 / 255) and X[0, -1] == 1.0  # area interpolation keeps block values
    X8, _, _ = D.load_image_folder(tmp_path / "imgs", size=(8, 8))
    assert X8.shape == (4, 64)
    D.images_to_csv(tmp_path / "imgs", tmp_path / "out.csv", size=(8, 8))
    b = D.load_csv(tmp_path / "out.csv", target=["isone", "istwo"])
    assert b.data.shape == (4, 64) and b.target.tolist() == [0, 0, 1, 1]
    Image.fromarray(np.zeros((5, 5), dtype=np.uint8)).save(tmp_path / "imgs" / "stray.png")
    with pytest.raises(ValueError, match="unlabelled images"):
        D.load_image_folder(tmp_path / "imgs")
    (tmp_path / "imgs" / "stray.png").unlink()
    (tmp_path / "imgs" / "one" / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="not a readable image"):
        D.load_image_folder(tmp_path / "imgs")


def test_load_mnist_downloads_once_into_the_cache_and_verifies(tmp_path, monkeypatch):
    """The download path, against a local HTTP server (no website is reachable here)."""
    import functools
    import http.server
    import threading

    from tinygrad_mlp.data import datasets as ds

    served = tmp_path / "mirror"
    served.mkdir()
    rng = np.random.default_rng(0)
    md5 = {}
    for key, (base, _) in ds.MNIST_FILES.items():
        n = 6 if "train" in key else 4
        array = rng.integers(0, 256, (n, 28, 28)) if "images" in key else rng.integers(0, 10, n)
        raw = _write_idx(served / (base + ".gz"), array.astype(np.uint8))
        md5[key] = (base, hashlib.md5(raw).hexdigest())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setattr(ds, "MNIST_FILES", md5)
        port = server.server_address[1]
        monkeypatch.setattr(ds, "MNIST_MIRRORS", ["http://127.0.0.1:1/", f"http://127.0.0.1:{port}/"])  # 1st fails
        monkeypatch.setenv("TINYGRAD_MLP_DATA", str(tmp_path / "cache"))
        (X, y), (Xt, yt) = D.load_mnist()
        assert X.shape == (6, 784) and Xt.shape == (4, 784) and X.max() <= 1.0
        assert sorted(p.name for p in (tmp_path / "cache" / "mnist").iterdir()) == sorted(
            b + ".gz" for b, _ in md5.values())
        server.shutdown()  # the second call needs no network: the cache is used
        (X2, _), _ = D.load_mnist()
        assert np.array_equal(X, X2)
        bad = dict(md5)
        bad["train_labels"] = (md5["train_labels"][0], "0" * 32)
        monkeypatch.setattr(ds, "MNIST_FILES", bad)
        with pytest.raises(ValueError, match="fails its checksum"):
            D.load_mnist()
        with pytest.raises(FileNotFoundError, match="not found"):
            D.load_mnist(tmp_path / "empty_folder_that_does_not_exist", download=True)
    finally:
        server.server_close()
