"""Scalers, label encoding and the train/test split (scikit-learn's conventions)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor


def _array(x: Any) -> tuple[np.ndarray, bool]:
    if isinstance(x, Tensor):
        return x._data, True
    return np.asarray(x), False


def _like(values: np.ndarray, was_tensor: bool) -> Any:
    return Tensor(values) if was_tensor else values


class _Scaler:
    """Fit per-column statistics, then map columns with ``_apply`` (and back with ``_invert``)."""

    def fit_transform(self, X: Any) -> Any:
        return self.fit(X).transform(X)

    def transform(self, X: Any) -> Any:
        self._check_fitted()
        x, t = _array(X)
        self._check_width(x)
        dtype = x.dtype if x.dtype.kind == "f" else np.float32
        return _like(self._apply(x).astype(dtype), t)

    def inverse_transform(self, X: Any) -> Any:
        self._check_fitted()
        x, t = _array(X)
        return _like(self._invert(x).astype(x.dtype), t)

    def _check_fitted(self) -> None:
        if getattr(self, "scale_", None) is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(X) first")

    def _check_width(self, x: np.ndarray) -> None:
        if x.ndim != 2 or x.shape[1] != self.scale_.shape[0]:
            raise ValueError(f"{type(self).__name__} was fitted on {self.scale_.shape[0]} columns, got data of shape "
                             f"{x.shape}")


class StandardScaler(_Scaler):
    """Centre each column and divide by its standard deviation (constant columns: divide by 1).

    >>> StandardScaler().fit_transform(np.array([[1.0, 5.0], [3.0, 5.0]])).tolist()
    [[-1.0, 0.0], [1.0, 0.0]]
    """

    def __init__(self, with_mean: bool = True, with_std: bool = True) -> None:
        self.with_mean, self.with_std = with_mean, with_std
        self.mean_ = self.scale_ = None

    def fit(self, X: Any) -> StandardScaler:
        x, _ = _array(X)
        x = x.astype(np.float64).reshape(len(x), -1)
        self.mean_ = x.mean(axis=0) if self.with_mean else np.zeros(x.shape[1])
        std = x.std(axis=0) if self.with_std else np.ones(x.shape[1])
        self.scale_ = np.where(std == 0, 1.0, std)
        return self

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean_) / self.scale_

    def _invert(self, x: np.ndarray) -> np.ndarray:
        return x * self.scale_ + self.mean_


class MinMaxScaler(_Scaler):
    """Map each column linearly onto ``feature_range`` (constant columns map to its low end)."""

    def __init__(self, feature_range: tuple = (0.0, 1.0)) -> None:
        if feature_range[0] >= feature_range[1]:
            raise ValueError(f"MinMaxScaler: feature_range must be increasing, got {feature_range}")
        self.feature_range = feature_range
        self.min_ = self.scale_ = self.data_min_ = self.data_max_ = None

    def fit(self, X: Any) -> MinMaxScaler:
        x, _ = _array(X)
        x = x.astype(np.float64).reshape(len(x), -1)
        self.data_min_, self.data_max_ = x.min(axis=0), x.max(axis=0)
        data_range = self.data_max_ - self.data_min_
        data_range = np.where(data_range == 0, 1.0, data_range)
        lo, hi = self.feature_range
        self.scale_ = (hi - lo) / data_range
        self.min_ = lo - self.data_min_ * self.scale_
        return self

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return x * self.scale_ + self.min_

    def _invert(self, x: np.ndarray) -> np.ndarray:
        return (x - self.min_) / self.scale_


class LabelEncoder:
    """Map labels (strings or numbers) to 0..n_classes-1, in sorted order.

    >>> enc = LabelEncoder().fit(["cat", "dog", "cat"])
    >>> enc.transform(["dog", "cat"]).tolist(), enc.inverse_transform([1]).tolist()
    ([1, 0], ['dog'])
    """

    def __init__(self) -> None:
        self.classes_ = None

    def fit(self, y: Any) -> LabelEncoder:
        self.classes_ = np.unique(np.asarray(y))
        return self

    def fit_transform(self, y: Any) -> np.ndarray:
        return self.fit(y).transform(y)

    def transform(self, y: Any) -> np.ndarray:
        if self.classes_ is None:
            raise RuntimeError("LabelEncoder is not fitted yet: call fit(y) first")
        y = np.asarray(y)
        idx = np.searchsorted(self.classes_, y)
        unknown = (idx >= len(self.classes_)) | (self.classes_[np.minimum(idx, len(self.classes_) - 1)] != y)
        if unknown.any():
            raise ValueError(f"LabelEncoder: unseen label(s) {sorted(set(y[unknown].tolist()))[:5]}; "
                             f"known: {self.classes_.tolist()}")
        return idx.astype(np.int64)

    def inverse_transform(self, idx: Any) -> np.ndarray:
        return self.classes_[np.asarray(idx)]


def one_hot(y: Any, num_classes: int | None = None, dtype: Any = np.float32) -> np.ndarray:
    """Class indices to a one-hot matrix (float32 by default, ready as probability targets)."""
    y, _ = _array(y)
    if y.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {y.dtype}")
    n = int(y.max()) + 1 if num_classes is None else num_classes
    if y.size and (y.min() < 0 or y.max() >= n):
        raise ValueError(f"one_hot: labels must be in [0, {n}), got min {y.min()} max {y.max()}")
    return np.eye(n, dtype=dtype)[y]


def _split_sizes(n: int, test_size: Any, train_size: Any) -> tuple[int, int]:
    if test_size is None and train_size is None:
        test_size = 0.25
    for name, v in (("test_size", test_size), ("train_size", train_size)):
        if isinstance(v, float) and not 0 < v < 1:
            raise ValueError(f"train_test_split: {name}={v} should be a float in (0, 1) or an int")
        if isinstance(v, int) and not 0 < v < n:
            raise ValueError(f"train_test_split: {name}={v} should be between 1 and {n - 1} for {n} samples")
    n_test = math.ceil(test_size * n) if isinstance(test_size, float) else test_size
    n_train = math.floor(train_size * n) if isinstance(train_size, float) else train_size
    if n_train is None:
        n_train = n - n_test
    elif n_test is None:
        n_test = n - n_train
    if n_train + n_test > n or n_train == 0:
        raise ValueError(f"train_test_split: train_size={n_train} and test_size={n_test} do not fit {n} samples")
    return int(n_train), int(n_test)


def train_test_split(*arrays: Any, test_size: Any = None, train_size: Any = None, random_state: int | None = None,
                     shuffle: bool = True, stratify: Any = None) -> list:
    """Split arrays into train and test rows: ``X_train, X_test, y_train, y_test = ...``.

    With ``random_state`` and no ``stratify`` the split is exactly scikit-learn's (same
    permutation), so results can be compared row for row. ``stratify`` keeps class proportions.
    """
    if not arrays:
        raise ValueError("train_test_split: at least one array is required")
    data = [_array(a) for a in arrays]
    n = len(data[0][0])
    for i, (a, _) in enumerate(data):
        if len(a) != n:
            raise ValueError(f"train_test_split: array 0 has {n} rows but array {i} has {len(a)}")
    n_train, n_test = _split_sizes(n, test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise ValueError("train_test_split: stratify needs shuffle=True")
        train_idx, test_idx = np.arange(n_train), np.arange(n_train, n_train + n_test)
    else:
        rs = np.random.RandomState(random_state) if random_state is not None else None
        if rs is None:
            from ..rng import get_rng

            seed = int(get_rng().integers(0, 2 ** 31 - 1))
            rs = np.random.RandomState(seed)
        if stratify is None:
            perm = rs.permutation(n)
            test_idx, train_idx = perm[:n_test], perm[n_test:n_test + n_train]
        else:
            train_idx, test_idx = _stratified(np.asarray(_array(stratify)[0]), n_train, n_test, rs)
    out = []
    for a, was_tensor in data:
        out += [_like(a[train_idx], was_tensor), _like(a[test_idx], was_tensor)]
    return out


def _stratified(y: np.ndarray, n_train: int, n_test: int, rs: np.random.RandomState) -> tuple:
    """Per-class test counts proportional to class sizes (largest remainders), rows shuffled."""
    classes, y_idx = np.unique(y, return_inverse=True)
    counts = np.bincount(y_idx)
    if counts.min() < 2:
        raise ValueError("train_test_split: the least populated class in stratify has only 1 member")
    exact = counts * n_test / len(y)
    test_counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - test_counts), kind="stable")[: n_test - test_counts.sum()]:
        test_counts[i] += 1
    train_idx, test_idx = [], []
    for c in range(len(classes)):
        rows = rs.permutation(np.flatnonzero(y_idx == c))
        test_idx.append(rows[: test_counts[c]])
        train_idx.append(rows[test_counts[c]:])
    train_all = rs.permutation(np.concatenate(train_idx))[:n_train]
    return train_all, rs.permutation(np.concatenate(test_idx))
