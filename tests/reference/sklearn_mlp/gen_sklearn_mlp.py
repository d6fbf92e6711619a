#!/usr/bin/python3
"""Reference cases for rill's MLP learner: scikit-learn 1.2 MLPRegressor / MLPClassifier
partial_fit, one call per mini-batch.

Each case: build the estimator, call partial_fit once on a throw-away batch so that
scikit-learn sets itself up, then replace the weights by our own initial weights
(recorded as `w0`/`b0`), drop the optimiser (`del est._optimizer`, so partial_fit makes
a fresh one: momentum velocities / Adam moments at zero, t = 0) and call partial_fit on
each batch in turn. One partial_fit call on n rows with solver 'sgd' or 'adam' is one
step along (1/n)(sum of row gradients + alpha*W): rill's mlp_learner with l2 = alpha/n.
shuffle=False keeps the rows in order (the gradient is a sum; order only moves the
rounding). Weights are written as coef[l][i][o] (input i, output o), row-major.

Run: /usr/bin/python3 tests/reference/sklearn_mlp/gen_sklearn_mlp.py
"""
import os
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

OUT = os.path.dirname(os.path.abspath(__file__))


def fmt(values):
    return " ".join(repr(float(v)) for v in np.ravel(values))


def make_data(rng, n, d, kind, classes=2):
    X = rng.normal(size=(n, d))
    if kind == "regression":
        y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, -1] + 0.1 * rng.normal(size=n)
    else:
        score = X[:, 0] * X[:, 1] + 0.5 * X[:, -1] ** 2 - 0.3 + 0.2 * rng.normal(size=n)
        if classes == 2:
            y = (score > 0).astype(float)
        else:
            y = np.digitize(score, [-0.4, 0.4]).astype(float)
    return X, y


def run_case(name, est, d, batches, rows, kind, classes=2, seed=0):
    rng = np.random.default_rng(seed)
    X, y = make_data(rng, batches * rows, d, kind, classes)
    Xd, yd = make_data(rng, rows, d, kind, classes)  # throw-away set-up batch
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if kind == "regression":
            est.partial_fit(Xd, yd)
        else:
            est.partial_fit(Xd, yd, classes=np.arange(classes, dtype=float))
        # our own initial weights, Glorot-uniform like scikit-learn's
        w0, b0 = [], []
        for c, b in zip(est.coefs_, est.intercepts_):
            r = np.sqrt(6.0 / (c.shape[0] + c.shape[1]))
            w0.append(rng.uniform(-r, r, c.shape))
            b0.append(rng.uniform(-r, r, b.shape))
        est.coefs_ = [w.copy() for w in w0]
        est.intercepts_ = [b.copy() for b in b0]
        del est._optimizer
        for k in range(batches):
            sl = slice(k * rows, (k + 1) * rows)
            est.partial_fit(X[sl], y[sl])
    p = est.get_params()
    shape = [d] + [c.shape[1] for c in est.coefs_]
    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write("# scikit-learn %s %s.partial_fit, one call per batch of %d rows\n"
                % (sklearn.__version__, type(est).__name__, rows))
        for key in ("hidden_layer_sizes", "activation", "solver", "alpha", "learning_rate_init",
                    "momentum", "nesterovs_momentum", "beta_1", "beta_2", "epsilon", "shuffle"):
            f.write("# %s %s\n" % (key, p[key]))
        f.write("# out_activation %s\n" % est.out_activation_)
        f.write("shape %s\n" % " ".join(str(s) for s in shape))
        f.write("batches %d\nrows %d\n" % (batches, rows))
        for l in range(len(w0)):
            f.write("w0 %d %s\n" % (l, fmt(w0[l])))
            f.write("b0 %d %s\n" % (l, fmt(b0[l])))
        for r in range(batches * rows):
            f.write("row %s %s\n" % (fmt(X[r]), repr(float(y[r]))))
        for l in range(len(w0)):
            f.write("w %d %s\n" % (l, fmt(est.coefs_[l])))
            f.write("b %d %s\n" % (l, fmt(est.intercepts_[l])))


def main():
    common = dict(shuffle=False, batch_size="auto", max_iter=1, random_state=0)
    run_case("regressor_relu_sgd",
             MLPRegressor(hidden_layer_sizes=(5, 3), activation="relu", solver="sgd",
                          learning_rate_init=0.05, momentum=0.0, alpha=0.0, **common),
             d=4, batches=5, rows=16, kind="regression", seed=1)
    run_case("regressor_tanh_adam_l2",
             MLPRegressor(hidden_layer_sizes=(6,), activation="tanh", solver="adam",
                          learning_rate_init=0.01, alpha=1e-2, **common),
             d=4, batches=6, rows=8, kind="regression", seed=2)
    run_case("regressor_tanh_sgd_batch1",
             MLPRegressor(hidden_layer_sizes=(3,), activation="tanh", solver="sgd",
                          learning_rate_init=0.02, momentum=0.0, alpha=1e-3, **common),
             d=4, batches=20, rows=1, kind="regression", seed=3)
    run_case("classifier_logistic_momentum",
             MLPClassifier(hidden_layer_sizes=(4,), activation="logistic", solver="sgd",
                           learning_rate_init=0.1, momentum=0.9, nesterovs_momentum=False,
                           alpha=1e-3, **common),
             d=4, batches=4, rows=10, kind="binary", seed=4)
    run_case("classifier_softmax_relu_adam",
             MLPClassifier(hidden_layer_sizes=(5, 4), activation="relu", solver="adam",
                           learning_rate_init=0.01, alpha=1e-4, **common),
             d=4, batches=5, rows=12, kind="multiclass", classes=3, seed=5)


if __name__ == "__main__":
    main()
