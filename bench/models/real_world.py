#!/usr/bin/env python3
"""Adds files written by the real libraries to the benchmark corpus.

Usage: real_world.py CORPUS_DIR [--repo REPO_DIR] [--wheel-cache DIR]

Writes, with whatever is installed (each part says when it is skipped):
- NumPy, joblib and scikit-learn: arrays, dicts of arrays (uncompressed and
  every compression joblib has), estimators through pickle and joblib;
- h5py: Keras-style HDF5 files with and without a Lambda layer config;
- hostile files written by the same libraries: an object whose
  `__reduce__` names `os.system`, pickled on its own, inside a NumPy object
  array, and after a float array in joblib dumps (plain and compressed).
  Pickling such an object only records the call; nothing is executed, and
  the command named (`id`) is harmless anyway. No file is ever loaded.
- the TorchScript, ONNX and safetensors models shipped in the `silero-vad`
  wheel (fetched from PyPI with `pip download`, no install);
- without joblib/scikit-learn, the files in the engine's
  `tests/real_models` (written by the same libraries).

Names start with `br_` (benign) or `mr_` (hostile), so compare.py counts
them with the generated `b*` and `m*` samples.
"""
import argparse
import glob
import os
import pickle
import shutil
import subprocess
import sys
import warnings
import zipfile

warnings.filterwarnings("ignore")

SILERO = "silero-vad==6.2.3"


class Payload:
    """Pickles as a call to os.system; only ever written, never loaded."""

    def __reduce__(self):
        return (os.system, ("id",))


def note(text):
    print(f"real_world: {text}", file=sys.stderr)


def numpy_files(out):
    import collections

    import numpy as np

    np.save(f"{out}/br_numpy_f4.npy", np.arange(12, dtype="<f4").reshape(3, 4))
    np.save(f"{out}/br_numpy_objects.npy", np.array([{"a": 1}, "x", 3], dtype=object), allow_pickle=True)
    np.savez_compressed(f"{out}/br_numpy_arrays.npz", a=np.zeros(3), b=np.ones((2, 2), dtype=np.int64))
    with open(f"{out}/br_numpy_dict.pkl", "wb") as f:
        pickle.dump({"w": np.zeros((2, 2), dtype=np.float32), "od": collections.OrderedDict(a=1)}, f, protocol=4)
    with open(f"{out}/br_numpy_arange_proto5.pkl", "wb") as f:
        pickle.dump(np.arange(5), f, protocol=5)
    with open(f"{out}/mr_pickle_reduce_os_system.pkl", "wb") as f:
        pickle.dump(Payload(), f, protocol=2)
    records = np.rec.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])
    with open(f"{out}/br_numpy_matrix_and_records.pkl", "wb") as f:
        pickle.dump({"matrix": np.asmatrix(np.eye(2)), "records": records}, f, protocol=5)
    np.save(f"{out}/mr_numpy_object_array_payload.npy", np.array([Payload(), 1], dtype=object), allow_pickle=True)


def joblib_files(out):
    import joblib
    import numpy as np

    rng = np.random.default_rng(0)
    arrays = {"weights": rng.standard_normal((64, 16)), "bias": np.zeros(16, dtype=np.float32), "labels": np.array(["a", "bb"])}
    hostile = {"weights": rng.standard_normal((64, 16)), "hook": Payload()}
    for protocol in (2, 4, 5):
        joblib.dump(arrays, f"{out}/br_joblib_arrays.proto{protocol}.joblib", protocol=protocol)
    joblib.dump(hostile, f"{out}/mr_joblib_payload_after_array.joblib")
    compressors = ["zlib", "gzip", "bz2", "xz", "lzma"]
    try:
        import lz4  # noqa: F401

        compressors.append("lz4")
    except ImportError:
        note("lz4 not installed: no lz4-compressed joblib files")
    for compressor in compressors:
        joblib.dump(arrays, f"{out}/br_joblib_arrays.{compressor}.joblib", compress=(compressor, 3))
        joblib.dump(hostile, f"{out}/mr_joblib_payload_after_array.{compressor}.joblib", compress=(compressor, 3))


def sklearn_files(out):
    import joblib
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    estimators = {
        "pipeline": make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y),
        "forest": RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, y),
        "hist_boosting": HistGradientBoostingClassifier(max_iter=3).fit(X, y),
        "knn": KNeighborsClassifier().fit(X, y),
        "log_transform": FunctionTransformer(np.log1p).fit(X),
        "one_hot": OneHotEncoder().fit([["a"], ["b"]]),
        "columns": ColumnTransformer([("s", StandardScaler(), [0, 1])]).fit(X),
    }
    for name, estimator in estimators.items():
        with open(f"{out}/br_sklearn_{name}.pkl", "wb") as f:
            pickle.dump(estimator, f, protocol=5)
    joblib.dump(estimators["forest"], f"{out}/br_sklearn_forest.joblib")
    joblib.dump(estimators["pipeline"], f"{out}/br_sklearn_pipeline.gz.joblib", compress=("gzip", 3))
    # Fitted on sparse text features, scikit-learn keeps SciPy sparse
    # matrices; SelectKBest keeps its score function.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.feature_selection import SelectKBest, SelectPercentile, chi2, mutual_info_classif
    from sklearn.svm import SVC

    docs = ["free money now", "meeting at noon", "win cash prize", "lunch tomorrow?", "cheap pills", "project update"] * 3
    labels = [1, 0, 1, 0, 1, 0] * 3
    text = {
        "text_svc": make_pipeline(TfidfVectorizer(), SelectKBest(chi2, k=5), SVC()).fit(docs, labels),
        "text_knn": make_pipeline(TfidfVectorizer(), KNeighborsClassifier(n_neighbors=3)).fit(docs, labels),
        "select_k_best": SelectKBest(k=2).fit(X, y),
        "select_percentile": SelectPercentile(mutual_info_classif).fit(X, y),
    }
    for name, estimator in text.items():
        with open(f"{out}/br_sklearn_{name}.pkl", "wb") as f:
            pickle.dump(estimator, f, protocol=5)
    joblib.dump(text["text_svc"], f"{out}/br_sklearn_text_svc.joblib")


def h5py_files(out):
    import json

    import h5py
    import numpy as np

    def layers(*specs):
        return json.dumps({"class_name": "Sequential", "config": {"layers": [{"class_name": c, "config": cfg} for c, cfg in specs]}})

    with h5py.File(f"{out}/br_h5py_dense.h5", "w") as f:
        f.attrs["model_config"] = layers(("Dense", {"units": 3}))
        f.create_dataset("w", data=np.zeros(10))
    with h5py.File(f"{out}/mr_h5py_lambda.h5", "w", libver="latest") as f:
        f.attrs["model_config"] = layers(("Lambda", {"name": "lam", "function": ["4wEAAAAA", None, None], "function_type": "lambda"}))
        f.create_dataset("w", data=np.zeros(10))


def silero_files(out, cache):
    os.makedirs(cache, exist_ok=True)
    wheels = glob.glob(f"{cache}/silero_vad-*.whl")
    if not wheels:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", SILERO, "-d", cache],
            capture_output=True, text=True,
        )
        wheels = glob.glob(f"{cache}/silero_vad-*.whl")
        if not wheels:
            note(f"could not download {SILERO}: {proc.stderr.strip()[-200:]}")
            return
    with zipfile.ZipFile(wheels[0]) as wheel:
        for member, name in [
            ("silero_vad/data/silero_vad.jit", "br_silero_vad.jit"),
            ("silero_vad/data/silero_vad.onnx", "br_silero_vad.onnx"),
            ("silero_vad/data/silero_vad_16k.safetensors", "br_silero_vad_16k.safetensors"),
        ]:
            with wheel.open(member) as src, open(f"{out}/{name}", "wb") as dst:
                shutil.copyfileobj(src, dst)


def repo_files(out, repo):
    folder = os.path.join(repo, "plugins/models/engine/tests/real_models")
    for path in sorted(glob.glob(f"{folder}/*")):
        if not path.endswith(".py"):
            shutil.copy(path, f"{out}/br_repo_{os.path.basename(path)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--repo", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
    ap.add_argument("--wheel-cache", default=os.path.join(os.path.expanduser("~"), ".cache/cordon-bench-wheels"))
    args = ap.parse_args()
    os.makedirs(args.corpus, exist_ok=True)
    parts = [("numpy", numpy_files), ("joblib", joblib_files), ("sklearn", sklearn_files), ("h5py", h5py_files)]
    missing = []
    for module, write in parts:
        try:
            __import__(module)
        except ImportError:
            note(f"{module} not installed: its files are skipped")
            missing.append(module)
            continue
        write(args.corpus)
    if "joblib" in missing or "sklearn" in missing:
        note("using the engine's tests/real_models instead")
        repo_files(args.corpus, args.repo)
    silero_files(args.corpus, args.wheel_cache)
    written = [n for n in os.listdir(args.corpus) if n.startswith(("br_", "mr_"))]
    print(f"real_world: {len(written)} files written by real libraries in {args.corpus}")


if __name__ == "__main__":
    main()
