"""Optimizers and learning-rate schedules (torch.optim)."""

from . import lr_scheduler
from .adadelta import Adadelta
from .adam import Adam, AdamW
from .adamax import Adamax, NAdam, RAdam
from .asgd import ASGD
from .optimizer import Optimizer
from .rmsprop import Adagrad, RMSprop
from .rprop import Rprop
from .sgd import SGD

OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad, "adadelta": Adadelta,
              "adamax": Adamax, "nadam": NAdam, "radam": RAdam}  # (the CLI's and experiment.run's choices)
