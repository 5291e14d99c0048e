"""Tools around the engine: gradient checking and the backward trace."""

from .gradcheck import gradcheck
from .trace import trace_backward

__all__ = ["gradcheck", "trace_backward"]
