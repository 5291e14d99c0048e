"""The textbook 2-2-1 sigmoid network, reproduced to the printed digits."""

import numpy as np
import pytest

import tinygrad_mlp as tg
from tinygrad_mlp import nn


def textbook_network():
    tg.set_default_dtype(np.float64)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    w1 = np.array([[0.1, 0.2], [0.3, 0.4]])  # x·W convention, so Linear.weight = W.T
    w2 = np.array([[0.5], [0.6]])
    model.load_state_dict({"0.weight": w1.T, "0.bias": [0.1, 0.2], "2.weight": w2.T, "2.bias": [0.3]})
    return model


def test_forward_outputs():
    model = textbook_network()
    x = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(model(x).numpy().ravel(), [0.70938314, 0.72844306, 0.71791234, 0.73598705],
                               atol=5e-9)


def test_loss_gradient_and_one_sgd_step():
    model = textbook_network()
    opt = tg.optim.SGD(model.parameters(), lr=0.2)
    out = model(tg.tensor([[0.0, 0.0]]))
    loss = 0.5 * ((out - tg.tensor([[0.0]])) ** 2).sum()  # E = ½Σ(y − t)²
    assert loss.item() == pytest.approx(0.251612, abs=5e-7)
    loss.backward()
    w5_grad = model[2].weight.grad.numpy()[0, 0]
    # exact: 0.07677585; the book multiplies the rounded factors 0.709383 · 0.206158 · 0.524979
    assert w5_grad == pytest.approx(0.709383 * 0.206158 * 0.524979, abs=1e-6)
    assert round(w5_grad, 5) == 0.07678
    opt.step()
    assert model[2].weight.numpy()[0, 0] == pytest.approx(0.484645, abs=5e-7)
