"""Stable forms: huge, tiny and tied inputs give finite, correct values and gradients."""

import warnings

import numpy as np
import pytest

import tinygrad_mlp as tg
import tinygrad_mlp.functional as F


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_of_huge_values_is_exact_and_quiet(dtype):
    x = tg.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=dtype, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning either
        y = x.sigmoid()
        y.sum().backward()
    assert y.numpy()[0] == 0.0 and y.numpy()[2] == 0.5 and y.numpy()[-1] == 1.0
    assert np.isclose(y.numpy()[1], np.exp(-50.0), rtol=1e-6)  # tiny, not rounded to 0
    assert np.all(np.isfinite(x.grad.numpy()))
    assert x.grad.numpy()[2] == 0.25


def test_softmax_and_log_softmax_of_1e4():
    x = tg.tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]], dtype=tg.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.softmax(dim=1)
        ls = x.log_softmax(dim=1)
        (ls[0, 1] + s[1, 0]).backward()
    np.testing.assert_allclose(s.numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(ls.numpy(), [[0, -1e4, -2e4], [-np.log(3)] * 3])
    assert np.all(np.isfinite(x.grad.numpy()))


def test_softplus_and_logsumexp_do_not_overflow():
    x = tg.tensor([-1e4, 0.0, 1e4], dtype=tg.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sp = F.softplus(x)
        lse = x.logsumexp(dim=0)
        (sp.sum() + lse).backward()
    np.testing.assert_allclose(sp.numpy(), [0.0, np.log(2), 1e4])
    assert lse.item() == 1e4
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.5, 2.0])


def test_logsumexp_of_all_minus_inf_is_minus_inf_not_nan():
    x = tg.tensor([-np.inf, -np.inf], dtype=tg.float64)
    assert x.logsumexp(dim=0).item() == -np.inf


def test_elu_selu_gelu_at_extremes_are_finite():
    x = tg.tensor([-1e4, -1e-300, 0.0, 1e4], dtype=tg.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.elu(x) + F.selu(x) + F.gelu(x) + F.gelu(x, approximate="tanh") + F.silu(x)
        out.sum().backward()
    assert np.all(np.isfinite(out.numpy())) and np.all(np.isfinite(x.grad.numpy()))


def test_relu_gradient_is_zero_at_zero_like_torch():
    x = tg.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]


def test_heaviside_is_forward_only_with_zero_gradient():
    x = tg.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    y = x.heaviside(0.5)
    assert y.tolist() == [0.0, 0.5, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_max_ties_share_the_gradient():
    x = tg.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], requires_grad=True)
    x.amax(dim=1).sum().backward()
    assert x.grad.tolist() == [[0, 0.5, 0.5], [0.5, 0, 0.5]]
    y = tg.tensor([3.0, 1.0, 3.0, 3.0], requires_grad=True)
    y.max().backward()
    np.testing.assert_allclose(y.grad.numpy(), [1 / 3, 0, 1 / 3, 1 / 3])


def test_pow_gradient_conventions_at_zero():
    x = tg.tensor([0.0, 2.0], dtype=tg.float64, requires_grad=True)
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    e = tg.tensor([2.0, 2.0], dtype=tg.float64, requires_grad=True)
    (tg.tensor([0.0, 3.0], dtype=tg.float64) ** e).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), [0.0, 9 * np.log(3)])


def test_variance_of_one_element_is_nan_like_torch_not_a_crash():
    x = tg.tensor([3.0], requires_grad=True)
    v = x.var()
    assert np.isnan(v.item())
    v.backward()
    assert np.isnan(x.grad.numpy()).all()
    assert x.var(correction=0).item() == 0.0
