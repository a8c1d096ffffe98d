#!/usr/bin/env python3
"""Cross-checks the engine on files written by the real libraries (NumPy,
h5py, Keras 3, TensorFlow), when they are installed.

Usage: real_world.py SCANNER_BINARY WORK_DIR
Prints one line per file and exits non-zero if any verdict is wrong.
"""
import json
import os
import pickle
import collections
import subprocess
import sys

scanner, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
os.chdir(work)
expected = {}  # file -> rule id expected, or None for clean

import numpy as np

np.save("arr_f4.npy", np.arange(12, dtype="<f4").reshape(3, 4))
np.save("arr_obj.npy", np.array([{"a": 1}, "x", 3], dtype=object), allow_pickle=True)
np.savez_compressed("arrs.npz", a=np.zeros(3), b=np.ones((2, 2), dtype=np.int64))
with open("np_pickle.pkl", "wb") as f:
    pickle.dump({"w": np.zeros((2, 2), dtype=np.float32), "od": collections.OrderedDict(a=1)}, f, protocol=4)
with open("np_pickle5.pkl", "wb") as f:
    pickle.dump(np.arange(5), f, protocol=5)
expected.update({n: None for n in ["arr_f4.npy", "arr_obj.npy", "arrs.npz", "np_pickle.pkl", "np_pickle5.pkl"]})


class Payload:
    def __reduce__(self):
        return (os.system, ("true",))


with open("reduce_os_system.pkl", "wb") as f:
    pickle.dump(Payload(), f, protocol=2)
expected["reduce_os_system.pkl"] = "models/pickle-code-execution"

try:
    import h5py

    lam = json.dumps({"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "lam"}}]}})
    for name, libver in [("h5py_default.h5", "earliest"), ("h5py_latest.h5", "latest")]:
        with h5py.File(name, "w", libver=libver) as f:
            f.attrs["model_config"] = lam
            f.create_dataset("w", data=np.zeros(10))
        expected[name] = "models/keras-lambda"
except ImportError:
    print("note: h5py not installed; HDF5 cross-check skipped")

try:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import tensorflow as tf
    import keras

    inp = keras.Input((4,))
    m = keras.Model(inp, keras.layers.Lambda(lambda t: t * 2, name="double")(keras.layers.Dense(3)(inp)))
    m.save("lambda.keras")
    m.save("lambda_legacy.h5")
    inp = keras.Input((4,))
    b = keras.Model(inp, keras.layers.Dense(2, activation="relu")(inp))
    b.save("benign.keras")
    b.save("benign_legacy.h5")
    expected.update({"lambda.keras": "models/keras-lambda", "lambda_legacy.h5": "models/keras-lambda",
                     "benign.keras": None, "benign_legacy.h5": None})

    class Reader(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
        def read(self, path):
            return tf.io.read_file(path)

    class Plain(tf.Module):
        def __init__(self):
            self.v = tf.Variable(tf.ones([2, 2]))

        @tf.function(input_signature=[tf.TensorSpec([2, 2], tf.float32)])
        def f(self, x):
            return tf.matmul(x, self.v)

    tf.saved_model.save(Reader(), "sm_read")
    tf.saved_model.save(Plain(), "sm_plain")
    expected.update({"sm_read/saved_model.pb": "models/savedmodel-risky-op", "sm_plain/saved_model.pb": None})
except ImportError:
    print("note: tensorflow/keras not installed; Keras and SavedModel cross-check skipped")

out = subprocess.run([scanner, *expected], capture_output=True, text=True, check=True).stdout
wrong = 0
for line in out.splitlines():
    row = json.loads(line)
    rules = {r.split(":")[0] for r in row["rules"]}
    want = expected[row["path"]]
    ok = (not rules) if want is None else (want in rules)
    wrong += not ok
    print(f"{'ok ' if ok else 'BAD'} {row['path']}: format {row['format']}, rules {sorted(rules) or 'none'}")
print(f"{len(expected) - wrong} passed, {wrong} failed")
sys.exit(1 if wrong else 0)
