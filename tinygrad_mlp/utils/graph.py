"""``draw_graph``: the computation graph the engine will walk, as Graphviz DOT text (no
dependency), or rendered to SVG/PNG when the ``graphviz`` package and its ``dot`` program exist.

>>> import tinygrad_mlp as tg
>>> x = tg.tensor([1.0, 2.0], requires_grad=True)
>>> dot = tg.utils.draw_graph((x * x).sum())
>>> dot.count("->"), 'label="Sum' in dot, 'label="Mul' in dot  # x -> Mul (used twice), Mul -> Sum
(2, True, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _value_label(t: Tensor, show_data: bool, show_grad: bool) -> list:
    lines = []
    if show_data:
        lines.append(f"data {np.array2string(t._data, precision=4)}" if t._data.size <= 4
                     else f"data |x|={np.linalg.norm(t._data):.4g}")
    if show_grad and t._grad is not None:
        g = t._grad._data
        lines.append(f"grad {g.item():.6g}" if g.size == 1 else f"grad |g|={np.linalg.norm(g):.4g}")
    return lines


def draw_graph(root: Tensor, show_data: bool = False, show_grad: bool = True, model: Any = None,
               collapse: bool = False, path: str | None = None, format: str = "svg") -> str:  # noqa: A002
    """DOT text of the graph that produced ``root``.

    Ops are boxes (op, output shape, dtype), leaves are ellipses named from
    ``model.named_parameters()`` when a model is given, with the gradient's norm (or value, for a
    scalar) once backward has run — call ``backward(retain_graph=True)`` first to draw afterwards.
    ``collapse=True`` folds each chain of single-input ops into the op that starts it (a Linear
    layer and its activation become one node), for large models. With ``path``, also render it
    (needs the ``graphviz`` Python package and Graphviz's ``dot``).
    """
    if root._ctx is None:
        raise ValueError("draw_graph: the tensor is a leaf; there is no graph to draw")
    names = {id(p): n for n, p in model.named_parameters()} if model is not None else {}
    nodes: dict = {}  # id -> (label, shape)
    edges: list = []
    folded: dict = {}  # id(ctx) -> id of the node it was folded into
    consumers: dict = {}
    stack, seen = [(root._ctx, root)], set()
    order = []
    while stack:
        ctx, out = stack.pop()
        if id(ctx) in seen:
            continue
        seen.add(id(ctx))
        if ctx.parents is None:
            raise RuntimeError("draw_graph: this graph was freed by backward(); call backward(retain_graph=True) "
                               "to draw it afterwards, or draw before backward")
        order.append((ctx, out))
        for p in ctx.parents:
            if isinstance(p, Tensor):
                consumers[id(p)] = consumers.get(id(p), 0) + 1
                if p._ctx is not None:
                    stack.append((p._ctx, p))
    for ctx, out in order:
        label = [ctx.label(), f"{tuple(out.shape)} {out.dtype}"]
        label += _value_label(out, False, show_grad)
        nodes[id(ctx)] = label
        for p in ctx.parents:
            if not isinstance(p, Tensor):
                continue
            if p._ctx is None:
                kind = names.get(id(p)) or ("parameter" if p.requires_grad else "input")
                nodes.setdefault(id(p), [kind, f"{tuple(p.shape)} {p.dtype}", *_value_label(p, show_data, show_grad)])
                edges.append((id(p), id(ctx)))
            else:
                edges.append((id(p._ctx), id(ctx)))
    if collapse:
        nodes, edges = _collapse(order, nodes, edges, consumers, folded)
    leaves = {id(p) for ctx, _ in order for p in ctx.parents if isinstance(p, Tensor) and p._ctx is None}
    lines = ["digraph tinygrad_mlp {", "  rankdir=BT;", '  node [fontname="Helvetica", fontsize=10];']
    number = {key: i for i, key in enumerate(nodes)}  # stable names n0, n1, … in walk order
    for key, label in nodes.items():
        shape = "ellipse" if key in leaves else "box"
        style = ', style=filled, fillcolor="#e8f0fe"' if key in leaves and label[0] not in ("input",) else ""
        text = _esc("\n".join(label)).replace("\n", "\\n")
        lines.append(f'  n{number[key]} [shape={shape}{style}, label="{text}"];')
    for a, b in dict.fromkeys(edges):
        lines.append(f"  n{number[a]} -> n{number[b]};")
    lines.append("}")
    dot = "\n".join(lines) + "\n"
    if path is not None:
        render(dot, path, format)
    return dot


def _collapse(order: list, nodes: dict, edges: list, consumers: dict, folded: dict) -> tuple:
    """Fold every op whose only tensor input is an op used once into that op's node."""
    target = {}
    for ctx, _ in reversed(order):  # inputs first
        tensor_parents = [p for p in ctx.parents if isinstance(p, Tensor)]
        op_parents = [p for p in tensor_parents if p._ctx is not None]
        if len(tensor_parents) == 1 and len(op_parents) == 1 and consumers.get(id(op_parents[0]), 0) == 1:
            into = target.get(id(op_parents[0]._ctx), id(op_parents[0]._ctx))
            target[id(ctx)] = into
            nodes[into][0] += " + " + nodes[id(ctx)][0]
            nodes[into][1] = nodes[id(ctx)][1]
            del nodes[id(ctx)]
    new_edges = []
    for a, b in edges:
        a, b = target.get(a, a), target.get(b, b)
        if a != b:
            new_edges.append((a, b))
    return nodes, new_edges


def render(dot: str, path: str, format: str = "svg") -> str:  # noqa: A002
    """Write DOT text as an image with Graphviz (``pip install graphviz`` and the ``dot`` program)."""
    try:
        import graphviz
    except ImportError:
        raise ImportError("rendering needs the graphviz package (pip install 'tinygrad_mlp[viz]') and Graphviz's "
                          "dot program (e.g. apt-get install graphviz); the DOT text itself needs neither") from None
    stem = str(path)[: -len(format) - 1] if str(path).endswith("." + format) else str(path)
    return graphviz.Source(dot).render(stem, format=format, cleanup=True)
