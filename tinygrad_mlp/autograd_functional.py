"""``tg.autograd.functional``: torch's ``jacobian``, ``vjp`` and ``jvp`` for functions of tensors, each built
from ordinary reverse-mode passes (one backward per output element for a Jacobian): a way to look at the
whole derivative of a small function.

>>> import tinygrad_mlp as tg
>>> tg.autograd.functional.jacobian(lambda x: x ** 2, tg.tensor([1.0, 2.0]))
tensor([[2., 0.],
        [0., 4.]])

Derivatives of derivatives (``hessian``, ``hvp``, ``vhp``, ``create_graph=True``) need a backward that is
itself recorded, which this engine does not do: they raise, saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .state import enable_grad
from .tensor import Tensor

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _tuple(x: Any, what: str) -> tuple[tuple, bool]:
    is_tuple = isinstance(x, tuple | list)
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"The {what} given to the function must be either a Tensor or a tuple of Tensors but the "
                            f"value at index {i} has type {type(t).__name__}.")
    return items, is_tuple


def _no_create_graph(create_graph: bool, name: str) -> None:
    if create_graph:
        raise NotImplementedError(f"{name}(create_graph=True): gradients are not recorded here, so they cannot be "
                                  "differentiated again")


def _run(func: Callable, inputs: Any) -> tuple:
    items, inputs_tuple = _tuple(inputs, "inputs")
    leaves = tuple(t.detach().requires_grad_(True) for t in items)
    with enable_grad():
        out = func(*leaves)
    outputs, outputs_tuple = _tuple(out, "outputs of the user-provided function")
    return leaves, inputs_tuple, outputs, outputs_tuple


def _grads(output: Tensor, leaves: tuple, gradient: np.ndarray, strict: bool, index: int) -> list:
    """The gradients of ``(output * gradient).sum()`` with respect to ``leaves`` (zeros where unused)."""
    if output.grad_fn is None and not output.requires_grad:
        if strict:
            raise RuntimeError(f"Output {index} of the user-provided function does not require gradients. The "
                               "outputs must be computed in a differentiable manner from the input when running in "
                               "strict mode.")
        return [np.zeros(leaf.shape, leaf.numpy().dtype) for leaf in leaves]
    for leaf in leaves:
        leaf.grad = None
    output.backward(Tensor(gradient), retain_graph=True)
    return [leaf.grad.numpy().copy() if leaf.grad is not None else np.zeros(leaf.shape, leaf.numpy().dtype)
            for leaf in leaves]


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """d func(inputs) / d inputs: for one output and one input, a tensor of shape
    ``output.shape + input.shape``; for tuples, tuples of those (outputs outer, inputs inner), as torch."""
    _no_create_graph(create_graph, "jacobian")
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function '
                         'has more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, '
                         'prefer to use "reverse-mode".')
    leaves, inputs_tuple, outputs, outputs_tuple = _run(func, inputs)
    rows = []
    for k, out in enumerate(outputs):
        size = out.numel()
        blocks = [np.zeros((size, *leaf.shape), leaf.numpy().dtype) for leaf in leaves]
        for j in range(size):
            one_hot = np.zeros(size, out.numpy().dtype)
            one_hot[j] = 1
            for block, g in zip(blocks, _grads(out, leaves, one_hot.reshape(out.shape), strict, k)):
                block[j] = g
        rows.append(tuple(Tensor(b.reshape(*out.shape, *leaf.shape)) for b, leaf in zip(blocks, leaves)))
    result = tuple(r if inputs_tuple else r[0] for r in rows)
    return result if outputs_tuple else result[0]


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), v · d func / d inputs)``; ``v`` may be left out for a single-element output."""
    _no_create_graph(create_graph, "vjp")
    leaves, inputs_tuple, outputs, outputs_tuple = _run(func, inputs)
    vs, _ = _tuple(v, "v") if v is not None else ((None,) * len(outputs), False)
    totals = [np.zeros(leaf.shape, leaf.numpy().dtype) for leaf in leaves]
    for k, (out, vk) in enumerate(zip(outputs, vs)):
        if vk is None:
            if out.numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                                   "Tensor with a single element.")
            vk = Tensor(np.ones(out.shape, out.numpy().dtype))
        for total, g in zip(totals, _grads(out, leaves, vk.numpy(), strict, k)):
            total += g
    values = tuple(o.detach() for o in outputs)
    grads = tuple(Tensor(t) for t in totals)
    return (values if outputs_tuple else values[0]), (grads if inputs_tuple else grads[0])


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), d func / d inputs · v)``, from the Jacobian (fine for the small functions it is for)."""
    _no_create_graph(create_graph, "jvp")
    items, inputs_tuple = _tuple(inputs, "inputs")
    if v is None:
        if len(items) != 1 or items[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        v = Tensor(np.ones(items[0].shape, items[0].numpy().dtype))
    vs, _ = _tuple(v, "v")
    leaves, _, outputs, outputs_tuple = _run(func, inputs)
    jac = jacobian(func, inputs, strict=strict)
    jac = jac if outputs_tuple else (jac,)
    products = []
    for out, row in zip(outputs, jac):
        row = row if inputs_tuple else (row,)
        total = np.zeros(out.shape, out.numpy().dtype)
        for block, vi in zip(row, vs):
            total += np.tensordot(block.numpy(), vi.numpy(), axes=vi.ndim) if vi.ndim else block.numpy() * vi.item()
        products.append(Tensor(total))
    values = tuple(o.detach() for o in outputs)
    return (values if outputs_tuple else values[0]), (tuple(products) if outputs_tuple else products[0])


def _second_order(name: str) -> Callable:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{name}: second derivatives need a backward that is itself recorded "
                                  "(create_graph=True), which tinygrad_mlp does not do")

    refused.__name__ = name
    return refused


hessian, hvp, vhp = _second_order("hessian"), _second_order("hvp"), _second_order("vhp")
