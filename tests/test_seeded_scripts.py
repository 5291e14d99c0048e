"""Seeded scripts print torch's numbers: the same script, run once on torch and once on tinygrad_mlp (only
the import changed), draws the same weights, dropout masks, batches and samples, and so prints the same
losses and the same sampled names."""

import numpy as np
import pytest

import tinygrad_mlp

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")


def mlp_with_dropout_and_shuffling(lib):
    """A typical training script: seeded init, DataLoader(shuffle=True), Dropout, SGD with momentum."""
    nn = lib.nn
    lib.manual_seed(1234)
    X = lib.randn(96, 5)
    y = (X[:, 0] * 2 - X[:, 1] + 0.5 * X[:, 2] > 0).long()
    loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(X, y), batch_size=16, shuffle=True)
    model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 2))
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    printed = []
    for _ in range(4):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            printed.append(round(loss.item(), 4))
    model.eval()
    with lib.no_grad():
        printed.append(round((model(X).argmax(1) == y).float().mean().item(), 4))
    printed.append(round(lib.rand(1).item(), 6))  # the stream is still in lock-step afterwards
    return printed


def bigram_names(lib):
    """A character-level bigram network trained by gradient descent, then sampling names with a Generator."""
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail",
             "ella", "avery", "scarlett", "luna", "aria", "chloe", "mila", "layla", "nora", "zoe"]
    chars = sorted(set("".join(words)))
    stoi = {c: i + 1 for i, c in enumerate(chars)}
    stoi["."] = 0
    itos = {i: c for c, i in stoi.items()}
    n = len(stoi)
    xs, ys = [], []
    for w in words:
        seq = ["."] + list(w) + ["."]
        for a, b in zip(seq, seq[1:]):
            xs.append(stoi[a])
            ys.append(stoi[b])
    xs, ys = lib.tensor(xs), lib.tensor(ys)
    g = lib.Generator().manual_seed(2147483647)
    W = lib.randn((n, n), generator=g, requires_grad=True)
    xenc = lib.nn.functional.one_hot(xs, num_classes=n).float()
    losses = []
    for _ in range(30):
        logits = xenc @ W
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdim=True)
        loss = -probs[lib.arange(len(ys)), ys].log().mean() + 0.01 * (W ** 2).mean()
        W.grad = None
        loss.backward()
        with lib.no_grad():
            W -= 10 * W.grad
        losses.append(round(loss.item(), 4))
    names = []
    for _ in range(8):
        out, ix = [], 0
        while True:
            p = (lib.nn.functional.one_hot(lib.tensor([ix]), num_classes=n).float() @ W).softmax(1)
            ix = lib.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            if ix == 0 or len(out) > 20:
                break
            out.append(itos[ix])
        names.append("".join(out))
    return losses, names


def test_mlp_with_dropout_and_shuffling_prints_torchs_numbers():
    ours = mlp_with_dropout_and_shuffling(tinygrad_mlp)
    theirs = mlp_with_dropout_and_shuffling(torch)
    assert len(ours) == len(theirs) == 4 * 6 + 2
    np.testing.assert_allclose(ours[:-2], theirs[:-2], atol=2e-4)  # float32 rounding of the same computation
    assert ours[-2:] == theirs[-2:]


def test_bigram_model_samples_torchs_names():
    our_losses, our_names = bigram_names(tinygrad_mlp)
    their_losses, their_names = bigram_names(torch)
    np.testing.assert_allclose(our_losses, their_losses, atol=2e-4)
    assert our_names == their_names and len(set(our_names)) > 3


def test_interleaved_draws_stay_in_lock_step():
    def draws(lib):
        lib.manual_seed(7)
        a = lib.randn(5, 3)
        b = lib.randint(0, 10, (17,))
        layer = lib.nn.Linear(40, 70)  # weight draws 2,800 values: the vectorised normal path is not used here
        c = lib.rand(33)
        d = lib.randperm(20)
        e = lib.randn(1000)
        return [np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)
                for t in (a, b, layer.weight, layer.bias, c, d, e)]

    for ours, theirs in zip(draws(tinygrad_mlp), draws(torch)):
        np.testing.assert_array_equal(ours, theirs)


def test_generator_state_round_trips_and_is_torchs():
    tinygrad_mlp.manual_seed(3)
    torch.manual_seed(3)
    state = tinygrad_mlp.get_rng_state()
    first = tinygrad_mlp.randn(20).numpy().copy()
    tinygrad_mlp.set_rng_state(state)
    np.testing.assert_array_equal(tinygrad_mlp.randn(20).numpy(), first)
    np.testing.assert_array_equal(first, torch.randn(20).numpy())
    assert tinygrad_mlp.initial_seed() == torch.initial_seed() == 3
