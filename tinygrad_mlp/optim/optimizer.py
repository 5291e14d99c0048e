"""`Optimizer`: parameter groups, per-parameter state, zero_grad, state_dict (torch.optim's API)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..nn.utils import zero_grads
from ..state import enable_grad, parameters_to_update
from ..tensor import Tensor
from ..utils.state_check import check_optimizer_state


class Optimizer:
    """Base class. Subclasses implement ``_update(p, grad, group, state)`` on numpy arrays.

    The update runs in place on each parameter's array (no graph is recorded), and marks the
    parameter as changed so a backward through a graph built before the step is refused.
    """

    def __init__(self, params: Iterable[Any], defaults: dict) -> None:
        self.defaults = defaults
        self.state: dict = {}
        self._work: dict = {}  # (name, dtype) -> one flat work buffer that every parameter's update borrows
        self.param_groups: list = []
        params = list(params) if not isinstance(params, Tensor) else [params]
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        group = dict(param_group)
        ps = group["params"]
        group["params"] = [ps] if isinstance(ps, Tensor) else list(ps)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, got {type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: a parameter of shape {tuple(p.shape)} does not require grad")
            if not p.data.numpy().flags.writeable:  # (step() writes into it: say so now, not from inside numpy)
                raise ValueError(f"{type(self).__name__}: a parameter of shape {tuple(p.shape)} is backed by read-only "
                                 "memory (made from a read-only numpy array); give it a writable copy, e.g. "
                                 "tg.tensor(array)")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_hyperparameters(group)
        self.param_groups.append(group)

    def _check_hyperparameters(self, group: dict) -> None:
        name = type(self).__name__
        if group.get("lr", 0) < 0:
            raise ValueError(f"{name}: invalid learning rate lr={group['lr']} (must be >= 0)")
        if group.get("weight_decay", 0) < 0:
            raise ValueError(f"{name}: invalid weight_decay={group['weight_decay']} (must be >= 0)")
        if group.get("momentum", 0) < 0:
            raise ValueError(f"{name}: invalid momentum={group['momentum']} (must be >= 0)")
        if group.get("eps", 0) < 0:
            raise ValueError(f"{name}: invalid eps={group['eps']} (must be >= 0)")
        betas = group.get("betas")
        if betas is not None and not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"{name}: invalid betas={tuple(betas)} (each must be in [0, 1))")

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, arrays, grads = parameters_to_update(group["params"])
            if params:
                self._update_group(group_numbers(group), params, arrays, grads)
        return loss

    def _update_group(self, group: dict, params: list, arrays: list, grads: list) -> None:
        """Update one group's parameters that have a gradient: ``arrays`` are their data, to change in place,
        ``grads`` their gradients' arrays."""
        states = self.state
        for p, data, grad in zip(params, arrays, grads):
            state = states.get(p)
            if state is None:
                state = states[p] = {}
            self._update(data, grad, group, state)

    def _update(self, p: np.ndarray, grad: np.ndarray, group: dict, state: dict) -> None:  # pragma: no cover
        raise NotImplementedError

    def _scratch(self, state: dict, like: np.ndarray, name: str = "_scratch") -> np.ndarray:
        """A work array shaped and laid out like ``like``, kept in ``state`` so updates allocate nothing.

        It is a view into one buffer that all parameters share (updates run one at a time), so the
        step touches one work array's worth of memory instead of a copy of the whole model.
        """
        buf = state.get(name)
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
            flat = self._work.get((name, like.dtype))
            if flat is None or flat.size < like.size:
                sizes = [p.numel() for g in self.param_groups for p in g["params"] if p.dtype == like.dtype]
                flat = self._work[(name, like.dtype)] = np.empty(max(sizes + [like.size]), like.dtype)
            if like.flags.c_contiguous:
                buf = flat[:like.size].reshape(like.shape)
            elif like.flags.f_contiguous:
                buf = flat[:like.size].reshape(like.shape[::-1]).T
            else:
                buf = np.empty_like(like)
            state[name] = buf
        return buf

    # --- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}`` as torch."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (Tensor(v.copy(order="K")) if isinstance(v, np.ndarray) else v)
                                           for k, v in self.state[p].items() if not k.startswith("_")}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore state saved by ``state_dict``; checked first, so on error nothing changes."""
        check_optimizer_state(self, state_dict)
        groups = state_dict.get("param_groups")
        if not isinstance(groups, list) or len(groups) != len(self.param_groups):
            raise ValueError(f"{type(self).__name__}.load_state_dict: saved state has "
                             f"{len(groups) if isinstance(groups, list) else 'no'} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        params = {}
        for g_saved, g_own in zip(groups, self.param_groups):
            if len(g_saved["params"]) != len(g_own["params"]):
                raise ValueError(f"{type(self).__name__}.load_state_dict: a saved parameter group has "
                                 f"{len(g_saved['params'])} parameters, this optimizer's has {len(g_own['params'])}")
            for i, p in zip(g_saved["params"], g_own["params"]):
                params[int(i)] = p
        new_state = {}
        for key, values in state_dict.get("state", {}).items():
            p = params.get(int(key))
            if p is None:
                raise ValueError(f"{type(self).__name__}.load_state_dict: state for unknown parameter {key}")
            entry = {}
            for k, v in values.items():
                if isinstance(v, (Tensor, np.ndarray)):
                    arr = np.array(v.numpy() if isinstance(v, Tensor) else v)
                    if arr.shape != p.shape and arr.ndim:
                        raise ValueError(f"{type(self).__name__}.load_state_dict: state {k!r} has shape "
                                         f"{arr.shape}, its parameter has shape {tuple(p.shape)}")
                    if arr.dtype.kind == "f" and arr.ndim:  # in p's dtype and layout, so updates stream over both
                        entry[k] = np.empty_like(p.detach().numpy())
                        np.copyto(entry[k], arr, casting="unsafe")
                    else:
                        entry[k] = arr.astype(p.dtype) if arr.dtype.kind == "f" else arr
                else:
                    entry[k] = v
            new_state[p] = entry
        for g_saved, g_own in zip(groups, self.param_groups):
            for k, v in g_saved.items():
                if k != "params":
                    g_own[k] = tuple(v) if k == "betas" else v
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


def group_numbers(group: dict) -> dict:
    """The group as the update reads it: a hyperparameter given as a one-element tensor (torch accepts
    ``lr=torch.tensor(0.01)``, ``betas=(tensor(0.9), tensor(0.999))``) becomes its Python number, read afresh
    at every step."""
    for v in group.values():  # (every step goes through here: exact type checks, C-level for tuples)
        kind = type(v)
        if kind is Tensor or (kind is tuple and Tensor in map(type, v)):
            return {k: v if k == "params" else _number(v) for k, v in group.items()}
    return group


def _number(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value.item()
    if type(value) is tuple:
        return tuple(e.item() if isinstance(e, Tensor) else e for e in value)
    return value
