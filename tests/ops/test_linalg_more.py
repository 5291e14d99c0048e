"""searchsorted / bucketize, tensordot, kron, cross, trace and the ``tg.linalg`` namespace: forward and gradients
against the installed torch in float64 and against finite differences (through the shared case machinery),
and the integer results, named tuples and errors against torch directly."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_mlp as tg

from .cases import Case
from .test_gradcheck_ops import check_gradients

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")
from .test_torch_reference import check_against_torch  # noqa: E402 - needs torch

I3 = 3 * np.eye(3)


def _spd(m, x):
    """A symmetric positive-definite matrix (batch) made from x."""
    return x @ x.mT + m.const(I3)


def _sym(x):
    return x + x.mT


def _vector_norm(order):
    return lambda m, x: m.lib.linalg.vector_norm(x, ord=order, dim=1)


def _matrix_norm(order):
    return lambda m, x: m.lib.linalg.matrix_norm(x, ord=order)


CASES = [
    Case("tensordot_int", lambda m, x, y: m.lib.tensordot(x, y, dims=2), [(2, 3, 4), (3, 4, 2)]),
    Case("tensordot_lists", lambda m, x, y: m.lib.tensordot(x, y, dims=([1, 0], [0, 2])), [(2, 3, 4), (3, 5, 2)]),
    Case("tensordot_outer", lambda m, x, y: m.lib.tensordot(x, y, dims=0), [(2, 3), (3,)]),
    Case("kron", lambda m, x, y: m.lib.kron(x, y), [(2, 3), (3, 2)]),
    Case("kron_ranks", lambda m, x, y: x.kron(y), [(3,), (2, 2)]),
    Case("cross_dim", lambda m, x, y: m.lib.cross(x, y, dim=1), [(2, 3, 4), (2, 3, 4)]),
    Case("cross_broadcast", lambda m, x, y: m.lib.linalg.cross(x, y), [(4, 3), (1, 3)]),
    Case("trace", lambda m, x: m.lib.trace(x), [(3, 4)]),
    Case("trace_method", lambda m, x: (x * x).trace(), [(3, 3)]),
    Case("diagonal", lambda m, x: x.diagonal(1, 0, 2), [(3, 2, 4)]),
    Case("linalg_diagonal", lambda m, x: m.lib.linalg.diagonal(x, offset=-1), [(2, 4, 3)]),
    Case("inv", lambda m, x: m.lib.linalg.inv(x + m.const(I3)), [(2, 3, 3)]),
    Case("inverse_method", lambda m, x: (x + m.const(I3)).inverse(), [(3, 3)]),
    Case("det", lambda m, x: m.lib.linalg.det(x), [(2, 3, 3)]),
    Case("det_method", lambda m, x: (x * 2).det(), [(4, 4)]),
    Case("det_singular", lambda m, x: m.lib.linalg.det(x @ x.mT), [(3, 2)]),
    Case("det_rank_deficient_by_two", lambda m, x: m.lib.linalg.det(x @ x.mT), [(4, 2)], gradcheck=False),
    Case("slogdet", lambda m, x: m.lib.linalg.slogdet(x)[1], [(2, 3, 3)]),
    Case("logdet", lambda m, x: m.lib.logdet(_spd(m, x)), [(3, 3)]),
    Case("solve_matrix", lambda m, a, b: m.lib.linalg.solve(a + m.const(I3), b), [(3, 3), (3, 2)]),
    Case("solve_vector", lambda m, a, b: m.lib.linalg.solve(a + m.const(I3), b), [(3, 3), (3,)]),
    Case("solve_batch_broadcast", lambda m, a, b: m.lib.linalg.solve(a + m.const(I3), b), [(2, 3, 3), (3, 4)]),
    Case("solve_batch_of_vectors", lambda m, a, b: m.lib.linalg.solve(a + m.const(I3), b), [(2, 3, 3), (2, 3)]),
    Case("solve_right", lambda m, a, b: m.lib.linalg.solve(a + m.const(I3), b, left=False), [(3, 3), (2, 3)]),
    Case("cholesky", lambda m, x: m.lib.linalg.cholesky(_spd(m, x)), [(2, 3, 3)]),
    Case("cholesky_upper", lambda m, x: m.lib.linalg.cholesky(_spd(m, x), upper=True), [(3, 3)]),
    Case("eigh_values", lambda m, x: m.lib.linalg.eigh(_sym(x)).eigenvalues, [(2, 4, 4)]),
    Case("eigh_vectors", lambda m, x: _sign_free(m.lib.linalg.eigh(_sym(x)).eigenvectors), [(4, 4)]),
    Case("eigvalsh", lambda m, x: m.lib.linalg.eigvalsh(_sym(x)), [(3, 3)]),
    Case("svdvals", lambda m, x: m.lib.linalg.svdvals(x), [(2, 3, 4)]),
    Case("svd_s", lambda m, x: m.lib.linalg.svd(x, full_matrices=False).S, [(4, 3)]),
    Case("pinv_wide", lambda m, x: m.lib.linalg.pinv(x), [(2, 4)]),
    Case("pinv_tall_batch", lambda m, x: m.lib.linalg.pinv(x), [(2, 4, 3)]),
    Case("vector_norm", lambda m, x: m.lib.linalg.vector_norm(x), [(3, 4)]),
    *[Case(f"vector_norm_ord_{o}", _vector_norm(o), [(3, 4)], domain="away0")
      for o in (1, 3, 0.5, float("inf"), -float("inf"))],
    Case("vector_norm_dims_keepdim", lambda m, x: m.lib.linalg.vector_norm(x, 2, dim=(0, 2), keepdim=True),
         [(2, 3, 4)]),
    *[Case(f"matrix_norm_{o}", _matrix_norm(o), [(2, 3, 4)], domain="away0")
      for o in ("fro", "nuc", 1, -1, 2, -2, float("inf"), -float("inf"))],
    Case("matrix_norm_dims_keepdim", lambda m, x: m.lib.linalg.matrix_norm(x, ord="nuc", dim=(2, 0), keepdim=True),
         [(3, 2, 4)]),
    Case("norm_default", lambda m, x: m.lib.linalg.norm(x), [(2, 3, 4)]),
    Case("norm_matrix_ord", lambda m, x: m.lib.linalg.norm(x, ord=float("inf")), [(3, 4)], domain="away0"),
    Case("norm_vector_dim", lambda m, x: m.lib.linalg.norm(x, ord=3, dim=-1), [(3, 4)], domain="away0"),
    Case("norm_matrix_dim", lambda m, x: m.lib.linalg.norm(x, ord=2, dim=(0, 1)), [(3, 4, 2)]),
    Case("vecdot", lambda m, x, y: m.lib.linalg.vecdot(x, y), [(3, 4), (4,)]),
    Case("linalg_matmul", lambda m, x, y: m.lib.linalg.matmul(x, y), [(3, 4), (4, 2)]),
]


def _sign_free(v):
    """Eigenvectors up to their sign (LAPACK may flip one): each column times its first entry."""
    return v * v[..., :1, :]


@pytest.mark.parametrize("case", [c for c in CASES if c.gradcheck], ids=lambda c: c.name)
def test_gradcheck(case):
    check_gradients(case)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_torch(case):
    check_against_torch(case)


def test_linalg_is_a_module_reachable_both_ways():
    from tinygrad_mlp import linalg

    assert linalg is tg.linalg and callable(tg.linalg.norm)
    out = subprocess.run([sys.executable, "-c", "import tinygrad_mlp as tg; tg.linalg.norm; "
                          "from tinygrad_mlp import linalg; print(linalg.det(tg.eye(2)).item())"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "1.0", out.stderr
    for name in ("norm", "vector_norm", "matrix_norm", "inv", "det", "slogdet", "solve", "cholesky", "qr", "eigh",
                 "svd", "svdvals", "pinv", "matrix_rank", "cross", "vecdot", "diagonal"):
        assert hasattr(torch.linalg, name) and callable(getattr(tg.linalg, name)), name


def test_searchsorted_and_bucketize_against_torch():
    seq = np.array([1, 3, 5, 7, 9])
    vals = np.array([[3, 6, 9], [0, 10, 5]])
    rows = np.array([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])
    for kwargs in ({}, {"right": True}, {"side": "right"}, {"side": "left"}, {"out_int32": True}):
        o = tg.searchsorted(tg.tensor(seq), tg.tensor(vals), **kwargs)
        t = torch.searchsorted(torch.tensor(seq), torch.tensor(vals), **kwargs)
        assert o.dtype == t.numpy().dtype
        np.testing.assert_array_equal(o.numpy(), t.numpy())
    np.testing.assert_array_equal(tg.searchsorted(tg.tensor(rows), tg.tensor([[3.0, 6.5], [1.0, 7.0]])).numpy(),
                                  torch.searchsorted(torch.tensor(rows), torch.tensor([[3.0, 6.5], [1.0, 7.0]])))
    assert tg.searchsorted(tg.tensor(seq), 5).item() == torch.searchsorted(torch.tensor(seq), 5).item() == 2
    unsorted, order = np.array([5.0, 1.0, 3.0]), np.array([1, 2, 0])
    np.testing.assert_array_equal(
        tg.searchsorted(tg.tensor(unsorted), tg.tensor([2.0, 4.0]), sorter=tg.tensor(order)).numpy(),
        torch.searchsorted(torch.tensor(unsorted), torch.tensor([2.0, 4.0]), sorter=torch.tensor(order)).numpy())
    for right in (False, True):
        o = tg.bucketize(tg.tensor(vals), tg.tensor(seq), right=right)
        t = torch.bucketize(torch.tensor(vals), torch.tensor(seq), right=right)
        assert o.dtype == t.numpy().dtype
        np.testing.assert_array_equal(o.numpy(), t.numpy())
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match="first N-1 dimensions"):
            lib.searchsorted(lib.tensor(rows), lib.tensor([1.0, 2.0, 3.0]))
        with pytest.raises(RuntimeError, match="positive dimension"):
            lib.searchsorted(lib.tensor(1), lib.tensor([1]))
        with pytest.raises(RuntimeError, match="boundaries tensor must be 1 dimension"):
            lib.bucketize(lib.tensor([1.0]), lib.tensor(rows))


@given(st.lists(st.integers(-20, 20), min_size=1, max_size=8), st.lists(st.integers(-25, 25), max_size=6),
       st.booleans())
def test_searchsorted_keeps_the_sequence_sorted(seq, values, right):
    """Inserting each value at its index keeps the sequence sorted, before equal elements (left) or after."""
    seq = sorted(seq)
    idx = tg.searchsorted(tg.tensor(seq), tg.tensor(values, dtype=tg.int64), right=right).tolist()
    for v, i in zip(values, idx):
        assert all(s < v or (right and s == v) for s in seq[:i])
        assert all(s > v or (not right and s == v) for s in seq[i:])


def test_integer_and_dtype_results_against_torch():
    ints = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert tg.trace(tg.tensor(ints)).dtype == torch.trace(torch.tensor(ints)).numpy().dtype
    assert tg.trace(tg.tensor(ints)).item() == torch.trace(torch.tensor(ints)).item()
    np.testing.assert_array_equal(tg.kron(tg.tensor([1, 2]), tg.tensor([[1], [10]])).numpy(),
                                  torch.kron(torch.tensor([1, 2]), torch.tensor([[1], [10]])).numpy())
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert tg.linalg.matrix_rank(tg.tensor(a)).item() == torch.linalg.matrix_rank(torch.tensor(a)).item() == 1
    batch = np.random.default_rng(0).standard_normal((3, 4, 2))
    for kwargs in ({}, {"atol": 1.0}, {"rtol": 0.5}, {"atol": 0.1, "rtol": 0.9}):
        np.testing.assert_array_equal(tg.linalg.matrix_rank(tg.tensor(batch), **kwargs).numpy(),
                                      torch.linalg.matrix_rank(torch.tensor(batch), **kwargs).numpy())
        np.testing.assert_allclose(tg.linalg.pinv(tg.tensor(batch), **kwargs).numpy(),
                                   torch.linalg.pinv(torch.tensor(batch), **kwargs).numpy(), atol=1e-12)
    sign, logabs = tg.linalg.slogdet(tg.tensor(np.array([[0.0, 2.0], [3.0, 0.0]])))
    ts, tl = torch.linalg.slogdet(torch.tensor(np.array([[0.0, 2.0], [3.0, 0.0]])))
    assert sign.item() == ts.item() == -1.0 and np.isclose(logabs.item(), tl.item())
    assert np.isnan(tg.logdet(tg.tensor(np.array([[0.0, 2.0], [3.0, 0.0]]))).item())


def test_decompositions_reconstruct_and_match_torch():
    a = np.random.default_rng(1).standard_normal((2, 4, 3))
    u, s, vh = tg.linalg.svd(tg.tensor(a), full_matrices=False)
    np.testing.assert_allclose((u * s.unsqueeze(-2) @ vh).numpy(), a, atol=1e-12)
    assert tg.linalg.svd(tg.tensor(a)).U.shape == torch.linalg.svd(torch.tensor(a)).U.shape
    np.testing.assert_allclose(s.numpy(), torch.linalg.svdvals(torch.tensor(a)).numpy(), rtol=1e-12)
    for mode in ("reduced", "complete", "r"):
        q, r = tg.linalg.qr(tg.tensor(a), mode=mode)
        tq, tr = torch.linalg.qr(torch.tensor(a), mode=mode)
        assert q.shape == tq.shape and r.shape == tr.shape
        np.testing.assert_allclose(np.abs(r.numpy()), np.abs(tr.numpy()), atol=1e-12)
        if mode != "r":
            np.testing.assert_allclose((q @ r).numpy(), a if mode == "reduced" else a, atol=1e-12)
    sym = a[0].T @ a[0]
    w, v = tg.linalg.eigh(tg.tensor(sym))
    np.testing.assert_allclose(w.numpy(), torch.linalg.eigh(torch.tensor(sym)).eigenvalues.numpy(), rtol=1e-10)
    np.testing.assert_allclose((v * w.unsqueeze(0) @ v.mT).numpy(), sym, atol=1e-12)


def test_forward_only_outputs_refuse_a_gradient():
    x = tg.tensor(np.random.default_rng(2).standard_normal((3, 3)), requires_grad=True)
    tg.linalg.svd(x).S.sum().backward()  # S is differentiable
    with pytest.raises(NotImplementedError, match="linalg.svd's U.*not supported"):
        tg.linalg.svd(x).U.sum().backward()
    with pytest.raises(NotImplementedError, match="linalg.qr's R"):
        tg.linalg.qr(x).R.sum().backward()


@pytest.mark.filterwarnings("ignore:Using torch.cross without specifying the dim")
def test_linalg_errors_match_torch():
    singular = [[1.0, 2.0], [2.0, 4.0]]
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match="singular"):
            lib.linalg.inv(lib.tensor(singular))
        with pytest.raises(lib.linalg.LinAlgError, match="not positive-definite"):
            lib.linalg.cholesky(lib.tensor(singular))
        with pytest.raises(RuntimeError, match="batches of square matrices, but they are 2 by 3 matrices"):
            lib.linalg.inv(lib.ones(2, 3))
        with pytest.raises(RuntimeError, match="Expected a floating point"):
            lib.linalg.det(lib.ones(2, 2, dtype=lib.int64))
        with pytest.raises(RuntimeError, match=r"Incompatible shapes of A and B .* \(2x2 and 3x1\)"):
            lib.linalg.solve(lib.eye(2), lib.ones(3))
        with pytest.raises(RuntimeError, match="trace: expected a matrix"):
            lib.trace(lib.ones(3))
        with pytest.raises(RuntimeError, match="contracted dimensions need to match"):
            lib.tensordot(lib.ones(2, 3), lib.ones(4, 5), dims=1)
        with pytest.raises(RuntimeError, match="no dimension of size 3"):
            lib.cross(lib.ones(2, 4), lib.ones(2, 4))
        with pytest.raises(RuntimeError, match="dimension -1 must have length 3"):
            lib.linalg.cross(lib.ones(2, 4), lib.ones(2, 4))
        with pytest.raises(RuntimeError, match="same number of dimensions"):
            lib.linalg.cross(lib.ones(2, 3), lib.ones(3))
        with pytest.raises(RuntimeError, match="the input must be 1D or 2D"):
            lib.linalg.norm(lib.ones(2, 2, 2), ord=2)
    assert issubclass(tg.linalg.LinAlgError, RuntimeError)


def test_solve_shapes_follow_torch():
    eye = np.eye(2)
    for a_shape, b_shape in [((2, 2), (2,)), ((4, 2, 2), (2,)), ((4, 2, 2), (4, 2)), ((4, 2, 2), (2, 3)),
                             ((2, 2, 2), (2, 2))]:
        a, b = np.broadcast_to(eye, a_shape).copy(), np.ones(b_shape)
        assert tuple(tg.linalg.solve(tg.tensor(a), tg.tensor(b)).shape) == \
            tuple(torch.linalg.solve(torch.tensor(a), torch.tensor(b)).shape), (a_shape, b_shape)
