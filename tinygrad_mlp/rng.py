"""The package's one random number generator.

Every random draw in tinygrad_mlp (factories, weight init, dropout, data shuffling) comes from
here, so ``tg.manual_seed(n)`` makes a whole run reproducible.

>>> import tinygrad_mlp as tg
>>> _ = tg.manual_seed(0); a = tg.rand(3)
>>> _ = tg.manual_seed(0); bool((a == tg.rand(3)).all())
True
"""

from __future__ import annotations

import numpy as np


class Generator:
    """A seedable source of random numbers (like ``torch.Generator``), backed by numpy's PCG64."""

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self.np = np.random.default_rng(seed)

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns the generator itself."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        self._seed = int(seed)
        self.np = np.random.default_rng(int(seed))
        return self

    def initial_seed(self) -> int | None:
        return self._seed

    def get_state(self) -> dict:
        """The generator's full state as plain data (JSON-serialisable)."""
        return self.np.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.np.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the package generator: every later random draw is reproducible."""
    return default_generator.manual_seed(seed)


def get_rng(generator: Generator | None = None) -> np.random.Generator:
    """The numpy generator to draw from: the given one, else the package's."""
    return (generator or default_generator).np
