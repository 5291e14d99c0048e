"""The engine's global switches, in one small module that `Function` and `Tensor` both import:
the default float dtype, grad mode (`no_grad`), anomaly mode (`detect_anomaly`) and the version clock
that catches in-place edits of arrays a backward still needs.

>>> import tinygrad_mlp as tg
>>> with tg.no_grad():
...     tg.is_grad_enabled()
False
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

import numpy as np

from . import dtypes

# --- the default float dtype --------------------------------------------------------------------

_default_dtype = [np.dtype(np.float32)]  # a numpy dtype: what the engine computes with


def set_default_dtype(d: Any) -> None:
    """Set the float dtype new tensors get from Python numbers (float32 unless changed).

    >>> import tinygrad_mlp as tg
    >>> tg.set_default_dtype(tg.float64); tg.tensor(1.0).dtype
    tinygrad_mlp.float64
    >>> tg.set_default_dtype(tg.float32)
    """
    dt = dtypes.to_numpy(d)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dtypes.of(dt)}")
    _default_dtype[0] = dt


def get_default_dtype() -> dtypes.dtype:
    """The float dtype of tensors made from Python floats (``tg.float32`` unless changed)."""
    return dtypes.of(_default_dtype[0])


def default_dtype() -> np.dtype:
    """`get_default_dtype` as the numpy dtype, for the engine."""
    return _default_dtype[0]


# --- grad and anomaly mode, per thread ----------------------------------------------------------


class _Mode(threading.local):
    grad_enabled = True
    anomaly = False
    inference = False  # inside inference_mode() (only is_inference_mode_enabled reads it)


mode = _Mode()
anomaly_threads = [0]  # how many threads are inside detect_anomaly: ops skip the check while it is 0


class _GradMode:
    """Context manager and decorator that sets whether ops are recorded (``@tg.no_grad()``, or bare:
    ``@tg.no_grad``, as torch allows)."""

    enabled: bool

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], bool | int):
            return cls()(args[0])  # used as a bare decorator
        return super().__new__(cls)

    def __enter__(self) -> None:
        self._prev = mode.grad_enabled
        mode.grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        mode.grad_enabled = self._prev

    def __call__(self, fn):
        template = self  # each call enters a copy of this very mode (its flag, inference_mode's too)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            context = copy.copy(template)
            _GradMode.__enter__(context)
            context._enter_more()
            try:
                return fn(*args, **kwargs)
            finally:
                context.__exit__(None, None, None)

        return wrapper

    def _enter_more(self) -> None:
        """What a subclass's ``__enter__`` adds to setting the grad mode (inference_mode: its flag)."""


class no_grad(_GradMode):  # noqa: N801 - torch's name
    """Record nothing inside: for evaluation and for updating weights.

    >>> import tinygrad_mlp as tg
    >>> x = tg.ones(2, requires_grad=True)
    >>> with tg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    enabled = False


class enable_grad(_GradMode):  # noqa: N801
    """Record ops again, even inside ``no_grad``."""

    enabled = True


class inference_mode(_GradMode):  # noqa: N801 - torch's name
    """torch's faster ``no_grad`` for evaluation; here the same thing (``inference_mode(False)`` records
    again, as torch's does). A context manager and a decorator.

    >>> import tinygrad_mlp as tg
    >>> @tg.inference_mode()
    ... def predict(x):
    ...     return x * 2
    >>> predict(tg.ones(2, requires_grad=True)).requires_grad
    False
    """

    def __init__(self, mode: bool = True) -> None:
        self.enabled = not mode

    def __enter__(self) -> None:
        super().__enter__()
        self._enter_more()

    def _enter_more(self) -> None:
        self._prev_inference, mode.inference = mode.inference, not self.enabled

    def __exit__(self, *exc: object) -> None:
        mode.inference = self._prev_inference
        super().__exit__(*exc)


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (not inside ``no_grad``), as torch."""
    return mode.inference


class set_grad_enabled(_GradMode):  # noqa: N801
    """``with tg.set_grad_enabled(False): ...`` — grad mode from a flag (also works as a plain call)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = bool(enabled)
        self._prev = mode.grad_enabled
        mode.grad_enabled = self.enabled

    def __enter__(self) -> None:
        pass

    def __call__(self, fn):
        mode.grad_enabled = self._prev  # as a decorator it sets the mode only while fn runs, as torch
        return super().__call__(fn)


def is_grad_enabled() -> bool:
    return mode.grad_enabled


class detect_anomaly:  # noqa: N801
    """Raise at the first op whose forward output or backward gradient holds NaN or inf.

    The error names the op and shows where in your code it was created.

    >>> import tinygrad_mlp as tg
    >>> with tg.detect_anomaly():
    ...     tg.tensor(-1.0).log()
    Traceback (most recent call last):
    ...
    FloatingPointError: detect_anomaly: LogBackward0 produced nan in its forward output ...
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        self._prev = mode.anomaly
        mode.anomaly = self.enabled
        anomaly_threads[0] += 1
        self._np = np.seterr(invalid="ignore", divide="ignore", over="ignore")

    def __exit__(self, *exc: object) -> None:
        mode.anomaly = self._prev
        anomaly_threads[0] -= 1
        np.seterr(**self._np)


def is_anomaly_enabled() -> bool:
    return mode.anomaly


# --- the version clock ---------------------------------------------------------------------------
# Every in-place change stamps the tensor with a new tick; every recorded op remembers the tick of
# its forward. Backward compares the two, and refuses to use an array changed after it was saved.

clock = [0]


def tick() -> int:
    """A new, larger time on the version clock."""
    clock[0] += 1
    return clock[0]


def modify_in_place(*tensors: Any) -> list:
    """The one way to change tensors' data in place (in-place methods, optimizers, init and
    load_state_dict all use it): returns their arrays to write into, and stamps every tensor with one
    new version, so that a backward through a graph recorded before the change is refused instead of
    silently using the new values.

    >>> import tinygrad_mlp as tg
    >>> w = tg.ones(2, requires_grad=True)
    >>> (arr,) = tg.state.modify_in_place(w); arr *= 3; w
    tensor([3., 3.], requires_grad=True)
    """
    stamp = tick()
    arrays = []
    for t in tensors:
        t._version = stamp
        arrays.append(t._data)
    return arrays


def parameters_to_update(params: Any) -> tuple:
    """For an optimizer step: those of ``params`` that have a gradient, their arrays to change in place
    (stamped with one new version, as `modify_in_place` does) and their gradients' arrays."""
    stamp = clock[0] + 1
    kept, arrays, grads = [], [], []
    for p in params:
        grad = p._grad
        if grad is not None:
            p._version = stamp
            kept.append(p)
            arrays.append(p._data)
            grads.append(grad._data)
    if kept:
        clock[0] = stamp
    return kept, arrays, grads


def drop_grads(params: Any) -> None:
    """``p.grad = None`` for each of ``params`` (what zero_grad does on every step, without the setter's checks)."""
    for p in params:
        p._grad = None


def as_recorded(tensor: Any, stamp: int) -> Any:
    """The tensor as a node recorded at time ``stamp`` saw it. A recorded in-place op gives a tensor a new
    value and grad_fn, and leaves the old one behind in ``_previous`` as (the op's time, old tensor), so
    that nodes recorded before it still differentiate through the value they used (as torch's)."""
    previous = getattr(tensor, "_previous", None)
    while previous is not None and previous[0] > stamp:
        tensor = previous[1]
        previous = getattr(tensor, "_previous", None)
    return tensor


# --- tg.autograd.grad's capture -------------------------------------------------------------------
# While autograd.grad runs, the gradients of its inputs are collected here ({id: [tensor, grad]}, one dict
# per call) instead of being accumulated into any .grad.
captures: list = []


def capture(tensor: Any, grad: np.ndarray) -> None:
    entry = captures[-1].get(id(tensor))
    if entry is not None and entry[0] is tensor:
        entry[1] = grad.copy() if entry[1] is None else entry[1] + grad
