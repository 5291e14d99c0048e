"""``tinygrad_mlp.nn.functional`` is ``tinygrad_mlp.functional`` (as torch.nn.functional)."""

from .. import functional as _functional
from ..functional import *  # noqa: F403
from ..functional import REDUCTIONS, _reduce  # noqa: F401


def __getattr__(name: str):  # ops registered after import, as in tinygrad_mlp.functional
    return getattr(_functional, name)
