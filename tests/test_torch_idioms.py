"""Two typical scripts, run side by side on torch and on tinygrad_mlp from the same starting numbers:
a sine fit whose cube is a custom autograd.Function (Tensors in and out), and a manual-backprop
exercise that computes dlogits with in-place indexing and checks it against autograd."""

import math

import numpy as np
import pytest

import tinygrad_mlp as tg

torch = pytest.importorskip("torch")


def cube_function(lib):
    """x³ as a custom autograd.Function of ``lib`` (tg or torch): the same source for both."""

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x ** 2

    return Cube


def sine_fit(lib, steps=400, lr=1e-6):
    """Fit sin on [-pi, pi] with a + b x + c x² + d x³, the cube through the custom Function, updating
    the four numbers by hand under no_grad. Returns the losses (formatted as a script prints them)
    and the final coefficients."""
    x = lib.tensor(np.linspace(-math.pi, math.pi, 500, dtype=np.float32))
    y = lib.tensor(np.sin(np.linspace(-math.pi, math.pi, 500)).astype(np.float32))
    coeffs = [lib.tensor(v, requires_grad=True) for v in (0.1, -0.2, 0.05, 0.3)]
    a, b, c, d = coeffs
    cube = cube_function(lib).apply
    printed = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * cube(x)
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            printed.append(f"{t} {loss:.4f}")
        loss.backward()
        with lib.no_grad():
            for p in coeffs:
                p -= lr * p.grad
                p.grad = None
    return printed, [p.item() for p in coeffs]


def test_sine_fit_with_a_custom_function_matches_torch():
    ours, theirs = sine_fit(tg), sine_fit(torch)
    assert len(ours[0]) == 4
    for mine, ref in zip(ours[0], theirs[0]):
        assert abs(float(mine.split()[1]) - float(ref.split()[1])) <= 1e-3 * float(ref.split()[1])
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-4)
    assert float(ours[0][-1].split()[1]) < float(ours[0][0].split()[1])  # it learned


def manual_backprop(lib, F, seed=0, in_no_grad=False):
    """A two-layer tanh MLP with cross-entropy: gradients by autograd, then by hand (dlogits from the
    softmax with one subtracted at the targets, in place), both returned."""
    rng = np.random.default_rng(seed)
    n, d_in, hidden, classes = 32, 10, 16, 5
    X = lib.tensor(rng.standard_normal((n, d_in)).astype(np.float32))
    Yb = lib.tensor(rng.integers(0, classes, n))
    W1 = lib.tensor((rng.standard_normal((d_in, hidden)) * 0.3).astype(np.float32), requires_grad=True)
    b1 = lib.tensor((rng.standard_normal(hidden) * 0.1).astype(np.float32), requires_grad=True)
    W2 = lib.tensor((rng.standard_normal((hidden, classes)) * 0.3).astype(np.float32), requires_grad=True)
    b2 = lib.tensor(np.zeros(classes, np.float32), requires_grad=True)
    h_pre = X @ W1 + b1
    h = h_pre.tanh()
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Yb)
    for t in (h_pre, h, logits):
        t.retain_grad()
    loss.backward()

    def by_hand():
        dlogits = F.softmax(logits, 1)
        dlogits[range(n), Yb] -= 1
        dlogits /= n
        dh = dlogits @ W2.T
        dh_pre = (1 - h ** 2) * dh
        return {"logits": dlogits, "W2": h.T @ dlogits, "b2": dlogits.sum(0), "h": dh, "h_pre": dh_pre,
                "W1": X.T @ dh_pre, "b1": dh_pre.sum(0)}

    if in_no_grad:
        with lib.no_grad():
            manual = by_hand()
    else:
        manual = by_hand()
    auto = {"logits": logits.grad, "W2": W2.grad, "b2": b2.grad, "h": h.grad, "h_pre": h_pre.grad, "W1": W1.grad,
            "b1": b1.grad}
    return loss.item(), {k: v.detach().numpy() for k, v in manual.items()}, {k: v.numpy() for k, v in auto.items()}


@pytest.mark.parametrize("in_no_grad", [False, True])
def test_manual_backprop_with_in_place_indexing_matches_autograd_and_torch(in_no_grad):
    loss, manual, auto = manual_backprop(tg, tg.nn.functional, in_no_grad=in_no_grad)
    t_loss, t_manual, t_auto = manual_backprop(torch, torch.nn.functional, in_no_grad=in_no_grad)
    assert abs(loss - t_loss) < 1e-5
    for name in manual:
        np.testing.assert_allclose(manual[name], auto[name], rtol=1e-4, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(manual[name], t_manual[name], rtol=1e-4, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(auto[name], t_auto[name], rtol=1e-4, atol=1e-6, err_msg=name)
        assert manual[name].dtype == np.float32


def test_indexed_in_place_update_in_the_graph_gives_torchs_gradient():
    """``x[i] -= 1`` on a tensor in the graph (a getitem, an in-place sub and a setitem) backpropagates."""
    data = np.array([[1.0, 2.0, 0.5], [0.1, -0.3, 0.2]], np.float32)
    weights = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], np.float32)
    logits, t_logits = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    probs = tg.nn.functional.softmax(logits, 1)
    t_probs = torch.softmax(t_logits, 1).clone()  # (torch needs the clone: its softmax saved its output)
    probs[range(2), tg.tensor([1, 2])] -= 1
    t_probs[range(2), torch.tensor([1, 2])] -= 1
    probs[0] *= 3
    t_probs[0] *= 3
    (probs * tg.tensor(weights)).sum().backward()
    (t_probs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(probs.detach().numpy(), t_probs.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(logits.grad.numpy(), t_logits.grad.numpy(), rtol=1e-5)


def test_nodes_recorded_before_an_in_place_op_keep_the_old_value():
    w, tw = tg.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    h, th = w * 3, tw * 3
    before, t_before = h.sum() * 2, th.sum() * 2  # uses h before the change
    h.add_(w * w)
    th.add_(tw * tw)
    (before + (h * h).sum()).backward()
    (t_before + (th * th).sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-6)
