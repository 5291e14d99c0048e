"""``trace_backward``: run a backward and get (or print) every step of the chain rule.

>>> import tinygrad_mlp as tg
>>> x = tg.tensor(0.0, requires_grad=True)
>>> records = tg.utils.trace_backward((x.sigmoid() * 3.0).sum(), printed=False)
>>> [(r.op, round(r.upstream.item(), 4)) for r in records]
[('SumBackward0', 1.0), ('MulBackward0', 1.0), ('SigmoidBackward0', 3.0)]
>>> round(records[-1].inputs[0].local.item(), 4), round(records[-1].inputs[0].passed_down.item(), 4)
(0.25, 0.75)
"""

from __future__ import annotations

from typing import Any

from ..tensor import run_backward
from ..tracing import InputStep, TraceRecord, build_records

__all__ = ["InputStep", "TraceRecord", "build_records", "trace_backward"]


def trace_backward(loss: Any, model: Any = None, printed: bool = True, retain_graph: bool = False) -> list:
    """Run ``loss.backward()`` recording every step of the chain rule; print it (unless
    ``printed=False``) and return it as a list of `TraceRecord`. With ``model``, leaves are named by
    ``model.named_parameters()`` (e.g. ``2.weight``)."""
    names = {id(p): n for n, p in model.named_parameters()} if model is not None else {}
    raw: list = []
    run_backward(loss, None, retain_graph, raw)
    records = build_records(raw, names)
    if printed:
        for r in records:
            print(str(r), end="")
    return records
