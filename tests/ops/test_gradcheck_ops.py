"""Every op's backward against central finite differences in float64."""

import numpy as np
import pytest

import tinygrad_mlp as tg
import tinygrad_mlp.functional as F

from .cases import CASES, make_inputs


class Ours:
    lib = tg
    F = F

    @staticmethod
    def const(a):
        return tg.tensor(a)


@pytest.mark.parametrize("case", [c for c in CASES if c.gradcheck], ids=lambda c: c.name)
def test_gradcheck(case):
    check_gradients(case)


def check_gradients(case):
    """The case's backward against central finite differences in float64."""
    tg.set_default_dtype(np.float64)
    inputs = [tg.tensor(a, dtype=np.float64, requires_grad=True) for a in make_inputs(case)]
    assert tg.gradcheck(lambda *xs: case.fn(Ours, *xs), inputs)


def test_gradcheck_catches_a_wrong_backward():
    class BadSquare(tg.Function):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2.1 * x  # wrong on purpose

    x = tg.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    with pytest.raises(AssertionError, match=r"differs at index \(2,\).*analytic"):
        tg.gradcheck(BadSquare.apply, [x])


def test_gradcheck_needs_float64():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        tg.gradcheck(lambda x: x * 2, [x])
