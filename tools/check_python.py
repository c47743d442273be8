"""Refuse, in one line, a Python outside the project's `requires-python` before anything is installed.

`make lab` and `make test` run this first with the Python they will build .venv from: a learner on an
unsupported Python reads which versions work instead of a resolver's traceback. It must itself run on
any Python, old ones included, so it uses no f-strings, no annotations and no third-party module.

Usage: python tools/check_python.py pyproject.toml   (exit 0 if supported, else 1 with the message)
"""

import operator
import re
import sys

OPERATORS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def requires_python(pyproject_text):
    """The `requires-python` string of a pyproject.toml's text, e.g. ">=3.10,<3.14"."""
    match = re.search(r'^requires-python\s*=\s*"([^"]+)"', pyproject_text, re.MULTILINE)
    if match is None:
        raise ValueError("pyproject.toml has no requires-python")
    return match.group(1)


def parse_version(text):
    return tuple(int(part) for part in text.split("."))


def problem(version, requires):
    """None if `version` (a tuple such as (3, 11, 7)) satisfies `requires`, else the one-line message.

    `requires` holds comma-separated clauses of an operator and a release number (">=3.10, <3.14").
    """
    for clause in requires.split(","):
        match = re.match(r"\s*(>=|<=|==|!=|>|<)\s*([0-9.]+)\s*$", clause)
        if match is None:
            raise ValueError("unsupported requires-python clause: " + clause)
        bound = parse_version(match.group(2))
        if not OPERATORS[match.group(1)](tuple(version[: len(bound)]), bound):
            running = ".".join(str(part) for part in version[:3])
            return (
                "Python {0} is not supported: the lab needs Python {1}. "
                "Install one, then run e.g. `make lab PYTHON=python3.12`."
            ).format(running, requires.replace(" ", ""))
    return None


def main(argv):
    with open(argv[1]) as f:
        requires = requires_python(f.read())
    message = problem(tuple(sys.version_info[:3]), requires)
    if message:
        sys.stderr.write(message + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
