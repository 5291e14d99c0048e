"""`compile(step)`: record one training step, plan its buffers, and replay the plan.

``step`` is a function that runs one training step — ``optimizer.zero_grad()``, forward, loss,
``loss.backward()``, ``optimizer.step()`` — and returns the loss tensor, or ``(loss, output)`` with the
model's output the loss was computed from (a replay then returns a fresh copy of that output too: `fit`
uses it for its metrics). ``compile(step)`` returns a callable that does the same work with far less
Python and no allocation per step:

>>> import numpy as np, tinygrad_mlp as tg
>>> _ = tg.manual_seed(0)
>>> model = tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.ReLU(), tg.nn.Linear(8, 3))
>>> opt = tg.optim.SGD(model.parameters(), lr=0.1)
>>> loss_fn = tg.nn.CrossEntropyLoss()
>>> def train_step(x, y):
...     opt.zero_grad()
...     loss = loss_fn(model(x), y)
...     loss.backward()
...     opt.step()
...     return loss
>>> step = tg.compile(train_step)
>>> x, y = tg.randn(16, 4), tg.randint(0, 3, (16,))
>>> losses = [step(x, y).item() for _ in range(3)]     # 1st call: eager + recorded; then replayed
>>> losses[0] > losses[2]
True

How it works
------------
* **Record.** The first call for an input signature (the shapes and dtypes of the arguments, the
  values of non-array arguments, grad mode) runs ``step`` eagerly. The compiler then reads what the
  eager engine left behind — the loss's ``grad_fn`` and every node's ``next_functions`` (the graph's
  shape, kept after backward) and the optimizer's ``param_groups`` — and nothing else: the engine
  has no special case for it.
* **Plan.** The graph must be an MLP: ``Linear`` / ``LinearReLU`` nodes with ReLU, Tanh or Sigmoid
  between them, ending in the fused mean ``CrossEntropy`` or in mean squared error; the optimizer
  ``SGD`` (momentum, dampening, Nesterov, weight decay, maximize) or ``Adam`` / ``AdamW`` (amsgrad).
  Every parameter becomes a view into **one flat parameter buffer** (same shape, strides and
  values: a column-major weight stays column-major), every gradient a view into **one flat gradient
  buffer**, and the optimizer state (``exp_avg``, ``momentum_buffer``, ...) views into flat buffers
  too, so the update is a handful of whole-buffer numpy calls. Activations live in buffers made
  once; every product and elementwise op writes with ``out=``; bias add and ReLU run in place; the
  ReLU mask is applied in place on the way back; the input data gets no gradient.
* **Check.** Before a plan is used, it replays the recorded step from the state before it and its
  result (loss, parameters, gradients, optimizer state) is compared with the eager one. Anything
  that disagrees, and anything the planner does not know, falls back to eager with a
  `CompileWarning` that says why (``strict=True`` raises `CompileError` instead).
* **Replay.** Later calls with the same signature run the plan: one generated Python function of
  straight numpy calls (see `CompiledStep.source`) and the flat optimizer update.

Numbers
-------
The plan runs the very kernels eager runs, on operands of the same shapes, layouts and dtypes, in
an order that does not change any result: ``np.dot`` for every product (with ``out=``), the same
elementwise ufuncs in the same association, the same reductions. The optimizer's whole-buffer
update applies to each element exactly the operations eager applies per parameter. So a compiled
step equals the eager step **bit for bit** — loss, parameters, ``.grad`` and optimizer state
(``tests/test_compile.py`` checks this over 1,000 steps). No fusion here changes rounding, except the one
you ask for with ``keep_grads=False`` (below).

With numba installed (``pip install tinygrad_mlp[fast]``), plain SGD and Adam/AdamW (no amsgrad, no
maximize, no L2 ``weight_decay`` in Adam) update in **one fused loop** over the flat buffers instead of
2 (SGD) or ~13 (Adam) whole-buffer numpy calls: the same operations per element in the same order and
dtype, without fast-math, so still bit for bit (``tests/test_compile_fused.py``, 1,000 steps; see
`_fused_kernels`). Loading numba costs ~1-2 s once per process, paid by the first call that plans a step
(as a JIT's compile is); after that every step runs at full speed (``FUSED = True``, the default).
``fused="auto"`` instead switches to the kernels only once the numpy updates have cost about that much
(~4,000 Adam steps of the 235k-parameter MNIST MLP): what `fit` uses, so a two-second training run does
not spend a second loading numba. ``fused=False`` never loads it. Without numba the numpy update runs,
silently.

Weights updated in their product (``keep_grads=False``)
-------------------------------------------------------
With plain SGD (no momentum, weight decay or maximize), ``tg.compile(step, keep_grads=False)`` updates each
weight inside the product that makes its gradient: one BLAS ``gemm`` that adds ``-lr * grad`` into the
weights (``beta = 1``), called through ctypes in the OpenBLAS numpy itself loaded (see `_blas_gemm`). The
weight gradient is never written out and the update pass over the weights is gone: the 784-256-128-10
SGD step takes 25-30% less time than the ordinary compiled step at batch 1, 13-20% at 32, 5-12% at 128 and
2-4% at 512 (``python -m benchmarks.gemm_update``). What changes:

* each weight's ``.grad`` is None after a replayed step (the biases keep theirs; the recorded first call
  and any batch that runs eagerly leave eager's); use the default ``keep_grads=True`` to read, log or
  clip weight gradients. The gradient buffer is still allocated: no memory is saved;
* rounding, in exactly one place: eager rounds the gradient, then ``grad * lr``, then the subtraction; the
  product adds ``-lr * (partial sum)`` into the weights once per block of the batch dimension (OpenBLAS
  accumulates long products in blocks), each add rounded. So a weight can differ from eager's by a few
  ulps of itself and of its update, or, where the batch's contributions cancel, by a few ulps of ``lr``
  times the sum of their magnitudes. The loss, every activation and delta, the biases and their
  gradients are computed as before (each step's input-side product runs first, from the weights the
  forward used). Over 1,000 steps the losses agree to 1e-5 relative and the parameters to ~1e-4 of their
  largest value (``tests/test_compile_product_update.py``); the check run allows exactly the bound above;
* with ``lr`` exactly 0 the product adds nothing (BLAS skips it), so a non-finite gradient leaves the
  weights as they are where eager's ``0 * inf`` would make them NaN.

Where it does not apply — Adam, a parameter group with momentum, weight decay or maximize (other groups
are still fused), a numpy built on another BLAS, a dtype other than float32/float64 — the ordinary
compiled step runs, gradients kept; switching momentum on later for a fused group plans again.

What stays the same, what differs
---------------------------------
``.grad``, ``optimizer.state``, ``model.state_dict()``, ``optimizer.state_dict()`` and
``load_state_dict`` work as in eager, in both directions, at any point; learning-rate schedulers
work (the hyperparameters are read from ``param_groups`` on every call). Differences: the returned
loss is a tensor without a graph (``requires_grad`` False); each parameter's ``.grad`` is the same
tensor from step to step, rewritten in place (as torch's ``zero_grad(set_to_none=False)``); Python
side effects inside ``step`` (prints, counters) happen only on recorded calls.

Refused (run eagerly, with a warning): any op outside the MLP family (dropout in training mode,
batch norm, ...), a step that reads a tensor's value while it runs (``.item()``, ``float()``,
``bool()``, ``.tolist()`` — Python control flow could depend on it), modules with forward hooks, a step without
``zero_grad()`` (gradients would accumulate), or without exactly one ``optimizer.step()``,
parameters shared between layers, a parameter frozen (``requires_grad=False``) but still in the
optimizer (also when frozen later: that call re-records), mixed dtypes, more than one optimizer in reach
(pass ``optimizer=``). A batch whose class targets are not all in ``0..C-1`` (``ignore_index``) runs
eagerly for that call.

Known gaps (need engine support, see the module's end): value reads through ``.numpy()`` are not
seen, and a ``cross_entropy(..., ignore_index=k)`` called directly with ``0 <= k < C`` cannot be
told from the graph (the ``CrossEntropyLoss`` module's ``ignore_index`` is checked).
"""

from __future__ import annotations

import functools
import inspect
import math
import warnings
from collections.abc import Callable
from types import SimpleNamespace as types_namespace
from typing import Any

import numpy as np

from . import ops
from .nn.module import Module
from .optim.adam import Adam, AdamW
from .optim.optimizer import Optimizer, group_numbers
from .optim.sgd import SGD
from .state import clock, mode, modify_in_place
from .tensor import Tensor

__all__ = ["compile", "CompiledStep", "CompileError", "CompileWarning"]

_ALIGN = 16  # each parameter's slice of the flat buffers starts on a 64-byte boundary (float32)


class CompileWarning(UserWarning):
    """The compiled step runs this signature eagerly; the message says why."""


class CompileError(RuntimeError):
    """Raised instead of `CompileWarning` when compiled with ``strict=True``."""


class _Unsupported(Exception):
    """Internal: the recorded step is outside what the planner handles (the message says what)."""


def compile(fn: Callable | None = None, *, optimizer: Optimizer | None = None,  # noqa: A001 - torch's name
            strict: bool = False, warn: bool = True, fused: bool | str | None = None,
            keep_grads: bool = True) -> Any:
    """Compile a training-step function (see the module docstring). ``optimizer``: the optimizer the
    step uses, when it cannot be found among the function's globals, closure or bound ``self``;
    ``strict``: raise `CompileError` instead of warning and running eagerly; ``warn=False``: run eagerly
    without a warning (the reason is still kept in ``.eager``); ``fused``: the one-pass numba update
    from the first step (True; numba's load, ~1-2 s, is paid by the first planned call), never (False) or
    after ~1e9 element updates ("auto", what `fit` uses); None: the module's ``FUSED`` (True);
    ``keep_grads=False``: with plain SGD, each weight is updated inside its gradient's
    matrix product and its ``.grad`` is left None (see "Weights updated in their product" above). Also a
    decorator.

    >>> import tinygrad_mlp as tg
    >>> model = tg.nn.Linear(3, 2); opt = tg.optim.SGD(model.parameters(), lr=0.1)
    >>> @tg.compile(fused=False)
    ... def step(x, y):
    ...     opt.zero_grad(); loss = tg.nn.functional.cross_entropy(model(x), y); loss.backward(); opt.step()
    ...     return loss
    >>> round(step(tg.ones(4, 3), tg.tensor([0, 1, 0, 1])).item(), 4) > 0
    True
    """
    if fn is None:
        return functools.partial(compile, optimizer=optimizer, strict=strict, warn=warn, fused=fused,
                                 keep_grads=keep_grads)
    return CompiledStep(fn, optimizer=optimizer, strict=strict, warn=warn, fused=fused, keep_grads=keep_grads)


class CompiledStep:
    """The callable `compile` returns: one plan per input signature, eager where none applies."""

    def __init__(self, fn: Callable, optimizer: Optimizer | None = None, strict: bool = False,
                 warn: bool = True, fused: bool | str | None = None, keep_grads: bool = True) -> None:
        self.fn = fn
        self.fused = fused
        self.keep_grads = keep_grads
        self.optimizer = optimizer
        self.strict = strict
        self.warn = warn
        self.plans: dict = {}  # signature -> _Plan
        self.eager: dict = {}  # signature -> why it runs eagerly
        self.store: _FlatStore | None = None
        self.modules: list | None = None  # every submodule the step can reach: their train/eval mode is in the key
        functools.update_wrapper(self, fn, updated=())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.modules is None:
            self.modules = list({id(m): m for top in _reachable(self.fn) if isinstance(top, Module)
                                 for m in top.modules()}.values())
        key = _signature(args, kwargs, self.modules)
        plan = self.plans.get(key)
        if plan is not None:
            loss = plan.run(args)
            if loss is not None:
                return loss
            if plan.store.stale:  # the optimizer's parameter groups changed: record again
                self.plans.clear()
                self.eager.clear()
                self.store = None
                return self._record(key, args, kwargs)
            return self.fn(*args, **kwargs)  # this batch only (e.g. a target outside 0..C-1)
        if key is None or key in self.eager:
            return self.fn(*args, **kwargs)
        return self._record(key, args, kwargs)

    def source(self, index: int = -1) -> str:
        """The generated Python of a plan (the last one made by default): what a replay runs."""
        return list(self.plans.values())[index].source

    # --- the first call of a signature ------------------------------------------------------------
    def _record(self, key: tuple, args: tuple, kwargs: dict) -> Any:
        if not mode.grad_enabled or mode.anomaly:
            why = "anomaly detection is on" if mode.grad_enabled else "grad mode is off (no_grad)"
            self._refuse(key, f"{why}: eager runs it")
            return self.fn(*args, **kwargs)
        found = _reachable(self.fn)
        opt = self.optimizer or _the_optimizer(found)
        if opt is None:
            n = len({id(o) for o in found if isinstance(o, Optimizer)})
            self._refuse(key, f"{'no' if n == 0 else n} optimizers found in the step function's globals, closure "
                              "or bound self; pass compile(step, optimizer=opt)")
            return self.fn(*args, **kwargs)
        params = [p for g in opt.param_groups for p in g["params"]]
        before = _snapshot(opt, params)
        watch = _Watch(opt, [m for m in found if isinstance(m, Module)])
        with watch:
            result = self.fn(*args, **kwargs)
        loss, output = _loss_and_output(result)
        try:
            watch.check()
            _check_losses(found)
            _check_hooks(found)
            _check_grads(params)
            plan = _build_plan(self, loss, output, args, opt, params)
        except _Unsupported as e:
            self._refuse(key, str(e))
            return result
        after = _snapshot(opt, params)
        try:  # replay the recorded step from the state before it, and compare with eager's result
            _restore(opt, params, before)
            plan.store.adopt()
            got = plan.run(args)
            if got is None and plan.store.stale:  # (a planning bug: the store refused its own groups)
                raise _Unsupported("the flat buffers no longer match the optimizer's parameter groups; please "
                                   "report this")
            if got is None:
                raise _Unsupported("the recorded batch has class targets outside 0..C-1")
            if output is not None:
                _same("the model's output", got[1].numpy(), output.numpy())
                got = got[0]
            _compare(got.numpy(), loss.numpy(), opt, params, after, before, plan.product_bounds(args))
        except _Unsupported as e:
            _restore(opt, params, after)
            self._refuse(key, str(e))
            return result
        except Exception as e:  # pragma: no cover - a planner bug must not cost the user their step
            _restore(opt, params, after)
            self._refuse(key, f"the plan failed on its check run ({type(e).__name__}: {e})")
            return result
        _restore(opt, params, after)  # the first step's result is eager's own
        plan.store.adopt()
        self.plans[key] = plan
        return result

    def _refuse(self, key: tuple | None, why: str) -> None:
        message = f"compile: {getattr(self.fn, '__name__', 'step')} runs eagerly: {why}"
        if self.strict:
            raise CompileError(message)
        if self.warn:
            warnings.warn(message, CompileWarning, stacklevel=4)
        if key is not None:
            self.eager[key] = why


# --- signatures ------------------------------------------------------------------------------------


def _signature(args: tuple, kwargs: dict, modules: list) -> tuple | None:
    """Shapes, dtypes and requires_grad of array arguments, values of the others, grad and anomaly mode,
    the train/eval mode of every reachable module; None when an argument can be neither (unhashable)."""
    parts: list = [mode.grad_enabled, mode.anomaly, tuple(m.training for m in modules)]
    for a in (*args, *kwargs.items()):
        if type(a) is Tensor:
            d = a.numpy()
            parts.append((d.shape, d.dtype, a.requires_grad))
        elif type(a) is np.ndarray:
            parts.append((a.shape, a.dtype))
        else:
            parts.append(("value", a))
    key = tuple(parts)
    try:
        hash(key)
    except TypeError:
        return None
    return key


# --- finding the optimizer, and watching the recorded call -------------------------------------------


def _reachable(fn: Callable, depth: int = 2) -> list:
    """Objects the step can reach: its closure, the globals it names, a bound method's self, a
    functools.partial's arguments; and, ``depth`` levels further, the attributes of plain objects and
    what the functions among them reach (an optimizer kept as ``trainer.opt`` is found)."""
    out: list = []
    while isinstance(fn, functools.partial):
        out += [*fn.args, *fn.keywords.values()]
        fn = fn.func
    if inspect.ismethod(fn):
        out.append(fn.__self__)
        fn = fn.__func__
    code = getattr(fn, "__code__", None)
    if code is not None:
        for cell in fn.__closure__ or ():
            try:
                out.append(cell.cell_contents)
            except ValueError:  # an empty cell
                pass
        names = set(code.co_names)
        for const in code.co_consts:  # names used by nested functions and comprehensions
            if inspect.iscode(const):
                names.update(const.co_names)
        out += [fn.__globals__[n] for n in names if n in fn.__globals__]
    if depth > 0:
        for obj in list(out):
            if inspect.isfunction(obj) or inspect.ismethod(obj) or isinstance(obj, functools.partial):
                out += _reachable(obj, depth - 1)
            elif isinstance(obj, (list, tuple)) and len(obj) < 64:
                out += list(obj)
            elif (not isinstance(obj, (Module, Optimizer, Tensor, type)) and not inspect.ismodule(obj)
                    and isinstance(getattr(obj, "__dict__", None), dict)):
                out += list(vars(obj).values())
    return out


def _the_optimizer(found: list) -> Optimizer | None:
    optimizers = {id(o): o for o in found if isinstance(o, Optimizer)}
    return next(iter(optimizers.values())) if len(optimizers) == 1 else None


def _loss_and_output(result: Any) -> tuple:
    """(loss, model output or None): a step returns the loss, or ``(loss, output)`` to get the output too."""
    if isinstance(result, tuple) and len(result) == 2 and all(isinstance(r, Tensor) for r in result):
        return result
    return result, None


def _check_hooks(found: list) -> None:
    for m in found:
        if isinstance(m, Module):
            for sub in m.modules():
                if getattr(sub, "_forward_hooks", None):
                    raise _Unsupported(f"a module ({type(sub).__name__}) has forward hooks, which a replay would "
                                       "not run")


def _check_grads(params: list) -> None:
    hooks = getattr(Tensor, "_grad_hooks", {})
    for k, p in enumerate(params):
        if not p.requires_grad:
            raise _Unsupported(f"parameter {k} {tuple(p.shape)} is frozen (requires_grad=False) but still in the "
                               "optimizer, which then skips it: the compiled step would update it")
        if id(p) in hooks:
            raise _Unsupported("a parameter has a gradient hook (register_hook), which a replay would not run")
        if p.grad is not None and getattr(p.grad, "_version", 0):
            raise _Unsupported("the step changes gradients in place between backward and step (e.g. "
                               "clip_grad_norm_), which the compiled step does not replay")


def _check_losses(found: list) -> None:
    for m in found:
        if isinstance(m, Module):
            for sub in m.modules():
                index = getattr(sub, "ignore_index", None)
                if type(sub).__name__ == "CrossEntropyLoss" and isinstance(index, int) and index >= 0:
                    raise _Unsupported(f"CrossEntropyLoss(ignore_index={index}): a class index that is ignored "
                                       "cannot be told apart from the others in the recorded graph")


_VALUE_READS = ("item", "tolist", "__bool__", "__float__", "__int__", "__index__")


class _Watch:
    """During the recorded call only: count zero_grad() and step() calls on the optimizer (and
    zero_grad() on reachable modules), and note reads of a tensor's value. Instance attributes on
    the optimizer and modules; the Tensor methods are wrapped on the class and restored after."""

    def __init__(self, opt: Optimizer, modules: list) -> None:
        self.opt, self.modules = opt, {id(m): m for m in modules}.values()
        self.zero_grads = self.steps = 0
        self.reads: list = []

    def __enter__(self) -> _Watch:
        def counting(obj: Any, name: str, field: str) -> None:
            method = getattr(obj, name)

            def wrapper(*a: Any, **k: Any) -> Any:
                setattr(self, field, getattr(self, field) + 1)
                return method(*a, **k)

            setattr(obj, name, wrapper)

        counting(self.opt, "zero_grad", "zero_grads")
        counting(self.opt, "step", "steps")
        for m in self.modules:
            counting(m, "zero_grad", "zero_grads")
        self._saved = {name: Tensor.__dict__.get(name) for name in _VALUE_READS}
        for name in _VALUE_READS:
            method = getattr(Tensor, name)

            def reading(t: Any, *a: Any, _method: Any = method, _name: str = name, **k: Any) -> Any:
                if not self._hyperparameter(t):  # (the optimizer reading a tensor lr is no control flow)
                    self.reads.append(_name)
                return _method(t, *a, **k)

            setattr(Tensor, name, reading)
        return self

    def _hyperparameter(self, t: Any) -> bool:
        """t is a value in the optimizer's param_groups (a tensor learning rate, say), read on every call."""
        return any(t is v or (type(v) is tuple and any(t is e for e in v))
                   for g in self.opt.param_groups for k, v in g.items() if k != "params")

    def __exit__(self, *exc: object) -> None:
        for obj in (self.opt, *self.modules):
            for name in ("zero_grad", "step"):
                obj.__dict__.pop(name, None)
        for name, original in self._saved.items():
            if original is None:
                delattr(Tensor, name)
            else:
                setattr(Tensor, name, original)

    def check(self) -> None:
        if self.reads:
            raise _Unsupported(f"the step reads a tensor's value while it runs ({self.reads[0]}()): a replay runs "
                               "fixed work and cannot follow Python that depends on it; return the loss and read it "
                               "outside")
        if self.steps != 1:
            raise _Unsupported(f"the step calls optimizer.step() {self.steps} times; exactly once is compiled")
        if self.zero_grads < 1:
            raise _Unsupported("the step never calls zero_grad(): its gradients accumulate from call to call, "
                               "which a compiled step does not replay")


# --- reading the recorded graph -------------------------------------------------------------------------

_ACTIVATIONS = {ops.ReLU: "relu", ops.Tanh: "tanh", ops.Sigmoid: "sigmoid"}


def _read_graph(loss: Any, args: tuple, output: Tensor | None = None) -> tuple:
    """(loss kind, layers [(weight, bias, activation)] in forward order, input index, target index); with
    ``output``, checks that it is the tensor the loss was computed from."""
    if not isinstance(loss, Tensor):
        raise _Unsupported(f"the step returns a {type(loss).__name__}, not the loss tensor")
    node = loss.grad_fn
    if node is None:
        raise _Unsupported("the returned loss has no graph (computed under no_grad, or detached)")
    if node.parents is not None:
        raise _Unsupported("the step does not call loss.backward() (or keeps the graph with retain_graph=True)")
    edges = node.next_functions
    target = None
    if type(node) is ops.CrossEntropy:
        if node.reduction != "mean":
            raise _Unsupported(f"cross_entropy(reduction={node.reduction!r}); 'mean' is compiled")
        kind, src = "cross_entropy", edges[0]
    elif type(node) is ops.Mean and node.dims is None:
        mul = edges[0]
        sub = mul.next_functions[0] if type(mul) is ops.Mul else None
        if (type(sub) is not ops.Sub or mul.next_functions[1] is not sub
                or not isinstance(sub.next_functions[1], Tensor)):
            raise _Unsupported("a mean loss other than mse_loss(input, target) (reduction='mean')")
        kind, src, target = "mse", sub.next_functions[0], sub.next_functions[1]
    else:
        raise _Unsupported(f"the loss is {node.name()}; mean cross_entropy and mean mse_loss are compiled")
    if output is not None and (output.grad_fn is None or output.grad_fn is not src):
        raise _Unsupported("the step's second returned value is not the output the loss was computed from")
    layers: list = []
    pending = None  # an activation node seen, waiting for the Linear under it
    while not isinstance(src, Tensor):
        t = type(src)
        if t in _ACTIVATIONS and pending is None:
            pending, src = _ACTIVATIONS[t], src.next_functions[0]
            continue
        if t is ops.LinearReLU and pending is None:
            act = "relu"
        elif t is ops.Linear:
            act, pending = pending, None
        else:
            raise _Unsupported(f"the graph holds {src.name() if src is not None else 'a constant'}, which is not "
                               "compiled (Linear, ReLU, Tanh, Sigmoid, cross_entropy and mse_loss are)")
        e = src.next_functions
        layers.append((e[1], e[2] if src.has_bias else None, act))
        src = e[0]
    if pending is not None:
        raise _Unsupported(f"an activation ({pending}) is applied to the input itself")
    layers.reverse()
    xi = _arg_index(src, args, "input")
    if src.requires_grad:
        raise _Unsupported("the input requires grad")
    ti = _arg_index(target, args, "target") if target is not None else _ce_target(args, xi, src.shape[0])
    return kind, layers, xi, ti


def _arg_index(t: Tensor, args: tuple, what: str) -> int:
    for i, a in enumerate(args):
        if a is t or (isinstance(a, np.ndarray) and _raw(t) is a):
            return i
    raise _Unsupported(f"the step's {what} is not one of its arguments as given (it is made from them inside "
                       "the step, or taken from elsewhere): pass the arrays the first layer and the loss use")


def _ce_target(args: tuple, xi: int, n: int) -> int:
    found = [i for i, a in enumerate(args) if i != xi and isinstance(a, (Tensor, np.ndarray))
             and a.dtype.kind in "iu" and tuple(a.shape) == (n,)]
    if len(found) != 1:
        raise _Unsupported(f"{len(found)} arguments could be the class targets (integer, shape ({n},)); "
                           "exactly one is compiled")
    return found[0]


def _build_plan(owner: CompiledStep, loss: Any, output: Tensor | None, args: tuple, opt: Optimizer,
                params: list) -> _Plan:
    kind, layers, xi, ti = _read_graph(loss, args, output)
    used = [p for w, b, _ in layers for p in (w, b) if p is not None]
    if len({id(p) for p in used}) != len(used):
        raise _Unsupported("a parameter is used by more than one layer")
    if {id(p) for p in used} != {id(p) for p in params}:
        raise _Unsupported("the optimizer's parameters are not exactly the parameters the step's graph uses")
    if owner.store is None or owner.store.opt is not opt:
        owner.store = _FlatStore(opt, owner.fused, owner.keep_grads)
    return _Plan(owner.store, kind, layers, xi, ti, args, output is not None)


# --- the flat buffers and the optimizer -------------------------------------------------------------------


class _FlatStore:
    """One flat buffer each for the parameters, their gradients and the optimizer's state; every
    parameter's array (and .grad, and state entry) is a view into them with its own shape and layout."""

    def __init__(self, opt: Optimizer, fused: bool | str | None = None, keep_grads: bool = True) -> None:
        if type(opt) not in (SGD, Adam, AdamW):
            raise _Unsupported(f"the optimizer is {type(opt).__name__}; SGD, Adam and AdamW are compiled")
        self.opt = opt
        self.params = [p for g in opt.param_groups for p in g["params"]]
        dtypes = {_raw(p).dtype for p in self.params}  # (numpy's: the plans compute with them)
        if len(dtypes) != 1 or next(iter(dtypes)).kind != "f":
            raise _Unsupported(f"parameter dtypes {sorted(map(str, dtypes))}: one float dtype is compiled")
        self.dtype = next(iter(dtypes))
        self.slices, self.groups, n = [], [], 0
        for g in opt.param_groups:
            start = n
            for p in g["params"]:
                a = _raw(p)
                self.slices.append((n, a.size, a))
                n += -(-a.size // _ALIGN) * _ALIGN
            self.groups.append((g, g["params"], start, n))
        self.size = n
        self.P, self.G = np.zeros(n, self.dtype), np.zeros(n, self.dtype)
        self.work, self.work2 = np.zeros(n, self.dtype), np.zeros(n, self.dtype)
        self.state_flat: dict = {}  # state name -> flat buffer
        self.views = [_view(self.P, o, a) for o, _, a in self.slices]
        self.grad_tensors = [Tensor(_view(self.G, o, a)) for o, _, a in self.slices]
        self.state_obj = None
        self.fused = FUSED if fused is None else fused  # the one-pass numba update: True, False or "auto"
        self.updated = 0  # elements updated by the numpy update so far (for "auto")
        self.stale = False
        self.stamp = -1  # the version clock after our last step: unchanged means no tensor was changed since
        self.gemm = None if keep_grads else _blas_gemm(self.dtype)
        # the weights (2-D parameters) SGD updates inside their gradient's product: no .grad, no flat update
        self.in_product = set() if self.gemm is None else {
            i for i, (_, _, a) in enumerate(self.slices) if a.ndim == 2 and self._plain_sgd(self._group_of(i))}
        self.runs = [self._update_runs(k) for k in range(len(self.groups))]
        self.product_groups = [self._group_of(i) for i in self.in_product]

    def _group_of(self, i: int) -> dict:
        return next(g for g, ps, _, _ in self.groups if any(q is self.params[i] for q in ps))

    def _plain_sgd(self, group: dict) -> bool:
        return type(self.opt) is SGD and not (group["momentum"] or group["weight_decay"] or group["maximize"])

    def _update_runs(self, k: int) -> list:
        """The (start, stop) slices of group k's flat buffers the update runs over: all but the weights
        updated in their product, contiguous neighbours merged."""
        first = sum(len(ps) for _, ps, _, _ in self.groups[:k])
        runs: list = []
        for i in range(first, first + len(self.groups[k][1])):
            start, size, _ = self.slices[i]
            stop = start + -(-size // _ALIGN) * _ALIGN
            if i in self.in_product:
                continue
            if runs and runs[-1][1] == start:
                runs[-1][1] = stop
            else:
                runs.append([start, stop])
        return [tuple(r) for r in runs]

    def state_view(self, name: str, i: int) -> np.ndarray:
        flat = self.state_flat.get(name)
        if flat is None:
            flat = self.state_flat[name] = np.zeros(self.size, self.dtype)
        o, _, a = self.slices[i]
        return _view(flat, o, a)

    def adopt(self) -> None:
        """Make the parameters views into P (values kept) and the optimizer's state views into flat buffers."""
        for p, v in zip(self.params, self.views):
            if _raw(p) is not v:
                np.copyto(v, _raw(p))
                p.data = v  # (the setter marks the parameter changed)
        state = self.opt.state
        names = ("momentum_buffer",) if type(self.opt) is SGD else ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
        i = 0
        for _, group_params, _, _ in self.groups:
            present = [tuple(n for n in names if n in state.get(p, {})) for p in group_params]
            steps = {state[p].get("step") for p in group_params if p in state}
            if len(set(present)) != 1 or len(steps) > 1:
                raise _Unsupported("the optimizer's state differs between the parameters of one group")
            for p in group_params:
                for name in present[0]:
                    v = self.state_view(name, i)
                    if state[p][name] is not v:
                        np.copyto(v, state[p][name])
                        state[p][name] = v
                i += 1
        self.state_obj = state

    def ensure(self) -> bool:
        """Re-adopt what changed since the last step (load_state_dict on the optimizer, p.data = ...); False
        (and ``stale``) when the optimizer's parameter groups are no longer those planned."""
        groups = self.opt.param_groups
        if len(groups) != len(self.groups) or any(
                g is not mine or len(g["params"]) != len(ps) for g, (mine, ps, _, _) in zip(groups, self.groups)):
            self.stale = True
            return False
        if self.in_product and not all(self._plain_sgd(g) for g in self.product_groups):
            self.stale = True  # momentum, weight decay or maximize was switched on: planned again without
            return False
        if not all(p.requires_grad for p in self.params):
            self.stale = True  # a parameter was frozen: recorded again (eager skips it; so must we)
            return False
        if self.opt.state is not self.state_obj or (clock[0] != self.stamp and any(
                _raw(p) is not v for p, v in zip(self.params, self.views))):
            try:
                self.adopt()
            except _Unsupported:
                self.stale = True  # recorded again, and refused there with the reason
                return False
        return True

    def publish(self) -> None:
        """After a step: the parameters are marked changed, each .grad is its view into G (None for a
        weight updated in its product)."""
        modify_in_place(*self.params)
        self.stamp = clock[0]
        for i, (p, g) in enumerate(zip(self.params, self.grad_tensors)):
            if i in self.in_product:
                p.grad = None
            elif p.grad is not g:
                p.grad = g

    def kernels(self, elements: int) -> Any:
        """The fused update kernels, or None for the numpy update. ``"auto"`` loads them (numba's import
        and the kernels' load from its cache take ~1-2 s once per process) only after the numpy update
        has done FUSE_AFTER element updates, about what loading costs: a short run never pays for it,
        and a long one pays at most about twice what it would have with perfect foresight."""
        if self.fused is True or (self.fused == "auto" and self.updated >= FUSE_AFTER):
            return _fused_kernels()
        self.updated += elements
        return None

    def update(self) -> None:
        sgd = type(self.opt) is SGD
        i = 0
        for (group, group_params, a, b), runs in zip(self.groups, self.runs):
            group = group_numbers(group)  # (a tensor lr as its number, as the optimizer's own step reads it)
            if sgd:
                for start, stop in runs:  # (a, b) itself unless weights are updated in their product
                    self._sgd(group, group_params, i, start, stop)
            else:
                self._adam(group, group_params, a, b)
            i += len(group_params)

    def _sgd(self, group: dict, group_params: list, first: int, a: int, b: int) -> None:
        """SGD.step's arithmetic, element for element, over the group's slice of the flat buffers."""
        p, grad, step = self.P[a:b], self.G[a:b], self.work[a:b]
        lr, momentum, wd, dampening = group["lr"], group["momentum"], group["weight_decay"], group["dampening"]
        if not (momentum or wd or group["maximize"]):
            kernels = self.kernels(b - a)
            if kernels is not None:
                kernels.sgd(p, grad, self.dtype.type(lr))
                return
            np.multiply(grad, float(lr), out=step)
            p -= step
            return
        if group["maximize"]:
            grad = np.negative(grad, out=self.work2[a:b])
        if wd != 0:
            np.multiply(p, wd, out=step)
            step += grad
            grad = step
        if momentum != 0:
            state = self.opt.state
            if "momentum_buffer" not in state.get(group_params[0], {}):
                for k, q in enumerate(group_params):
                    state.setdefault(q, {})["momentum_buffer"] = self.state_view("momentum_buffer", first + k)
                buf = self.state_flat["momentum_buffer"][a:b]
                np.copyto(buf, grad)
            else:
                buf = self.state_flat["momentum_buffer"][a:b]
                buf *= momentum
                if dampening == 0:
                    buf += grad
                else:
                    tmp = self.work2[a:b]
                    np.multiply(grad, 1 - dampening, out=tmp)
                    buf += tmp
            if group["nesterov"]:
                if grad is not step:
                    np.copyto(step, grad)
                tmp = self.work2[a:b]
                np.multiply(buf, momentum, out=tmp)
                step += tmp
                grad = step
            else:
                grad = buf
        np.multiply(grad, lr, out=step)
        p -= step

    def _adam_fused(self, group: dict, t: int, *arrays: np.ndarray) -> bool:
        """Adam's update in one pass (see _fused_kernels) when it applies and the kernels are at hand."""
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        plain = not group["maximize"] and not group["amsgrad"] and (wd == 0 or type(self.opt) is AdamW)
        kernels = self.kernels(arrays[0].size) if plain else None
        if kernels is None:
            return False
        f = self.dtype.type
        kernels.adam(*arrays, f(1 - lr * wd if wd else 1), f(1 - beta1), f(1 - beta2), f(beta2),
                     f(math.sqrt(1 - beta2 ** t)), f(eps), f(lr / (1 - beta1 ** t)))
        return True

    def _adam(self, group: dict, group_params: list, a: int, b: int) -> None:
        """Adam.step's arithmetic, element for element, over the group's slice of the flat buffers."""
        state = self.opt.state
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        first = group_params[0]
        if "exp_avg" not in state.get(first, {}):
            start = self.params.index(first)
            names = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())
            for k, q in enumerate(group_params):
                entry = state.setdefault(q, {})
                entry["step"] = 0
                for name in names:
                    v = entry[name] = self.state_view(name, start + k)
                    v.fill(0)
        t = state[first]["step"] + 1
        for q in group_params:
            state[q]["step"] = t
        p, grad, work = self.P[a:b], self.G[a:b], self.work[a:b]
        m, v = self.state_flat["exp_avg"][a:b], self.state_flat["exp_avg_sq"][a:b]
        if self._adam_fused(group, t, p, grad, m, v):
            return
        if group["maximize"]:
            grad = np.negative(grad, out=self.work2[a:b])
        if wd != 0:
            if type(self.opt) is AdamW:
                p *= 1 - lr * wd
            else:
                l2 = self.work2[a:b]
                np.multiply(p, wd, out=l2)
                l2 += grad
                grad = l2
        np.subtract(grad, m, out=work)
        work *= 1 - beta1
        m += work
        np.multiply(grad, grad, out=work)
        work *= 1 - beta2
        v *= beta2
        v += work
        if group["amsgrad"]:
            vmax = self.state_flat["max_exp_avg_sq"][a:b]
            np.maximum(vmax, v, out=vmax)
            v = vmax
        step_size = lr / (1 - beta1 ** t)
        np.sqrt(v, out=work)
        work /= math.sqrt(1 - beta2 ** t)
        work += eps
        np.divide(m, work, out=work)
        work *= step_size
        p -= work


FUSED: bool | str = True  # True: the fused kernels from the first step; False: never; "auto": see kernels()
FUSE_AFTER = 10 ** 9  # element updates (steps x parameters) before "auto" loads them: ~1 ns each in numpy
_KERNELS: list = []  # [kernels or None], filled on first use


def _fused_kernels() -> Any:
    """The optimizer updates as one loop over the flat buffers each, compiled by numba (extra ``fast``),
    or None when numba is not installed. Imported on first use and cached on disk (``cache=True``).

    Rounding: none changes. Each loop applies to every element the very operations of the whole-buffer
    numpy update, in the same order and the same dtype (the scalars are cast to the parameters' dtype
    first, as numpy casts a Python float); numba is asked for no fast-math, so nothing is reassociated or
    contracted into a fused multiply-add, and float32 sqrt and division are correctly rounded in both.
    Only the temporaries are gone: one pass over parameters, gradients and state instead of ~13 for Adam.
    """
    if not _KERNELS:
        try:
            import numba
        except ImportError:
            _KERNELS.append(None)
            return None
        jit = numba.njit(cache=True, error_model="numpy", boundscheck=False, nogil=True)

        def adam(p, g, m, v, decay, c1, c2, beta2, bias2, eps, step_size):  # pragma: no cover - compiled
            for i in range(p.shape[0]):
                gi = g[i]
                mi = m[i] + (gi - m[i]) * c1
                vi = v[i] * beta2 + (gi * gi) * c2
                m[i] = mi
                v[i] = vi
                p[i] = p[i] * decay - (mi / (np.sqrt(vi) / bias2 + eps)) * step_size

        def sgd(p, g, lr):  # pragma: no cover - compiled
            for i in range(p.shape[0]):
                p[i] = p[i] - g[i] * lr

        _KERNELS.append(types_namespace(adam=jit(adam), sgd=jit(sgd)))
    return _KERNELS[0]


_GEMMS: dict = {}  # dtype -> numpy's BLAS gemm through ctypes, or None; filled on first use


def _blas_gemm(dtype: np.dtype) -> Any:
    """``cblas_sgemm`` (float32) or ``cblas_dgemm`` (float64) of the OpenBLAS numpy itself runs, or None.

    numpy's ``dot`` has no ``beta``, so adding a product into an existing array (``C += alpha * A @ B``,
    the weights updated in their product) calls BLAS directly. Only the very library numpy loaded is
    used — numpy's wheels bundle scipy-openblas (64-bit integers) in ``numpy.libs`` or ``numpy/.dylibs`` —
    because a second BLAS brings a second thread pool that fights numpy's (../shared/PERF_NOTES.md). Any
    other numpy build, or another dtype: None, and the gradients are kept as usual.
    """
    key = np.dtype(dtype)
    if key not in _GEMMS:
        _GEMMS[key] = _load_gemm(key)
    return _GEMMS[key]


def _load_gemm(dtype: np.dtype) -> Any:
    import ctypes
    from pathlib import Path

    letter = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}.get(dtype)
    root = Path(np.__file__).parent
    libraries = sorted([*root.parent.glob("numpy.libs/*scipy_openblas64*"), *root.glob(".dylibs/*scipy_openblas64*")])
    try:  # on Linux, only a library this process has already mapped: the one numpy loaded, not a stale copy
        maps = Path("/proc/self/maps").read_text()
        libraries = [path for path in libraries if str(path.resolve()) in maps]
    except OSError:
        pass
    for path in libraries if letter else []:
        try:
            gemm = getattr(ctypes.CDLL(str(path)), f"scipy_cblas_{letter}gemm64_")
        except (OSError, AttributeError):
            continue
        real = ctypes.c_float if letter == "s" else ctypes.c_double
        enum, i64, address = ctypes.c_int, ctypes.c_int64, ctypes.c_void_p  # CBLAS enums are int; sizes 64-bit
        gemm.argtypes = [enum, enum, enum, i64, i64, i64, real, address, i64, address, i64, real, address, i64]
        gemm.restype = None
        return gemm
    return None


def _view(flat: np.ndarray, offset: int, like: np.ndarray) -> np.ndarray:
    """A view of flat[offset:] with like's shape and layout (column-major stays column-major)."""
    part = flat[offset:offset + like.size]
    if like.ndim >= 2 and like.flags.f_contiguous and not like.flags.c_contiguous:
        return part.reshape(like.shape[::-1]).T
    return part.reshape(like.shape)


# --- one plan: the generated step --------------------------------------------------------------------------


class _Plan:
    """The forward, loss and backward of one signature as generated straight-line numpy calls."""

    def __init__(self, store: _FlatStore, kind: str, layers: list, xi: int, ti: int, args: tuple,
                 with_output: bool = False) -> None:
        self.store, self.kind, self.xi, self.ti, self.with_output = store, kind, xi, ti, with_output
        x = _array(args[xi])
        t = _array(args[ti])
        dtype = store.dtype
        if x.ndim != 2 or x.dtype != dtype:
            raise _Unsupported(f"the input is {x.ndim}-D {x.dtype}; 2-D {dtype} (the parameters' dtype) is compiled")
        n = x.shape[0]
        index = {id(p): i for i, p in enumerate(store.params)}
        ns: dict = {"dot": np.dot, "add": np.add, "subtract": np.subtract, "multiply": np.multiply,
                    "divide": np.divide, "maximum": np.maximum, "greater": np.greater, "tanh": np.tanh,
                    "exp": np.exp, "log": np.log, "absolute": np.absolute, "negative": np.negative,
                    "greater_equal": np.greater_equal, "copyto": np.copyto, "asarray": np.asarray,
                    "add_reduce": np.add.reduce, "max_reduce": np.maximum.reduce, "dtype": dtype}
        fwd, bwd = [], []
        h = "x"
        for i, (w, b, act) in enumerate(layers):
            W = store.views[index[id(w)]]
            ns[f"W{i}"], ns[f"WT{i}"], ns[f"GW{i}"] = W, W.T, store.grad_tensors[index[id(w)]].numpy()
            ns[f"Z{i}"] = np.empty((n, W.shape[0]), dtype)
            ns[f"D{i}"] = np.empty((n, W.shape[0]), dtype)
            fwd.append(f"dot({h}, WT{i}, Z{i})")
            if b is not None:
                ns[f"b{i}"], ns[f"Gb{i}"] = store.views[index[id(b)]], store.grad_tensors[index[id(b)]].numpy()
                fwd.append(f"add(Z{i}, b{i}, Z{i})")
            fwd += _activation_forward(act, i, ns, n, W.shape[0], dtype)
            h = f"Z{i}"
        last = len(layers) - 1
        Z, D = f"Z{last}", f"D{last}"
        if with_output:  # the model's output, before the loss overwrites its buffer: a new array each step
            fwd.append(f"out = {Z}.copy()")
        if kind == "cross_entropy":
            if t.shape != (n,) or t.dtype.kind not in "iu":
                raise _Unsupported("class targets must be integers of shape (N,)")
            self.n_classes = ns[Z].shape[1]
            ns.update(rows=np.arange(n), MX=np.empty((n, 1), dtype), SU=np.empty((n, 1), dtype),
                      LS=np.empty(n, dtype), count=n, scale=np.ones((), dtype) / n)
            ns["SUf"] = ns["SU"].reshape(n)
            if layers[last][2] is None:  # the logits' gradient is made in their own buffer
                ns[D] = ns[Z]
            # eager's CrossEntropy op step for step: shifted logits, their exp, then the gradient, in one buffer
            fwd += [f"max_reduce({Z}, 1, None, MX, True)", f"subtract({Z}, MX, {D})", f"picked = {D}[rows, t]",
                    f"exp({D}, {D})", f"add_reduce({D}, 1, None, SU, True)", "log(SUf, LS)", "subtract(LS, picked, LS)",
                    "loss = asarray(add_reduce(LS) / count, dtype=dtype)",
                    "divide(scale, SU, SU)", f"multiply({D}, SU, {D})",
                    f"{D}[rows, t] -= scale  # (an item assignment: binds no local name)"]
        else:
            if t.shape != ns[Z].shape or t.dtype != dtype:
                raise _Unsupported(f"the mse_loss target is {t.shape} {t.dtype}; the output's shape and dtype "
                                   "are compiled")
            ns.update(SQ=np.empty(ns[Z].shape, dtype), gval=np.ones((), dtype) / ns[Z].size)
            # eager: Sub, Mul (diff·diff), Mean; back: the mean's 1/count times diff, once per Mul input, summed
            fwd += [f"subtract({Z}, t, {D})", f"multiply({D}, {D}, SQ)", "loss = asarray(SQ.mean())",
                    f"multiply({D}, gval, {D})", f"add({D}, {D}, {D})"]
        bwd += _activation_backward(layers[last][2], last, ns, n, ns[Z].shape[1], dtype)
        self.alphas: list = []  # (name, param group): -lr of the weights updated in their product, per call
        self.products: dict = {}  # parameter index -> (layer, param group, its input buffer or None: x)
        self.index, self.layers = index, layers
        self.x_address = False  # the first layer's weight is: its product reads the input by address
        for i in range(last, -1, -1):
            w, b, _ = layers[i]
            W = ns[f"W{i}"]
            if i > 0:  # first, while W{i} still holds the weights the forward used
                bwd.append(f"dot(D{i}, W{i}, D{i - 1})")
                bwd += _activation_backward(layers[i - 1][2], i - 1, ns, n, W.shape[1], dtype)
            if index[id(w)] in store.in_product:
                bwd.append(self._product_update(i, ns, n, store._group_of(index[id(w)])))
            elif W.strides[0] < W.strides[1]:  # a column-major weight: its gradient in the same layout
                bwd.append(f"dot({'x' if i == 0 else f'Z{i - 1}'}.T, D{i}, GW{i}.T)")
            else:
                bwd.append(f"dot(D{i}.T, {'x' if i == 0 else f'Z{i - 1}'}, GW{i})")
            if b is not None:
                bwd.append(f"add_reduce(D{i}, 0, None, Gb{i})")
        returns = "loss, out" if with_output else "loss"
        self.source = "def step(x, t):\n" + "".join(f"    {line}\n" for line in fwd + bwd) + f"    return {returns}\n"
        exec(self.source, ns)  # noqa: S102 - our own generated code, from the lines above
        self.step, self.ns = ns["step"], ns

    def product_bounds(self, args: tuple) -> dict:
        """For each weight updated in its product (by parameter index): |lr| * (|delta|.T @ |input|), the sum
        of the magnitudes of the terms the product added into each weight on the last call (with ``args``)."""
        x = _array(args[self.xi])
        return {k: abs(float(group["lr"])) * (np.abs(self.ns[f"D{i}"]).T @ np.abs(x if h is None else h))
                for k, (i, group, h) in self.products.items()}

    def _product_update(self, i: int, ns: dict, n: int, group: dict) -> str:
        """SGD's update of weight i inside its gradient's product: one BLAS gemm, W += (-lr) * grad, with
        beta = 1 (every operand C-contiguous; the activations by construction, the input by run())."""
        W = ns[f"W{i}"]
        ns["gemm"], ns[f"PW{i}"], ns[f"PD{i}"] = self.store.gemm, W.ctypes.data, ns[f"D{i}"].ctypes.data
        h = "xp" if i == 0 else f"PZ{i - 1}"
        if i > 0:
            ns[h] = ns[f"Z{i - 1}"].ctypes.data
        self.x_address = self.x_address or i == 0
        self.alphas.append((f"ALPHA{i}", group))
        self.products[self.index[id(self.layers[i][0])]] = (i, group, ns[f"Z{i - 1}"] if i > 0 else None)
        n_out, n_in = W.shape
        if W.strides[0] < W.strides[1]:  # column-major: W.T, (in, out) row-major, += h.T @ D
            args = f"{n_in}, {n_out}, {n}, ALPHA{i}, {h}, {n_in}, PD{i}, {n_out}, 1.0, PW{i}, {n_out}"
        else:  # W, (out, in) row-major, += D.T @ h
            args = f"{n_out}, {n_in}, {n}, ALPHA{i}, PD{i}, {n_out}, {h}, {n_in}, 1.0, PW{i}, {n_in}"
        return f"gemm(101, 112, 111, {args})  # row-major, A transposed: W{i} -= lr * grad, in one product"

    def run(self, args: tuple) -> Tensor | tuple | None:
        """One compiled training step: the loss (and the model's output, when the step returns it); None
        when this batch must run eagerly."""
        x, t = args[self.xi], args[self.ti]
        x = x.numpy() if type(x) is Tensor else x
        t = t.numpy() if type(t) is Tensor else t
        if self.kind == "cross_entropy" and not _classes_in_range(t, self.n_classes):
            return None
        store = self.store
        if not store.ensure():
            return None
        if self.alphas:  # the weights updated in their product: this call's learning rates, and
            for name, group in self.alphas:
                self.ns[name] = -float(group["lr"])
            if self.x_address:  # the input's address for the first one (C-ordered; the forward reads x as is)
                x_rows = x if x.flags.c_contiguous else np.ascontiguousarray(x)
                self.ns["xp"] = x_rows.ctypes.data
        result = self.step(x, t)
        store.update()
        store.publish()
        if self.with_output:
            return Tensor(result[0]), Tensor(result[1])
        return Tensor(result)


def _classes_in_range(t: np.ndarray, n_classes: int) -> bool:
    if t.dtype == np.int64:  # (as unsigned, a negative index is huge: one max checks both ends)
        return bool(np.maximum.reduce(t.view(np.uint64), axis=None) < n_classes)
    return bool(t.min() >= 0 and t.max() < n_classes)


def _activation_forward(act: str | None, i: int, ns: dict, n: int, width: int, dtype: np.dtype) -> list:
    Z = f"Z{i}"
    if act == "relu":
        return [f"maximum({Z}, 0, out={Z})"]
    if act == "tanh":
        return [f"tanh({Z}, {Z})"]
    if act == "sigmoid":  # activation.stable_sigmoid's steps, into buffers
        ns[f"E{i}"], ns[f"U{i}"], ns[f"A{i}"] = (np.empty((n, width), dtype) for _ in range(3))
        ns[f"M{i}"] = np.empty((n, width), bool)
        return [f"absolute({Z}, E{i})", f"negative(E{i}, E{i})", f"exp(E{i}, E{i})", f"add(1, E{i}, U{i})",
                f"divide(1, U{i}, A{i})", f"divide(E{i}, U{i}, E{i})", f"greater_equal({Z}, 0, M{i})",
                f"copyto({Z}, E{i})", f"copyto({Z}, A{i}, where=M{i})"]
    return []


def _activation_backward(act: str | None, i: int, ns: dict, n: int, width: int, dtype: np.dtype) -> list:
    """The activation's backward on D{i}, in place, from its output Z{i} (eager's op order)."""
    Z, D = f"Z{i}", f"D{i}"
    if act == "relu":
        ns[f"M{i}"] = np.empty((n, width), bool)
        return [f"greater({Z}, 0, M{i})", f"multiply({D}, M{i}, {D})"]
    if act == "tanh":
        ns[f"T{i}"] = np.empty((n, width), dtype)
        return [f"multiply({Z}, {Z}, T{i})", f"subtract(1, T{i}, T{i})", f"multiply({D}, T{i}, {D})"]
    if act == "sigmoid":
        ns[f"T{i}"] = np.empty((n, width), dtype)
        return [f"multiply({D}, {Z}, {D})", f"subtract(1, {Z}, T{i})", f"multiply({D}, T{i}, {D})"]
    return []


def _raw(p: Tensor) -> np.ndarray:
    """A tensor's own array (``numpy()`` of a tensor that requires grad may be a read-only view)."""
    return p.data.numpy()


def _array(a: Any) -> np.ndarray:
    return a.numpy() if isinstance(a, Tensor) else np.asarray(a)


# --- snapshots for the check run -----------------------------------------------------------------------------


def _snapshot(opt: Optimizer, params: list) -> dict:
    return {"params": [p.numpy().copy(order="K") for p in params],
            "grads": [None if p.grad is None else p.grad.numpy().copy(order="K") for p in params],
            "state": {p: {k: (v.copy(order="K") if isinstance(v, np.ndarray) else v)
                          for k, v in opt.state[p].items() if not k.startswith("_")}
                      for p in params if p in opt.state}}


def _restore(opt: Optimizer, params: list, snap: dict) -> None:
    for data, value in zip(modify_in_place(*params), snap["params"]):
        np.copyto(data, value)
    for p, g in zip(params, snap["grads"]):
        if g is None:
            p.grad = None
        elif p.grad is not None and p.grad.numpy().flags.writeable:
            np.copyto(p.grad.numpy(), g)
        else:
            p.grad = Tensor(g.copy(order="K"))
    opt.state.clear()
    for p, entry in snap["state"].items():
        opt.state[p] = {k: (v.copy(order="K") if isinstance(v, np.ndarray) else v) for k, v in entry.items()}


def _compare(got_loss: np.ndarray, loss: np.ndarray, opt: Optimizer, params: list, eager: dict,
             before: dict | None = None, in_product: dict | None = None) -> None:
    """Raise _Unsupported naming the first value where the checked replay and eager differ (a weight
    updated in its product: by more than float rounding allows; it has no gradient to compare)."""
    pairs = [("the loss", got_loss, loss)]
    in_product = in_product or {}
    for k, p in enumerate(params):
        if k in in_product:
            _close(f"parameter {k} {tuple(p.shape)}", p.numpy(), eager["params"][k], before["params"][k],
                   in_product[k])
            continue
        pairs.append((f"parameter {k} {tuple(p.shape)}", p.numpy(), eager["params"][k]))
        g = eager["grads"][k]
        if g is None or p.grad is None:
            raise _Unsupported(f"parameter {k} has no gradient after the step")
        pairs.append((f"the gradient of parameter {k}", p.grad.numpy(), g))
        for name, value in eager["state"].get(p, {}).items():
            mine = opt.state.get(p, {}).get(name)
            if isinstance(value, np.ndarray):
                pairs.append((f"optimizer state {name!r} of parameter {k}", mine, value))
            elif mine != value:
                raise _Unsupported(f"optimizer state {name!r} of parameter {k}: {mine!r} compiled, {value!r} eager")
    for what, a, b in pairs:
        _same(what, a, b)


def _close(what: str, got: np.ndarray, eager: np.ndarray, before: np.ndarray, terms: np.ndarray) -> None:
    """got and eager are the same SGD step to rounding: within a few ulps of the values and the update, and
    of lr times the sum of the product's terms' magnitudes (``terms``): the product adds ``-lr * partial
    sum`` in blocks of the batch, each rounded, so where the blocks cancel that is the scale of its error."""
    eps = np.finfo(eager.dtype).eps
    step = np.abs(eager - before)
    tolerance = 64 * eps * (np.abs(eager) + step) + 8 * eps * terms + np.finfo(eager.dtype).tiny
    if got.shape != eager.shape or not (np.abs(got - eager) <= tolerance).all():
        raise _Unsupported(f"its check run differs from eager in {what} by more than rounding; please report this")


def _same(what: str, a: np.ndarray | None, b: np.ndarray) -> None:
    if a is None or np.shape(a) != np.shape(b) or not np.array_equal(a, b, equal_nan=True):
        raise _Unsupported(f"its check run differs from eager in {what}; please report this")


# Engine hooks that would close the known gaps (not added: the engine is not this module's to change):
# * an observer in state.py that Tensor.item/tolist/__bool__/__float__/numpy() notify while a step is
#   recorded, instead of wrapping Tensor's methods for the duration of the recorded call;
# * CrossEntropy keeping ``ignore_index`` on its node (it survives free() as ``reduction`` does).
