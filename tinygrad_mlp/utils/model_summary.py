"""``model.summary(input_shape)``: layers, output shapes and parameter counts."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..state import default_dtype, no_grad
from ..tensor import Tensor


@dataclass
class ModelSummary:
    """Rows of (layer name, layer type, output shape, parameters); prints as a table."""

    rows: list = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0

    def __str__(self) -> str:
        header = ("Layer", "Type", "Output shape", "Params")
        cells = [header] + [(n, t, str(s) if s is not None else "-", f"{p:,}") for n, t, s, p in self.rows]
        widths = [max(len(str(r[i])) for r in cells) for i in range(4)]
        line = "  ".join("-" * w for w in widths)
        out = ["  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
               for r in cells]
        return "\n".join([out[0], line, *out[1:], line,
                          f"Total params: {self.total_params:,}", f"Trainable params: {self.trainable_params:,}"])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        """The same table as HTML, for Jupyter."""
        head = "".join(f"<th style='text-align:{a}'>{h}</th>" for h, a in
                       (("Layer", "left"), ("Type", "left"), ("Output shape", "left"), ("Params", "right")))
        body = "".join(f"<tr><td style='text-align:left'>{html.escape(str(n))}</td>"
                       f"<td style='text-align:left'>{html.escape(str(t))}</td>"
                       f"<td style='text-align:left'>{html.escape(str(s)) if s is not None else '-'}</td>"
                       f"<td style='text-align:right'>{p:,}</td></tr>" for n, t, s, p in self.rows)
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody><tfoot>"
                f"<tr><td colspan='3'><b>Total params</b></td><td style='text-align:right'>"
                f"<b>{self.total_params:,}</b></td></tr>"
                f"<tr><td colspan='3'>Trainable params</td><td style='text-align:right'>{self.trainable_params:,}"
                f"</td></tr></tfoot></table>")


def summary(model: Any, input_shape: tuple | None = None, dtype: Any = None) -> ModelSummary:
    """Summarise a model; with ``input_shape`` (without batch) also each layer's output shape.

    >>> import tinygrad_mlp as tg
    >>> m = tg.nn.Sequential(tg.nn.Linear(6, 7), tg.nn.Sigmoid(), tg.nn.Linear(7, 4), tg.nn.Linear(4, 1))
    >>> m.summary((6,)).total_params
    86
    """
    leaves = [(name, m) for name, m in model.named_modules() if name and not m._modules]
    if not leaves:
        leaves = [(type(model).__name__, model)]
    shapes: dict = {}
    handles = []
    if input_shape is not None:
        for name, m in leaves:
            handles.append(m.register_forward_hook(
                lambda mod, inp, out, name=name: shapes.__setitem__(name, tuple(out.shape))))
        try:
            with no_grad():
                was_training = model.training
                model.eval()
                model(Tensor(np.zeros((1, *input_shape), dtype=dtype or default_dtype())))
                model.train(was_training)
        finally:
            for h in handles:
                h.remove()
    rows = []
    for name, m in leaves:
        n = sum(p.numel() for p in m.parameters(recurse=False))
        shape = shapes.get(name)
        rows.append((name, type(m).__name__, "(" + ", ".join(["N", *map(str, shape[1:])]) + ")" if shape else None, n))
    params = list(model.parameters())
    return ModelSummary(rows, sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad))
