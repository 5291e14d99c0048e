"""``tg.save`` / ``tg.load``: nested dicts of tensors in safetensors files, pickle-free and checksummed.

``save`` writes one `safetensors <https://github.com/huggingface/safetensors>`_ file: every tensor
or array is a safetensors tensor, and the file's string metadata holds the JSON structure around
them (dicts, lists, tuples, numbers, strings, None), a format version and a SHA-256 of every
tensor. A flat ``state_dict`` keeps its names (``0.weight`` ...), so ``tg.save(model.state_dict(),
"model.safetensors")`` is read by ``safetensors.torch.load_file`` into the matching PyTorch model,
and ``tg.load`` reads a safetensors file written by PyTorch (a flat dict of tensors).

Files are written to a temporary file beside the target, fsynced and renamed over it, so a crash
never leaves half a file; temporary files left by a killed process are removed by the next save
to the same path (or `remove_stale_temp_files`).

Loading never surprises: every failure — missing, truncated, corrupted, foreign, too new, hostile
— raises `CheckpointError` (a ValueError) naming the file and what is wrong; memory is bounded by
the file's size (declared shapes are checked against the bytes present before anything is
allocated). Files of format version 1 (the ``.npz`` zip written by tinygrad_mlp 0.1) are still read,
with the same checks.

>>> import os, tempfile, tinygrad_mlp as tg
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
>>> tg.save({"w": tg.ones(2), "step": 3}, path)
>>> tg.load(path)
{'w': tensor([1., 1.]), 'step': 3}
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..device import device
from ..tensor import Tensor

FORMAT = "tinygrad_mlp.checkpoint"
VERSION = 2  # 2: safetensors (tinygrad_mlp >= 0.2); 1: the .npz zip of tinygrad_mlp 0.1, still read
LEGACY_VERSION = 1
HEADER = "__header__.json"  # the JSON entry of a version-1 .npz file
MAX_DEPTH = 100  # nesting of the saved structure; deeper is refused rather than recursed into
_SAVEABLE_KINDS = "biufc"
_PLAIN = (int, bool, str)


class CheckpointError(ValueError):
    """A file that cannot be trusted: missing, truncated, corrupted, foreign, too new or hostile.

    The one exception `load` raises for a bad file; its message names the file and the problem."""


# --- writing ------------------------------------------------------------------------------------------------


def _contiguous(a: np.ndarray) -> np.ndarray:
    return a if a.flags.c_contiguous else a.copy()  # (np.ascontiguousarray turns 0-d into 1-d)


def _name_for(path: tuple, arrays: dict) -> str:
    name = ".".join(str(p) for p in path)
    if not name or name in arrays or name.startswith("__"):
        name = f"__t{len(arrays)}"
        while name in arrays:
            name += "_"
    return name


def _encode(obj: Any, arrays: dict, path: tuple = ()) -> Any:
    if isinstance(obj, Tensor | np.ndarray):
        a = obj.detach().numpy() if isinstance(obj, Tensor) else obj
        if a.dtype.kind not in _SAVEABLE_KINDS:
            raise TypeError(f"save: arrays of dtype {a.dtype} cannot be saved without pickle")
        name = _name_for(path, arrays)
        arrays[name] = _contiguous(a)
        if isinstance(obj, Tensor):
            return {"__tensor__": name, "requires_grad": obj.requires_grad}
        return {"__ndarray__": name}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, arrays, path), _encode(v, arrays, (*path, k))] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays, (*path, i)) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        if all(v is None or type(v) in _PLAIN or (type(v) is float and math.isfinite(v)) for v in obj):
            return list(obj)  # (a generator's 624-word key, a history column: no walk per element)
        return [_encode(v, arrays, (*path, i)) for i, v in enumerate(obj)]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"__float__": repr(obj)}  # JSON has no NaN/inf
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"save: cannot save an object of type {type(obj).__name__} (only tensors, arrays, dicts, "
                    "lists, tuples, numbers, strings and None; no pickle)")


def _digest(a: np.ndarray) -> str:
    return hashlib.sha256(_contiguous(a).tobytes()).hexdigest()


def _text_digest(structure: str, metadata: str) -> str:
    """The SHA-256 of the structure and metadata texts: a changed number in them is caught too."""
    return hashlib.sha256(structure.encode() + b"\0" + metadata.encode()).hexdigest()


def _temp_pattern(target: Path) -> str:
    return f".{target.name}.*.tmp"


def remove_stale_temp_files(path: str | os.PathLike) -> list:
    """Delete temporary files that a killed writer of ``path`` left beside it; returns their names.

    A temporary file is named ``.NAME.PID-RANDOM.tmp``; it is stale when process PID is gone."""
    target = Path(path)
    removed = []
    if not target.parent.is_dir():
        return removed
    for tmp in target.parent.glob(_temp_pattern(target)):
        m = re.fullmatch(re.escape(f".{target.name}.") + r"(\d+)-[0-9a-f]+\.tmp", tmp.name)
        if m is None:
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or not _alive(pid):
            try:
                tmp.unlink()
                removed.append(tmp.name)
            except FileNotFoundError:
                pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it: fsync, rename, fsync the folder."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(target)
    tmp = target.parent / f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    try:
        fd = os.open(target.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def _check_map_location(where: Any) -> None:
    """Tensors are saved and loaded on the CPU: a map_location that keeps them there is fine; one that moves
    them to CUDA gets torch's error on a machine without it; any other place, torch's error for an unknown one."""
    if where is None or (callable(where) and not isinstance(where, str | device)):
        return
    if isinstance(where, dict):
        where = where.get("cpu", "cpu")
    kind = str(where).partition(":")[0]
    if kind == "cpu":
        return
    if kind in ("cuda", "mps", "xpu", "hpu", "xla", "privateuseone") or isinstance(where, device):
        raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
                           "If you are running on a CPU-only machine, please use torch.load with "
                           "map_location=torch.device('cpu') to map your storages to the CPU.")
    raise RuntimeError(f"load: map_location={where!r}: don't know how to restore data to that location "
                       "(tensors live on the CPU here)")


def save(obj: Any, path: str | os.PathLike | Any, metadata: dict | None = None) -> None:
    """Write obj (a state_dict, or any nesting of dicts/lists of tensors and plain values) atomically
    as a safetensors file (or into a file object such as ``io.BytesIO``, as torch.save). ``metadata``: a
    JSON-serialisable dict, returned by ``load(..., return_metadata=True)``."""
    from safetensors.numpy import save as st_save

    arrays: dict = {}
    structure = _encode(obj, arrays)
    try:
        user = json.dumps(metadata or {}, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"save: metadata must be JSON-serialisable ({e})") from None
    text = json.dumps(structure)
    header = {"format": FORMAT, "version": str(VERSION), "structure": text,
              "sha256": json.dumps({k: _digest(a) for k, a in arrays.items()}), "metadata": user,
              "header_sha256": _text_digest(text, user)}
    data = st_save(arrays, metadata=header)
    if hasattr(path, "write"):  # a file object (io.BytesIO, an open file), as torch.save takes
        path.write(data)
        return
    atomic_write_bytes(path, data)


# --- reading ------------------------------------------------------------------------------------------------


def _json(text: Any, path: str, what: str) -> Any:
    if not isinstance(text, str | bytes):
        raise CheckpointError(f"load: {path}: {what} is missing")
    try:
        return json.loads(text)
    except RecursionError:
        raise CheckpointError(f"load: {path}: {what} is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(f"load: {path}: {what} is not valid JSON ({e})") from None


def _check_version(version: Any, path: str, legacy: bool) -> None:
    if legacy:
        ok = type(version) is int and version == LEGACY_VERSION
    else:
        ok = isinstance(version, str) and version.isdigit() and version.isascii() and int(version) == VERSION
    if ok:
        return
    number = int(version) if isinstance(version, str) and version.isdigit() and version.isascii() else version
    if type(number) is int and number > VERSION:
        raise CheckpointError(f"load: {path} has format version {number}, this tinygrad_mlp reads versions "
                              f"{LEGACY_VERSION} and {VERSION}: upgrade tinygrad_mlp")
    raise CheckpointError(f"load: {path} has an invalid format version {version!r} (expected "
                          f"{LEGACY_VERSION if legacy else VERSION})")


def _decode(obj: Any, arrays: dict, used: set, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise CheckpointError(f"the structure is nested more than {MAX_DEPTH} levels deep")
    if isinstance(obj, list):
        if not any(isinstance(v, list | dict) for v in obj):
            return obj  # plain values only
        return [_decode(v, arrays, used, depth + 1) for v in obj]
    if isinstance(obj, dict):
        if len(obj) == 1 and "__float__" in obj and obj["__float__"] in ("nan", "inf", "-inf"):
            return float(obj["__float__"])
        for kind in ("__tensor__", "__ndarray__"):
            if kind in obj:
                name = obj[kind]
                if not isinstance(name, str) or name not in arrays:
                    raise CheckpointError(f"the structure names tensor {name!r}, which the file does not hold")
                used.add(name)
                if kind == "__ndarray__":
                    return arrays[name]
                t = Tensor(arrays[name])
                if obj.get("requires_grad") is True and t.dtype.kind == "f":
                    t.requires_grad_(True)
                return t
        if "__dict__" in obj:
            pairs = obj["__dict__"]
            if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
                raise CheckpointError("a __dict__ entry of the structure is not a list of [key, value] pairs")
            out = {}
            for k, v in pairs:
                key = _decode(k, arrays, used, depth + 1)
                if not isinstance(key, str | int | float | bool | tuple) and key is not None:
                    raise CheckpointError(f"a dict key of the structure has type {type(key).__name__}")
                out[key] = _decode(v, arrays, used, depth + 1)
            return out
        if "__tuple__" in obj and isinstance(obj["__tuple__"], list):
            return tuple(_decode(v, arrays, used, depth + 1) for v in obj["__tuple__"])
        raise CheckpointError(f"unknown entry in the structure: {sorted(map(str, obj))[:5]}")
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise CheckpointError(f"unexpected {type(obj).__name__} in the structure")  # pragma: no cover


def _assemble(path: str, structure: Any, arrays: dict, digests: Any) -> Any:
    if not isinstance(digests, dict) or set(digests) != set(arrays):
        raise CheckpointError(f"load: {path}: the checksum table does not list exactly the tensors in the file")
    for name, digest in digests.items():
        if _digest(arrays[name]) != digest:
            raise CheckpointError(f"load: {path} is corrupted: tensor {name!r} fails its SHA-256 check")
    used: set = set()
    try:
        obj = _decode(structure, arrays, used)
    except CheckpointError as e:
        raise CheckpointError(f"load: {path}: {e}") from None
    except RecursionError:
        raise CheckpointError(f"load: {path}: the structure is nested too deeply") from None
    return obj


def _writable(a: np.ndarray) -> np.ndarray:
    return a if a.flags.writeable and a.flags.owndata else a.copy()


def _load_safetensors(path: str) -> tuple:
    from safetensors import safe_open

    try:
        with safe_open(path, framework="np") as f:
            header = f.metadata() or {}
            arrays = {name: _writable(f.get_tensor(name)) for name in f.keys()}  # noqa: SIM118
    except Exception as e:  # the reader's errors (SafetensorError, unsupported dtypes ...) all mean "bad file"
        raise CheckpointError(f"load: {path} is not a readable safetensors file, or is truncated or corrupted "
                              f"({type(e).__name__}: {e})") from None
    for name, a in arrays.items():
        if a.dtype.kind not in _SAVEABLE_KINDS:
            raise CheckpointError(f"load: {path}: tensor {name!r} has unsupported dtype {a.dtype}")
    if header.get("format") != FORMAT:  # a plain safetensors file (e.g. from PyTorch): a flat dict of tensors
        return {name: Tensor(a) for name, a in arrays.items()}, {k: v for k, v in header.items()}
    _check_version(header.get("version"), path, legacy=False)
    if header.get("header_sha256") != _text_digest(str(header.get("structure")), str(header.get("metadata", "{}"))):
        raise CheckpointError(f"load: {path} is corrupted: its structure or metadata fails its SHA-256 check")
    structure = _json(header.get("structure"), path, "the structure")
    metadata = _json(header.get("metadata", "{}"), path, "the metadata")
    if not isinstance(metadata, dict):
        raise CheckpointError(f"load: {path}: the metadata is a {type(metadata).__name__}, not a dict")
    digests = _json(header.get("sha256"), path, "the checksum table")
    return _assemble(path, structure, arrays, digests), metadata


def _npy_array(raw: bytes, path: str, entry: str) -> np.ndarray:
    """An array from the bytes of a .npy entry, its declared size checked before anything is allocated."""
    fmt = np.lib.format
    buf = io.BytesIO(raw)
    try:
        version = fmt.read_magic(buf)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(buf)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(buf)
        else:
            raise ValueError(f"npy format version {version} is not one tinygrad_mlp wrote")
    except (ValueError, SyntaxError, TypeError, OverflowError, EOFError) as e:
        raise CheckpointError(f"load: {path}: entry {entry} is not a valid .npy array ({e})") from None
    if dtype.hasobject or dtype.kind not in _SAVEABLE_KINDS:
        raise CheckpointError(f"load: {path}: entry {entry} has dtype {dtype}, which is never loaded (no pickle)")
    count = math.prod(int(s) for s in shape)
    present = len(raw) - buf.tell()
    if count * dtype.itemsize != present:
        raise CheckpointError(f"load: {path}: entry {entry} declares shape {tuple(shape)} ({count * dtype.itemsize} "
                              f"bytes) but holds {present} bytes")
    a = np.frombuffer(raw, dtype=dtype, count=count, offset=buf.tell())
    return a.reshape(shape, order="F" if fortran else "C").copy()


def _load_legacy(path: str, size: int) -> tuple:
    """A version-1 file: a zip of uncompressed .npy entries and a JSON header."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            for info in infos.values():
                if info.compress_type != zipfile.ZIP_STORED:
                    raise CheckpointError(f"load: {path}: entry {info.filename} is compressed (method "
                                          f"{info.compress_type}); tinygrad_mlp files store entries uncompressed")
                if info.file_size > size:
                    raise CheckpointError(f"load: {path}: entry {info.filename} declares {info.file_size} bytes, "
                                          f"more than the file's {size}")
            if HEADER not in infos:
                raise CheckpointError(f"load: {path} is not a tinygrad_mlp checkpoint (no {HEADER})")
            header = _json(zf.read(HEADER), path, "the header")
            if not isinstance(header, dict):
                raise CheckpointError(f"load: {path}: the header is a {type(header).__name__}, not a dict")
            if header.get("format") != FORMAT:
                raise CheckpointError(f"load: {path} has format {header.get('format')!r}, expected {FORMAT!r}")
            _check_version(header.get("version"), path, legacy=True)
            digests = header.get("sha256")
            if not isinstance(digests, dict):
                raise CheckpointError(f"load: {path}: the header has no checksum table")
            arrays = {}
            for key in digests:
                entry = f"{key}.npy"
                if entry not in infos:
                    raise CheckpointError(f"load: {path}: array {key} is listed but its entry {entry} is missing")
                arrays[key] = _npy_array(zf.read(entry), path, entry)
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
            KeyError) as e:
        raise CheckpointError(f"load: {path} is truncated or corrupted and cannot be read ({type(e).__name__}: "
                              f"{e})") from None
    metadata = header.get("metadata", {})
    if not isinstance(metadata, dict):
        raise CheckpointError(f"load: {path}: the metadata is a {type(metadata).__name__}, not a dict")
    return _assemble(path, header.get("structure"), arrays, digests), metadata


def load(path: str | os.PathLike, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None, return_metadata: bool = False,
         **pickle_load_args: Any) -> Any:
    """Read a file written by `save` (or any safetensors file), verifying format, version and checksums;
    never unpickles. Raises `CheckpointError` naming the file and the problem.

    torch.load's arguments are taken so its calls run unchanged: ``map_location`` may be anything that
    keeps tensors on the CPU (``"cpu"``, ``tg.device("cpu")``, a dict or a function); a CUDA device is
    refused with torch's error. ``weights_only`` and ``mmap`` change nothing (nothing is unpickled; the
    file is read whole), nor do pickle's own arguments (``encoding=...``); a ``pickle_module`` is refused.

    >>> import tinygrad_mlp as tg, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "w.pt"); tg.save({"w": tg.ones(2)}, path)
    >>> tg.load(path, map_location="cpu", weights_only=True)["w"]
    tensor([1., 1.])
    """
    _check_map_location(map_location)
    if pickle_module is not None:
        raise ValueError("load: pickle_module is not used: tinygrad_mlp never unpickles a file")
    unknown = set(pickle_load_args) - {"encoding", "errors", "fix_imports"}
    if unknown:
        raise TypeError(f"load() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    if hasattr(path, "read"):  # a file object: its bytes go through the same checks, from a private copy
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            copy = os.path.join(folder, "from-a-file-object")
            with open(copy, "wb") as out:
                out.write(path.read())
            try:
                return load(copy, return_metadata=return_metadata)
            except CheckpointError as e:  # named as the caller knows it
                where = f"the file object {getattr(path, 'name', type(path).__name__)!r}"
                raise CheckpointError(str(e).replace(copy, where)) from None
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            magic = f.read(4)
    except FileNotFoundError:
        raise CheckpointError(f"load: {path} does not exist") from None
    except IsADirectoryError:
        raise CheckpointError(f"load: {path} is a folder, not a file") from None
    except OSError as e:
        raise CheckpointError(f"load: {path} cannot be read ({e.strerror or e})") from None
    if os.path.isdir(path):
        raise CheckpointError(f"load: {path} is a folder, not a file")
    if magic in (b"PK\x03\x04", b"PK\x05\x06"):  # a zip (an empty one starts with its end record)
        obj, metadata = _load_legacy(path, size)
    else:
        obj, metadata = _load_safetensors(path)
    return (obj, metadata) if return_metadata else obj
