"""The built-in differentiable ops, one small `Function` subclass each, grouped by kind."""

from . import indexing, linalg, math, random, reductions_more  # noqa: F401 - registered where defined (torch breadth)
from .activation import (
    ELU,
    GELU,
    SELU,
    Heaviside,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .elementwise import (
    Abs,
    Add,
    Cast,
    Clamp,
    Clone,
    Div,
    Exp,
    Log,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Sign,
    Sqrt,
    Sub,
    Where,
    unbroadcast,
)
from .loss import CrossEntropy
from .matmul import Linear, LinearReLU, MatMul
from .movement import Cat, Expand, GetItem, Pad, Permute, Reshape, SetItem, TakeAlongDim
from .reduce import LogSumExp, Max, Mean, Min, Prod, Sum, Var

__all__ = [
    "Abs", "Add", "CrossEntropy", "Cast", "Cat", "Clamp", "Clone", "Div", "ELU", "Exp", "Expand", "GELU", "GetItem",
    "Heaviside", "LeakyReLU", "Linear", "LinearReLU", "Log", "LogSoftmax", "LogSumExp", "MatMul", "Max", "Maximum",
    "Mean", "Min", "Minimum", "Mul", "Neg", "Pad", "Permute", "Pow", "Prod", "ReLU", "Reshape", "SELU",
    "SetItem", "SiLU", "Sigmoid", "Sign", "Softmax", "Softplus", "Sqrt", "Sub", "Sum", "TakeAlongDim", "Tanh",
    "Var", "Where", "unbroadcast",
]
