"""Why nn.Linear keeps its (out, in) weight column-major: the three products of a linear layer with
the weight stored row-major (torch's layout) against column-major (the memory of an (in, out) array),
then our whole training step with each layout, interleaved, on the 784-256-128-10 MLP.

    python -m benchmarks.layout [--quick]

Per layer and batch: ``forward`` x·Wᵀ, ``weight_grad`` gᵀ·x (row-major result) or (xᵀ·g)ᵀ written
into a column-major result, ``input_grad`` g·W; per batch: the SGD step with every weight row-major,
every weight column-major, and as nn.Linear builds them (column-major from 4,096 elements: here the
256×784 and 128×256 weights, not the 10×128 one), with the ratios ``column_over_row`` and
``default_over_row`` (< 1: faster than all row-major).
"""

from __future__ import annotations

import argparse

import numpy as np

from .common import emit, interleaved, main_guard
from .step_time import ours_step

SIZES = [784, 256, 128, 10]


def products(weight: np.ndarray, x: np.ndarray, g: np.ndarray) -> dict:
    """The three products of a linear layer, each computed the way the engine does for this layout."""
    column_major = weight.strides[0] < weight.strides[1]

    def weight_grad() -> None:
        if column_major:
            out = np.empty(weight.shape, weight.dtype, order="F")
            np.dot(x.T, g, out=out.T)
        else:
            np.dot(g.T, x)

    return {"forward": lambda: np.dot(x, weight.T), "weight_grad": weight_grad,
            "input_grad": lambda: np.dot(g, weight)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    rounds = 3 if args.quick else 11
    rng = np.random.default_rng(0)
    for batch in (1, 32, 128, 512):
        steps = max(5, min(200, 20000 // (batch * 4 + 50)))
        for n_out, n_in in zip(SIZES[1:], SIZES[:-1]):
            row = rng.standard_normal((n_out, n_in)).astype(np.float32)
            column = np.asfortranarray(row)
            x = rng.standard_normal((batch, n_in)).astype(np.float32)
            g = rng.standard_normal((batch, n_out)).astype(np.float32)
            by_row, by_column = products(row, x, g), products(column, x, g)
            for name in by_row:
                r = interleaved({"row_major": by_row[name], "column_major": by_column[name]}, rounds=rounds,
                                steps=steps)
                emit({"benchmark": "layout", "product": name, "weight": [n_out, n_in], "batch": batch,
                      "row_major_us": r["row_major"]["median_s"] * 1e6,
                      "column_major_us": r["column_major"]["median_s"] * 1e6,
                      "column_over_row": r["column_major"]["ratio_to_row_major"]})
        r = interleaved({"row_major": ours_step(SIZES, batch, "sgd", "C"),
                         "column_major": ours_step(SIZES, batch, "sgd", "F"),
                         "default": ours_step(SIZES, batch, "sgd")}, rounds=rounds, steps=steps)
        emit({"benchmark": "layout", "product": "sgd_step", "model": "-".join(map(str, SIZES)), "batch": batch,
              "row_major_us": r["row_major"]["median_s"] * 1e6, "column_major_us": r["column_major"]["median_s"] * 1e6,
              "default_us": r["default"]["median_s"] * 1e6, "column_over_row": r["column_major"]["ratio_to_row_major"],
              "default_over_row": r["default"]["ratio_to_row_major"]})


if __name__ == "__main__":
    main_guard(main)
