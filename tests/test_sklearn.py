"""The scikit-learn estimators: check_estimator, and use inside Pipeline / GridSearchCV / CV."""

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn not installed: pip install -e '.[sklearn]'")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from tinygrad_mlp.data import load_iris, make_regression_1d  # noqa: E402
from tinygrad_mlp.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

# None of scikit-learn's checks is skipped on purpose. scikit-learn itself skips 5 where this environment
# lacks what they test: pandas / array-API inputs (not installed) and decision_function (we have none).


@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_pipeline_and_cross_val_score():
    X, y = load_iris()
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.9


def test_grid_search_in_parallel_workers():
    X, y = load_iris()
    grid = GridSearchCV(make_pipeline(StandardScaler(), MLPClassifier(max_iter=200, random_state=0)),
                        {"mlpclassifier__hidden_layer_sizes": [(4,), (32,)],
                         "mlpclassifier__activation": ["relu", "tanh"]}, cv=3, n_jobs=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 4 and grid.best_score_ > 0.9


def test_fitted_attributes_and_sklearn_semantics():
    X, y = load_iris()
    Xs = StandardScaler().fit_transform(X)
    clf = MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=500, tol=1e-5, random_state=1).fit(Xs, y)
    assert [c.shape for c in clf.coefs_] == [(4, 16), (16, 8), (8, 3)]
    assert [b.shape for b in clf.intercepts_] == [(16,), (8,), (3,)]
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 3 and clf.out_activation_ == "softmax"
    assert clf.n_iter_ == len(clf.loss_curve_) and clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.t_ == clf.n_iter_ * len(X)
    np.testing.assert_allclose(clf.predict_proba(Xs).sum(axis=1), 1.0)
    # the loss curve includes scikit-learn's L2 term: a bigger alpha gives a bigger loss on the same weights
    strong = MLPClassifier(hidden_layer_sizes=(16, 8), alpha=1.0, max_iter=5, random_state=1).fit(Xs, y)
    weak = MLPClassifier(hidden_layer_sizes=(16, 8), alpha=0.0, max_iter=5, random_state=1).fit(Xs, y)
    assert strong.loss_curve_[0] > weak.loss_curve_[0]
    # early stopping keeps validation scores and the best weights
    es = MLPClassifier(hidden_layer_sizes=(16,), early_stopping=True, n_iter_no_change=3, max_iter=500,
                       random_state=0).fit(Xs, y)
    assert es.best_loss_ is None and len(es.validation_scores_) == es.n_iter_
    assert es.best_validation_score_ == max(es.validation_scores_)
    # binary problems use one logistic output
    binary = MLPClassifier(hidden_layer_sizes=(8,), max_iter=200, random_state=0).fit(Xs[y < 2], y[y < 2])
    assert binary.coefs_[-1].shape == (8, 1) and binary.out_activation_ == "logistic"
    assert binary.predict_proba(Xs[:3]).shape == (3, 2)


def test_partial_fit_and_solvers():
    X, y = load_iris()
    Xs = StandardScaler().fit_transform(X)
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=0.05, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(Xs, y)
    for _ in range(150):
        clf.partial_fit(Xs, y, classes=[0, 1, 2])
    assert clf.n_iter_ == 150 and clf.score(Xs, y) > 0.9
    for solver in ("adam", "adamw", "rmsprop"):
        m = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, learning_rate_init=0.01, max_iter=100,
                          random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            assert m.fit(Xs, y).score(Xs, y) > 0.9
    for lr in ("invscaling", "adaptive"):
        MLPClassifier(hidden_layer_sizes=(8,), solver="sgd", learning_rate=lr, max_iter=50).fit(Xs, y)
    with pytest.raises(ValueError, match="activation 'swish' is not supported"):
        MLPClassifier(activation="swish").fit(Xs, y)


def test_regressor_fits_a_curve():
    X, y = make_regression_1d(300, noise=0.05, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(64, 64), activation="tanh", max_iter=300, learning_rate_init=0.01,
                       random_state=0).fit(X, y.ravel())
    assert reg.score(X, y.ravel()) > 0.97 and reg.predict(X).shape == (300,)
    multi = MLPRegressor(hidden_layer_sizes=(16,), max_iter=50).fit(X, np.hstack([y, -y]))
    assert multi.predict(X).shape == (300, 2)
