"""Checks of notebook 02 (model): `check_count_params`, `check_model` (build_model) and `check_dense` (my_dense).

`build_model` returns a Keras model, so the kernel describes it as plain data
(`lab_utils.observe.keras_models.describe_model`): its class, input shape, layers (class, units,
activation name, use_bias, weights) and its outputs on probe images the case sends; the judge
recomputes those outputs in NumPy from the weights (`lab_utils.reference.forward`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lab_utils.activations import ACTIVATIONS, linear
from lab_utils.checks.core import Case, ExerciseCheck, returned_array, run_check
from lab_utils.checks.explain import explain
from lab_utils.checks.messages import CheckFailure, Mutants, a_kind, close, diagnose, fail, show, without_internals
from lab_utils.checks.relations import relation
from lab_utils.data import N_PIXELS
from lab_utils.reference import forward, softmax

NOTEBOOK = "02_model"


# ---------------------------------------------------------------- count_params


def count_params_mutants(sizes: list[int]) -> Mutants:
    pairs = list(zip(sizes[:-1], sizes[1:], strict=False))
    return [
        ("you forgot the biases: each layer also has one bias per unit", lambda: sum(a * b for a, b in pairs)),
        ("a layer has one bias per output unit, not per input", lambda: sum(a * b + a for a, b in pairs)),
        ("you gave the input layer biases too; inputs have none", lambda: sum(a * b + b for a, b in pairs) + sizes[0]),
        ("your loop stops one layer early (check its range)", lambda: sum(a * b + b for a, b in pairs[:-1])),
        ("your loop skips the first layer (check its range)", lambda: sum(a * b + b for a, b in pairs[1:])),
        ("you multiplied all the sizes; count weights and biases layer by layer", lambda: int(np.prod(sizes))),
        ("you counted units, not parameters", lambda: sum(sizes)),
        ("you hard-coded 20,175; compute it from layer_sizes", lambda: 20175),
        (
            "a layer has n_in × n_out weights (every input to every unit), not n_in + n_out",
            lambda: sum(a + b + b for a, b in pairs),
        ),
    ]


def _sizes_case(sizes: list[int]) -> Case:
    return Case(f"layer_sizes = {show(list(sizes))}", [[int(s) for s in sizes]])


class CountParamsCheck(ExerciseCheck):
    """count_params(layer_sizes): a list such as [784, 25, 15, 10] -> 20175, an int."""

    function, name, notebook, points = "count_params", "check_count_params", NOTEBOOK, 10
    parameters = ("layer_sizes",)
    wrong_answer = "return sum(a * b for a, b in zip({0}[:-1], {0}[1:]))"

    def cases(self, rng: np.random.Generator) -> list[Case]:
        fixed = [[784, 25, 15, 10], [784, 10], [2, 3], [3, 1, 4, 1, 5], [784, 128, 64, 10], [10, 1]]
        drawn = [rng.integers(1, 1000, size=n).tolist() for n in rng.integers(2, 6, size=2)]
        return [_sizes_case(s) for s in fixed + drawn]

    def verify(self, case: Case, obs: dict) -> None:
        sizes = case.args[0]
        expected = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
        got, kind = obs["value"], str(obs["type"])
        if isinstance(got, list) or (isinstance(got, np.ndarray) and got.ndim > 0):
            total = relation(got, expected) or "return the total, a single whole number (sum the layers)"
            fail(self.function, case.label, expected, got, total)
        whole = kind == "builtins.int" or (isinstance(got, np.ndarray) and got.dtype.kind in "iu")
        if not whole:
            float_ = kind == "builtins.float" or (isinstance(got, np.ndarray) and got.dtype.kind == "f")
            hint = "return a whole number (an int), not a float" if float_ else relation(got, expected)
            fail(
                self.function, case.label, expected, got, hint or f"return a whole number (an int), not {a_kind(kind)}"
            )
        if int(got) != expected:
            fail(self.function, case.label, expected, int(got), diagnose(int(got), count_params_mutants(sizes)))

    def error_hint(self, case: Case, obs: dict) -> str | None:
        if obs.get("type") == "IndexError":
            return "an index ran past the end: a list of L sizes has L - 1 layers, one per pair of neighbours"
        return None

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} networks, one to four layers"


# ---------------------------------------------------------------- build_model


def _outputs(layers: list[dict], x: np.ndarray, hidden: Callable, output: Callable) -> np.ndarray:
    """What a network of the described Dense layers gives for x: (m, 784), in NumPy -> (m, K) float64."""
    weights = [w for layer in layers for w in layer["weights"]]
    return output(forward(weights, x, hidden)[0][-1])


class BuildModelCheck(ExerciseCheck):
    """build_model(cfg) -> keras.Sequential: Input (784,), Dense per cfg.hidden_units with cfg.hidden_activation,
    Dense(cfg.n_classes) linear. The cases vary sizes and activation, so neither can be hard-coded."""

    function, name, notebook, points, observer = "build_model", "check_model", NOTEBOOK, 15, "build_model"
    library_calls = ("lab_utils.model.build_model",)
    library_hint = "the exercise asks you to build the model yourself with keras.Sequential"
    wrong_answer = (
        "return keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(25, activation='relu'),"
        " keras.layers.Dense(15, activation='relu'), keras.layers.Dense(10)])"
    )

    def cases(self, rng: np.random.Generator) -> list[Case]:
        configs = [((25, 15), "relu"), ((7,), "tanh"), ((5, 3), "sigmoid")]
        units = tuple(int(u) for u in rng.integers(2, 20, size=int(rng.integers(1, 4))))
        configs.append((units, str(rng.choice(["relu", "elu", "tanh"]))))
        return [
            Case(
                f"cfg.hidden_units = {show(u)}, cfg.hidden_activation = {a!r}",
                [{"hidden_units": list(u), "hidden_activation": a}],
                {"x": rng.uniform(0.0, 1.0, size=(3, N_PIXELS)).astype(np.float32)},
            )
            for u, a in configs
        ]

    def verify(self, case: Case, obs: dict) -> None:
        cfg, x = case.args[0], case.probe["x"]
        model, kind = obs.get("model", {}), str(obs["type"]).rsplit(".", 1)[-1]
        fail_ = lambda expected, got, hint=None: fail(self.function, case.label, expected, got, hint)  # noqa: E731
        if kind in ("list", "tuple"):
            fail_(
                "a keras.Sequential", a_kind(obs["type"]), "wrap the layers in a model: keras.Sequential takes the list"
            )
        if not model.get("is_model"):
            fail_("a keras.Sequential", a_kind(obs["type"]))
        if not model.get("sequential"):
            fail_("a keras.Sequential", kind, "the text asks for keras.Sequential: the next cells read model.layers")
        if model.get("error"):
            fail_("a Keras model", *_error(model["error"]))
        if not model.get("built"):
            fail_("a model with input 784", "a model without an input", "start the layers with keras.Input")
        if model["input_shape"] != [None, 784]:
            fail_("input shape (None, 784)", tuple(model["input_shape"]), "the lab feeds flat images of 784 pixels")
        layers = model["layers"]
        others = [layer["class"] for layer in layers if layer["class"] != "Dense"]
        if others:
            fail_("Dense layers only", others, _other_layers_hint(others))
        units, expected = [layer["units"] for layer in layers], [*cfg["hidden_units"], 10]
        if units != expected:
            hint = "one Dense layer per entry of cfg.hidden_units, then cfg.n_classes (10) output units"
            if units == [25, 15, 10]:
                hint = "you hard-coded the layer sizes 25 and 15; loop over cfg.hidden_units"
            elif units[:-1] == expected[-2::-1] and units[-1] == expected[-1]:
                hint = "the hidden layers' sizes are in reverse order: the first hidden layer has cfg.hidden_units[0]"
            fail_(f"Dense layers of {expected} units", units, hint)
        if any(len(layer["weights"]) != 2 for layer in layers):
            fail_("Dense layers with biases", "a layer without biases", "drop use_bias=False")
        if model.get("outputs_error"):
            fail_("a model that runs on (3, 784) images", *_error(model["outputs_error"]))
        self._verify_outputs(case, cfg, x, layers, model["outputs"])

    def _verify_outputs(self, case: Case, cfg: dict, x: np.ndarray, layers: list[dict], got: np.ndarray) -> None:
        wanted = cfg["hidden_activation"]
        hidden = ACTIVATIONS[wanted]
        if close(got, _outputs(layers, x, hidden, linear), np.float32):
            return
        names = [layer["activation"] for layer in layers]
        mutants = [
            (
                "softmax in the output layer while the loss takes logits: keep the output layer linear",
                lambda: softmax(_outputs(layers, x, hidden, linear)),
            ),
            ("the output layer must be linear (it returns logits)", lambda: _outputs(layers, x, hidden, hidden)),
        ]
        mutants += [
            (
                f"the hidden layers use {name!r}, the config asks for {wanted!r}: use cfg.hidden_activation"
                + (" rather than writing 'relu'" if name == "relu" else ""),
                lambda act=act: _outputs(layers, x, act, linear),
            )
            for name, act in ACTIVATIONS.items()
            if name != wanted
        ]
        hint = diagnose(got, mutants, np.float32)
        fail(self.function, case.label, f"{wanted} hidden layers and a linear output", f"activations {names}", hint)

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} configs: hidden sizes and activations varied"


def _other_layers_hint(others: list[str]) -> str:
    """What to do about layers other than Dense in the model, by their class names."""
    if "Flatten" in others or "Reshape" in others:
        return "the lab feeds flat images of 784 pixels already: no Flatten or Reshape layer, Dense layers only"
    if "Activation" in others:
        return "give each Dense layer its activation (activation=...); the next cells expect Dense layers only"
    return f"the next cells expect Dense layers only: no {', '.join(dict.fromkeys(others))} layers here"


def _error(error: dict) -> tuple[str, str | None]:
    """An exception met while the kernel described the model: its text (got) and its explanation (hint)."""
    detail = without_internals(str(error["message"]))
    return f"{error['type']}: {detail}", explain(str(error["type"]), detail)


# ---------------------------------------------------------------- my_dense


def _dense_case(a_in: np.ndarray, W: np.ndarray, b: np.ndarray, g: str) -> Case:
    return Case(f"a_in {a_in.shape}, W {W.shape}, b {b.shape}, g = {g}", [a_in, W, b, g])


def dense_mutants(a: np.ndarray, w: np.ndarray, bias: np.ndarray, g: str) -> Mutants:
    act = ACTIVATIONS[g]
    mutants = [
        ("you forgot to apply the activation g", lambda: a @ w + bias),
        ("you forgot to add the bias b", lambda: act(a @ w)),
        ("you applied g before adding b; the bias goes inside the activation", lambda: act(a @ w) + bias),
        ("you used W.T; W already has shape (n_in, n_out)", lambda: act(a @ w.T + bias)),
        ("you subtracted b; add it", lambda: act(a @ w - bias)),
        ("you added the sum of b to every unit; each unit j gets its own bias b[j]", lambda: act(a @ w + bias.sum())),
    ]
    return mutants + [
        (f"you applied {name} whatever g is; call the g you were given", lambda f=f: f(a @ w + bias))
        for name, f in ACTIVATIONS.items()
        if name not in (g, "linear")  # linear whatever g is: "you forgot to apply the activation g" above
    ]


class DenseCheck(ExerciseCheck):
    """my_dense(a_in, W, b, g): a_in (m, n_in), W (n_in, n_out), b (n_out,), g element-wise -> (m, n_out)."""

    function, name, notebook, points, observer = "my_dense", "check_dense", NOTEBOOK, 10, "activation"
    parameters = ("a_in", "W", "b")

    def cases(self, rng: np.random.Generator) -> list[Case]:
        def normal(*shape: int, dtype: type = np.float64) -> np.ndarray:
            return rng.normal(0.0, 1.0, size=shape).astype(dtype)

        square = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0], [2.0, 1.0, 1.0]])
        return [
            # fixed: a square W, where using W.T does not fail by shape, with rows that ReLU cuts
            _dense_case(np.array([[1.0, -2.0, 0.5], [-1.0, 0.0, 2.0]]), square, np.array([0.5, -0.25, 0.0]), "relu"),
            _dense_case(normal(4, 3), normal(3, 2), normal(2), "relu"),
            _dense_case(normal(1, 3), normal(3, 5), normal(5), "sigmoid"),  # a batch of one
            _dense_case(normal(5, 3), normal(3, 3), normal(3), "relu"),  # square W: W.T does not fail by shape
            _dense_case(
                normal(2, 4, dtype=np.float32), normal(4, 1, dtype=np.float32), normal(1, dtype=np.float32), "linear"
            ),
            _dense_case(normal(6, 7), normal(7, 4), normal(4), "tanh"),
        ]

    def verify(self, case: Case, obs: dict) -> None:
        a_in, W, b, g = case.args
        shape = (a_in.shape[0], W.shape[1])
        hint = "keep one row per example: the result is (m, n_out)"
        if np.shape(obs.get("value")) == shape[::-1] and shape[0] != shape[1]:
            hint = "your result is transposed: one row per example, (m, n_out)"
        a, w, bias = (np.asarray(v, dtype=np.float64) for v in (a_in, W, b))
        expected = ACTIVATIONS[g](a @ w + bias)
        got = returned_array(self.function, case, obs, shape, hint, expected)
        if not close(got, expected, a_in.dtype):
            hint = diagnose(got, dense_mutants(a, w, bias, g))
            fail(self.function, case.label, expected, got, hint, {"m": shape[0]}, a_in.dtype)

    def summary(self, cases: list[Case]) -> str:
        return f"{len(cases)} layers, batches of one and a square W included"


COUNT_PARAMS, BUILD_MODEL, DENSE = CountParamsCheck(), BuildModelCheck(), DenseCheck()


def check_count_params(count_params: Callable[[list[int]], int], cases: Iterable[list[int]] | None = None) -> None:
    """Check `count_params(layer_sizes)`: a list such as [784, 25, 15, 10] -> 20175 (notebook 02)."""
    run_check(COUNT_PARAMS, count_params, None if cases is None else [_sizes_case(s) for s in cases])


def check_model(build_model: Callable[[Any], Any]) -> None:
    """Check `build_model(cfg)` with several configs, so sizes and activation must come from cfg (notebook 02)."""
    run_check(BUILD_MODEL, build_model)


def check_dense(my_dense: Callable, cases: Iterable[tuple] | None = None) -> None:
    """Check `my_dense(a_in, W, b, g)` (notebook 02). `cases`: (a_in, W, b, g) of your own, g one of
    relu, sigmoid, tanh, elu, linear (a function of that name)."""
    if cases is None:
        return run_check(DENSE, my_dense)
    own = []
    for a_in, W, b, g in cases:
        name = getattr(g, "__name__", str(g))
        if name not in ACTIVATIONS:
            raise CheckFailure(f"check_dense takes g as one of {', '.join(ACTIVATIONS)}, got {name}")
        own.append(_dense_case(np.asarray(a_in), np.asarray(W), np.asarray(b), name))
    return run_check(DENSE, my_dense, own)
