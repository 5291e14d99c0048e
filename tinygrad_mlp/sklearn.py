"""scikit-learn estimators backed by tinygrad_mlp: ``MLPClassifier`` and ``MLPRegressor`` with
scikit-learn's parameter names and meanings (extra ``sklearn``).

>>> from tinygrad_mlp.sklearn import MLPClassifier
>>> from tinygrad_mlp.data import load_iris
>>> X, y = load_iris()
>>> clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X, y)
>>> clf.score(X, y) > 0.95, clf.classes_.tolist(), clf.coefs_[0].shape
(True, [0, 1, 2], (4, 32))

Differences from scikit-learn's own: the optimizers are tinygrad_mlp's (torch's update rules:
Adam's eps sits outside the bias correction, SGD's momentum is torch's form), ``solver`` also
takes ``adamw`` and ``rmsprop``, ``activation`` also ``leaky_relu``, ``gelu`` and ``silu``, and
``partial_fit`` works with every solver. ``alpha`` is scikit-learn's L2 term,
0.5·alpha·Σ‖W‖² / batch size added to the loss (weights only, not biases).
"""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import functional as F
from . import nn, optim
from .rng import Generator
from .state import no_grad
from .tensor import Tensor

ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu",
               "leaky_relu": "leaky_relu", "gelu": "gelu", "silu": "silu"}
SOLVERS = ("sgd", "adam", "adamw", "rmsprop")
LEARNING_RATES = ("constant", "invscaling", "adaptive")


class _BaseMLP(BaseEstimator):
    _classifier = False

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *, solver: str = "adam",
                 alpha: float = 0.0001, batch_size: Any = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: Any = None, tol: float = 1e-4, verbose: bool = False, warm_start: bool = False,
                 momentum: float = 0.9, nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 n_iter_no_change: int = 10) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change

    # --- checks -------------------------------------------------------------------------------
    def _hidden(self) -> list:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, int | np.integer) else list(sizes)
        if any(not isinstance(s, int | np.integer) or s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {self.hidden_layer_sizes}.")
        return [int(s) for s in sizes]

    def _check_params(self) -> None:
        def need(cond: bool, text: str) -> None:
            if not cond:
                raise ValueError(text)

        need(self.activation in ACTIVATIONS, f"The activation '{self.activation}' is not supported. Supported "
                                             f"activations are {sorted(ACTIVATIONS)}.")
        need(self.solver in SOLVERS, f"The solver '{self.solver}' is not supported. Supported solvers are "
                                     f"{list(SOLVERS)}.")
        need(self.learning_rate in LEARNING_RATES, f"learning rate {self.learning_rate} is not supported; valid: "
                                                   f"{list(LEARNING_RATES)}")
        need(isinstance(self.max_iter, int | np.integer) and self.max_iter > 0,
             f"max_iter must be > 0, got {self.max_iter}.")
        need(self.alpha >= 0, f"alpha must be >= 0, got {self.alpha}.")
        need(self.learning_rate_init > 0, f"learning_rate_init must be > 0, got {self.learning_rate_init}.")
        need(0 <= self.momentum <= 1, f"momentum must be >= 0 and <= 1, got {self.momentum}")
        need(0 < self.validation_fraction < 1, f"validation_fraction must be >= 0 and < 1, got "
                                               f"{self.validation_fraction}")
        need(0 <= self.beta_1 < 1, f"beta_1 must be >= 0 and < 1, got {self.beta_1}")
        need(0 <= self.beta_2 < 1, f"beta_2 must be >= 0 and < 1, got {self.beta_2}")
        need(self.epsilon > 0, f"epsilon must be > 0, got {self.epsilon}.")
        need(self.n_iter_no_change > 0, f"n_iter_no_change must be > 0, got {self.n_iter_no_change}.")
        need(self.batch_size == "auto" or (isinstance(self.batch_size, int | np.integer) and self.batch_size > 0),
             f"batch_size must be 'auto' or a positive integer, got {self.batch_size!r}")
        self._hidden()

    # --- the network --------------------------------------------------------------------------
    def _initialise(self, n_features: int, n_outputs: int, dtype: np.dtype) -> None:
        self._seed = np.random.RandomState(self.random_state).randint(0, 2 ** 31 - 1) \
            if not isinstance(self.random_state, np.random.RandomState) else self.random_state.randint(0, 2 ** 31 - 1)
        self._gen = Generator(int(self._seed))
        hidden = self._hidden()
        self.n_layers_ = len(hidden) + 2
        self.n_outputs_ = n_outputs
        self._model = nn.MLP(n_features, hidden, n_outputs, activation=ACTIVATIONS[self.activation])
        self._model.to(dtype)
        # scikit-learn's initialisation: U(±√(factor / (fan_in + fan_out))), factor 2 for logistic units
        factor = 2.0 if self.activation == "logistic" else 6.0
        with no_grad():
            for layer in (m for m in self._model.modules() if isinstance(m, nn.Linear)):
                bound = math.sqrt(factor / (layer.in_features + layer.out_features))
                nn.init.uniform_(layer.weight, -bound, bound, generator=self._gen)
                nn.init.uniform_(layer.bias, -bound, bound, generator=self._gen)
        params = list(self._model.parameters())
        lr = self.learning_rate_init
        if self.solver == "sgd":
            self._optimizer = optim.SGD(params, lr=lr, momentum=self.momentum,
                                        nesterov=bool(self.nesterovs_momentum and self.momentum > 0))
        elif self.solver == "adam":
            self._optimizer = optim.Adam(params, lr=lr, betas=(self.beta_1, self.beta_2), eps=self.epsilon)
        elif self.solver == "adamw":
            self._optimizer = optim.AdamW(params, lr=lr, betas=(self.beta_1, self.beta_2), eps=self.epsilon)
        else:
            self._optimizer = optim.RMSprop(params, lr=lr, eps=self.epsilon)
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self.best_loss_ = np.inf
        self.validation_scores_ = None
        self.best_validation_score_ = None

    @property
    def coefs_(self) -> list:
        check_is_fitted(self, "_model")
        return [m.weight.detach().numpy().T.copy() for m in self._model.modules() if isinstance(m, nn.Linear)]

    @property
    def intercepts_(self) -> list:
        check_is_fitted(self, "_model")
        return [m.bias.detach().numpy().copy() for m in self._model.modules() if isinstance(m, nn.Linear)]

    def _weights(self) -> list:
        return [m.weight for m in self._model.modules() if isinstance(m, nn.Linear)]

    def _forward(self, X: np.ndarray) -> np.ndarray:
        with no_grad():
            self._model.eval()
            out = self._model(Tensor(X.astype(self._dtype, copy=False)))._data
        return out

    # --- training -------------------------------------------------------------------------------
    def _fit(self, X: Any, y: Any, incremental: bool) -> _BaseMLP:
        self._check_params()
        first = not (incremental and hasattr(self, "_model")) and not (self.warm_start and hasattr(self, "_model"))
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), multi_output=True,
                             y_numeric=not self._classifier, reset=first)
        if y.ndim == 2 and y.shape[1] == 1:  # a column vector: one target, as scikit-learn treats it
            y = column_or_1d(y, warn=True)
        targets = self._encode_targets(y, first)
        if first:
            self._dtype = X.dtype
            self._initialise(X.shape[1], targets.shape[1] if targets.ndim == 2 else self._n_out, X.dtype)
        early = self.early_stopping and not incremental
        X_val = y_val = None
        if early:
            stratify = y if self._classifier and type_of_target(y) in ("binary", "multiclass") else None
            X, X_val, targets, y_val_enc, y, y_val = train_test_split(
                X, targets, y, random_state=self._seed, test_size=self.validation_fraction, stratify=stratify)
            self.validation_scores_ = self.validation_scores_ or []
            if self.best_validation_score_ is None:
                self.best_validation_score_ = -np.inf
        n = X.shape[0]
        batch = min(200, n) if self.batch_size == "auto" else int(np.clip(self.batch_size, 1, n))
        if self.batch_size != "auto" and not 1 <= self.batch_size <= n and not incremental:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
                          stacklevel=3)
        rng = np.random.default_rng(self._seed + self.n_iter_)
        iterations = 1 if incremental else self.max_iter
        self._model.train()
        for _ in range(iterations):
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            total = 0.0
            for start in range(0, n, batch):
                idx = order[start:start + batch]
                xb, tb = Tensor(X[idx].astype(self._dtype, copy=False)), targets[idx]
                self._optimizer.zero_grad()
                loss = self._loss(self._model(xb), tb)
                if self.alpha:
                    loss = loss + (0.5 * self.alpha / len(idx)) * sum((w * w).sum() for w in self._weights())
                loss.backward()
                self._optimizer.step()
                total += float(loss._data) * len(idx)
            self.n_iter_ += 1
            self.t_ += n
            self.loss_curve_.append(total / n)
            if not np.isfinite(self.loss_curve_[-1]):
                raise ValueError("Solver produced non-finite parameter weights. The input data may contain large "
                                 "values and need to be preprocessed.")
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_curve_[-1]:.8f}")
            if self.solver == "sgd" and self.learning_rate == "invscaling":
                self._set_lr(self.learning_rate_init / (self.t_ + 1) ** self.power_t)
            if self._no_improvement(early, X_val, y_val) and not incremental:
                break
        else:
            if not incremental and self.n_iter_ == self.max_iter and self.max_iter > 0:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                              "optimization hasn't converged yet.", ConvergenceWarning, stacklevel=3)
        if early and getattr(self, "_best_state", None) is not None:
            self._model.load_state_dict(self._best_state)
        if early:
            self.best_loss_ = None
        self._model.eval()
        return self

    def _set_lr(self, lr: float) -> None:
        for group in self._optimizer.param_groups:
            group["lr"] = lr

    def _no_improvement(self, early: bool, X_val: Any, y_val: Any) -> bool:
        """scikit-learn's stopping rule; True when training should stop."""
        if early:
            score = self._validation_score(X_val, y_val)
            self.validation_scores_.append(score)
            self._no_improvement_count = self._no_improvement_count + 1 if \
                score < self.best_validation_score_ + self.tol else 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_state = {k: v.detach().numpy().copy() for k, v in self._model.state_dict().items()}
        else:
            loss = self.loss_curve_[-1]
            self._no_improvement_count = self._no_improvement_count + 1 if loss > self.best_loss_ - self.tol else 0
            if loss < self.best_loss_:
                self.best_loss_ = loss
        if self._no_improvement_count > self.n_iter_no_change:
            lr = self._optimizer.param_groups[0]["lr"]
            if self.solver == "sgd" and self.learning_rate == "adaptive" and lr > 1e-6:
                self._set_lr(lr / 5.0)  # adaptive: divide by 5 instead of stopping
                self._no_improvement_count = 0
                return False
            return True
        return False

    def fit(self, X: Any, y: Any) -> _BaseMLP:
        """Train from scratch (or from the current weights with ``warm_start``) for up to ``max_iter`` epochs."""
        return self._fit(X, y, incremental=False)

    def __sklearn_clone__(self) -> Any:
        return copy.deepcopy(type(self)(**self.get_params()))


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multilayer perceptron classifier: softmax output and cross-entropy for several classes, a
    logistic unit for two, independent logistic units for multilabel targets."""

    _classifier = True

    def _encode_targets(self, y: np.ndarray, first: bool) -> np.ndarray:
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"Unknown label type: {kind}. MLPClassifier needs binary, multiclass or multilabel "
                             "targets.")
        if first and not hasattr(self, "_partial_classes"):
            self.classes_ = unique_labels(y)
        elif hasattr(self, "_partial_classes") and first:
            self.classes_ = self._partial_classes
        self._multilabel = kind == "multilabel-indicator"
        if self._multilabel:
            self._n_out = y.shape[1]
            self.out_activation_ = "logistic"
            return y.astype(np.float32 if getattr(self, "_dtype", np.float64) == np.float32 else np.float64)
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(f"y contains previously unseen labels: {unseen.tolist()}")
        idx = np.searchsorted(self.classes_, y)
        if len(self.classes_) == 2:
            self._n_out = 1
            self.out_activation_ = "logistic"
            return idx.reshape(-1, 1).astype(np.float64)
        self._n_out = len(self.classes_)
        self.out_activation_ = "softmax"
        return idx.astype(np.int64)

    def _loss(self, out: Tensor, targets: np.ndarray) -> Tensor:
        if self.out_activation_ == "softmax":
            return F.cross_entropy(out, Tensor(targets))
        return F.binary_cross_entropy_with_logits(out, Tensor(targets.astype(out.dtype)))

    def _validation_score(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict(X) == y)) if not self._multilabel else \
            float(np.mean(np.all(self.predict(X) == y, axis=1)))

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """One epoch over (X, y); ``classes`` (all labels) is required on the first call."""
        if not hasattr(self, "_model"):
            if classes is None and type_of_target(y) != "multilabel-indicator":
                raise ValueError("classes must be passed on the first call to partial_fit.")
            if classes is not None:
                self._partial_classes = unique_labels(classes)
        elif classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
            raise ValueError(f"`classes={list(classes)}` is not the same as on the first call to partial_fit "
                             f"(`classes={self.classes_.tolist()}`)")
        return self._fit(X, y, incremental=True)

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "_model")
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        out = self._forward(X).astype(np.float64)
        if self.out_activation_ == "softmax":
            e = np.exp(out - out.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        p = 1 / (1 + np.exp(-np.clip(out, -500, 500)))
        return p if self._multilabel else np.hstack([1 - p, p])

    def predict_log_proba(self, X: Any) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        if self._multilabel:
            return (proba > 0.5).astype(int)
        return self.classes_[proba.argmax(axis=1)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multilayer perceptron regressor: identity output, loss ½·mean((y − ŷ)²) as scikit-learn's."""

    def _encode_targets(self, y: np.ndarray, first: bool) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if first:
            self._y_1d = y.ndim == 1
        self.out_activation_ = "identity"
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        self._n_out = y2.shape[1]
        return y2

    def _loss(self, out: Tensor, targets: np.ndarray) -> Tensor:
        return 0.5 * F.mse_loss(out, Tensor(targets.astype(out.dtype)))

    def _validation_score(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(self.score(X, y))

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """One epoch over (X, y), continuing from the current weights."""
        return self._fit(X, y, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "_model")
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        out = self._forward(X).astype(np.float64)
        return out.ravel() if self._y_1d else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
