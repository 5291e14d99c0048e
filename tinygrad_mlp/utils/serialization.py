"""``tg.save`` / ``tg.load``: nested dicts of tensors in a pickle-free, checksummed file.

The file is a zip (numpy's .npz) holding each array as a plain ``.npy`` entry and a JSON
header with the structure, a format version and a SHA-256 of every array. It is written to a
temporary file, fsynced and renamed over the target, so a crash never leaves half a checkpoint;
it is read with ``allow_pickle=False``, so loading can never run code.

>>> import os, tempfile, tinygrad_mlp as tg
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
>>> tg.save({"w": tg.ones(2), "step": 3}, path)
>>> tg.load(path)
{'w': tensor([1., 1.]), 'step': 3}
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from ..tensor import Tensor

FORMAT = "tinygrad_mlp.checkpoint"
VERSION = 1
HEADER = "__header__.json"


class CheckpointError(ValueError):
    """A checkpoint file that cannot be trusted: truncated, corrupted, foreign or too new."""


def _contiguous(a: np.ndarray) -> np.ndarray:
    return a if a.flags.c_contiguous else a.copy()  # (np.ascontiguousarray turns 0-d into 1-d)


def _encode(obj: Any, arrays: dict) -> Any:
    if isinstance(obj, Tensor):
        key = f"a{len(arrays)}"
        arrays[key] = _contiguous(obj._data)
        return {"__tensor__": key, "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biufc":
            raise TypeError(f"save: arrays of dtype {obj.dtype} cannot be saved without pickle")
        key = f"a{len(arrays)}"
        arrays[key] = _contiguous(obj)
        return {"__ndarray__": key}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"save: cannot save an object of type {type(obj).__name__} (only tensors, arrays, dicts, "
                    "lists, tuples, numbers, strings and None; no pickle)")


def _decode(obj: Any, arrays: dict) -> Any:
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            t = Tensor(arrays[obj["__tensor__"]])
            if obj.get("requires_grad"):
                t.requires_grad_(True)
            return t
        if "__ndarray__" in obj:
            return arrays[obj["__ndarray__"]]
        if "__dict__" in obj:
            return {_decode(k, arrays): _decode(v, arrays) for k, v in obj["__dict__"]}
        if "__tuple__" in obj:
            return tuple(_decode(v, arrays) for v in obj["__tuple__"])
        raise CheckpointError(f"load: unknown entry in the checkpoint structure: {sorted(obj)}")
    return obj


def _digest(a: np.ndarray) -> str:
    return hashlib.sha256(_contiguous(a).tobytes()).hexdigest()


def save(obj: Any, path: str | os.PathLike, metadata: dict | None = None) -> None:
    """Write obj (a state_dict, or any nesting of dicts/lists of tensors and plain values) atomically."""
    arrays: dict = {}
    structure = _encode(obj, arrays)
    header = {"format": FORMAT, "version": VERSION, "structure": structure, "metadata": metadata or {},
              "sha256": {k: _digest(a) for k, a in arrays.items()}}
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
                zf.writestr(HEADER, json.dumps(header))
                for key, a in arrays.items():
                    buf = io.BytesIO()
                    np.save(buf, a, allow_pickle=False)
                    zf.writestr(key + ".npy", buf.getvalue())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str | os.PathLike, return_metadata: bool = False) -> Any:
    """Read a file written by `save`, verifying format, version and checksums; never unpickles."""
    path = os.fspath(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if HEADER not in names:
                raise CheckpointError(f"load: {path} is not a tinygrad_mlp checkpoint (no {HEADER})")
            header = json.loads(zf.read(HEADER))
            if header.get("format") != FORMAT:
                raise CheckpointError(f"load: {path} has format {header.get('format')!r}, expected {FORMAT!r}")
            if not isinstance(header.get("version"), int) or header["version"] > VERSION:
                raise CheckpointError(f"load: {path} has format version {header.get('version')}, this "
                                      f"tinygrad_mlp reads versions up to {VERSION}: upgrade tinygrad_mlp")
            arrays = {}
            for key, digest in header["sha256"].items():
                with zf.open(key + ".npy") as f:
                    a = np.load(io.BytesIO(f.read()), allow_pickle=False)
                if _digest(a) != digest:
                    raise CheckpointError(f"load: {path} is corrupted: array {key} fails its SHA-256 check")
                arrays[key] = a
    except FileNotFoundError:
        raise
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, json.JSONDecodeError, KeyError, ValueError, OSError, EOFError) as e:
        raise CheckpointError(f"load: {path} is truncated or corrupted and cannot be read ({type(e).__name__}: "
                              f"{e})") from None
    obj = _decode(header["structure"], arrays)
    return (obj, header.get("metadata", {})) if return_metadata else obj
