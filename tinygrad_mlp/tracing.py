"""A readable trace of the backward walk: the chain rule, one node at a time (``backward(trace=True)``
prints it; ``tg.utils.trace_backward`` returns it).

For each op, in the order backward visits them (reverse topological): the gradient arriving from
above (∂L/∂out), and for each input the local derivative (∂out/∂in, where it is one number per
element) and the product passed down (∂L/∂in).
(``tg.utils.trace_backward``'s docstring shows an example.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .function import Function


@dataclass
class InputStep:
    """One input of a traced op: its name, ∂out/∂in (None where not elementwise) and ∂L/∂in."""

    name: str
    local: np.ndarray | None
    passed_down: np.ndarray | None


@dataclass
class TraceRecord:
    op: str
    upstream: np.ndarray
    inputs: list = field(default_factory=list)

    def __str__(self) -> str:
        parts = []
        for step in self.inputs:
            if step.passed_down is None:
                continue
            local = f"{_fmt(step.local)} = " if step.local is not None else ""
            product = f"{_fmt(self.upstream)} · {_fmt(step.local)} = " if step.local is not None else ""
            parts.append(f"{step.name}: local {local.rstrip(' =')}, passed down {product}{_fmt(step.passed_down)}"
                         if step.local is not None else f"{step.name}: passed down {_fmt(step.passed_down)}")
        return f"{self.op:<16} upstream {_fmt(self.upstream)}\n" + "".join(f"    {p}\n" for p in parts)


def _fmt(a: Any) -> str:
    a = np.asarray(a)
    if a.size == 1:
        return f"{a.item():.6f}"
    if a.size <= 6:
        return "[" + ", ".join(f"{v:.6f}" for v in a.ravel()) + "]"
    return f"{a.shape} (norm {np.linalg.norm(a):.6f})"


def _local(upstream: np.ndarray, passed: np.ndarray) -> np.ndarray | None:
    """∂out/∂in read off the chain rule: passed_down / upstream, where that is elementwise."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if upstream.size == 1 and np.all(upstream != 0):
            return passed / upstream.reshape(())
        if upstream.shape == passed.shape and np.all(upstream != 0):
            return passed / upstream
    return None


def build_records(raw: list, names: dict | None = None) -> list:
    """TraceRecords from the engine's (op name, upstream, input grads, parents) tuples."""
    names = names or {}
    records = []
    for op, upstream, input_grads, parents in raw:
        steps = []
        for i, (parent, g) in enumerate(zip(parents, input_grads)):
            if not isinstance(parent, Function.tensor_type):
                continue
            if parent._ctx is not None:
                name = f"input {i} ({parent._ctx.label()} output)"
            else:
                name = names.get(id(parent), f"input {i} (leaf {tuple(parent.shape)})")
            g = None if g is None else np.asarray(g)
            steps.append(InputStep(name, None if g is None else _local(np.asarray(upstream), g), g))
        records.append(TraceRecord(op, np.asarray(upstream), steps))
    return records


def print_trace(raw: list) -> None:
    """Print the walk's raw records (see `build_records`) as the chain rule, step by step."""
    for r in build_records(raw):
        print(str(r), end="")
