"""``tinygrad_mlp.nn.functional`` is ``tinygrad_mlp.functional`` (as torch.nn.functional)."""

from ..functional import *  # noqa: F403
from ..functional import REDUCTIONS, _reduce  # noqa: F401
