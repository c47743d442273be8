"""Grading kernels without Keras' optional imports (lab_utils.observe.lean_kernel): Keras and TensorFlow load
neither scikit-learn, SciPy nor matplotlib, still build and run a model, and a learner's own import of those
packages works as usual. Each test runs a fresh interpreter, as a kernel is one.
"""

import json
import subprocess
import sys

LEAN = "import lab_utils.observe.lean_kernel\n"
LOADED = "print(json.dumps([m for m in ('sklearn', 'scipy', 'matplotlib', 'matplotlib.pyplot') if m in sys.modules]))"


def run(code: str) -> list:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_keras_loads_no_optional_package_in_a_grading_kernel():
    assert run(f"import json, sys\n{LEAN}import keras\n{LOADED}") == []


def test_keras_still_builds_and_runs_a_model_there():
    code = (
        f"import json\n{LEAN}import keras, numpy as np\n"
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation='softmax')])\n"
        "print(json.dumps(list(model(np.ones((2, 4), dtype='float32')).shape)))"
    )
    assert run(code) == [2, 3]


def test_a_learners_own_import_of_those_packages_still_works():
    code = f"import json, sys\n{LEAN}import keras\nimport scipy.special, matplotlib.pyplot\n{LOADED}"
    assert run(code) == ["scipy", "matplotlib", "matplotlib.pyplot"]
