"""The shell commands the READMEs document, read from their ```bash blocks and the marker line before each.

A block is marked by an HTML comment on the line right before its fence (GitHub shows nothing of it):

    <!-- doctest: KIND[; ITEM]... -->

KIND says what the test does with the block's commands:
- `run`: run each, in order, in the file's working directory (state carries over to the next block); exit 0.
  A command is `python -m thaigen ...` or `python examples/NAME.py ...` (the clone's script).
- `train`: as `run`, and needs PaddleOCR's training source ($PADDLEOCR_SRC or the cache, as the training tests).
- `synopsis`: usage lines with placeholders; each thaigen line must parse once its `[...]` groups and `...`
  are dropped, every option named in a group must exist, and a group's `a|b|c` list must name every choice.
- `needs WHAT`: what CI lacks (aws, docker, network, install, download); each thaigen line must parse, as above,
  and one that needs aws runs without credentials and must stop at a one-line error asking for them.

ITEMs: `OLD -> NEW` replaces text before a run (small counts: `--count 2000 -> --count 40`), and
`needs WHAT: PREFIX` marks the commands starting with PREFIX in a run block as not run (`needs network: pip install`).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^<!-- doctest: (.*) -->$")
KINDS = ("run", "train", "synopsis", "needs")
PYTHONS = ("python", ".venv/bin/python")
"""Interpreters a documented command may name: both mean the Python running the tests (the fresh clone's venv)."""


@dataclass(frozen=True)
class Command:
    """One documented command: its words as the shell splits them, and what CI lacks to run it (if anything)."""

    words: tuple[str, ...]
    needs: str = ""

    @property
    def thaigen_args(self) -> list[str] | None:
        """The arguments after `python -m thaigen`, or None for another program."""
        if len(self.words) >= 3 and self.words[0] in PYTHONS and self.words[1:3] == ("-m", "thaigen"):
            return list(self.words[3:])
        return None

    @property
    def example_args(self) -> list[str] | None:
        """`python examples/NAME.py ARGS` as the script's path in this clone and its arguments, or None."""
        if len(self.words) >= 2 and self.words[0] in PYTHONS and re.fullmatch(r"examples/\w+\.py", self.words[1]):
            return [str(ROOT / self.words[1]), *self.words[2:]]
        return None

    def __str__(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Block:
    """A ```bash block: where it starts, its text and its marker (kind, needs, substitutions, per-command needs)."""

    doc: Path
    line: int
    text: str
    kind: str
    needs: str = ""
    substitutions: tuple[tuple[str, str], ...] = ()
    command_needs: tuple[tuple[str, str], ...] = field(default=())

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"

    def commands(self) -> list[Command]:
        """The block's commands, substitutions made; `&&` separates commands, `\\` continues a line, `#` comments."""
        text = self.text
        for old, new in self.substitutions:
            if old not in text:
                raise ValueError(f"{self.where}: substitution {old!r} matches nothing")
            text = text.replace(old, new)
        commands = []
        for line in text.replace("\\\n", " ").splitlines():
            words: list[str] = []
            for word in [*shlex.split(line, comments=True), "&&"]:
                if word != "&&":
                    words.append(word)
                elif words:
                    commands.append(self._command(tuple(words)))
                    words = []
        return commands

    def _command(self, words: tuple[str, ...]) -> Command:
        line = shlex.join(words)
        needs = next((what for what, prefix in self.command_needs if line.startswith(prefix)), self.needs)
        return Command(words, needs)


def bash_blocks(doc: Path) -> list[Block | int]:
    """Every ```bash block of `doc` with its marker, in order; an unmarked block is given as its line number."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    blocks: list[Block | int] = []
    for number, line in enumerate(lines):
        if line.strip() != "```bash":
            continue
        end = next(i for i in range(number + 1, len(lines)) if lines[i].strip() == "```")
        text = "\n".join(lines[number + 1 : end])
        marker = MARKER.match(lines[number - 1].strip()) if number else None
        blocks.append(_block(doc, number + 1, text, marker.group(1)) if marker else number + 1)
    return blocks


def _block(doc: Path, line: int, text: str, spec: str) -> Block:
    head, *items = (item.strip() for item in spec.split(";"))
    kind, _, needs = head.partition(" ")
    if kind not in KINDS or (kind == "needs") != bool(needs):
        raise ValueError(f"{doc}:{line}: marker {spec!r} must start with run, train, synopsis or needs WHAT")
    substitutions, command_needs = [], []
    for item in items:
        if " -> " in item:
            old, new = item.split(" -> ", 1)
            substitutions.append((old, new))
        elif item.startswith("needs ") and ": " in item:
            what, prefix = item.removeprefix("needs ").split(": ", 1)
            command_needs.append((what, prefix))
        else:
            raise ValueError(f"{doc}:{line}: marker item {item!r} is neither OLD -> NEW nor needs WHAT: PREFIX")
    return Block(doc, line, text, kind, needs, tuple(substitutions), tuple(command_needs))


def synopsis_args(args: list[str]) -> tuple[list[str], list[list[str]]]:
    """A usage line's arguments without its optional `[...]` groups and `...`, and the groups' own words."""
    kept: list[str] = []
    groups: list[list[str]] = []
    depth = 0
    for word in args:
        opened = word.count("[") - word.count("]")
        stripped = word.strip("[]")
        if depth or word.startswith("["):
            if word.startswith("["):
                groups.append([])
            if stripped and stripped not in ("|", "..."):
                groups[-1].append(stripped)
            depth += opened
        elif word not in ("...",) and not word.endswith("..."):
            kept.append(word)
        elif word.endswith("...") and word != "...":
            kept.append(word.removesuffix("..."))
    return kept, groups


def python_blocks(doc: Path) -> list[tuple[int, str]]:
    """Every ```python block of `doc`: (line of its fence, its code)."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    found = []
    for number, line in enumerate(lines):
        if line.strip() == "```python":
            end = next(i for i in range(number + 1, len(lines)) if lines[i].strip() == "```")
            found.append((number + 1, "\n".join(lines[number + 1 : end])))
    return found
