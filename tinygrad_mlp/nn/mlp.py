"""`MLP`: a multilayer perceptron from sizes and names, as a `Sequential` (keys ``0.weight``…)."""

from __future__ import annotations

from collections.abc import Sequence

import tinygrad_mlp.nn.init as init_mod

from .layers import ACTIVATIONS, BatchNorm1d, Dropout, Linear, Sequential

INITS = ("default", "kaiming", "kaiming_uniform", "xavier", "xavier_normal", "normal", "orthogonal")


def _gain_name(activation: str) -> str:
    return {"relu": "relu", "leaky_relu": "leaky_relu", "tanh": "tanh", "selu": "selu", "sigmoid": "sigmoid"}.get(
        activation, "linear")


class MLP(Sequential):
    """Linear layers of the given sizes with an activation (and optional batch norm / dropout)
    between them; the last layer has no activation unless ``output_activation`` names one.

    ``init``: ``default`` (torch's), ``kaiming`` (He normal), ``kaiming_uniform``, ``xavier``
    (Glorot uniform), ``xavier_normal``, ``normal`` (N(0, init_std²)) or ``orthogonal``;
    all but ``default`` set biases to zero.

    >>> import tinygrad_mlp as tg
    >>> net = tg.nn.MLP(4, [16, 8], 3, activation="tanh")
    >>> net
    MLP(
      (0): Linear(in_features=4, out_features=16, bias=True)
      (1): Tanh()
      (2): Linear(in_features=16, out_features=8, bias=True)
      (3): Tanh()
      (4): Linear(in_features=8, out_features=3, bias=True)
    )
    """

    def __init__(self, in_features: int, hidden_sizes: Sequence[int], out_features: int, activation: str = "relu",
                 dropout: float = 0.0, init: str = "default", init_std: float = 0.01, batchnorm: bool = False,
                 output_activation: str | None = None, negative_slope: float = 0.01) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; valid: {', '.join(ACTIVATIONS)}")
        if output_activation is not None and output_activation not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown output_activation {output_activation!r}; valid: {', '.join(ACTIVATIONS)}")
        if init not in INITS:
            raise ValueError(f"MLP: unknown init {init!r}; valid: {', '.join(INITS)}")
        sizes = [in_features, *hidden_sizes, out_features]
        for s in sizes:
            if not isinstance(s, int) or isinstance(s, bool) or s <= 0:
                raise ValueError(f"MLP: layer sizes must be positive integers, got {sizes}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout}")
        layers: list = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out))
            if i < len(sizes) - 2:
                if batchnorm:
                    layers.append(BatchNorm1d(n_out))
                act = ACTIVATIONS[activation]
                layers.append(act(negative_slope) if activation == "leaky_relu" else act())
                if dropout > 0:
                    layers.append(Dropout(dropout))
        if output_activation is not None:
            layers.append(ACTIVATIONS[output_activation]())
        super().__init__(*layers)
        self.__dict__["config"] = dict(in_features=in_features, hidden_sizes=list(hidden_sizes),
                                       out_features=out_features, activation=activation, dropout=dropout, init=init,
                                       init_std=init_std, batchnorm=batchnorm, output_activation=output_activation,
                                       negative_slope=negative_slope)
        if init != "default":
            self._initialise(init, init_std, _gain_name(activation), negative_slope)

    def _initialise(self, init: str, std: float, nonlinearity: str, slope: float) -> None:
        for m in self.modules():
            if not isinstance(m, Linear):
                continue
            if init == "kaiming":
                init_mod.kaiming_normal_(m.weight, a=slope, nonlinearity=nonlinearity if nonlinearity in (
                    "relu", "leaky_relu") else "relu")
            elif init == "kaiming_uniform":
                init_mod.kaiming_uniform_(m.weight, a=slope, nonlinearity=nonlinearity if nonlinearity in (
                    "relu", "leaky_relu") else "relu")
            elif init == "xavier":
                init_mod.xavier_uniform_(m.weight, gain=init_mod.calculate_gain(nonlinearity, slope))
            elif init == "xavier_normal":
                init_mod.xavier_normal_(m.weight, gain=init_mod.calculate_gain(nonlinearity, slope))
            elif init == "normal":
                init_mod.normal_(m.weight, 0.0, std)
            elif init == "orthogonal":
                init_mod.orthogonal_(m.weight, gain=init_mod.calculate_gain(nonlinearity, slope))
            if m.bias is not None:
                init_mod.zeros_(m.bias)
