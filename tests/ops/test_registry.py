"""One op, one place: a class, one `register` line and one case row make a new op a Tensor method, a
``tg.`` and an ``F.`` function and an nn activation, checked against finite differences and torch by the
same code that checks every built-in op."""

import numpy as np
import pytest

import tinygrad_mlp as tg
import tinygrad_mlp.functional as F
from tinygrad_mlp import nn, registry

from .cases import Case
from .test_gradcheck_ops import check_gradients


class Softsign(tg.Function):
    """x / (1 + |x|), written here as a contributor would add it to ops/activation.py."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + np.abs(x))

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1 + np.abs(x)) ** 2


CASE = Case("softsign_new", lambda m, x: x.softsign_new(), [(3, 4)],
            torch_fn=lambda m, x: m.F.softsign(x))


@pytest.fixture
def registered():
    registry.register("softsign_new", Softsign, functional=True, activation=True)
    yield
    registry.unregister("softsign_new")


def test_a_registered_op_is_a_method_a_tg_and_an_f_function(registered):
    x = tg.tensor([[-2.0, 0.0, 3.0]], requires_grad=True)
    expected = np.array([[-2 / 3, 0.0, 0.75]], dtype=np.float32)
    for y in (x.softsign_new(), tg.softsign_new(x), F.softsign_new(x), tg.nn.functional.softsign_new(x)):
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
        assert y.grad_fn.name() == "SoftsignBackward0"
    tg.softsign_new([1.0, -1.0]).numpy()  # the free function takes plain data too
    x.softsign_new().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1 / 9, 1.0, 1 / 16]], rtol=1e-6)


def test_a_registered_op_is_checked_by_the_shared_case_code(registered):
    check_gradients(CASE)
    torch_reference = pytest.importorskip("tests.ops.test_torch_reference")
    torch_reference.check_against_torch(CASE)


def test_a_registered_activation_is_offered_by_nn_and_the_mlp(registered):
    assert "softsign_new" in nn.ACTIVATIONS and "softsign_new" in list(nn.ACTIVATIONS)
    tg.manual_seed(0)
    model = nn.MLP(2, [4], 1, activation="softsign_new")
    assert isinstance(model[1], nn.Activation) and model[1].op == "softsign_new"
    x = tg.tensor([[0.5, -1.0]])
    hidden = model[0](x)
    np.testing.assert_allclose(model[1](hidden).numpy(), hidden.numpy() / (1 + np.abs(hidden.numpy())), rtol=1e-6)


def test_unregister_removes_every_form(registered):
    registry.unregister("softsign_new")
    assert not hasattr(tg.Tensor, "softsign_new")
    with pytest.raises(AttributeError):
        tg.softsign_new  # noqa: B018
    with pytest.raises(AttributeError):
        F.softsign_new  # noqa: B018
    assert "softsign_new" not in nn.ACTIVATIONS
    registry.register("softsign_new", Softsign, functional=True, activation=True)  # for the fixture's teardown


def test_every_builtin_op_method_is_registered_once():
    # the Tensor methods from ops live in the registry's mixin; the torch spellings (tensor_api) do not repeat them
    from tinygrad_mlp.tensor_api import TensorAPI

    op_methods = {n for n in vars(registry.OpMethods) if not n.startswith("_") or n.startswith("__")} - {"__slots__",
                                                                                                          "__module__",
                                                                                                          "__doc__"}
    assert {"exp", "sum", "relu", "matmul", "reshape", "max", "__add__", "__getitem__"} <= op_methods
    assert not op_methods & set(vars(TensorAPI))
