"""The engine's shape: no import cycle in the package (deferred imports included; the root facade aside),
an engine core a student reads in one sitting, and no engine function above McCabe complexity 15."""

import ast
from pathlib import Path

from radon.complexity import cc_visit

PACKAGE = Path(__file__).resolve().parents[1] / "tinygrad_mlp"
ENGINE_CORE = ("tensor.py", "function.py")  # Tensor, Function and the backward walk


def module_names() -> dict:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("tinygrad_mlp",) + path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def imports_of(name: str, path: Path, known: dict) -> set:
    """Every package module that ``path`` imports, at the top or inside a function. ``from . import x``
    counts as importing the package (its __init__ runs first) as well as ``x``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            candidates = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for c in candidates:
            while c and c not in known:
                c = c.rpartition(".")[0]
            if c and c != name:
                found.add(c)
    return found


def cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (iterative Tarjan)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_package():
    known = module_names()
    graph = {name: imports_of(name, path, known) - {"tinygrad_mlp"} for name, path in known.items()
             if name != "tinygrad_mlp"}
    assert "tinygrad_mlp.function" not in {m for m in graph["tinygrad_mlp.function"]}
    assert "tinygrad_mlp.state" in graph["tinygrad_mlp.function"]  # (the scan sees real imports)
    assert cycles(graph) == []


def test_engine_core_is_small_and_simple():
    lines = sum(len((PACKAGE / f).read_text(encoding="utf-8").splitlines()) for f in ENGINE_CORE)
    assert lines <= 800, f"engine core is {lines} lines"
    worst = max((block.complexity, f"{f}:{block.lineno} {block.name}")
                for f in ENGINE_CORE for block in cc_visit((PACKAGE / f).read_text(encoding="utf-8")))
    assert worst[0] <= 15, f"most complex engine function: {worst}"
    function_source = (PACKAGE / "function.py").read_text(encoding="utf-8")
    assert "import tensor" not in function_source and "from .tensor" not in function_source


def test_nothing_above_the_engine_touches_tensor_internals():
    # one way to change a tensor in place (state.modify_in_place): nn, optim and utils never write ._data
    # or the version clock themselves
    for folder in ("nn", "optim", "utils"):
        for path in (PACKAGE / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            for needle in ("._data", "._version", "_tick(", "clock["):
                assert needle not in source, f"{path.relative_to(PACKAGE)} uses {needle}"
