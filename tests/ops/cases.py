"""One table of op cases shared by the gradcheck tests and the PyTorch reference tests.

Each case's function is written once against the torch-style API that both libraries share;
``m`` gives it the library (``m.lib``), its functional module (``m.F``) and ``m.const`` to turn a
numpy array into a constant tensor of that library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
COND = np.array([[True, False, False, True]])


@dataclass
class Case:
    name: str
    fn: Callable
    shapes: list
    domain: str = "any"  # any | positive | away0 | zero_inside | ties
    torch_fn: Callable | None = None  # when torch spells it differently
    gradcheck: bool = True
    kwargs: dict = field(default_factory=dict)


def make_inputs(case: Case, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for shape in case.shapes:
        if case.domain == "positive":
            a = rng.uniform(0.5, 2.0, shape)
        elif case.domain == "away0":
            a = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)
        elif case.domain == "ties":
            a = np.round(rng.uniform(0, 2, shape))  # only 0, 1, 2: many ties
        else:
            a = rng.standard_normal(shape)
        if case.domain == "zero_inside":
            a.flat[1] = 0.0
        out.append(a)
    return out


CASES = [
    # elementwise, with broadcasting
    Case("add", lambda m, x, y: x + y, [(3, 4), (4,)]),
    Case("add_broadcast_both", lambda m, x, y: x + y, [(2, 1, 3), (4, 1)]),
    Case("add_scalar", lambda m, x: 2.5 + x, [(3, 4)]),
    Case("sub", lambda m, x, y: x - y, [(3, 1), (1, 4)]),
    Case("rsub", lambda m, x: 2 - x, [(5,)]),
    Case("mul", lambda m, x, y: x * y, [(2, 3, 4), (3, 1)]),
    Case("mul_scalar", lambda m, x: x * 3.0, [(4,)]),
    Case("div", lambda m, x, y: x / y, [(3, 4), (4,)], domain="away0"),
    Case("rdiv", lambda m, x: 1 / x, [(3, 4)], domain="away0"),
    Case("neg", lambda m, x: -x, [(3, 4)]),
    Case("pow_int", lambda m, x: x ** 3, [(3, 4)]),
    Case("pow_float", lambda m, x: x ** 2.5, [(3, 4)], domain="positive"),
    Case("pow_negative", lambda m, x: x ** -1.5, [(3, 4)], domain="positive"),
    Case("pow_zero", lambda m, x: x ** 0, [(3, 4)]),
    Case("rpow", lambda m, x: 2 ** x, [(3, 4)]),
    Case("pow_tensor", lambda m, x, y: x ** y, [(3, 4), (4,)], domain="positive"),
    Case("exp", lambda m, x: x.exp(), [(3, 4)]),
    Case("log", lambda m, x: x.log(), [(3, 4)], domain="positive"),
    Case("sqrt", lambda m, x: x.sqrt(), [(3, 4)], domain="positive"),
    Case("abs", lambda m, x: x.abs(), [(3, 4)], domain="away0"),
    Case("sign", lambda m, x: x.sign() * x, [(3, 4)], domain="away0"),
    Case("maximum", lambda m, x, y: m.lib.maximum(x, y), [(3, 4), (3, 4)]),
    Case("minimum", lambda m, x, y: m.lib.minimum(x, y), [(3, 4), (4,)]),
    Case("maximum_ties", lambda m, x, y: m.lib.maximum(x, y), [(3, 4), (3, 4)], domain="ties", gradcheck=False),
    Case("clamp", lambda m, x: x.clamp(-0.5, 0.5), [(4, 5)]),
    Case("clamp_min", lambda m, x: x.clamp(min=0.1), [(4, 5)]),
    Case("where", lambda m, x, y: m.lib.where(m.const(COND), x, y), [(3, 4), (3, 1)]),
    # reductions
    Case("sum_all", lambda m, x: x.sum(), [(3, 4)]),
    Case("sum_dim", lambda m, x: x.sum(dim=1), [(3, 4)]),
    Case("sum_neg_keepdim", lambda m, x: x.sum(dim=-1, keepdim=True), [(2, 3, 4)]),
    Case("sum_tuple", lambda m, x: x.sum(dim=(0, 2)), [(2, 3, 4)]),
    Case("mean_all", lambda m, x: x.mean(), [(3, 4)]),
    Case("mean_dim_keepdim", lambda m, x: x.mean(dim=0, keepdim=True), [(3, 4)]),
    Case("mean_tuple", lambda m, x: x.mean(dim=(1, 2)), [(2, 3, 4)]),
    Case("amax", lambda m, x: x.amax(dim=1), [(3, 4)]),
    Case("amax_keepdim", lambda m, x: x.amax(dim=(0, 1), keepdim=True), [(2, 3, 4)]),
    Case("amin", lambda m, x: x.amin(dim=0), [(3, 4)]),
    Case("max_all", lambda m, x: x.max(), [(3, 4)]),
    Case("min_all", lambda m, x: x.min(), [(3, 4)]),
    Case("max_dim_values", lambda m, x: x.max(dim=1)[0], [(3, 4)]),
    Case("min_dim_keepdim", lambda m, x: x.min(dim=0, keepdim=True)[0], [(3, 4)]),
    Case("amax_ties", lambda m, x: x.amax(dim=1), [(4, 5)], domain="ties", gradcheck=False),
    Case("max_all_ties", lambda m, x: x.max(), [(4, 5)], domain="ties", gradcheck=False),
    Case("var_all", lambda m, x: x.var(), [(3, 4)]),
    Case("var_dim", lambda m, x: x.var(dim=1, keepdim=True), [(3, 4)]),
    Case("var_biased", lambda m, x: x.var(dim=0, correction=0), [(3, 4)]),
    Case("std_dim", lambda m, x: x.std(dim=1), [(3, 4)]),
    Case("std_all", lambda m, x: x.std(), [(3, 4)]),
    Case("logsumexp", lambda m, x: x.logsumexp(dim=1), [(3, 4)]),
    Case("logsumexp_tuple_keepdim", lambda m, x: x.logsumexp(dim=(0, 2), keepdim=True), [(2, 3, 4)]),
    Case("prod_dim", lambda m, x: x.prod(dim=1), [(3, 4)]),
    Case("prod_all", lambda m, x: x.prod(), [(2, 3)]),
    Case("prod_with_zero", lambda m, x: x.prod(dim=1, keepdim=True), [(3, 4)], domain="zero_inside"),
    # matrix products
    Case("matmul_2d", lambda m, x, y: x @ y, [(3, 4), (4, 5)]),
    Case("matmul_1d_1d", lambda m, x, y: x @ y, [(4,), (4,)]),
    Case("matmul_2d_1d", lambda m, x, y: x @ y, [(3, 4), (4,)]),
    Case("matmul_1d_2d", lambda m, x, y: x @ y, [(4,), (4, 5)]),
    Case("matmul_batched", lambda m, x, y: x @ y, [(2, 3, 4), (2, 4, 5)]),
    Case("matmul_broadcast", lambda m, x, y: x @ y, [(2, 1, 3, 4), (5, 4, 2)]),
    Case("matmul_batch_1d", lambda m, x, y: x @ y, [(2, 3, 4), (4,)]),
    Case("matmul_inner_1", lambda m, x, y: x @ y, [(5, 1), (1, 3)]),
    Case("dot", lambda m, x, y: x.dot(y), [(5,), (5,)]),
    Case("linear", lambda m, x, w, b: m.F.linear(x, w, b), [(5, 3), (4, 3), (4,)]),
    Case("linear_nobias", lambda m, x, w: m.F.linear(x, w), [(5, 3), (4, 3)]),
    Case("linear_3d", lambda m, x, w, b: m.F.linear(x, w, b), [(2, 5, 3), (4, 3), (4,)]),
    Case("linear_1d", lambda m, x, w, b: m.F.linear(x, w, b), [(3,), (4, 3), (4,)]),
    # movement
    Case("reshape", lambda m, x: x.reshape(4, -1) * m.const(np.arange(6.0)), [(2, 3, 4)]),
    Case("view", lambda m, x: x.view(-1) * m.const(np.arange(12.0)), [(3, 4)]),
    Case("flatten", lambda m, x: x.flatten(1) * m.const(np.arange(12.0)), [(2, 3, 4)]),
    Case("transpose", lambda m, x: x.transpose(0, 2) * m.const(np.arange(2.0)), [(2, 3, 4)]),
    Case("T", lambda m, x: x.T * m.const(np.arange(3.0)), [(3, 4)]),
    Case("permute", lambda m, x: x.permute(2, 0, 1) * m.const(np.arange(3.0)), [(2, 3, 4)]),
    Case("squeeze", lambda m, x: x.squeeze(1) * m.const(np.arange(4.0)), [(3, 1, 4)]),
    Case("squeeze_all", lambda m, x: x.squeeze() * m.const(np.arange(4.0)), [(1, 4, 1)]),
    Case("unsqueeze", lambda m, x: x.unsqueeze(1) * m.const(np.arange(4.0)), [(3, 4)]),
    Case("expand", lambda m, x: x.expand(2, 3, 4) * m.const(np.arange(4.0)), [(3, 1)]),
    Case("getitem_slices", lambda m, x: x[1:3, ::2], [(4, 5)]),
    Case("getitem_int_ellipsis", lambda m, x: x[..., 1] * 2, [(2, 3, 4)]),
    Case("getitem_none", lambda m, x: x[None, 0], [(3, 4)]),
    Case("getitem_negative_step", lambda m, x: x[::-1, 1:], [(3, 4)], torch_fn=lambda m, x: x.flip(0)[:, 1:]),
    Case("getitem_repeated", lambda m, x: x[m.const(np.array([0, 2, 0, 0]))], [(3, 4)]),
    Case("getitem_2d_index", lambda m, x: x[m.const(np.array([[0, 1], [1, 1]])), 2], [(3, 4)]),
    Case("getitem_mask", lambda m, x: x[m.const(MASK)] * m.const(np.arange(7.0)), [(3, 4)]),
    Case("cat", lambda m, x, y: m.lib.cat([x, y, x], dim=1), [(3, 2), (3, 4)]),
    Case("stack", lambda m, x, y: m.lib.stack([x, y], dim=1) * m.const(np.arange(4.0)), [(3, 4), (3, 4)]),
    Case("split", lambda m, x: sum((c * (i + 1)).sum() for i, c in enumerate(x.split(2, dim=1))), [(3, 5)]),
    Case("split_sections",
         lambda m, x: sum((c * (i + 1)).sum() for i, c in enumerate(x.split([1, 3], dim=1))), [(3, 4)]),
    Case("chunk", lambda m, x: sum((c * (i + 1)).sum() for i, c in enumerate(x.chunk(3, dim=0))), [(7, 2)]),
    Case("pad", lambda m, x: m.F.pad(x, (1, 2, 0, 1)), [(2, 3, 4)]),
    Case("pad_value", lambda m, x: m.F.pad(x, (2, 0), value=1.5) * m.const(np.arange(6.0)), [(3, 4)]),
    # activations
    Case("relu", lambda m, x: x.relu(), [(3, 4)], domain="away0"),
    Case("leaky_relu", lambda m, x: m.F.leaky_relu(x, 0.2), [(3, 4)], domain="away0"),
    Case("elu", lambda m, x: m.F.elu(x, alpha=0.7), [(3, 4)], domain="away0"),
    Case("selu", lambda m, x: m.F.selu(x), [(3, 4)], domain="away0"),
    Case("sigmoid", lambda m, x: x.sigmoid(), [(3, 4)]),
    Case("tanh", lambda m, x: x.tanh(), [(3, 4)]),
    Case("softplus", lambda m, x: m.F.softplus(x), [(3, 4)]),
    Case("softplus_beta_threshold", lambda m, x: m.F.softplus(x * 3, beta=2.0, threshold=4.0), [(3, 4)]),
    Case("gelu", lambda m, x: m.F.gelu(x), [(3, 4)]),
    Case("gelu_tanh", lambda m, x: m.F.gelu(x, approximate="tanh"), [(3, 4)]),
    Case("silu", lambda m, x: m.F.silu(x), [(3, 4)]),
    Case("softmax", lambda m, x: x.softmax(dim=1), [(3, 4)]),
    Case("softmax_dim0", lambda m, x: x.softmax(dim=0), [(3, 4)]),
    Case("log_softmax", lambda m, x: x.log_softmax(dim=-1), [(3, 4)]),
    Case("log_softmax_3d", lambda m, x: x.log_softmax(dim=1), [(2, 3, 4)]),
    Case("heaviside", lambda m, x: m.F.heaviside(x, 0.5) * x, [(3, 4)], domain="away0",
         torch_fn=lambda m, x: m.lib.heaviside(x.detach(), m.lib.tensor(0.5, dtype=x.dtype)) * x),
    # composites that exercise the graph walk
    Case("diamond", lambda m, x: (x * 2 + x.exp()) * x, [(3, 4)]),
    Case("mlp_layer", lambda m, x, w, b: m.F.linear(x, w, b).tanh().sum(dim=1).log_softmax(0), [(5, 3), (4, 3), (4,)]),
    Case("clone", lambda m, x: x.clone() * x, [(3, 4)]),
]
