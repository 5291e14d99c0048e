"""draw_graph's DOT text and trace_backward's chain rule, checked against the textbook."""

import re
import shutil

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import nn


def parse_dot(dot):
    nodes = dict(re.findall(r'^\s+(n\d+) \[.*label="([^"]*)"\];$', dot, re.M))
    edges = re.findall(r"^\s+(n\d+) -> (n\d+);$", dot, re.M)
    return {k: v.split("\\n") for k, v in nodes.items()}, edges


def test_dot_of_a_small_mlp_has_every_op_leaf_and_edge():
    model = nn.MLP(4, [8], 3)
    model.fuse_linear_relu = False  # show Linear and ReLU as the two ops they are
    x = tg.randn(5, 4)
    loss = nn.CrossEntropyLoss()(model(x), tg.tensor([0, 1, 2, 0, 1]))
    nodes, edges = parse_dot(tg.utils.draw_graph(loss, model=model))
    labels = sorted(v[0] for v in nodes.values())
    assert labels == sorted(["CrossEntropy", "Linear", "ReLU", "Linear", "input", "0.weight", "0.bias", "2.weight",
                             "2.bias"])
    assert len(edges) == 8  # input, W, b -> Linear; Linear -> ReLU; ReLU, W, b -> Linear; Linear -> CE
    shapes = {v[0]: v[1] for v in nodes.values() if v[0] in ("CrossEntropy", "0.weight")}
    assert shapes == {"CrossEntropy": "() float32", "0.weight": "(8, 4) float32"}
    assert not any(line.startswith("grad") for v in nodes.values() for line in v)  # no gradients before backward
    model.fuse_linear_relu = True  # the default: a Linear followed by a ReLU runs as one op, drawn as its two steps
    loss = nn.CrossEntropyLoss()(model(x), tg.tensor([0, 1, 2, 0, 1]))
    fused, _ = parse_dot(tg.utils.draw_graph(loss, model=model))
    assert sorted(v[0] for v in fused.values() if v[0][0].isupper()) == ["CrossEntropy", "Linear", "Linear → ReLU"]


def test_gradients_appear_after_backward_even_once_the_graph_is_freed():
    w = tg.tensor([3.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    nodes, _ = parse_dot(tg.utils.draw_graph(loss, show_data=True))
    leaf = next(v for v in nodes.values() if v[0] == "parameter")
    assert leaf[2] == "data 3" and leaf[3] == "grad 6"
    w.grad = None
    loss.backward()  # frees the saved arrays; the graph's shape stays, as torch's grad_fn chain
    nodes, _ = parse_dot(tg.utils.draw_graph(loss))
    assert sorted(v[0] for v in nodes.values()) == ["Mul", "Sum", "parameter"]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_micrograd_example_draws_every_value_gradient_constant_and_the_root():
    a = tg.tensor(-4.0, requires_grad=True)
    b = tg.tensor(2.0, requires_grad=True)
    c = a + b
    d = a * b + b ** 3
    e = (c - d).relu() + d.sigmoid() * c
    e.backward()
    graph = tg.utils.draw_graph(e, params={"a": a, "b": b})
    assert isinstance(graph, str) and graph.source == str(graph)
    nodes, edges = parse_dot(graph)
    by_name = {v[0]: v for v in nodes.values()}
    assert by_name["a"][2:] == ["data -4", f"grad {a.grad.item():.4g}"]
    assert by_name["b"][2:] == ["data 2", f"grad {b.grad.item():.4g}"]
    assert "3" in by_name and "Pow" in by_name  # the exponent of b ** 3 is drawn
    # every tensor still held shows its value and its gradient (micrograd's view), after backward
    held = {"c": c, "d": d, "e": e}
    for name, t in held.items():
        label = next(v for v in nodes.values() if v[0] == t.grad_fn.label() and f"data {t.item():.4g}" in v)
        grad_line = next(line for line in label if line.startswith("grad"))
        assert float(grad_line.split()[1]) == pytest.approx(_torch_style_grad(name), rel=1e-4)
    root = re.search(r'^\s+(n\d+) \[shape=box, peripheries=2, label="Add', graph, re.M)
    assert root is not None  # the output is marked
    assert len(edges) == len(set(edges)) >= 10


def _torch_style_grad(name):
    # de/dc, de/dd, de/de of micrograd's example, worked out by hand at a=-4, b=2: c=-2, d=0, e=sigmoid(0)*c
    # e = relu(c - d) + sigmoid(d) * c; relu'(-2) = 0
    s = 0.5
    return {"c": s, "d": s * (1 - s) * -2.0, "e": 1.0}[name]


def test_graph_of_sequential_shows_the_relu_and_renders_in_a_notebook():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = model(tg.randn(2, 3)).sum()
    loss.backward()
    graph = tg.utils.draw_graph(loss, model=model)
    labels = [v[0] for v in parse_dot(graph)[0].values()]
    assert "Linear → ReLU" in labels and labels.count("Linear") == 1
    assert "0.weight" in labels and "2.bias" in labels
    if shutil.which("dot") is not None and _has_graphviz():
        svg = graph._repr_svg_()
        assert svg.lstrip().startswith("<?xml") and "Linear → ReLU" in svg
    else:
        assert graph._repr_svg_() is None  # Jupyter then shows the DOT text


def _has_graphviz():
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return False
    return True


def test_thousand_node_graph_and_collapse_by_layer():
    model = nn.MLP(8, [8] * 300, 2, activation="tanh")
    loss = model(tg.randn(2, 8)).sum()
    nodes, edges = parse_dot(tg.utils.draw_graph(loss, model=model))
    ops = [v for v in nodes.values() if v[0] in ("Linear", "Tanh", "Sum")]
    assert len(ops) == 301 + 300 + 1 and len(nodes) > 1000
    collapsed, c_edges = parse_dot(tg.utils.draw_graph(loss, model=model, collapse=True))
    layers = [v for v in collapsed.values() if v[0].startswith("Linear")]
    assert len(layers) == 301 and sum(v[0] == "Linear + Tanh" for v in layers) == 300
    assert len(collapsed) == len(nodes) - 301


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_render_svg(tmp_path):
    pytest.importorskip("graphviz", reason="graphviz package not installed: pip install -e '.[viz]'")
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    out = tg.utils.draw_graph((x * 2).sum(), path=str(tmp_path / "g.svg"))
    assert "digraph" in out and (tmp_path / "g.svg").read_text().startswith("<?xml")


def test_xor_trace_reads_as_the_textbook_chain_rule(capsys):
    tg.set_default_dtype(np.float64)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    model.load_state_dict({"0.weight": np.array([[0.1, 0.2], [0.3, 0.4]]).T, "0.bias": [0.1, 0.2],
                           "2.weight": np.array([[0.5], [0.6]]).T, "2.bias": [0.3]})
    out = model(tg.tensor([[0.0, 0.0]]))
    loss = 0.5 * ((out - tg.tensor([[0.0]])) ** 2).sum()
    records = tg.utils.trace_backward(loss, model)
    sigmoid = next(r for r in records if r.op == "SigmoidBackward0")  # the output unit, visited first
    dE_dout = sigmoid.upstream.item()
    dout_dnet = sigmoid.inputs[0].local.item()
    layer2 = next(r for r in records if r.op == "AddmmBackward0")
    w5 = next(s for s in layer2.inputs if s.name == "2.weight")
    dnet_dw5 = w5.local.ravel()[0]
    assert abs(dE_dout - 0.709383) < 1e-6 and abs(dout_dnet - 0.206158) < 1e-6 and abs(dnet_dw5 - 0.524979) < 1e-6
    assert abs(w5.passed_down.ravel()[0] - 0.076775) < 1e-6
    assert abs(dE_dout * dout_dnet * dnet_dw5 - w5.passed_down.ravel()[0]) < 1e-12
    assert model[2].weight.grad.numpy()[0, 0] == w5.passed_down.ravel()[0]
    printed = capsys.readouterr().out
    assert "SigmoidBackward0 upstream 0.709383" in printed
    assert "2.weight: local [0.524979, 0.549834]" in printed


def test_backward_trace_flag_prints_the_same_walk(capsys):
    x = tg.tensor(2.0, requires_grad=True)
    (x * x).backward(trace=True)
    assert capsys.readouterr().out.startswith("MulBackward0     upstream 1.000000")
    assert x.grad.item() == 4.0
