"""Checks run before a ``load_state_dict`` changes anything: a state that does not fit raises here,
so a model, optimizer or trainer is either fully restored or left exactly as it was.

>>> import numpy as np, tinygrad_mlp as tg
>>> layer = tg.nn.Linear(2, 1)
>>> check_module_state(layer, {"weight": np.array([["a", "b"]]), "bias": np.zeros(1)})
Traceback (most recent call last):
...
RuntimeError: Error(s) in loading state_dict for Linear: weight has dtype <U1; only numeric arrays can be loaded.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor

_NUMERIC = "biuf"


def _as_array(value: Any) -> np.ndarray | None:
    if isinstance(value, Tensor):
        return value.detach().numpy()
    try:
        return np.asarray(value)
    except (ValueError, TypeError):  # ragged nested lists and the like
        return None


def check_module_state(module: Any, state_dict: Any, strict: bool = True) -> None:
    """Raise RuntimeError (PyTorch's type for this) if ``state_dict`` cannot be loaded into ``module``
    as a whole: not a mapping, missing or unexpected keys (with ``strict``), non-numeric values
    (strings, objects, None), or shapes that differ. Changes nothing."""
    who = type(module).__name__
    if not isinstance(state_dict, Mapping):
        raise RuntimeError(f"Error(s) in loading state_dict for {who}: expected a dict of tensors, got "
                           f"{type(state_dict).__name__}.")
    own = module.state_dict()
    errors = []
    bad_keys = [k for k in state_dict if not isinstance(k, str)]
    if bad_keys:
        errors.append(f"keys must be strings, got {bad_keys[:3]!r}.")
    if strict:
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if isinstance(k, str) and k not in own]
        if missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
    for key, target in own.items():
        if key not in state_dict:
            continue
        arr = _as_array(state_dict[key])
        if arr is None or arr.dtype.kind not in _NUMERIC:
            what = "an unreadable value" if arr is None else f"dtype {arr.dtype}"
            errors.append(f"{key} has {what}; only numeric arrays can be loaded.")
            continue
        if arr.shape != tuple(target.shape):
            errors.append(f"size mismatch for {key}: copying a param with shape {arr.shape} from checkpoint, "
                          f"the shape in current model is {tuple(target.shape)}.")
        elif target.dtype.kind == "f" and arr.dtype.kind in "iuf" and arr.dtype.itemsize > target.dtype.itemsize:
            finite = np.isfinite(arr)
            if arr.size and np.max(np.abs(arr), initial=0, where=finite) > np.finfo(target.dtype).max:
                errors.append(f"{key} holds values that overflow {target.dtype.name}.")
    if errors:
        raise RuntimeError(f"Error(s) in loading state_dict for {who}: " + "\n\t".join(errors))


def _number(value: Any) -> bool:
    """A Python number, or a one-element tensor (torch takes ``lr=torch.tensor(0.01)``)."""
    return isinstance(value, int | float) or (callable(getattr(value, "numel", None)) and value.numel() == 1
                                               and not isinstance(value, list | tuple | Mapping))


def _fits(saved: Any, own: Any) -> bool:
    """Same kind of value: numbers for numbers, same-length sequences, same-keyed dicts."""
    if isinstance(own, bool) or isinstance(saved, bool):
        return isinstance(own, bool) and isinstance(saved, bool)
    if _number(own):
        return _number(saved)
    if own is None or saved is None:
        return own is None or saved is None or isinstance(saved, int | float | str)
    if isinstance(own, str):
        return isinstance(saved, str)
    if isinstance(own, list | tuple):
        return isinstance(saved, list | tuple) and len(saved) == len(own) and all(map(_fits, saved, own))
    if isinstance(own, Mapping):
        return isinstance(saved, Mapping) and set(saved) == set(own) and all(_fits(saved[k], own[k]) for k in own)
    return True


def check_optimizer_state(optimizer: Any, state_dict: Any) -> None:
    """Raise ValueError if ``state_dict`` cannot be loaded into ``optimizer`` as a whole: other group
    counts or sizes, hyperparameters of another optimizer (an SGD group carrying Adam's betas),
    state for unknown parameters, non-numeric or misshapen state. Changes nothing."""
    who = f"{type(optimizer).__name__}.load_state_dict"
    if not isinstance(state_dict, Mapping):
        raise ValueError(f"{who}: expected a dict with 'state' and 'param_groups', got {type(state_dict).__name__}")
    groups, state = state_dict.get("param_groups"), state_dict.get("state", {})
    own_groups = optimizer.param_groups
    if not isinstance(groups, list) or len(groups) != len(own_groups):
        raise ValueError(f"{who}: saved state has {len(groups) if isinstance(groups, list) else 'no'} parameter "
                         f"groups, this optimizer has {len(own_groups)}")
    params: dict = {}
    for n, (saved, own) in enumerate(zip(groups, own_groups)):
        if not isinstance(saved, Mapping) or not isinstance(saved.get("params"), list | tuple):
            raise ValueError(f"{who}: saved parameter group {n} is not a dict with a 'params' list")
        if len(saved["params"]) != len(own["params"]):
            raise ValueError(f"{who}: a saved parameter group has {len(saved['params'])} parameters, this "
                             f"optimizer's has {len(own['params'])}")
        keys, own_keys = set(saved) - {"params"}, set(own) - {"params"}
        if keys != own_keys:
            raise ValueError(f"{who}: saved parameter group {n} has settings {sorted(keys)}, this optimizer's has "
                             f"{sorted(own_keys)} (a state of another optimizer?)")
        for k in sorted(keys):
            if not _fits(saved[k], own[k]):
                raise ValueError(f"{who}: saved setting {k!r} = {saved[k]!r} does not fit this optimizer's "
                                 f"{own[k]!r}")
        for i, p in zip(saved["params"], own["params"]):
            if isinstance(i, bool) or not isinstance(i, int):
                raise ValueError(f"{who}: parameter ids must be integers, got {i!r}")
            params[i] = p
    if not isinstance(state, Mapping):
        raise ValueError(f"{who}: 'state' must be a dict, got {type(state).__name__}")
    for key, values in state.items():
        if isinstance(key, bool) or not isinstance(key, int) or key not in params:
            raise ValueError(f"{who}: state for unknown parameter {key!r}")
        if not isinstance(values, Mapping):
            raise ValueError(f"{who}: state of parameter {key} is not a dict")
        p = params[key]
        for k, v in values.items():
            if isinstance(v, Tensor | np.ndarray):
                arr = _as_array(v)
                if arr.dtype.kind not in _NUMERIC:
                    raise ValueError(f"{who}: state {k!r} of parameter {key} has dtype {arr.dtype}")
                if arr.ndim and arr.shape != tuple(p.shape):
                    raise ValueError(f"{who}: state {k!r} has shape {arr.shape}, its parameter has shape "
                                     f"{tuple(p.shape)}")
            elif isinstance(v, bool) or not isinstance(v, int | float):
                raise ValueError(f"{who}: state {k!r} of parameter {key} is {v!r}, not a number or tensor")


def check_scheduler_state(scheduler: Any, state_dict: Any, plain: Any = None) -> None:
    """Raise ValueError unless ``state_dict`` has the keys and kinds of values of ``scheduler``'s own
    state (``plain``: that state as saved, if it differs from ``scheduler.state_dict()``)."""
    own = plain if plain is not None else scheduler.state_dict()
    if not isinstance(state_dict, Mapping) or set(state_dict) != set(own):
        have = sorted(state_dict) if isinstance(state_dict, Mapping) else type(state_dict).__name__
        raise ValueError(f"{type(scheduler).__name__}.load_state_dict: saved state has {have}, this scheduler's "
                         f"has {sorted(own)} (a state of another scheduler?)")
    for k in own:
        if not _fits(state_dict[k], own[k]):
            raise ValueError(f"{type(scheduler).__name__}.load_state_dict: saved {k!r} = {state_dict[k]!r} does not "
                             f"fit this scheduler's {own[k]!r}")


def check_generator_state(generator: Any, state: Any, what: str = "rng") -> None:
    """Raise ValueError unless ``state`` can be set on a generator like ``generator`` (tried on a
    fresh one of the same type, so ``generator`` itself never changes here)."""
    scratch = type(generator)()
    try:
        scratch.set_state(state)
    except (TypeError, ValueError, KeyError, IndexError, OverflowError, AttributeError, struct.error) as e:
        raise ValueError(f"{what}: not a valid {type(generator).__name__} state ({e})") from None
