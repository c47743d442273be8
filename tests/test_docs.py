"""Every command and flag the README and docs/ show exists: the lab's `python -m` modules and their flags, the
scripts they run, and the make targets.

Commands are read from the fenced code blocks and the inline code of README.md and every docs/**/*.md, so a new
page is covered once it exists. Flags are checked against each module's own `--help` (its real argparse parser),
targets against make's own database of the Makefile.
"""

import functools
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PYTHON = re.compile(r"python(\d+(\.\d+)?)?")
FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
# Flags the docs mention on their own that belong to a tool the lab runs, not to a lab command.
FOREIGN_FLAGS = {"--die-with-parent": "bubblewrap", "--size": "bubblewrap"}


@dataclass(frozen=True)
class Command:
    """One command shown in a page: its words (shell operators split off) and where it was shown."""

    words: tuple[str, ...]
    page: str

    def __str__(self) -> str:
        return f"{self.page}: {' '.join(self.words)}"


def code_snippets(markdown: str) -> list[str]:
    """The text of each code block line (continuations joined) and each inline code span of a page."""
    snippets = []
    for token in MarkdownIt().parse(markdown):
        if token.type in ("fence", "code_block") and token.info.strip() in ("", "sh", "bash", "shell", "console"):
            snippets += token.content.replace("\\\n", " ").splitlines()
        elif token.type == "inline":
            snippets += [child.content for child in token.children or [] if child.type == "code_inline"]
    return [s.strip().removeprefix("$ ") for s in snippets if s.strip()]


def commands(snippet: str, page: str) -> list[Command]:
    """The commands of one snippet, split at `&&`, `||`, `;` and `|`; [] for text that is not shell."""
    try:
        lexer = shlex.shlex(snippet, posix=True, punctuation_chars="&|;")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words = list(lexer)
    except ValueError:
        return []
    found, current = [], []
    for word in [*words, ";"]:
        if word in ("&&", "||", ";", "|", "&"):
            if current:
                found.append(Command(tuple(w.strip("[]") for w in current), page))
            current = []
        else:
            current.append(word)
    return found


def shown_commands() -> list[Command]:
    """Every command shown in the README and docs/."""
    return [
        command
        for page in PAGES
        for snippet in code_snippets(page.read_text())
        for command in commands(snippet, str(page.relative_to(ROOT)))
    ]


def lab_module(command: Command) -> str | None:
    """The module of `python -m MODULE ...` when MODULE is the lab's own (a package of this repository)."""
    words = command.words
    if len(words) >= 3 and PYTHON.fullmatch(Path(words[0]).name) and words[1] == "-m":
        module = words[2]
        return module if (ROOT / module.split(".")[0]).is_dir() else None
    return None


def script(command: Command) -> str | None:
    """The file of `python path/to/script.py ...`."""
    words = command.words
    if len(words) >= 2 and PYTHON.fullmatch(Path(words[0]).name) and words[1].endswith(".py"):
        return words[1]
    return None


def make_targets(command: Command) -> list[str]:
    """The targets of `make TARGET ... VAR=value`."""
    if command.words[0] != "make":
        return []
    return [w for w in command.words[1:] if not w.startswith("-") and "=" not in w]


@functools.cache
def flags_of(module: str) -> frozenset[str]:
    """The flags a lab module's command line accepts, read from its own --help."""
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"python -m {module} --help failed: {done.stderr.strip()[-300:]}"
    return frozenset(FLAG.findall(done.stdout))


@functools.cache
def makefile_targets() -> frozenset[str]:
    """The targets make itself reads from the Makefile (its database, no recipe run)."""
    done = subprocess.run(
        ["make", "--print-data-base", "--question", "--no-builtin-rules", "-f", "Makefile", "--", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    targets = re.findall(r"^([A-Za-z0-9_.-]+):", done.stdout, flags=re.MULTILINE)
    return frozenset(t for t in targets if not t.startswith("."))


SHOWN = shown_commands()
LAB_COMMANDS = [c for c in SHOWN if lab_module(c)]


def test_the_docs_show_the_lab_commands_they_are_read_for():
    modules = {lab_module(c) for c in LAB_COMMANDS}
    assert {"lab_utils.train", "lab_utils.grade"} <= modules
    assert {"lab", "test", "bench"} <= {t for c in SHOWN for t in make_targets(c)}


@pytest.mark.parametrize("command", LAB_COMMANDS, ids=str)
def test_every_flag_of_a_shown_lab_command_exists(command):
    flags = {f for word in command.words[3:] for f in FLAG.findall(word.split("=")[0]) if word.startswith("-")}
    unknown = sorted(flags - flags_of(lab_module(command)))
    assert not unknown, f"{command}: no such flag {', '.join(unknown)}"


def test_every_flag_shown_on_its_own_belongs_to_a_lab_command():
    known = set().union(*(flags_of(m) for m in {lab_module(c) for c in LAB_COMMANDS}), FOREIGN_FLAGS)
    alone = {(c.page, c.words[0]) for c in SHOWN if c.words[0].startswith("--")}
    unknown = sorted(f"{page}: {flag}" for page, flag in alone if flag.split("=")[0] not in known)
    assert not unknown, "flags no lab command has: " + "; ".join(unknown)


def test_every_shown_make_target_is_in_the_makefile():
    missing = sorted({f"{c.page}: make {t}" for c in SHOWN for t in make_targets(c) if t not in makefile_targets()})
    assert not missing, "no such make target: " + "; ".join(missing)


def test_every_script_a_shown_command_runs_exists():
    missing = sorted({f"{c.page}: {script(c)}" for c in SHOWN if script(c) and not (ROOT / script(c)).is_file()})
    assert not missing, "no such script: " + "; ".join(missing)


def test_a_misspelt_flag_a_made_up_target_and_a_missing_script_are_caught():
    page = """Run `python -m lab_utils.train --epoch 3`, then:

```sh
make lab && make trian
python tools/no_such_tool.py
```
"""
    shown = [c for s in code_snippets(page) for c in commands(s, "probe.md")]
    train = next(c for c in shown if lab_module(c))
    assert "--epoch" not in flags_of(lab_module(train))
    assert [t for c in shown for t in make_targets(c)] == ["lab", "trian"]
    assert "trian" not in makefile_targets() and "lab" in makefile_targets()
    assert [script(c) for c in shown if script(c)] == ["tools/no_such_tool.py"]
