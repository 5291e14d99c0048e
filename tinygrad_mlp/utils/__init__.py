"""Tools around the engine: gradient checking and the backward trace."""

from .gradcheck import gradcheck
from .serialization import CheckpointError, load, save
from .model_summary import ModelSummary, summary
from .trace import trace_backward

__all__ = ["CheckpointError", "ModelSummary", "gradcheck", "load", "save", "summary", "trace_backward"]
