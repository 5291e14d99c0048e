"""``tinygrad-mlp playground``: a local page, like TensorFlow Playground and then some, where a
student trains a small network on 2-D data and watches it learn.

Choose a data set (noise, train/test ratio, regenerate), the input features (x1, x2, x1², x2²,
x1·x2, sin x1, sin x2), layers and neurons, activation, learning rate, batch size, L1/L2
regularisation, optimiser (SGD, momentum, Adam), classification or regression; press play. The
network diagram shows each neuron's own heatmap and each weight as an edge coloured and sized by
its value; the output heatmap shows the data (test points ringed); train and test loss are plotted.
Click a neuron or an edge to see its value, gradient and last update for one chosen sample, with
the chain-rule steps of the backward pass and the computation graph of that sample's loss. Export
the run as a run folder (``tinygrad-mlp evaluate`` reads it) or as a short Python script. The
whole state lives in the URL.

The page is plain HTML, CSS and JavaScript shipped in ``static/`` (no CDN); training runs here, on
tinygrad_mlp. ``core`` holds the model side, ``server`` the HTTP side and its safety rules.
"""

from .core import DEFAULTS, FEATURES, Session, feature_matrix, make_data, validate
from .server import PlaygroundServer, serve

__all__ = ["DEFAULTS", "FEATURES", "PlaygroundServer", "Session", "feature_matrix", "make_data", "serve", "validate"]
