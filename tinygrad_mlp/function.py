"""`Function`: one differentiable op, its forward and backward side by side.

A subclass writes ``forward(ctx, *arrays)`` (numpy in, numpy out; it saves what backward needs
with ``ctx.save_for_backward``) and ``backward(ctx, grad)`` (the output's gradient in, one
gradient per input out, ``None`` where an input needs none). ``MyOp.apply(*tensors)`` runs the
forward and, when any input requires grad, records the op as the output's ``grad_fn``: the
recorded op *is* the graph node, holding its inputs as ``parents``.

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

This module knows nothing of `Tensor`'s module: tensor.py sets ``Function.tensor_type`` when it
defines `Tensor`, and `apply` wraps its results in that type.
"""

from __future__ import annotations

import os
import traceback
import weakref

import numpy as np

from .state import anomaly_threads, clock, mode


class Function:
    """Base class of every op. See the module docstring for how to write one."""

    tensor_type: type  # the Tensor class (set by tensor.py)

    # Speed flags, off unless an op opts in. The walk lets an op with ``may_overwrite_grad`` write into
    # its incoming gradient (``ctx.owns_grad`` True) only when nothing else can see that array; it knows
    # that of the arrays it summed itself, and of fresh arrays from ops that declare ``fresh_grads``:
    # their backward returns new arrays, each for one input (or its own incoming gradient), never an
    # array kept elsewhere.
    fresh_grads = False
    may_overwrite_grad = False
    owns_grad = False

    # Set on each recorded node: its inputs (``parents``, and ``inputs``, their arrays as forward saw
    # them), which of them want a gradient, what forward saved, the version clock at forward time (to
    # catch in-place edits) and, in anomaly mode, where the op was created.
    parents: tuple | None
    needs_input_grad: tuple
    saved_tensors: tuple | None = ()
    inputs: tuple = ()
    grad_out = None  # the output's gradient, summed while backward runs
    _stamp: int = 0
    _edges: list = []  # the graph's shape (see next_functions), kept after backward frees the node
    output = None  # a weak reference to the tensor this node made
    output_grad = None  # that tensor's gradient in the last backward, kept while the tensor lives (for graphs)
    _created_at: list | None = None

    def save_for_backward(self, *arrays) -> None:
        self.saved_tensors = arrays

    def forward(ctx, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(ctx).__name__} must implement forward")

    def backward(ctx, grad):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(ctx).__name__} does not implement backward")

    @classmethod
    def apply(cls, *inputs, **kwargs):
        """Run the op on tensors (or plain numbers / arrays, treated as constants)."""
        tensor_type = Function.tensor_type
        ctx = _new(cls)
        arrays = []
        needs = []
        edges = []  # the graph's shape: per input, the node that made it, the leaf itself, or a constant
        record = False
        grad_on = mode.grad_enabled
        for x in inputs:  # one plain loop: this is the hottest code in the package
            if isinstance(x, tensor_type):
                arrays.append(x._data)
                edges.append(x._ctx or x)
                if grad_on and x._requires_grad:
                    needs.append(True)
                    record = True
                    continue
            else:
                arrays.append(x)
                edges.append(x if isinstance(x, _NUMBERS) else None)  # (a number stays in the drawing: b ** 3)
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
        if anomaly_threads[0] and mode.anomaly:
            ctx._created_at = traceback.extract_stack()[:-2]
            check_finite(ctx, out, "forward output")
        if not record:
            return tensor_type._wrap(out)
        ctx.parents = inputs
        ctx.inputs = arrays
        ctx._edges = edges
        ctx._stamp = clock[0]
        result = tensor_type._wrap(out, ctx)
        ctx.output = _weak(result)
        return result

    # --- used by the walk and by tools that show the graph ----------------------------------
    @classmethod
    def label(cls) -> str:
        """What graphs and traces call this op."""
        return cls.__name__

    def name(self) -> str:
        """torch's name for the node (``grad_fn.name()``): the op's label + "Backward0", or ``torch_name``."""
        return self.torch_name or self.label() + "Backward0"

    torch_name: str | None = None  # where torch calls the op otherwise (ReLU: "ReluBackward0")

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"  # (as torch's; a tensor's repr shows <name> alone)

    @property
    def next_functions(self) -> tuple:
        """Per input: the node that made it, the leaf tensor itself, or None for a constant (as torch's
        ``grad_fn.next_functions``). Still there after backward has freed the node's arrays."""
        return tuple(self._edges)

    def check_versions(self) -> None:
        """Raise if an input that backward needs was modified in place after forward."""
        saved = self.saved_tensors or ()
        for i, x in enumerate(self.parents):
            if isinstance(x, Function.tensor_type) and x._version > self._stamp:
                forward_array = self.inputs[i]
                if x._data is not forward_array or any(s is forward_array for s in saved):
                    raise RuntimeError(
                        "one of the variables needed for gradient computation has been modified by an "
                        f"inplace operation: input {i} of {self.name()} (shape {tuple(x.shape)}, "
                        f"dtype {x.dtype}) is at version {x._version}, newer than the forward pass; "
                        "do the in-place change after backward, or work on a .clone()"
                    )

    def free(self) -> None:
        """Drop saved arrays and inputs after backward; the graph's shape (``_edges``) stays for drawing."""
        self.saved_tensors = self.parents = None
        self.inputs = ()  # (grad_out is None already: the walk took it)


def _input_error(cls: type, arrays: list, error: Exception) -> ValueError:
    described = ", ".join(f"{tuple(a.shape)} {a.dtype}" if isinstance(a, np.ndarray) else repr(a) for a in arrays)
    message = str(error)
    if "broadcast" in message:
        message = "the shapes cannot be broadcast together"
    return ValueError(f"{cls.__name__}: inputs {described}: {message}")


def check_finite(ctx: Function, array: np.ndarray, what: str) -> None:
    """detect_anomaly's check: raise, naming the op and where it was created, if ``array`` has NaN/inf."""
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


_NUMBERS = (int, float, np.number)  # constants kept in the graph's shape (arrays are not)
_new = object.__new__
_weak = weakref.ref
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep  # frames here are ours, not yours
