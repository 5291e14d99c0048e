"""Folders of labelled PNG images → pixel matrices and CSV files (needs Pillow: extra ``image``)."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("images need Pillow: pip install 'tinygrad_mlp[image]'") from None
    return Image


def load_image_folder(path: str | os.PathLike, size: tuple = (20, 20)) -> tuple:
    """Read ``path/<label>/*.png`` into (X, y, class_names): X holds grey pixels in [0, 1], one row per
    image, resized to ``size`` with area interpolation (each output pixel averages the input pixels it
    covers); y holds class indices in the sorted order of the label folders.
    """
    Image = _pillow()
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"load_image_folder: {root} is not a folder")
    stray = [p.name for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if stray:
        raise ValueError(f"load_image_folder: {root} has unlabelled images at its top level ({stray[:3]}); put each "
                         "image in a sub-folder named after its label")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not classes:
        raise ValueError(f"load_image_folder: {root} has no label sub-folders")
    rows, labels = [], []
    for index, label in enumerate(classes):
        for file in sorted((root / label).iterdir()):
            if file.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                with Image.open(file) as im:
                    grey = im.convert("L").resize((size[1], size[0]), Image.Resampling.BOX)
            except OSError as e:
                raise ValueError(f"load_image_folder: {file} is not a readable image ({e})") from None
            rows.append(np.asarray(grey, dtype=np.float32).reshape(-1) / 255.0)
            labels.append(index)
    if not rows:
        raise ValueError(f"load_image_folder: no images found under {root}")
    return np.stack(rows), np.array(labels, dtype=np.int64), classes


def images_to_csv(path: str | os.PathLike, csv_path: str | os.PathLike, size: tuple = (20, 20),
                  one_hot: bool = True) -> Path:
    """Write a labelled image folder as CSV: pixel columns, then one column per class
    (``is<Label>`` one-hot, as the classic digit experiments use) or a single ``label`` column."""
    X, y, classes = load_image_folder(path, size)
    csv_path = Path(csv_path)
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        pixels = [f"p{i}" for i in range(X.shape[1])]
        w.writerow(pixels + ([f"is{c}" for c in classes] if one_hot else ["label"]))
        for row, label in zip(X, y):
            tail = [1 if i == label else 0 for i in range(len(classes))] if one_hot else [classes[label]]
            w.writerow([f"{v:.6g}" for v in row] + tail)
    return csv_path
