"""One training step (forward, softmax cross-entropy, backward, update): ours vs hand-written
numpy vs PyTorch eager, interleaved, for the 784-256-128-10 ReLU MLP at several batch sizes and
the 4-128-3 network at batch 1; SGD and Adam.

    python -m benchmarks.step_time [--quick]
"""

from __future__ import annotations

import argparse

import numpy as np

from .common import NumpyMLP, emit, have_torch, init_weights, interleaved, main_guard, ours_model, torch_model


def candidates(sizes: list, batch: int, optimizer: str) -> dict:
    import tinygrad_mlp as tg

    rng = np.random.default_rng(1)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    weights = init_weights(sizes)
    lr = 0.01 if optimizer == "sgd" else 1e-3

    ref = NumpyMLP(weights, lr, optimizer)
    out = {"numpy": lambda: ref.step(x, y)}

    model = ours_model(weights)
    opt = tg.optim.SGD(model.parameters(), lr=lr) if optimizer == "sgd" else tg.optim.Adam(model.parameters(), lr=lr)
    loss_fn = tg.nn.CrossEntropyLoss()
    xt, yt = tg.Tensor(x), tg.Tensor(y)

    def ours() -> None:
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()

    out["ours"] = ours
    if have_torch():
        import torch

        tm = torch_model(weights)
        topt = torch.optim.SGD(tm.parameters(), lr=lr) if optimizer == "sgd" else \
            torch.optim.Adam(tm.parameters(), lr=lr)
        xtt, ytt = torch.from_numpy(x), torch.from_numpy(y)
        tloss = torch.nn.CrossEntropyLoss()

        def theirs() -> None:
            topt.zero_grad()
            tloss(tm(xtt), ytt).backward()
            topt.step()

        out["torch"] = theirs
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 5 if args.quick else 9
    configs = [([784, 256, 128, 10], b) for b in (1, 32, 128, 512)] + [([4, 128, 3], 1)]
    for optimizer in ("sgd", "adam"):
        for sizes, batch in configs:
            steps = max(5, min(200, 20000 // (batch * 4 + 50)))
            result = interleaved(candidates(sizes, batch, optimizer), rounds=rounds, steps=steps)
            record = {"benchmark": "step_time", "model": "-".join(map(str, sizes)), "batch": batch,
                      "optimizer": optimizer, "dtype": "float32", **{k: v for k, v in result.items()}}
            record["ours_over_numpy"] = result["ours"]["ratio_to_numpy"]
            if "torch" in result:
                record["torch_over_ours"] = result["torch"]["ratio_to_numpy"] / result["ours"]["ratio_to_numpy"]
            emit(record)


if __name__ == "__main__":
    main_guard(main)
