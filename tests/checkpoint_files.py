"""Helpers for tests that tamper with checkpoint files."""

import io
import zipfile

import numpy as np


def rewrite_entries(path, change):
    """Rewrite a checkpoint zip with ``change(entries)`` applied to its {name: bytes}."""
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    change(entries)
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in entries.items():
            zf.writestr(n, d)


def npy_bytes(array, allow_pickle=False):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=allow_pickle)
    return buf.getvalue()
