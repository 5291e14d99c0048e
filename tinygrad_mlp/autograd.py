"""``torch.autograd`` on top of the engine: `Function` with Tensor-level forward and backward, and `grad`,
which returns gradients instead of accumulating them into ``.grad``. A user Function's forward runs
with nothing recorded; one engine node (`_UserNode`) stands for the call in the graph and hands the
user's backward the output gradients as Tensors. See tests/test_torch_semantics.py for
torch's custom-ReLU example, run against torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import autograd_functional as functional  # noqa: F401 - tg.autograd.functional, as torch
from . import function as engine
from .state import captures, mode, no_grad
from .tensor import Tensor, run_backward

__all__ = ["Function", "FunctionCtx", "Variable", "grad", "once_differentiable"]


class FunctionCtx:
    """The ``ctx`` of a user Function: what forward saves for backward, and which inputs need a gradient."""

    def __init__(self, needs_input_grad: tuple) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple = ()
        self._non_differentiable: list = []
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Any) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save Tensors or None, got {type(t).__name__}")
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._saved is None:
            raise RuntimeError("Trying to backward through the graph a second time (or directly access saved "
                               "tensors after they have already been freed)")
        return self._saved

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self._non_differentiable.extend(tensors)

    def mark_dirty(self, *tensors: Any) -> None:  # (outputs are always new tensors here)
        return None

    def set_materialize_grads(self, value: bool) -> None:  # (unused output gradients are always zeros here)
        self.materialize_grads = bool(value)


class _UserNode(engine.Function):
    """The engine node for one call of a user Function; its output is the user's (several: flattened, joined)."""

    def name(self) -> str:
        return self.label() + "Backward"  # (torch names a user Function's node MyReLUBackward, with no number)

    def forward(ctx, *arrays, fn, user_ctx, positions, outputs, packed):
        ctx.fn, ctx.user_ctx, ctx.positions, ctx.outputs = fn, user_ctx, positions, outputs
        ctx.save_for_backward(*[t._data for t in user_ctx._saved if t is not None])  # (for the version check)
        return packed

    def backward(ctx, grad):
        grads = _unpack(grad, ctx.outputs, ctx.user_ctx.outputs)
        with no_grad():
            result = ctx.fn.backward(ctx.user_ctx, *[None if g is None else Tensor._wrap(g) for g in grads])
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(ctx.user_ctx.needs_input_grad)
        if len(result) < n_args:
            raise RuntimeError(f"function {ctx.fn.__name__}Backward returned an incorrect number of gradients "
                               f"(expected {n_args}, got {len(result)})")
        ctx.user_ctx._saved = None
        return tuple(g._data if isinstance(g, Tensor) else g for g in (result[i] for i in ctx.positions))


def _node_type(cls: type) -> type:
    """The engine node class for a user Function (named after it: graphs show ``MyReLUBackward``)."""
    node = cls.__dict__.get("_engine_node")
    if node is None:
        node = type(cls.__name__, (_UserNode,), {"__doc__": cls.__doc__})
        cls._engine_node = node
    return node


def _unpack(grad: np.ndarray, chosen: list, outputs: list) -> list:
    """One gradient per output of forward: zeros for those that get none (as torch), None for non-tensors."""
    grads = [None if o is None else np.zeros(o[0], o[1]) for o in outputs]
    shapes = [outputs[i][0] for i in chosen]
    parts = [grad] if len(chosen) == 1 else [p._data for p in _split(Tensor._wrap(grad), shapes)]
    for i, g in zip(chosen, parts):
        grads[i] = g
    return grads


class Function:
    """Subclass with ``@staticmethod forward(ctx, *args)`` and ``@staticmethod backward(ctx, *grads)``,
    both on Tensors; call it with ``MyFunction.apply(*args)``. Forward runs with nothing recorded;
    backward gets one gradient per output and returns one per input of forward (None where none)."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        grad_on = mode.grad_enabled
        ctx = FunctionCtx(tuple(grad_on and isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        several = isinstance(result, tuple)
        results = list(result) if several else [result]
        chosen = _differentiable(results, ctx) if any(ctx.needs_input_grad) else []
        if not chosen:
            return result
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        node_out = _node_type(cls).apply(*[args[i] for i in positions], fn=cls, user_ctx=ctx, positions=positions,
                                         outputs=chosen, packed=_pack([results[i]._data for i in chosen]))
        shapes = [ctx.outputs[i][0] for i in chosen]
        _replace(results, chosen, [node_out] if len(chosen) == 1 else _split(node_out, shapes))
        return tuple(results) if several else results[0]


def _differentiable(results: list, ctx: FunctionCtx) -> list:
    """The positions of the outputs that get a gradient: float Tensors not marked non-differentiable."""
    excluded = {id(t) for t in ctx._non_differentiable}
    chosen = [i for i, r in enumerate(results)
              if isinstance(r, Tensor) and id(r) not in excluded and r.dtype.kind == "f"]
    ctx.outputs = [(r._data.shape, r._data.dtype) if isinstance(r, Tensor) else None for r in results]
    return chosen


def _replace(results: list, chosen: list, parts: list) -> None:
    """The outputs handed back: the node's (in each output's dtype) where differentiable, else detached."""
    for i, r in enumerate(results):
        if i in chosen:
            part = parts[chosen.index(i)]
            results[i] = part if part.dtype == r.dtype else part.to(r.dtype)
        elif isinstance(r, Tensor):
            results[i] = r.detach()


def _pack(arrays: list) -> np.ndarray:
    """One output as it is; several, flattened one after the other (the node's single output array)."""
    if len(arrays) == 1:
        return arrays[0]
    dt = np.result_type(*arrays)
    return np.concatenate([a.ravel().astype(dt, copy=False) for a in arrays])


def _split(packed: Tensor, shapes: list) -> list:
    parts, start = [], 0
    for shape in shapes:
        n = int(np.prod(shape))
        parts.append(packed[start:start + n].reshape(shape))
        start += n
    return parts


def once_differentiable(fn: Any) -> Any:
    """Accepted for compatibility: backward here never records a graph."""
    return fn


def _as_tuple(x: Any) -> tuple:
    return (x,) if isinstance(x, Tensor) or not isinstance(x, Sequence) else tuple(x)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple (``.grad`` is left untouched);
    ``grad_outputs`` weights each output. ``create_graph=True`` is not supported here."""
    if create_graph or is_grads_batched:
        raise NotImplementedError("autograd.grad: create_graph=True (higher-order gradients) and is_grads_batched "
                                  "are not supported by tinygrad_mlp: its backward computes with numpy arrays")
    outs, ins = _as_tuple(outputs), _as_tuple(inputs)
    gouts = (None,) * len(outs) if grad_outputs is None else _as_tuple(grad_outputs)
    if len(gouts) != len(outs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(gouts)} for {len(outs)} outputs")
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    store = {id(t): [t, None] for t in ins}
    captures.append(store)
    try:
        for k, (out, g) in enumerate(zip(outs, gouts)):
            run_backward(out, g, bool(retain_graph) or k < len(outs) - 1)
    finally:
        captures.pop()
    return tuple(_result(i, t, store[id(t)][1], allow_unused, materialize_grads) for i, t in enumerate(ins))


def _result(i: int, t: Tensor, g: np.ndarray | None, allow_unused: Any, materialize: bool) -> Tensor | None:
    if g is not None:
        return Tensor._wrap(g)
    if materialize:
        return Tensor._wrap(np.zeros_like(t._data))
    if allow_unused:
        return None
    raise RuntimeError(f"One of the differentiated Tensors (input {i}) appears to not have been used in the graph. "
                       "Set allow_unused=True if this is the desired behavior.")


def Variable(data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # noqa: N802
    """torch < 0.4's wrapper, kept for old scripts: a new tensor on ``data``'s memory (as torch's today)."""
    if not isinstance(data, Tensor):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    return Tensor(data._data).requires_grad_(requires_grad)
