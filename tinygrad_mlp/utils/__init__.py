"""Tools around the engine: gradient checking and the backward trace."""

from . import data
from .gradcheck import gradcheck
from .graph import draw_graph, render
from .model_summary import ModelSummary, summary
from .serialization import CheckpointError, load, save
from .trace import TraceRecord, trace_backward

__all__ = ["CheckpointError", "ModelSummary", "TraceRecord", "draw_graph", "gradcheck", "load", "render", "save",
           "summary", "trace_backward"]
