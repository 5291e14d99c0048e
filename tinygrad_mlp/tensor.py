"""`Tensor`: a numpy array that remembers how it was made, and `backward()` that walks it back.

The whole idea in one place:

* every op is a small `Function` (``function.py``, the built-in ones in ``ops/``) whose forward
  computes with numpy and whose backward maps the output's gradient to its inputs' gradients;
* an op applied to tensors that require grad records itself as the output's ``grad_fn``, with
  its inputs as parents;
* ``loss.backward()`` puts the graph's nodes in topological order (with an explicit stack, so deep
  graphs cannot hit Python's recursion limit), then walks that order once: each node sums the
  gradients its consumers sent, calls its backward and sends the results on. Leaf tensors keep
  theirs in ``.grad``.

>>> import tinygrad_mlp as tg
>>> a = tg.tensor(-4.0, requires_grad=True)
>>> b = tg.tensor(2.0, requires_grad=True)
>>> c = a * b + b ** 3
>>> c.backward()
>>> a.grad.item(), b.grad.item()
(2.0, 8.0)

The methods of the ops (``x.exp()``, ``x.sum(dim)``, ...) come from ``ops/`` through the registry;
the torch / numpy spellings around them (conversions, in-place methods, comparisons) from
``tensor_api.py``. This file holds only the data, the graph links and the walk.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .args import Size, check_can_require_grad, to_array
from .function import Function, check_finite
from .registry import OpMethods
from .state import anomaly_threads, as_recorded, capture, captures, clock, mode, modify_in_place
from .tensor_api import TensorAPI
from .tracing import print_trace

_dtype_of = dtypes._BY_NUMPY  # numpy dtype -> tg.float32, ... (Tensor.dtype)


class Tensor(TensorAPI, OpMethods):
    """An n-dimensional array that can record the ops applied to it and differentiate them.

    >>> import tinygrad_mlp as tg
    >>> x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    # (_previous: set only by a recorded in-place op, see state.as_recorded)
    __slots__ = ("_data", "_ctx", "_requires_grad", "_grad", "_version", "_retains_grad", "_previous", "__weakref__")
    __array_ufunc__ = None  # numpy defers `ndarray (op) Tensor` to our reflected operators
    __hash__ = object.__hash__  # == is elementwise, identity is the hash (as in torch)
    _grad_hooks: dict = {}  # register_hook's: id of a non-leaf's node or of a leaf -> (weak ref to it, hooks)

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        arr = to_array(data, dtype)
        check_can_require_grad(arr.dtype, requires_grad)
        self._data = arr
        self._ctx = None
        self._requires_grad = bool(requires_grad)
        self._grad = None
        self._version = 0
        self._retains_grad = False

    @staticmethod
    def _wrap(data: np.ndarray, ctx: Function | None = None) -> Tensor:
        """Fast path for ops: wrap an array without checks or copies."""
        t = _new(Tensor)
        t._data = data
        t._ctx = ctx
        t._requires_grad = ctx is not None
        t._grad = None
        t._version = 0
        t._retains_grad = False
        return t

    # --- the data ---------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> dtypes.dtype:
        """``tg.float32``, ...: one object per dtype, printing as torch's and equal to the numpy dtype."""
        return _dtype_of[self._data.dtype]

    def item(self) -> Any:
        if self._data.size != 1:
            raise ValueError(
                f"item: only a tensor with one element can be converted to a Python scalar, "
                f"this one has shape {tuple(self.shape)}"
            )
        return self._data.item()

    @property
    def data(self) -> Tensor:
        """The same data as a tensor outside the graph (as ``torch.Tensor.data``)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        modify_in_place(self)
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    # --- the graph ----------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set requires_grad in place (leaves only); returns self."""
        if self._ctx is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables; use .detach() instead")
        check_can_require_grad(self._data.dtype, requires_grad)
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad must be a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has shape {tuple(value.shape)} but the tensor has shape "
                                   f"{tuple(self.shape)}")
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        return self._ctx

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on a Tensor that has requires_grad=False")
        self._retains_grad = True

    def detach(self) -> Tensor:
        """A tensor sharing this data, cut from the graph."""
        return Tensor._wrap(self._data)

    def detach_(self) -> Tensor:
        self._ctx = None
        self._requires_grad = False
        return self

    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs: Any = None, *, trace: Any = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (torch's arguments, in torch's order).

        ``gradient`` is needed when self is not a scalar; ``retain_graph=True`` keeps the graph's
        saved arrays for another backward; ``trace=True`` prints each step of the chain rule (a list
        collects the steps instead). ``create_graph`` and ``inputs`` are refused: backward computes on arrays.
        """
        if create_graph or inputs is not None:
            raise NotImplementedError("backward: create_graph=True (higher-order gradients) and inputs= are not "
                                      "supported by tinygrad_mlp; use tg.autograd.grad(loss, inputs) for chosen inputs")
        records = trace if isinstance(trace, list) else ([] if trace else None)
        run_backward(self, gradient, bool(retain_graph), records)
        if trace is True:
            print_trace(records)


Function.tensor_type = Tensor
_new = object.__new__


# --- the backward walk -----------------------------------------------------------------------


def run_backward(root: Tensor, gradient: Any, retain_graph: bool, records: list | None = None) -> None:
    """The walk: a topological order of the graph, then one pass down it that sums each node's
    gradient and calls the node's backward. ``records`` (a list) collects every step for a trace."""
    g0 = _root_gradient(root, gradient)
    if root._ctx is None:
        _accumulate_leaf(root, g0, owned=True)
        return _flush_hooked_leaves()
    order = topological_order(root._ctx)  # (and refuses arrays changed in place since forward)
    in_place = records is None  # a trace shows each upstream gradient: nothing may change them then
    root._ctx.grad_out, root._ctx.owns_grad = g0, in_place
    if root._retains_grad:
        root._grad = Tensor._wrap(g0.copy())
    hooks = Tensor._grad_hooks  # register_hook's table (usually empty)
    anomaly = anomaly_threads[0] > 0 and mode.anomaly  # (detect_anomaly: every gradient checked)
    try:
        for node in order:  # each node comes after every node that uses its output
            grad = node.grad_out
            if grad is not None:
                node.grad_out = None
                if hooks and id(node) in hooks:
                    grad = _run_hooks(node, grad)
                if node.output() is not None:  # (only while someone holds the node's output tensor)
                    _keep_output_grad(node, grad)
                input_grads = type(node).backward(node, grad)  # (through the class: torch-style staticmethods too)
                if type(input_grads) is not tuple:
                    input_grads = (input_grads,)
                if records is not None:
                    records.append((node.name(), grad, input_grads, node.parents))
                _send(node, grad, input_grads, in_place, anomaly)
            if not retain_graph:
                node.free()
        if _hooked_leaves:  # (leaves with register_hook hooks)
            _flush_hooked_leaves()
    except BaseException:
        _hooked_leaves.clear()
        for node in order:  # after an error, leave no half-summed gradients behind
            node.grad_out = None
        raise


def _root_gradient(root: Tensor, gradient: Any) -> np.ndarray:
    if not root._requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn: "
                           "backward() needs a tensor computed from a tensor with requires_grad=True")
    if gradient is None:
        if root._data.size != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs; this output has shape "
                               f"{tuple(root.shape)}: pass backward(gradient=...) with a tensor of that shape")
        g0 = np.empty(root._data.shape, root._data.dtype)
        g0.fill(1)  # (np.ones is a Python function: this is the same array, made faster)
        return g0
    g0 = np.array(to_array(gradient), dtype=root._data.dtype)  # a copy: the walk may change it in place
    if g0.shape != root.shape:
        raise RuntimeError(f"backward: gradient has shape {g0.shape} but the output has shape {tuple(root.shape)}")
    return g0


_DONE = object()  # topological_order's marker: the node under it is finished


def _keep_output_grad(node: Function, grad: np.ndarray) -> None:
    """While the node's output tensor lives, keep a copy of its gradient: as ``.grad`` if it asked to
    ``retain_grad()``, and on the node for graphs drawn after backward."""
    if captures:
        return capture(node.output(), grad)
    node.output_grad, node.owns_grad = grad, False  # (kept as it is: from here on the walk must not change it)
    out = node.output()
    if out is not None and out._retains_grad:
        out._grad = Tensor._wrap(grad)


def _check_versions(node: Function) -> None:
    """Point the node at its inputs as its forward saw them (a recorded in-place op since then replaced
    them), and refuse to go on if an array it saved was changed in place since."""
    node.parents = tuple(as_recorded(p, node._stamp) for p in node.parents)
    node.check_versions()


def topological_order(root: Function) -> list:
    """Every node that leads to ``root``, each after all the nodes that use its output (reverse
    post-order of a depth-first search, with an explicit stack)."""
    post, seen, stack, now = [], set(), [root], clock[0]
    while stack:
        node = stack.pop()
        if node is _DONE:  # every input of the node below the marker has been ordered
            post.append(stack.pop())
            continue
        if node in seen:
            continue
        if node.parents is None:
            raise RuntimeError(f"Trying to backward through the graph a second time: the saved arrays of "
                               f"{node.name()} were freed by the first backward. Call backward(retain_graph=True) "
                               "the first time if you need to backward twice.")
        seen.add(node)
        stack += (node, _DONE)
        if node._stamp != now:  # something changed in place since this node's forward:
            _check_versions(node)
        for parent, needed in zip(node.parents, node.needs_input_grad):
            if needed and parent._ctx is not None and parent._ctx not in seen:
                stack.append(parent._ctx)
    post.reverse()
    return post


def _send(node: Function, grad: np.ndarray, input_grads: tuple, in_place: bool, anomaly: bool) -> None:
    """Hand each input its gradient: a leaf adds it to ``.grad``, a node sums it into its ``grad_out``.

    Whether the walk owns a gradient (nothing else can see it, so it may be kept as a .grad or changed in
    place by the op it goes to) follows one rule, written here once: the walk owns what it made itself (a
    sum, a cast, the root's gradient); a node passes that ownership on when it returns the very array it
    was handed to one input only, and gives it for a fresh array from an op that declares ``fresh_grads``
    (its backward returns new arrays, each for one input).
    """
    single = len(input_grads) == 1
    for parent, g, needed in zip(node.parents, input_grads, node.needs_input_grad):
        if not needed or g is None:
            continue
        pdata = parent._data
        if anomaly or type(g) is not np.ndarray or g.dtype is not pdata.dtype or g.shape != pdata.shape:
            g, owned = _conform(node, g, pdata, in_place)
        else:
            owned = in_place and ((node.owns_grad and (single or _handed_once(g, input_grads))) if g is grad
                                  else (node.fresh_grads and g.base is None))  # the ownership rule, above
        pnode = parent._ctx
        if pnode is None:
            _accumulate_leaf(parent, g, owned)
        elif pnode.grad_out is None:
            pnode.grad_out, pnode.owns_grad = g, owned
        else:
            _sum_into(pnode, g, in_place)


def _sum_into(node: Function, g: np.ndarray, in_place: bool) -> None:
    """A second (third, ...) gradient for a node: added in place where the walk owns the first."""
    if node.owns_grad:
        np.add(node.grad_out, g, out=node.grad_out)
    else:  # a new array made here: the walk owns it
        node.grad_out, node.owns_grad = np.asarray(node.grad_out + g), in_place


def _conform(node: Function, g: Any, pdata: np.ndarray, in_place: bool) -> tuple:
    """A gradient that is not already an array of the input's shape and dtype: checked (shape; NaN/inf
    under detect_anomaly) and cast. Returns it and whether the walk owns it (a cast is a new array)."""
    g = np.asarray(g)
    if g.shape != pdata.shape:
        raise RuntimeError(f"{node.name()} returned a gradient of shape {g.shape} for an input of shape "
                           f"{pdata.shape}")
    if mode.anomaly:
        check_finite(node, g, "backward gradient")
    if g.dtype != pdata.dtype:
        return g.astype(pdata.dtype), in_place
    return g, False


def _handed_once(g: np.ndarray, input_grads: tuple) -> bool:
    """True if ``g`` is passed to one input only (an op may return the same array for several)."""
    count = 0
    for x in input_grads:  # (a plain loop: cheaper than sum() over a generator for these short tuples)
        if x is g:
            count += 1
    return count == 1


def _accumulate_leaf(leaf: Tensor, g: np.ndarray, owned: bool, hooks_done: bool = False) -> None:
    """Add g into leaf.grad; an array the walk does not own is copied before it is kept."""
    if not leaf._requires_grad:
        return
    if Tensor._grad_hooks and not hooks_done and id(leaf) in Tensor._grad_hooks:
        entry = _hooked_leaves.get(id(leaf))  # summed first: its hooks run once on the total (as torch)
        _hooked_leaves[id(leaf)] = (leaf, g.copy() if entry is None else entry[1] + g)
        return None
    if captures:  # (tg.autograd.grad: collected, not accumulated)
        return capture(leaf, g)
    grad = leaf._grad
    if grad is None:
        leaf._grad = Tensor._wrap(g if owned else g.copy(order="K"))  # (keeping a column-major weight's layout)
    elif grad._data.flags.writeable:
        np.add(grad._data, g, out=grad._data)
    else:
        grad._data = grad._data + g


_hooked_leaves: dict = {}  # during a backward: id -> (leaf, its summed gradient) for leaves with hooks


def _flush_hooked_leaves() -> None:
    """Each hooked leaf's hooks run once on its summed gradient, which then goes to ``.grad``."""
    pending = list(_hooked_leaves.values())
    _hooked_leaves.clear()
    for leaf, g in pending:
        _accumulate_leaf(leaf, _run_hooks(leaf, g), True, hooks_done=True)


def _run_hooks(key: Any, g: np.ndarray) -> np.ndarray:
    """register_hook's hooks, in order, on a copy of the gradient; a hook that returns a tensor replaces it."""
    g = g.copy()
    for hook in list(Tensor._grad_hooks[id(key)][1]):
        out = hook(Tensor._wrap(g))
        if out is not None:
            g = np.array(to_array(out), dtype=g.dtype).reshape(g.shape)
    return g
