"""The only grading code that runs in the learner's kernel: observe the learner's functions on the grader's inputs.

The grader sends one cell per exercise, `observe_all(globals(), PAYLOAD)`, where PAYLOAD is the wire
encoding of {"function": name, "observer": name, "cases": [...]}. This calls the named observer of
`lab_utils.observe` on the learner's function for each case (through `observe_case`: plain data whatever
the learner's objects do), and displays the wire encoding of {"observations": [...]} (or {"missing": why})
under the grader's MIME type. It imports nothing that knows an answer: in the sandbox, `lab_utils.checks`
and the reference maths are not there to import (see `sandbox`). Nothing here is trusted:
a learner can replace any of it, and the most that buys is observations, which the grader judges
against its own expectations for inputs drawn from a fresh seed.
"""

from __future__ import annotations

from typing import Any

from IPython.display import display

from lab_utils.observe import observe_case, wire
from lab_utils.observe.calls import Case, type_name
from lab_utils.observe.wire import MIME


def observe_all(namespace: dict[str, Any], payload: str) -> None:
    """Observe namespace[function] on every case of the payload; display the encoded observations."""
    request = wire.decode(payload)
    function = request["function"]
    fn = namespace.get(function)
    if fn is None:
        reply: dict[str, Any] = {"missing": f"function {function} is not defined (did its cell run?)"}
    elif not callable(fn):
        reply = {"missing": f"{function} is not a function (it is a {type_name(fn)})"}
    else:
        reply = {"observations": [observe_case(request["observer"], fn, Case(*case)) for case in request["cases"]]}
    display({MIME: wire.encode(reply)}, raw=True)
