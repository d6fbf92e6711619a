#!/usr/bin/python3
"""Fixtures for tests/unit/multiclass_test.cpp and tests/unit/quantized_test.cpp.

    /usr/bin/python3 tests/reference/sklearn_multiclass/make_fixture.py

Run from the repository root with Debian's python3-sklearn (1.2.1 when written).
Everything is seeded; re-running rewrites the same files (up to the last digit of
solver output if scikit-learn or BLAS change).

1. Multiclass fidelity: a 4-class, 10-feature make_classification problem
   (random_state=7), 2000 training rows; LogisticRegression with multi_class
   "multinomial" and "ovr" (lbfgs, C=1). Written:
     multiclass.input.csv        1000 held-out rows (header f0..f9)
     logistic_softmax.json       rill.model of the multinomial model
     logistic_softmax.proba.csv  its predict_proba on the 1000 rows
     logistic_ovr.json / logistic_ovr.proba.csv   the same for one-vs-rest
2. Real models for the int8 report (docs/performance.md): data/elec2.csv, first
   30000 rows to train, the remaining 15312 to evaluate, features as they are.
     elec2_logistic.json         LogisticRegression (lbfgs, C=1, max_iter=2000)
     elec2_mlp.json              MLPClassifier(hidden_layer_sizes=(32, 32), relu,
                                 adam, random_state=0, max_iter=300)
     elec2.proba.csv             P(class 1) of both on the 15312 rows
                                 (columns logistic, mlp)
Numbers are written with repr() (float64 round trip).
"""
import csv
import importlib.util
import json
import os
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

spec = importlib.util.spec_from_file_location("export_sklearn",
                                              os.path.join(ROOT, "tools", "export_sklearn.py"))
export_sklearn = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_sklearn)


def write_json(est, name):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(export_sklearn.export(est), f, separators=(",", ":"))
        f.write("\n")


def write_rows(name, rows, header=None):
    with open(os.path.join(HERE, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        if header:
            w.writerow(header)
        for r in rows:
            w.writerow([repr(float(v)) for v in r])


def multiclass():
    X, y = make_classification(n_samples=3000, n_features=10, n_informative=6, n_redundant=2,
                               n_classes=4, n_clusters_per_class=1, class_sep=1.0,
                               random_state=7)
    Xtr, ytr, Xte = X[:2000], y[:2000], X[2000:]
    write_rows("multiclass.input.csv", Xte, [f"f{i}" for i in range(X.shape[1])])
    for multi, name in (("multinomial", "logistic_softmax"), ("ovr", "logistic_ovr")):
        est = LogisticRegression(multi_class=multi, C=1.0, max_iter=2000).fit(Xtr, ytr)
        write_json(est, name + ".json")
        write_rows(name + ".proba.csv", est.predict_proba(Xte))


def elec2():
    data = np.loadtxt(os.path.join(ROOT, "data", "elec2.csv"), delimiter=",", skiprows=1)
    X, y = data[:, :8], data[:, 8].astype(int)
    Xtr, ytr, Xte, yte = X[:30000], y[:30000], X[30000:], y[30000:]
    lr = LogisticRegression(C=1.0, max_iter=2000).fit(Xtr, ytr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a ConvergenceWarning at max_iter is fine here
        mlp = MLPClassifier(hidden_layer_sizes=(32, 32), activation="relu", solver="adam",
                            random_state=0, max_iter=300).fit(Xtr, ytr)
    write_json(lr, "elec2_logistic.json")
    write_json(mlp, "elec2_mlp.json")
    p = np.column_stack([lr.predict_proba(Xte)[:, 1], mlp.predict_proba(Xte)[:, 1]])
    write_rows("elec2.proba.csv", p)
    print(f"elec2 held-out accuracy: logistic {lr.score(Xte, yte):.4f}, "
          f"mlp {mlp.score(Xte, yte):.4f}")


if __name__ == "__main__":
    multiclass()
    elec2()
