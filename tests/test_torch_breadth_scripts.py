"""Typical PyTorch scripts written against ``lib`` (torch, or tinygrad_mlp under torch's names), run on both:
a character-level MLP language model (nn.Embedding, sampling with multinomial), a sine fit with tg.sin and
a hand-written polynomial, the device idioms, and the newer optimizers and schedules in one loop. Seeded, so
both print the same numbers."""

import numpy as np
import pytest

import tinygrad_mlp

torch = pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett"]


def char_mlp(lib):
    """Bengio-style: a 3-character context through a shared embedding, a tanh layer, softmax over the next
    character; minibatches drawn with randint; then names sampled with multinomial."""
    nn, F = lib.nn, lib.nn.functional
    chars = sorted(set("".join(WORDS)))
    stoi = {c: i + 1 for i, c in enumerate(chars)}
    stoi["."] = 0
    itos = {i: c for c, i in stoi.items()}
    block = 3
    X, Y = [], []
    for w in WORDS:
        context = [0] * block
        for ch in w + ".":
            X.append(context)
            Y.append(stoi[ch])
            context = context[1:] + [stoi[ch]]
    X, Y = lib.tensor(X), lib.tensor(Y)

    lib.manual_seed(42)

    class CharMLP(nn.Module):
        def __init__(self, vocab, dim=8, hidden=64):
            super().__init__()
            self.emb = nn.Embedding(vocab, dim)
            self.hidden = nn.Linear(block * dim, hidden)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, idx):
            x = self.emb(idx).view(idx.shape[0], -1)
            return self.out(lib.tanh(self.hidden(x)))

    device = lib.device("cuda" if lib.cuda.is_available() else "cpu")
    model = CharMLP(len(stoi)).to(device)
    opt = lib.optim.NAdam(model.parameters(), lr=0.01)
    sched = lib.optim.lr_scheduler.MultiStepLR(opt, milestones=[40, 70], gamma=0.3)
    printed = []
    for step in range(100):
        ix = lib.randint(0, X.shape[0], (32,))
        loss = F.cross_entropy(model(X[ix].to(device)), Y[ix].to(device))
        opt.zero_grad()
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
        if step % 20 == 0:
            printed.append(f"{loss.item():.4f}")
    with lib.no_grad():
        printed.append(f"{F.cross_entropy(model(X), Y).item():.4f}")
        g = lib.Generator().manual_seed(2147483647)
        for _ in range(5):
            out, context = [], [0] * block
            while True:
                probs = F.softmax(model(lib.tensor([context])), dim=1)
                ix = lib.multinomial(probs, num_samples=1, generator=g).item()
                context = context[1:] + [ix]
                if ix == 0 or len(out) > 15:
                    break
                out.append(itos[ix])
            printed.append("".join(out))
    return printed


def sine_fit(lib):
    """The classic tutorial: fit sin(x) on [-pi, pi] with a cubic a + bx + cx^2 + dx^3 (autograd, SGD by hand),
    then with a small MLP and Adamax."""
    lib.manual_seed(0)
    x = lib.linspace(-np.pi, np.pi, 2000)
    y = lib.sin(x)
    a, b, c, d = (lib.randn((), requires_grad=True) for _ in range(4))
    lr = 1e-6
    printed = []
    for t in range(500):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            printed.append(f"{loss.item():.5g}")  # (a float32 sum of 2000 terms: its last bits depend on the order)
        loss.backward()
        with lib.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
    printed.append(f"y = {a.item():.4f} + {b.item():.4f} x + {c.item():.4f} x^2 + {d.item():.4f} x^3")

    net = lib.nn.Sequential(lib.nn.Linear(1, 16), lib.nn.Tanh(), lib.nn.Linear(16, 1))
    opt = lib.optim.Adamax(net.parameters(), lr=0.02)
    sched = lib.optim.lr_scheduler.CyclicLR(opt, base_lr=0.005, max_lr=0.03, step_size_up=10)
    xs = x.unsqueeze(1)
    ys = lib.sin(xs) + 0.1 * lib.cos(3 * xs)
    for _ in range(60):
        opt.zero_grad()
        loss = lib.nn.functional.mse_loss(net(xs), ys)
        loss.backward()
        opt.step()
        sched.step()
    printed.append(f"{loss.item():.5f}")
    printed.append(f"{lib.atan2(y[500], x[500].cos()).item():.5f}")
    return printed


def test_char_mlp_with_embedding_and_multinomial_prints_torchs_numbers():
    ours, theirs = char_mlp(tinygrad_mlp), char_mlp(torch)
    assert ours == theirs
    assert len(set(ours[-5:])) > 1  # it really sampled names


def test_sine_fit_prints_torchs_numbers():
    assert sine_fit(tinygrad_mlp) == sine_fit(torch)


def test_device_idioms_fall_back_to_the_cpu_as_torch():
    for lib in (tinygrad_mlp, torch):
        device = lib.device("cuda" if lib.cuda.is_available() else "cpu")
        assert str(device) == "cpu" and repr(device) == "device(type='cpu')"
        acc = lib.accelerator.current_accelerator() if lib.accelerator.is_available() else lib.device("cpu")
        assert str(acc) == "cpu"
        assert lib.accelerator.device_count() == 0 and lib.accelerator.current_accelerator() is None
        assert not lib.backends.mps.is_available() and not lib.cuda.is_available() and lib.cuda.device_count() == 0
        mps = lib.device("mps") if lib.backends.mps.is_available() else lib.device("cpu")
        assert lib.ones(2).to(mps).sum().item() == 2.0
        assert lib.device("cuda", 1) == lib.device("cuda:1") and str(lib.device("cuda:1")) == "cuda:1"
        lib.cuda.manual_seed_all(0)  # a no-op without a GPU, in both
        with pytest.raises(RuntimeError, match="Cannot access accelerator"):
            lib.accelerator.current_device_index()
        with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
            lib.device("gpu")
        with pytest.raises((RuntimeError, AssertionError)):
            lib.zeros(2).to("cuda")
