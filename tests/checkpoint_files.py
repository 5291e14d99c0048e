"""Helpers for tests that craft and tamper with checkpoint files: safetensors (the format written
now) and the version-1 ``.npz`` zip of tinygrad_mlp 0.1 (still read)."""

import hashlib
import io
import json
import struct
import zipfile

import numpy as np

import tinygrad_mlp as tg

# --- safetensors ----------------------------------------------------------------------------------


def read_safetensors(path):
    """(header dict, data bytes) of a safetensors file."""
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def write_safetensors(path, header, data, pad=True):
    """Write a safetensors file from a header dict and the data bytes (header padded to 8 bytes)."""
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + data)


def edit_metadata(path, change):
    """Apply ``change(metadata)`` to the string metadata of a safetensors file."""
    header, data = read_safetensors(path)
    meta = header.setdefault("__metadata__", {})
    change(meta)
    write_safetensors(path, header, data)


# --- the version-1 .npz format ----------------------------------------------------------------------


def rewrite_entries(path, change, compression=zipfile.ZIP_STORED):
    """Rewrite a checkpoint zip with ``change(entries)`` applied to its {name: bytes}."""
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    change(entries)
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for n, d in entries.items():
            zf.writestr(n, d)


def npy_bytes(array, allow_pickle=False):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=allow_pickle)
    return buf.getvalue()


def _encode_v1(obj, arrays):
    if isinstance(obj, tg.Tensor | np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = np.array(obj.numpy() if isinstance(obj, tg.Tensor) else obj)
        return {"__tensor__": key, "requires_grad": False} if isinstance(obj, tg.Tensor) else {"__ndarray__": key}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode_v1(k, arrays), _encode_v1(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode_v1(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_encode_v1(v, arrays) for v in obj]
    return obj


def save_v1(obj, path, metadata=None):
    """A file exactly as tinygrad_mlp 0.1 wrote it: a zip of .npy entries and a JSON header."""
    arrays = {}
    structure = _encode_v1(obj, arrays)
    header = {"format": "tinygrad_mlp.checkpoint", "version": 1, "structure": structure, "metadata": metadata or {},
              "sha256": {k: hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest() for k, a in arrays.items()}}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("__header__.json", json.dumps(header))
        for key, a in arrays.items():
            zf.writestr(key + ".npy", npy_bytes(a))


def v1_header(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("__header__.json"))


def set_v1_header(path, header_bytes):
    rewrite_entries(path, lambda e: e.update({"__header__.json": header_bytes}))
