"""A readable trace of the backward walk: the chain rule, one node at a time."""

from __future__ import annotations

from typing import Any

import numpy as np


def _fmt(a: Any) -> str:
    a = np.asarray(a)
    if a.size == 1:
        return f"{a.item():.6f}"
    return f"{a.shape} |g|={np.linalg.norm(a):.6f}"


def print_trace(records: list) -> None:
    """Print (op, upstream grad, input grads) records in the order backward visited them."""
    for ctx, grad, input_grads in records:
        downs = ", ".join("-" if g is None else _fmt(g) for g in input_grads)
        print(f"{ctx.name():<18} upstream {_fmt(grad):<28} -> inputs: {downs}")


def trace_backward(loss: Any) -> None:
    """Run ``loss.backward()`` and print each node's upstream gradient and what it passes down."""
    loss.backward(trace=True)
