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
    # elementwise math (ops/math.py)
    Case("sin", lambda m, x: x.sin(), [(3, 4)]),
    Case("cos", lambda m, x: m.lib.cos(x), [(3, 4)]),
    Case("tan", lambda m, x: (x * 0.5).tan(), [(3, 4)]),
    Case("asin", lambda m, x: (x * 0.4).asin(), [(3, 4)], domain="positive"),
    Case("acos", lambda m, x: m.lib.acos(x * -0.4), [(3, 4)], domain="positive"),
    Case("atan", lambda m, x: x.atan(), [(3, 4)]),
    Case("sinh", lambda m, x: x.sinh(), [(3, 4)]),
    Case("cosh", lambda m, x: x.cosh(), [(3, 4)]),
    Case("asinh", lambda m, x: x.asinh(), [(3, 4)]),
    Case("acosh", lambda m, x: (x + 1.0).acosh(), [(3, 4)], domain="positive"),
    Case("atanh", lambda m, x: (x * 0.4).atanh(), [(3, 4)], domain="positive"),
    Case("arcsin_alias", lambda m, x: m.lib.arcsin(x * 0.3), [(3, 4)], domain="positive"),
    Case("exp2", lambda m, x: x.exp2(), [(3, 4)]),
    Case("expm1", lambda m, x: m.lib.expm1(x), [(3, 4)]),
    Case("log2", lambda m, x: x.log2(), [(3, 4)], domain="positive"),
    Case("log10", lambda m, x: m.lib.log10(x), [(3, 4)], domain="positive"),
    Case("log1p", lambda m, x: x.log1p(), [(3, 4)], domain="positive"),
    Case("rsqrt", lambda m, x: x.rsqrt(), [(3, 4)], domain="positive"),
    Case("erf", lambda m, x: m.lib.erf(x), [(3, 4)]),
    Case("logit", lambda m, x: (x * 0.4).logit(), [(3, 4)], domain="positive"),
    Case("logit_eps", lambda m, x: m.lib.logit(x * 0.6, eps=0.25), [(3, 4)], domain="positive"),
    Case("frac", lambda m, x: (x * 3).frac(), [(3, 4)], domain="away0"),
    Case("floor_zero_grad", lambda m, x: (x * 3).floor() * x, [(3, 4)], domain="away0"),
    Case("ceil_trunc_round", lambda m, x: (x * 3).ceil() + m.lib.trunc(x * 3) + (x * 3).round() + x,
         [(3, 4)], domain="away0", gradcheck=False),
    Case("atan2", lambda m, x, y: m.lib.atan2(x, y), [(3, 4), (4,)], domain="away0"),
    Case("fmod", lambda m, x, y: m.lib.fmod(x * 3, y), [(3, 4), (3, 4)], domain="away0", gradcheck=False),
    Case("fmod_scalar", lambda m, x: x.fmod(0.7), [(3, 4)], gradcheck=False),
    Case("remainder", lambda m, x, y: m.lib.remainder(x * 3, y), [(3, 4), (1, 4)], domain="away0",
         gradcheck=False),
    Case("mod_operator", lambda m, x: (x * 3) % 1.3, [(3, 4)], gradcheck=False),
    Case("lerp_tensor", lambda m, x, y, w: m.lib.lerp(x, y, w), [(3, 4), (4,), (3, 1)]),
    Case("lerp_scalar", lambda m, x, y: x.lerp(y, 0.3), [(3, 4), (3, 4)]),
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
    Case("cumsum", lambda m, x: x.cumsum(dim=1), [(3, 4)]),
    Case("cumsum_top", lambda m, x: m.lib.cumsum(x, 0), [(3, 4)]),
    Case("cumprod", lambda m, x: x.cumprod(dim=1), [(3, 4)], domain="away0"),
    Case("cumprod_with_zero", lambda m, x: x.cumprod(dim=1), [(3, 4)], domain="zero_inside"),
    Case("sort_values", lambda m, x: x.sort(dim=1, descending=True)[0] * m.const(np.arange(4.0)), [(3, 4)]),
    Case("topk_values", lambda m, x: x.topk(2, dim=0)[0], [(3, 4)]),
    Case("norm_default", lambda m, x: x.norm(), [(3, 4)]),
    Case("norm_p1_dim", lambda m, x: x.norm(p=1, dim=1), [(3, 4)], domain="away0"),
    Case("norm_p3_keepdim", lambda m, x: m.lib.norm(x, p=3, dim=0, keepdim=True), [(3, 4)], domain="away0"),
    Case("norm_inf", lambda m, x: x.norm(p=float("inf"), dim=1), [(3, 4)]),
    Case("norm_fro_dims", lambda m, x: x.norm(p="fro", dim=(1, 2)), [(2, 3, 4)]),
    Case("dist", lambda m, x, y: x.dist(y, p=2), [(3, 4), (4,)]),
    Case("cdist", lambda m, x, y: m.lib.cdist(x, y), [(3, 4), (5, 4)]),
    Case("cdist_p1_batched", lambda m, x, y: m.lib.cdist(x, y, p=1.0), [(2, 3, 4), (2, 5, 4)], gradcheck=False),
    Case("median_dim", lambda m, x: x.median(dim=1)[0], [(3, 5)]),
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
    Case("einsum_matmul", lambda m, x, y: m.lib.einsum("ij,jk->ik", x, y), [(3, 4), (4, 5)]),
    Case("einsum_batched_ellipsis", lambda m, x, y: m.lib.einsum("...ij,...jk", x, y), [(2, 3, 4), (2, 4, 5)]),
    Case("einsum_sum_out", lambda m, x, y: m.lib.einsum("ij,kj->i", x, y), [(3, 4), (5, 4)]),
    Case("einsum_trace_free", lambda m, x: m.lib.einsum("ijk->kj", x), [(2, 3, 4)]),
    Case("einsum_outer_list", lambda m, x, y: m.lib.einsum("i,j->ij", [x, y]), [(3,), (4,)]),
    Case("einsum_diagonal", lambda m, x: m.lib.einsum("ii->i", x), [(3, 3)]),
    Case("einsum_diagonal_contract", lambda m, x, y: m.lib.einsum("iij,jk->ik", x, y), [(2, 2, 3), (3, 4)]),
    Case("einsum_broadcast_letter", lambda m, x, y: m.lib.einsum("bij,bjk->bik", x, y), [(1, 2, 3), (4, 3, 2)]),
    Case("bmm", lambda m, x, y: x.bmm(y), [(2, 3, 4), (2, 4, 5)]),
    Case("outer", lambda m, x, y: m.lib.outer(x, y), [(3,), (4,)]),
    Case("addmm", lambda m, b, x, y: m.lib.addmm(b, x, y, beta=0.5, alpha=2.0), [(5,), (3, 4), (4, 5)]),
    Case("mv", lambda m, x, v: x.mv(v), [(3, 4), (4,)]),
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
    # shape and indexing (ops/indexing.py)
    Case("flip", lambda m, x: x.flip(0, 2) * m.const(np.arange(4.0)), [(2, 3, 4)]),
    Case("roll", lambda m, x: x.roll((1, -2), (0, 1)) * m.const(np.arange(4.0)), [(3, 4)]),
    Case("roll_flat", lambda m, x: m.lib.roll(x, 5) * m.const(np.arange(4.0)), [(3, 4)]),
    Case("repeat", lambda m, x: x.repeat(2, 1, 3) * m.const(np.arange(12.0)), [(3, 4)]),
    Case("tile", lambda m, x: x.tile((2,)) * m.const(np.arange(8.0)), [(3, 4)]),
    Case("repeat_interleave", lambda m, x: x.repeat_interleave(2, dim=0) * m.const(np.arange(4.0)), [(3, 4)]),
    Case("repeat_interleave_counts",
         lambda m, x: m.lib.repeat_interleave(x, m.const(np.array([1, 0, 3])), dim=0) * m.const(np.arange(4.0)),
         [(3, 4)]),
    Case("gather", lambda m, x: x.gather(1, m.const(np.array([[0, 0, 3], [1, 2, 1]]))), [(3, 4)]),
    Case("scatter", lambda m, x, s: x.scatter(1, m.const(np.array([[0, 3], [2, 1]])), s), [(3, 4), (2, 2)]),
    Case("scatter_add", lambda m, x, s: x.scatter_add(0, m.const(np.array([[0, 1, 0, 0], [0, 2, 1, 0]])), s),
         [(3, 4), (2, 4)]),
    Case("scatter_value", lambda m, x: x.scatter(1, m.const(np.array([[0], [2], [3]])), 1.5) * x, [(3, 4)]),
    Case("index_select", lambda m, x: x.index_select(1, m.const(np.array([3, 0, 3]))), [(3, 4)]),
    Case("index_add", lambda m, x, s: x.index_add(0, m.const(np.array([2, 0, 2])), s, alpha=1.5), [(3, 4), (3, 4)]),
    Case("masked_fill", lambda m, x: x.masked_fill(m.const(MASK), -2.0) * x, [(3, 4)]),
    Case("masked_fill_broadcast", lambda m, x: m.lib.masked_fill(x, m.const(COND), 0.5), [(3, 4)]),
    Case("masked_fill_tensor_value", lambda m, x, v: x.masked_fill(m.const(MASK), v.sum()), [(3, 4), (2,)]),
    Case("tril", lambda m, x: x.tril(), [(3, 4)]),
    Case("triu_offset", lambda m, x: m.lib.triu(x, 1), [(2, 4, 3)]),
    Case("tril_negative", lambda m, x: x.tril(diagonal=-1), [(4, 4)]),
    Case("diag_embed_1d", lambda m, x: x.diag(1) * m.const(np.arange(16.0).reshape(4, 4)), [(3,)]),
    Case("diag_extract", lambda m, x: m.lib.diag(x, -1), [(4, 3)]),
    Case("unflatten", lambda m, x: x.unflatten(1, (2, -1)) * m.const(np.arange(3.0)), [(3, 6)]),
    Case("type_as", lambda m, x, y: x.type_as(y) * y, [(3, 4), (3, 4)]),
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
    Case("celu", lambda m, x: m.F.celu(x, alpha=0.7), [(3, 4)], domain="away0"),
    Case("mish", lambda m, x: m.F.mish(x * 3), [(3, 4)]),
    Case("hardtanh", lambda m, x: m.F.hardtanh(x * 2, -0.5, 1.5), [(3, 4)], domain="away0"),
    Case("relu6", lambda m, x: m.F.relu6(x * 5), [(3, 4)], domain="away0"),
    Case("hardswish", lambda m, x: m.F.hardswish(x * 3), [(3, 4)], domain="away0"),
    Case("hardsigmoid", lambda m, x: m.F.hardsigmoid(x * 3), [(3, 4)], domain="away0"),
    Case("softsign", lambda m, x: m.F.softsign(x), [(3, 4)]),
    Case("prelu_channels", lambda m, x, w: m.F.prelu(x, w), [(3, 4, 2), (4,)], domain="away0"),
    Case("prelu_single", lambda m, x, w: m.F.prelu(x, w), [(3, 4), (1,)], domain="away0"),
    # functional forms built from ops (nn/more_layers.py)
    Case("normalize", lambda m, x: m.F.normalize(x, dim=1), [(3, 4)]),
    Case("normalize_p1", lambda m, x: m.F.normalize(x, p=1.0, dim=0), [(3, 4)], domain="away0"),
    Case("cosine_similarity", lambda m, x, y: m.F.cosine_similarity(x, y), [(3, 4), (3, 4)]),
    Case("cosine_similarity_broadcast", lambda m, x, y: m.F.cosine_similarity(x, y, dim=-1), [(3, 4), (4,)]),
    Case("pairwise_distance", lambda m, x, y: m.F.pairwise_distance(x, y), [(3, 4), (3, 4)]),
    Case("embedding", lambda m, w: m.F.embedding(m.const(np.array([[0, 2], [2, 3]])), w), [(4, 3)]),
    Case("embedding_padding", lambda m, w: m.F.embedding(m.const(np.array([0, 2, 1, 2])), w, padding_idx=2),
         [(4, 3)], gradcheck=False),
    Case("kl_div_batchmean", lambda m, x, t: m.F.kl_div(x.log_softmax(1), t.softmax(1), reduction="batchmean"),
         [(3, 4), (3, 4)]),
    Case("kl_div_log_target", lambda m, x, t: m.F.kl_div(x, t, reduction="sum", log_target=True), [(3, 4), (3, 4)]),
    Case("kl_div_zero_target", lambda m, x: m.F.kl_div(x, m.const(np.array([0.0, 0.5, 0.5, 0.0]))), [(3, 4)]),
    Case("cosine_embedding_loss", lambda m, x, y: m.F.cosine_embedding_loss(
        x, y, m.const(np.array([1.0, -1.0, -1.0])), margin=-0.2), [(3, 4), (3, 4)]),
    Case("margin_ranking_loss", lambda m, x, y: m.F.margin_ranking_loss(
        x, y, m.const(np.array([1.0, -1.0, 1.0, -1.0])), margin=0.1), [(4,), (4,)], domain="away0"),
    # composites that exercise the graph walk
    Case("diamond", lambda m, x: (x * 2 + x.exp()) * x, [(3, 4)]),
    Case("mlp_layer", lambda m, x, w, b: m.F.linear(x, w, b).tanh().sum(dim=1).log_softmax(0), [(5, 3), (4, 3), (4,)]),
    Case("clone", lambda m, x: x.clone() * x, [(3, 4)]),
]
