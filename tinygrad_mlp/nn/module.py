"""`Module` and `Parameter`: containers that find their own weights, as torch.nn's do."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ..args import check_device
from ..device import device
from ..state import modify_in_place, no_grad
from ..tensor import Tensor
from ..utils.state_check import check_module_state
from .utils import zero_grads


class Parameter(Tensor):
    """A tensor that a Module registers as one of its weights (requires grad by default).

    >>> import tinygrad_mlp as tg
    >>> p = tg.nn.Parameter(tg.zeros(2))
    >>> p.requires_grad, p.is_leaf
    (True, True)
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        arr = data.detach().numpy() if isinstance(data, Tensor) else np.asarray(
            data if data is not None else [], dtype=None if data is not None else np.float32)
        super().__init__(arr, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _HookKey:
    """A forward hook's key in ``Module._forward_hooks`` (pre-hooks live there too, marked ``pre``), and the
    handle that removes it."""

    def __init__(self, hooks: OrderedDict, pre: bool, with_kwargs: bool) -> None:
        self.hooks, self.pre, self.with_kwargs = hooks, pre, with_kwargs

    @classmethod
    def add(cls, hooks: OrderedDict, hook: Callable, pre: bool, prepend: bool, with_kwargs: bool) -> _HookKey:
        key = cls(hooks, pre, with_kwargs)
        hooks[key] = hook
        if prepend:
            hooks.move_to_end(key, last=False)
        return key

    def remove(self) -> None:
        self.hooks.pop(self, None)

    def __enter__(self) -> _HookKey:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class of every layer and model.

    Assigning a `Parameter` or a `Module` to an attribute registers it, so ``parameters()``,
    ``state_dict()``, ``train()``/``eval()`` and ``zero_grad()`` reach every weight below.

    >>> import tinygrad_mlp as tg
    >>> class Net(tg.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = tg.nn.Linear(2, 3)
    ...         self.out = tg.nn.Linear(3, 1)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x).relu())
    >>> [name for name, _ in Net().named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args: tuple, kwargs: dict) -> Any:
        """forward between the pre-hooks and the hooks, in registration order (as torch)."""
        hooks = list(self._forward_hooks.items())
        for key, hook in hooks:
            if key.pre:
                result = hook(self, args, kwargs) if key.with_kwargs else hook(self, args)
                if result is not None and key.with_kwargs:
                    args, kwargs = result
                elif result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for key, hook in hooks:
            if not key.pre:
                result = hook(self, args, kwargs, out) if key.with_kwargs else hook(self, args, out)
                if result is not None:
                    out = result
        return out

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> Any:
        """Call ``hook(module, args, output)`` after each forward (a returned value replaces the output);
        returns a handle with ``.remove()``."""
        return _HookKey.add(self._forward_hooks, hook, False, prepend, with_kwargs)

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False) -> Any:
        """Call ``hook(module, args)`` before each forward (a returned value replaces the arguments);
        returns a handle with ``.remove()``."""
        return _HookKey.add(self._forward_hooks, hook, True, prepend, with_kwargs)

    # --- registration ---------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called")
        params, modules, buffers = self._parameters, self._modules, self._buffers
        if isinstance(value, Parameter):
            modules.pop(name, None)
            buffers.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                "(a tg.nn.Parameter or None is expected)")
            params[name] = None
        elif name in buffers:
            buffers[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r}")
            modules[name] = None
        # Also a plain attribute: `self.weight` is then an ordinary (fast) attribute lookup.
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that is state but not a weight (e.g. BatchNorm's running mean)."""
        self._buffers[name] = tensor
        if not persistent:
            self.__dict__.setdefault("_non_persistent", set()).add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    # --- walking the tree -----------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "") -> Iterator[tuple[str, Module]]:
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:  # iterative: a 1,000-layer model does not recurse 1,000 deep
            name, module = stack.pop()
            if id(module) in memo:
                continue
            memo.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Tensor]]:
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{mod_name}.{name}" if mod_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r}")
            module = module._modules[part]
        return module

    def get_parameter(self, target: str) -> Tensor:
        """The parameter at a dotted path (``model.get_parameter("0.weight")``), with torch's errors."""
        return self._get_member(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at a dotted path (``model.get_buffer("0.running_mean")``), with torch's errors."""
        return self._get_member(target, "_buffers", "a buffer")

    def _get_member(self, target: str, table: str, what: str) -> Tensor:
        path, _, name = target.rpartition(".")
        module = self
        for part in path.split(".") if path else []:
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = module._modules[part]
        if name in getattr(module, table):
            return getattr(module, table)[name]
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        raise AttributeError(f"`{name}` is not {what}")

    # --- modes and helpers ----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grads(self.parameters(), set_to_none)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call fn on every submodule (children first) and on self, e.g. for custom init."""
        for m in list(self.modules())[::-1]:
            fn(m)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Convert every parameter and float buffer (``model.to(tg.float64)``); cpu only."""
        dtype = kwargs.get("dtype")
        for a in list(args) + [kwargs.get("device")]:
            if a is None:
                continue
            if isinstance(a, (str, int, device)) and not isinstance(a, bool):
                check_device(a, "Module.to")  # (as torch on a machine without a GPU: cuda and index 0 raise)
            else:
                dtype = a.dtype if isinstance(a, Tensor) else a
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        with no_grad():
            for t in list(self.parameters()) + [b for b in self.buffers() if b.dtype.kind == "f"]:
                if t.dtype != dtype:
                    t.data = t.detach().numpy().astype(dtype)
                    if t.grad is not None:
                        t.grad = Tensor(t.grad.numpy().astype(dtype))
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    def cpu(self) -> Module:
        return self

    # --- state ----------------------------------------------------------------------------
    def state_dict(self, prefix: str = "") -> OrderedDict:
        """Every parameter and persistent buffer by dotted name, e.g. ``0.weight``."""
        out: OrderedDict = OrderedDict()
        for mod_name, module in self.named_modules(prefix=prefix.rstrip(".")):
            skip = module.__dict__.get("_non_persistent", ())
            for registry in (module._parameters, module._buffers):
                for name, value in registry.items():
                    if value is not None and name not in skip:
                        out[f"{mod_name}.{name}" if mod_name else name] = value.detach()
        return out

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values (Tensors or numpy arrays) into this model's weights.

        Everything is checked before anything is written: on any error the model is unchanged.
        """
        check_module_state(self, state_dict, strict)
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        arrays = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            arr = value.detach().numpy() if isinstance(value, Tensor) else np.asarray(value)
            if arr.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape {arr.shape} from checkpoint, "
                              f"the shape in current model is {tuple(target.shape)}.")
            arrays[key] = arr
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        targets = [self._find_tensor(key) for key in arrays]
        for data, arr in zip(modify_in_place(*targets), arrays.values()):
            np.copyto(data, arr, casting="unsafe")
        return IncompatibleKeys(missing, unexpected)

    def _find_tensor(self, key: str) -> Tensor:
        module_path, _, name = key.rpartition(".")
        module = self.get_submodule(module_path)
        return module._parameters[name] if name in module._parameters else module._buffers[name]

    # --- display --------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"

    def summary(self, input_shape: tuple | None = None, dtype: Any = None) -> Any:
        """A table of layers, output shapes and parameter counts (run on zeros of input_shape).

        ``input_shape`` excludes the batch dimension: ``model.summary((6,))`` for 6 features.
        """
        from ..utils.model_summary import summary

        return summary(self, input_shape, dtype)
