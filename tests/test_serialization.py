"""tg.save / tg.load: safetensors round trips, PyTorch reading ours and us reading PyTorch's, atomic
writes, the version-1 .npz files of tinygrad_mlp 0.1, and refusing anything untrustworthy."""

import json
import os
import pickle

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import nn
from tinygrad_mlp.utils import CheckpointError
from tinygrad_mlp.utils.serialization import _text_digest, remove_stale_temp_files

from .checkpoint_files import edit_metadata, npy_bytes, read_safetensors, rewrite_entries, save_v1


def test_round_trip_of_nested_state(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    opt = tg.optim.Adam(model.parameters(), lr=0.01)
    model(tg.randn(5, 3)).sum().backward()
    opt.step()
    obj = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 7, "history": [0.5, 0.25],
           "name": "run", "shape": (2, 3), "none": None, "rng": tg.rng.default_generator.get_state(),
           "best": float("inf"), "nan": float("nan")}
    tg.save(obj, tmp_path / "ckpt.safetensors")
    back = tg.load(tmp_path / "ckpt.safetensors")
    assert back["epoch"] == 7 and back["history"] == [0.5, 0.25] and back["shape"] == (2, 3)
    assert back["none"] is None and back["rng"] == obj["rng"] and back["best"] == float("inf")
    assert np.isnan(back["nan"])
    for k, v in model.state_dict().items():
        assert back["model"][k].dtype == v.dtype and np.array_equal(back["model"][k].numpy(), v.numpy())
    assert set(back["optimizer"]["state"]) == {0, 1, 2, 3, 4, 5}  # integer keys survive
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)


def test_the_file_is_safetensors_with_the_state_dict_names(tmp_path):
    model = nn.MLP(3, [4], 2)
    tg.save(model.state_dict(), tmp_path / "m.safetensors")
    header, _ = read_safetensors(tmp_path / "m.safetensors")
    assert sorted(k for k in header if k != "__metadata__") == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert header["0.weight"]["dtype"] == "F32" and header["0.weight"]["shape"] == [4, 3]
    assert header["__metadata__"]["format"] == "tinygrad_mlp.checkpoint" and header["__metadata__"]["version"] == "2"


def test_pytorch_loads_our_model_file_and_we_load_pytorchs():
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    import tempfile

    folder = tempfile.mkdtemp()
    ours = nn.MLP(5, [7, 6], 3, activation="tanh")
    tg.save(ours.state_dict(), os.path.join(folder, "ours.safetensors"))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 6), torch.nn.Tanh(),
                                 torch.nn.Linear(6, 3))
    theirs.load_state_dict(st_torch.load_file(os.path.join(folder, "ours.safetensors")))  # strict: every name
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    with tg.no_grad():
        np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)

    torch.manual_seed(3)
    other = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 6), torch.nn.Tanh(),
                                torch.nn.Linear(6, 3))
    st_torch.save_file(other.state_dict(), os.path.join(folder, "theirs.safetensors"))
    fresh = nn.MLP(5, [7, 6], 3, activation="tanh")
    fresh.load_state_dict(tg.load(os.path.join(folder, "theirs.safetensors")))
    for k, v in other.state_dict().items():
        assert np.array_equal(fresh.state_dict()[k].numpy(), v.numpy()), k
    with torch.no_grad():
        expected = other(torch.from_numpy(x)).numpy()
    with tg.no_grad():
        np.testing.assert_allclose(fresh(tg.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_metadata(tmp_path):
    tg.save({"x": tg.ones(1)}, tmp_path / "a.safetensors", metadata={"arch": [3, 4]})
    _, meta = tg.load(tmp_path / "a.safetensors", return_metadata=True)
    assert meta == {"arch": [3, 4]}


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    tg.save({"w": tg.ones(3)}, path)

    class Boom:
        pass

    with pytest.raises(TypeError, match="cannot save an object of type Boom"):
        tg.save({"w": tg.zeros(3), "bad": Boom()}, path)
    assert tg.load(path)["w"].tolist() == [1, 1, 1]  # the old checkpoint is intact
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_stale_temp_files_of_a_killed_writer_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    dead = tmp_path / ".ckpt.safetensors.999999999-abcdef.tmp"  # no such process
    dead.write_bytes(b"half a checkpoint")
    live = tmp_path / f".ckpt.safetensors.{os.getppid()}-abcdef.tmp"  # a running process: still writing
    live.write_bytes(b"in progress")
    tg.save({"w": tg.ones(1)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted([path.name, live.name])
    assert remove_stale_temp_files(path) == []


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    tg.save({"w": tg.ones(1000)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="ckpt.safetensors is not a readable safetensors file"):
        tg.load(path)


def test_corrupted_tensor_fails_checksum(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    tg.save({"w": tg.ones(100)}, path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="tensor 'w' fails its SHA-256 check"):
        tg.load(path)


def test_newer_format_version_and_foreign_files_are_refused(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    tg.save({"w": tg.ones(1)}, path)
    edit_metadata(path, lambda m: m.update(version="99"))
    with pytest.raises(CheckpointError, match="format version 99, this tinygrad_mlp reads versions 1 and 2"):
        tg.load(path)
    np.savez(tmp_path / "plain.npz", w=np.ones(2))
    with pytest.raises(CheckpointError, match="not a tinygrad_mlp checkpoint"):
        tg.load(tmp_path / "plain.npz")
    with pytest.raises(CheckpointError, match="does not exist"):
        tg.load(tmp_path / "missing.safetensors")
    with pytest.raises(CheckpointError, match="is a folder"):
        tg.load(tmp_path)


def test_version_1_npz_files_of_tinygrad_mlp_0_1_are_still_read(tmp_path):
    model = nn.MLP(3, [4], 2)
    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(tg.randn(2, 3)).sum().backward()
    opt.step()
    save_v1({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, tmp_path / "old.npz",
            metadata={"kind": "training-checkpoint"})
    back, meta = tg.load(tmp_path / "old.npz", return_metadata=True)
    assert meta == {"kind": "training-checkpoint"} and back["epoch"] == 3
    for k, v in model.state_dict().items():
        assert np.array_equal(back["model"][k].numpy(), v.numpy())
    fresh = tg.optim.SGD(nn.MLP(3, [4], 2).parameters(), lr=0.1, momentum=0.9)
    fresh.load_state_dict(back["optimizer"])
    assert fresh.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    rewrite_entries(tmp_path / "old.npz", lambda e: e.update({"a0.npy": npy_bytes(np.zeros((4, 3), np.float32))}))
    with pytest.raises(CheckpointError, match="array a0 fails its SHA-256 check|tensor 'a0' fails its SHA-256"):
        tg.load(tmp_path / "old.npz")


class Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_pickle_payload_is_never_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.npz"
    save_v1({"w": tg.ones(2)}, path)
    # an object array: a pickle inside the .npy entry
    rewrite_entries(path, lambda e: e.update({"a0.npy": npy_bytes(np.array([Payload()], dtype=object), True)}))
    with pytest.raises(CheckpointError, match="dtype object, which is never loaded"):
        tg.load(path)
    assert not (tmp_path / "pwned.txt").exists()
    (tmp_path / "raw.pkl").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(CheckpointError):
        tg.load(tmp_path / "raw.pkl")
    assert not (tmp_path / "pwned.txt").exists()
    structure = json.dumps({"__reduce__": "os.system"})
    header = json.dumps({"__metadata__": {"format": "tinygrad_mlp.checkpoint", "version": "2",
                                          "structure": structure, "sha256": "{}", "metadata": "{}",
                                          "header_sha256": _text_digest(structure, "{}")}}).encode()
    (tmp_path / "odd.safetensors").write_bytes(len(header).to_bytes(8, "little") + header)
    with pytest.raises(CheckpointError, match="unknown entry in the structure"):
        tg.load(tmp_path / "odd.safetensors")
    assert not (tmp_path / "pwned.txt").exists()
