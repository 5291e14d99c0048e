"""Where an op becomes a `Tensor` method, a ``tg.`` function and an ``F.`` function: one `register`
call, next to the op's class.

>>> import numpy as np, tinygrad_mlp as tg
>>> class Cube(tg.Function):  # forward and backward as in function.py's example
...     def forward(ctx, x):
...         ctx.x = x
...         return x * x * x
...     def backward(ctx, grad):
...         return 3 * grad * ctx.x * ctx.x
>>> _ = tg.registry.register("cube", Cube, functional=True)
>>> x = tg.tensor([2.0], requires_grad=True)
>>> x.cube().item(), tg.cube(x).item(), tg.functional.cube(x).item()
(8.0, 8.0, 8.0)
>>> tg.registry.unregister("cube")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .args import as_tensor


class OpMethods:
    """The `Tensor` methods that come from ops: `Tensor` inherits this class, `register` fills it."""

    __slots__ = ()


TOPLEVEL: dict[str, Callable] = {}  # tg.<name>
FUNCTIONAL: dict[str, Callable] = {}  # tg.functional.<name> (torch.nn.functional)
ACTIVATIONS: list[str] = []  # the Tensor methods offered as activations (nn.MLP, the CLI, the playground)


def register(name: str, op: type | None = None, *, method: Callable | None = None, function: Callable | None = None,
             tensor_method: bool = True, toplevel: bool = True, functional: bool = False,
             activation: bool = False) -> Callable:
    """Make ``op`` reachable as ``x.name(...)``, ``tg.name(x, ...)`` and (``functional=True``) ``F.name(x, ...)``.

    By default the method is ``op.apply(self, *args, **kwargs)``; ``method`` replaces it where arguments
    need handling (``dim`` normalisation, ...), ``function`` gives the free function where it is not the
    method on its first argument (``tg.cat``). ``activation=True`` lists it among the activations.
    Returns the method (or the function).
    """
    if method is None and op is not None:
        method = _apply_method(op, name)
    if tensor_method:
        setattr(OpMethods, name, method)
    if function is None and method is not None:
        function = _method_as_function(method, name)
    if toplevel:
        TOPLEVEL[name] = function
    if functional:
        FUNCTIONAL[name] = function
    if activation and name not in ACTIVATIONS:
        ACTIVATIONS.append(name)
    return method if method is not None else function


def unregister(name: str) -> None:
    """Remove what `register` added under ``name`` (for tests that register a throwaway op)."""
    if name in OpMethods.__dict__:
        delattr(OpMethods, name)
    TOPLEVEL.pop(name, None)
    FUNCTIONAL.pop(name, None)
    if name in ACTIVATIONS:
        ACTIVATIONS.remove(name)


def lookup(namespace: dict, module: str, name: str) -> Callable:
    """A module's ``__getattr__``: ops registered after the module was imported are found here."""
    try:
        return namespace[name]
    except KeyError:
        raise AttributeError(f"module {module!r} has no attribute {name!r}") from None


def _apply_method(op: type, name: str) -> Callable:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return op.apply(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = op.__doc__
    return method


def _method_as_function(method: Callable, name: str) -> Callable:
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - torch's name
        return method(as_tensor(input), *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = method.__doc__
    return function
