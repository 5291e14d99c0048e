"""`Function`: one differentiable op, its forward and backward side by side.

A subclass writes ``forward(ctx, *arrays)`` (numpy in, numpy out; it saves what backward needs
with ``ctx.save_for_backward``) and ``backward(ctx, grad)`` (the output's gradient in, one
gradient per input out, ``None`` where an input needs none). ``MyOp.apply(*tensors)`` runs the
forward and, when any input requires grad, records the op as the output's ``grad_fn``.

>>> import numpy as np, tinygrad_mlp as tg
>>> class Cube(tg.Function):
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return grad * 3 * x ** 2
>>> x = tg.tensor(2.0, requires_grad=True)
>>> Cube.apply(x).backward(); x.grad.item()
12.0
"""

from __future__ import annotations

import os
import traceback

import numpy as np


class Function:
    """Base class of every op. See the module docstring for how to write one."""

    # Set on each recorded node: its inputs (``parents``, and ``inputs``, their arrays as forward saw
    # them), which of them want a gradient, what forward saved, the version clock at forward time
    # (to catch in-place edits) and, in anomaly mode, where the op was created.
    parents: tuple | None
    needs_input_grad: tuple
    saved_tensors: tuple = ()
    grad_out = None  # the output's gradient, summed while backward runs
    _walk = None  # marks the backward call that last counted this node
    _deps = 0  # consumers whose gradient has not arrived yet
    _stamp: int = 0
    inputs: tuple = ()
    _created_at: list | None = None
    # True when the walk handed this node a gradient nothing else can see, so backward may change it
    # in place (set by the walk; a Function's backward may read it).
    owns_grad = False
    # Whether backward returns new arrays (or views, or its own ``grad``), never an array kept elsewhere:
    # only then may the walk let the next op reuse them in place. Built-in ops (class Op) promise it.
    fresh_grads = False

    def save_for_backward(self, *arrays) -> None:
        self.saved_tensors = arrays

    def forward(ctx, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(ctx).__name__} must implement forward")

    def backward(ctx, grad):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(ctx).__name__} does not implement backward")

    @classmethod
    def apply(cls, *inputs, **kwargs) -> Tensor:
        """Run the op on tensors (or plain numbers / arrays, treated as constants)."""
        ctx = _new(cls)
        arrays = []
        needs = []
        record = False
        grad_on = _mode.grad_enabled
        for x in inputs:  # one plain loop: this is the hottest code in the package
            if isinstance(x, Tensor):
                arrays.append(x._data)
                if grad_on and x._requires_grad:
                    needs.append(True)
                    record = True
                    continue
            else:
                arrays.append(x)
            needs.append(False)
        ctx.needs_input_grad = needs
        # Called through the class so that both `def forward(ctx, ...)` and
        # torch-style `@staticmethod def forward(ctx, ...)` work.
        try:
            out = cls.forward(ctx, *arrays, **kwargs)
        except ValueError as e:  # numpy's broadcasting/shape errors, said in our terms
            raise _input_error(cls, arrays, e) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if _anomaly_threads[0] and _mode.anomaly:
            ctx._created_at = traceback.extract_stack()[:-2]
            _check_finite(ctx, out, "forward output")
        if not record:
            return Tensor._wrap(out)
        ctx.parents = inputs
        ctx.inputs = arrays
        ctx._stamp = _clock[0]
        return Tensor._wrap(out, ctx)

    # --- used by the engine -------------------------------------------------------------
    @classmethod
    def name(cls) -> str:
        return cls.__name__ + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    def check_versions(self) -> None:
        """Raise if an input that backward needs was modified in place after forward."""
        saved = self.saved_tensors or ()
        for i, x in enumerate(self.parents):
            if isinstance(x, Tensor) and x._version > self._stamp:
                forward_array = self.inputs[i]
                if x._data is not forward_array or any(s is forward_array for s in saved):
                    raise RuntimeError(
                        "one of the variables needed for gradient computation has been modified by an "
                        f"inplace operation: input {i} of {self.name()} (shape {tuple(x.shape)}, "
                        f"dtype {x.dtype}) is at version {x._version}, newer than the forward pass; "
                        "do the in-place change after backward, or work on a .clone()"
                    )

    def free(self) -> None:
        """Drop saved arrays and parent links: the graph is dead after backward."""
        self.saved_tensors = None
        self.parents = None
        self.inputs = ()
        self.grad_out = None


class Op(Function):
    """Base of the built-in ops: their backwards return fresh arrays, views, or their own ``grad``."""

    fresh_grads = True


def _input_error(cls: type, arrays: list, error: Exception) -> ValueError:
    described = ", ".join(f"{tuple(a.shape)} {a.dtype}" if isinstance(a, np.ndarray) else repr(a) for a in arrays)
    message = str(error)
    if "broadcast" in message:
        message = "the shapes cannot be broadcast together"
    return ValueError(f"{cls.__name__}: inputs {described}: {message}")


def _check_finite(ctx: Function, array: np.ndarray, what: str) -> None:
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        where = ""
        if ctx._created_at:
            frames = [f for f in ctx._created_at if not f.filename.startswith(_PACKAGE_DIR)] or ctx._created_at
            where = "\nThe op was created at (most recent call last):\n" + "".join(
                traceback.format_list(frames[-6:])
            )
        bad = "nan" if np.isnan(array).any() else "inf"
        raise FloatingPointError(
            f"detect_anomaly: {ctx.name()} produced {bad} in its {what} (shape {array.shape}, "
            f"dtype {array.dtype}){where}"
        )


# Imported last so that function.py and tensor.py can be imported in either order.
from .tensor import Tensor, _anomaly_threads, _clock, _mode  # noqa: E402

_new = object.__new__
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep  # frames here are ours, not yours
