"""``draw_graph``: the computation graph behind a tensor, micrograd-style: every node with its value and
its gradient, before or after ``backward()``.

The result is a `Graph`: the Graphviz DOT text itself (a ``str``, so it can be printed, searched or
saved), which a notebook shows as a picture (SVG through the ``graphviz`` package and Graphviz's
``dot`` program, when they are installed) and which ``.save("g.svg")`` renders to a file.

>>> import tinygrad_mlp as tg
>>> a = tg.tensor(2.0, requires_grad=True)
>>> b = a * a + 1.0
>>> b.backward()
>>> g = tg.utils.draw_graph(b, params={"a": a})
>>> "Mul" in g, "data 2" in g, "grad 4" in g, g.count("->")  # a -> Mul, Mul -> Add, the constant 1 -> Add
(True, True, True, 3)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor


class Graph(str):
    """DOT text that Jupyter draws: ``_repr_svg_`` renders it with Graphviz where available."""

    @property
    def source(self) -> str:
        return str(self)

    def _repr_svg_(self) -> str | None:
        try:
            import graphviz

            return graphviz.Source(str(self)).pipe(format="svg").decode()
        except Exception:  # no graphviz package or no dot program: Jupyter shows the text instead
            return None

    def save(self, path: str | Path, format: str | None = None) -> str:  # noqa: A002
        """Render to ``path`` (format from its suffix, e.g. .svg or .png); returns the file written."""
        return render(str(self), str(path), format or Path(path).suffix.lstrip(".") or "svg")


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _summary(what: str, a: np.ndarray | None) -> list:
    """Small arrays element by element (micrograd's view), large ones as a norm."""
    if a is None:
        return []
    a = np.asarray(a)
    if a.size == 1:
        return [f"{what} {a.item():.4g}"]
    if a.size <= 6:
        return [f"{what} {np.array2string(a.astype(np.float64), precision=4, separator=' ')}"]
    return [f"{what} |{what[0]}|={np.linalg.norm(a):.4g}"]


def _tensor_label(t: Tensor, title: str, show_data: bool, show_grad: bool) -> list:
    label = [title, f"{tuple(t.shape)} {t.dtype.name}"]
    if show_data:
        label += _summary("data", t.detach().numpy())
    if show_grad and t.grad is not None:
        label += _summary("grad", t.grad.numpy())
    return label


def _node_label(node: Function, show_data: bool, show_grad: bool) -> list:
    out = node.output() if node.output is not None else None
    label = [node.label()] + ([f"{tuple(out.shape)} {out.dtype.name}"] if out is not None else [])
    if show_data and out is not None:
        label += _summary("data", out.detach().numpy())
    if show_grad:
        label += _summary("grad", node.output_grad)
    return label


def _walk(root: Function) -> list:
    """Every node reachable from ``root`` (explicit stack), each once, the root first."""
    order, seen, stack = [], {id(root)}, [root]
    while stack:
        node = stack.pop()
        order.append(node)
        for edge in node.next_functions:
            if isinstance(edge, Function) and id(edge) not in seen:
                seen.add(id(edge))
                stack.append(edge)
    return order


def draw_graph(root: Tensor, show_data: bool = True, show_grad: bool = True, model: Any = None,
               params: dict | None = None, collapse: bool = False, path: str | None = None,
               format: str = "svg") -> Graph:  # noqa: A002
    """The graph that produced ``root``, as a `Graph` (DOT text that draws itself in a notebook).

    Ops are boxes (op, output shape and dtype, value and gradient when known), leaves are ellipses named
    by ``params`` (``{"a": a}``, as torchviz) or ``model.named_parameters()``; numbers an op took
    (``b ** 3``) are small plain nodes; the output is drawn with a double border. Values and gradients
    show for every tensor you still hold (as in micrograd, after ``backward()`` too); a fused op shows
    as its steps ("Linear → ReLU"). ``collapse=True`` folds each chain of single-input ops into the op
    that starts it, for large models. With ``path``, also render it (needs ``graphviz``).
    """
    if root.grad_fn is None:
        raise ValueError("draw_graph: the tensor is a leaf; there is no graph to draw")
    names = {id(p): n for n, p in model.named_parameters()} if model is not None else {}
    names.update({id(t): n for n, t in (params or {}).items()})
    order = _walk(root.grad_fn)
    nodes: dict = {}  # key -> (label lines, kind)
    edges: list = []
    for node in order:
        nodes[id(node)] = (_node_label(node, show_data, show_grad), "root" if node is root.grad_fn else "op")
        for i, edge in enumerate(node.next_functions):
            key = _add_input(nodes, edge, (id(node), i), names, show_data, show_grad)
            if key is not None:
                edges.append((key, id(node)))
    if collapse:
        nodes, edges = _collapse(order, nodes, edges)
    dot = _dot(nodes, edges)
    if path is not None:
        render(dot, path, format)
    return Graph(dot)


def _add_input(nodes: dict, edge: Any, slot: tuple, names: dict, show_data: bool, show_grad: bool) -> Any:
    """The node key of one input of an op (adding a leaf or constant node), or None for a dropped input."""
    if isinstance(edge, Function):
        return id(edge)
    if isinstance(edge, Tensor):
        kind = names.get(id(edge)) or ("parameter" if edge.requires_grad else "input")
        nodes.setdefault(id(edge), (_tensor_label(edge, kind, show_data, show_grad), "leaf"))
        return id(edge)
    if edge is not None:  # a number the op took as an input
        nodes[slot] = ([f"{edge:.4g}" if isinstance(edge, float) else str(edge)], "constant")
        return slot
    return None


_STYLES = {"op": "shape=box", "root": "shape=box, peripheries=2",
           "leaf": 'shape=ellipse, style=filled, fillcolor="#e8f0fe"', "constant": "shape=plaintext"}


def _dot(nodes: dict, edges: list) -> str:
    lines = ["digraph tinygrad_mlp {", "  rankdir=BT;", '  node [fontname="Helvetica", fontsize=10];']
    number = {key: i for i, key in enumerate(nodes)}  # stable names n0, n1, … in walk order
    for key, (label, kind) in nodes.items():
        style = _STYLES[kind] if not (kind == "leaf" and label[0] == "input") else "shape=ellipse"
        text = _esc("\n".join(label)).replace("\n", "\\n")
        lines.append(f'  n{number[key]} [{style}, label="{text}"];')
    for a, b in dict.fromkeys(edges):
        lines.append(f"  n{number[a]} -> n{number[b]};")
    return "\n".join(lines + ["}"]) + "\n"


def _collapse(order: list, nodes: dict, edges: list) -> tuple:
    """Fold every op whose only input is an op used once into that op's node."""
    uses: dict = {}
    for a, _ in dict.fromkeys(edges):
        uses[a] = uses.get(a, 0) + 1
    target: dict = {}
    for node in reversed(order):  # inputs first
        inputs = [e for e in node.next_functions if e is not None and not isinstance(e, (int, float, np.number))]
        if len(inputs) == 1 and isinstance(inputs[0], Function) and uses.get(id(inputs[0]), 0) == 1:
            into = target.get(id(inputs[0]), id(inputs[0]))
            target[id(node)] = into
            label, kind = nodes[into]
            mine, my_kind = nodes.pop(id(node))
            nodes[into] = ([label[0] + " + " + mine[0]] + mine[1:], "root" if my_kind == "root" else kind)
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
