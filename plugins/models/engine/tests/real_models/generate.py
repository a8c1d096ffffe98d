"""Writes the benign model files in this folder with the real libraries.

Nothing here is ever loaded by the tests: the engine only parses the bytes.
Regenerate with numpy, joblib and scikit-learn installed:

    python generate.py
"""

import collections
import pickle
import warnings

import joblib
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

warnings.filterwarnings("ignore")

arrays = {
    "weights": np.random.default_rng(0).standard_normal((8, 4)),
    "labels": np.array(["a", "bb"]),
    "objects": np.array([{"k": 1}, None], dtype=object),
    "state": np.random.RandomState(0),
    "order": collections.OrderedDict(a=1),
}
for protocol in (2, 5):
    joblib.dump(arrays, f"arrays.proto{protocol}.joblib", protocol=protocol)
for compressor in ("zlib", "gzip", "bz2", "xz", "lzma"):
    joblib.dump(arrays, f"arrays.{compressor}.joblib", compress=(compressor, 3))

X, y = make_classification(n_samples=40, n_features=4, random_state=0)
estimators = {
    "pipeline": make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y),
    "forest": RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, y),
    "boosting": GradientBoostingClassifier(n_estimators=2, max_depth=1).fit(X, y),
    "hist_boosting": HistGradientBoostingClassifier(max_iter=2).fit(X, y),
    "knn": KNeighborsClassifier(leaf_size=40).fit(X, y),
    "grid": GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=2).fit(X, y),
    "log_transform": FunctionTransformer(np.log1p).fit(X),
    "one_hot": OneHotEncoder().fit([["a"], ["b"]]),
    "columns": ColumnTransformer([("s", StandardScaler(), [0, 1])]).fit(X),
}
for name, estimator in estimators.items():
    with open(f"sklearn.{name}.pkl", "wb") as out:
        pickle.dump(estimator, out, protocol=5)
joblib.dump(estimators["forest"], "sklearn.forest.gz.joblib", compress=("gzip", 3))

# Fitted on sparse text features, scikit-learn keeps SciPy sparse matrices
# (an SVC's support vectors, a KNN's training data) and SelectKBest keeps its
# score function.
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import SelectKBest, SelectPercentile, chi2, mutual_info_classif
from sklearn.svm import SVC

docs = ["free money now", "meeting at noon", "win cash prize", "lunch tomorrow?", "cheap pills", "project update"] * 3
labels = [1, 0, 1, 0, 1, 0] * 3
text = {
    "text_svc": make_pipeline(TfidfVectorizer(), SelectKBest(chi2, k=5), SVC()).fit(docs, labels),
    "text_knn": make_pipeline(TfidfVectorizer(), KNeighborsClassifier(n_neighbors=3)).fit(docs, labels),
    "select_percentile": SelectPercentile(mutual_info_classif).fit(X, y),
}
for name, estimator in text.items():
    with open(f"sklearn.{name}.pkl", "wb") as out:
        pickle.dump(estimator, out, protocol=5)
with open("numpy.subclasses.pkl", "wb") as out:
    records = np.rec.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])
    pickle.dump({"matrix": np.asmatrix(np.eye(2)), "records": records, "record": records[0]}, out, protocol=5)
