"""Tools around the engine: gradient checking and the backward trace."""

from .gradcheck import gradcheck
from .model_summary import ModelSummary, summary
from .serialization import CheckpointError, load, save
from .trace import trace_backward

__all__ = ["CheckpointError", "ModelSummary", "gradcheck", "load", "save", "summary", "trace_backward"]
