"""tg.autograd.functional's jacobian, vjp and jvp against torch's on small functions of one and several
tensors (values and shapes, tuples in and out), their errors, and the refused second-order functions."""

import numpy as np
import pytest

import tinygrad_mlp as tg

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")

rng = np.random.default_rng(0)
A, W, V, U = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(4), rng.standard_normal(3)


def single(lib):
    w = lib.tensor(W)
    return lambda x: (x @ w).tanh() * 2


def several(lib):
    return lambda x, y: ((x * y).sum(dim=1), x.exp() + y.sin())


def numpy_of(result):
    if isinstance(result, tuple):
        return tuple(numpy_of(r) for r in result)
    return result.detach().numpy()


def assert_same(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            assert_same(o, t)
        return
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def both(call):
    return numpy_of(call(tg)), numpy_of(call(torch))


@pytest.mark.parametrize("case", ["single", "several", "sum", "constant"])
def test_jacobian_matches_torch(case):
    def call(lib):
        J = lib.autograd.functional
        if case == "single":
            return J.jacobian(single(lib), lib.tensor(A))
        if case == "several":
            return J.jacobian(several(lib), (lib.tensor(A), lib.tensor(A[::-1].copy())))
        if case == "sum":
            return J.jacobian(lambda x: (x ** 3).sum(), lib.tensor(V))
        return J.jacobian(lambda x: x * 0 + 1, lib.tensor(V))

    assert_same(*both(call))


def test_vjp_and_jvp_match_torch():
    def call(lib):
        J = lib.autograd.functional
        x, y, v_out = lib.tensor(A), lib.tensor(A[::-1].copy()), lib.tensor(U)
        return (J.vjp(single(lib), x, lib.tensor(np.ones((3, 2)))),
                J.vjp(several(lib), (x, y), (v_out, lib.tensor(A))),
                J.vjp(lambda t: (t ** 2).sum(), lib.tensor(V)),
                J.jvp(single(lib), x, lib.tensor(A * 0.5)),
                J.jvp(several(lib), (x, y), (lib.tensor(A), lib.tensor(-A))))

    assert_same(*both(call))


def test_errors_as_torch():
    for lib in (tg, torch):
        J = lib.autograd.functional
        with pytest.raises(RuntimeError, match="does not require gradients"):
            J.jacobian(lambda x, lib=lib: lib.ones(2), lib.tensor([1.0, 2.0]), strict=True)
        with pytest.raises(RuntimeError, match="can only be None"):
            J.vjp(lambda x: x * 2, lib.tensor([1.0, 2.0]))
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
            J.jacobian(lambda x: x, [1.0, 2.0])
    with pytest.raises(NotImplementedError, match="second derivatives"):
        tg.autograd.functional.hessian(lambda x: (x ** 2).sum(), tg.tensor([1.0]))
    with pytest.raises(NotImplementedError, match="create_graph"):
        tg.autograd.functional.jacobian(lambda x: x, tg.tensor([1.0]), create_graph=True)


def test_the_inputs_are_left_as_they_were():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    tg.autograd.functional.jacobian(lambda t: t ** 2, x)
    assert x.grad is None and x.tolist() == [1.0, 2.0]
