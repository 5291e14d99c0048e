"""tg.save / tg.load: round trips, atomic writes, and refusing anything untrustworthy."""

import json
import os
import pickle

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import nn
from tinygrad_mlp.utils import CheckpointError

from .checkpoint_files import npy_bytes, rewrite_entries


def test_round_trip_of_nested_state(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    opt = tg.optim.Adam(model.parameters(), lr=0.01)
    model(tg.randn(5, 3)).sum().backward()
    opt.step()
    obj = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 7, "history": [0.5, 0.25],
           "name": "run", "shape": (2, 3), "none": None, "rng": tg.rng.default_generator.get_state()}
    tg.save(obj, tmp_path / "ckpt.npz")
    back = tg.load(tmp_path / "ckpt.npz")
    assert back["epoch"] == 7 and back["history"] == [0.5, 0.25] and back["shape"] == (2, 3)
    assert back["none"] is None and back["rng"] == obj["rng"]
    for k, v in model.state_dict().items():
        assert back["model"][k].dtype == v.dtype and np.array_equal(back["model"][k].numpy(), v.numpy())
    assert set(back["optimizer"]["state"]) == {0, 1, 2, 3, 4, 5}  # integer keys survive
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)


def test_metadata(tmp_path):
    tg.save({"x": tg.ones(1)}, tmp_path / "a.npz", metadata={"arch": [3, 4]})
    _, meta = tg.load(tmp_path / "a.npz", return_metadata=True)
    assert meta == {"arch": [3, 4]}


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": tg.ones(3)}, path)

    class Boom:
        pass

    with pytest.raises(TypeError, match="cannot save an object of type Boom"):
        tg.save({"w": tg.zeros(3), "bad": Boom()}, path)
    assert tg.load(path)["w"].tolist() == [1, 1, 1]  # the old checkpoint is intact
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": tg.ones(1000)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        tg.load(path)


def test_corrupted_array_fails_checksum(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": tg.ones(100)}, path)
    rewrite_entries(path, lambda e: e.update({"a0.npy": npy_bytes(np.full(100, 2.0, dtype=np.float32))}))
    with pytest.raises(CheckpointError, match="fails its SHA-256 check"):
        tg.load(path)


def test_newer_format_version_and_foreign_files_are_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": tg.ones(1)}, path)

    def bump(entries):
        header = json.loads(entries["__header__.json"])
        header["version"] = 99
        entries["__header__.json"] = json.dumps(header).encode()

    rewrite_entries(path, bump)
    with pytest.raises(CheckpointError, match="format version 99"):
        tg.load(path)
    np.savez(tmp_path / "plain.npz", w=np.ones(2))
    with pytest.raises(CheckpointError, match="not a tinygrad_mlp checkpoint"):
        tg.load(tmp_path / "plain.npz")


class Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_pickle_payload_is_never_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.npz"
    tg.save({"w": tg.ones(2)}, path)
    # an object array: a pickle inside the .npy entry
    rewrite_entries(path, lambda e: e.update({"a0.npy": npy_bytes(np.array([Payload()], dtype=object), True)}))
    with pytest.raises(CheckpointError):
        tg.load(path)
    assert not (tmp_path / "pwned.txt").exists()
    (tmp_path / "raw.pkl").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(CheckpointError):
        tg.load(tmp_path / "raw.pkl")
    assert not (tmp_path / "pwned.txt").exists()
