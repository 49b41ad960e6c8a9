"""The documentation as a test: the READMEs' commands, run as written in a fresh folder, or parsed where CI lacks
what they need (markers: tests/documented.py)."""

from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from documented import ROOT, Block, Command, bash_blocks, python_blocks, synopsis_args
from thaigen.cli import _parser
from thaigen.errors import EnvironmentProblem
from trainers.paddleocr import source as paddle_source

pytestmark = pytest.mark.filterwarnings("ignore:No ccache found:UserWarning")

RUN_DOCS = [ROOT / "README.md", ROOT / "trainers/README.md"]
"""The READMEs whose commands run."""
DOCS = [*RUN_DOCS, ROOT / "trainers/serving/README.md"]
CITING = [*DOCS, ROOT / "bench/README.md"]
"""The READMEs whose repository paths and links must exist in a clone."""
COMMAND_TIMEOUT_S = 600


CITED_PATH = re.compile(
    r"(?<![\w/.~-])((?:thaigen|trainers|tests|bench|examples|scripts|fonts|corpora)/[a-z_][\w./-]*\w)"
)
"""A repository path as the docs and `thaigen cost` cite it (`trainers/jobs/cost.py`, `tests/fixtures/...`)."""
GENERATED = ("bench/out",)
"""Folders the benches write (gitignored): cited, never in a clone."""


def _blocks(doc: Path) -> list[Block]:
    return [block for block in bash_blocks(doc) if isinstance(block, Block)]


def _parse(args: list[str]) -> str:
    """The real CLI parser's complaint about `args` ('' when they parse)."""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            _parser().parse_args(args)
    except SystemExit:
        return stderr.getvalue().strip().splitlines()[-1]
    return ""


def _command_parser(args: list[str]) -> argparse.ArgumentParser:
    """The (sub)parser of the command `args` name: `train`, `aws cleanup`, ..."""
    parser = _parser()
    for word in args:
        commands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not commands or word not in commands[0].choices:
            break
        parser = commands[0].choices[word]
    return parser


def _usage_problems(commands: list[Command]) -> list[str]:
    """What usage lines get wrong: lines that do not parse once their `[...]` groups are dropped, options in the
    groups that do not exist, and `a|b|c` choice lists that leave a choice out (over all the lines given)."""
    problems = []
    listed: dict[str, set[str]] = {}
    actions: dict[str, argparse.Action] = {}
    for command in commands:
        args = command.thaigen_args
        if args is None:
            continue
        kept, groups = synopsis_args(args)
        if complaint := _parse(kept):
            problems.append(f"`{command}` does not parse: {complaint}")
        parser = _command_parser(kept)
        for group in groups:
            options = [word for word in group if word.startswith("-")]
            problems += [f"`{command}`: {parser.prog} has no option {o}" for o in options
                         if o not in parser._option_string_actions]
            choices = [word for word in group if "|" in word and not word.startswith("-")]
            if len(options) == 1 and choices and options[0] in parser._option_string_actions:
                name = f"{parser.prog} {options[0]}"
                actions[name] = parser._option_string_actions[options[0]]
                listed.setdefault(name, set()).update(choices[0].split("|"))
    for name, names in listed.items():
        choices = set(actions[name].choices or ())
        if choices and names != choices:
            problems.append(f"{name} lists {sorted(names)}, the parser takes {sorted(choices)}")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_every_bash_block_is_marked(doc: Path) -> None:
    unmarked = [line for line in bash_blocks(doc) if isinstance(line, int)]
    assert not unmarked, f"{doc.relative_to(ROOT)}: ```bash blocks without a `<!-- doctest: ... -->` line: {unmarked}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_usage_blocks_name_real_options_and_every_choice(doc: Path) -> None:
    problems = [f"{b.where}: {p}" for b in _blocks(doc) if b.kind == "synopsis" for p in _usage_problems(b.commands())]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_commands_needing_what_ci_lacks_parse_and_are_named(doc: Path) -> None:
    """Not run here (AWS, Docker, network, a download), so each thaigen command is at least parsed as written."""
    not_run = [
        (block, command)
        for block in _blocks(doc)
        if block.kind != "synopsis"
        for command in block.commands()
        if command.needs
    ]
    problems = [f"{block.where}: {p}" for block, command in not_run for p in _usage_problems([command])]
    assert not problems, "\n".join(problems)
    if not_run:
        pytest.skip("not run here: " + "; ".join(f"`{command}` (needs {command.needs})" for _, command in not_run))


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_python_snippets_define_every_name_they_use(doc: Path) -> None:
    problems = []
    for line, code in python_blocks(doc):
        tree = ast.parse(code)
        defined = set(dir(builtins))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined.add(node.name)
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
        problems += [f"{doc.relative_to(ROOT)}:{line}: {name} is used but never imported" for name in used - defined]
    assert not problems, "\n".join(sorted(problems))


NO_AWS = {
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_DEFAULT_REGION": "us-east-1",
}
"""An AWS chain with a region and no credentials anywhere: what CI has (and a user who has not logged in)."""


def _run(command: Command, workdir: Path, block: Block) -> None:
    """Run `command` in `workdir`; one that needs AWS runs without credentials and must stop at them in one line."""
    args, example = command.thaigen_args, command.example_args
    assert args is not None or example is not None, (
        f"{block.where}: `{command}` is neither `python -m thaigen ...` nor `python examples/NAME.py ...`: "
        "mark it `needs WHAT: ...`"
    )
    env = os.environ.copy()
    if args is not None and command.needs == "aws":
        args = synopsis_args(args)[0]
        env = {k: v for k, v in env.items() if not k.startswith("AWS_")} | NO_AWS
    completed = subprocess.run(
        [sys.executable, "-m", "thaigen", *args] if args is not None else [sys.executable, *(example or [])],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    code, tail = completed.returncode, "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-8:])
    if command.needs == "aws":
        error = completed.stderr.strip()
        assert code == 2 and "\n" not in error and re.match(r"thaigen: error: .*no credentials", error), (
            f"{block.where}: `{command}` without AWS credentials: exit {code}, not one line naming them:\n{tail}"
        )
    else:
        assert code == 0, f"{block.where}: `{command}` exit {code}:\n{tail}"


@pytest.mark.slow
def test_documented_commands_run_as_written(tmp_path: Path) -> None:
    """The READMEs' run blocks in order, in one fresh folder (relative paths as a user types them), on CPU; the
    commands that need AWS run too, without credentials, up to the one-line error that asks for them."""
    for doc in RUN_DOCS:
        blocks = [block for block in _blocks(doc) if block.kind in ("run", "train") or block.needs == "aws"]
        assert any(block.kind in ("run", "train") for block in blocks), f"{doc.relative_to(ROOT)} runs nothing"
        for block in blocks:
            if block.kind == "train":
                try:
                    paddle_source.locate()
                except EnvironmentProblem as problem:
                    pytest.skip(f"{block.where} and after need PaddleOCR v3.0.0 source: {problem}")
            for command in block.commands():
                if command.needs in ("", "aws"):
                    _run(command, tmp_path, block)


def _missing_citations(text: str, folder: Path) -> list[str]:
    """Repository paths and relative links in `text` that a clone lacks, and any citation of FACTS.md (not in it)."""
    paths = [p for p in CITED_PATH.findall(text) if not p.startswith(GENERATED) and not (ROOT / p).exists()]
    links = [t for t in re.findall(r"\]\(([^)#:]+)\)", text) if not (folder / t).exists()]
    return paths + links + (["FACTS.md"] if "FACTS.md" in text else [])


@pytest.mark.parametrize("doc", CITING, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_docs_cite_only_what_a_clone_holds(doc: Path) -> None:
    assert not _missing_citations(doc.read_text(encoding="utf-8"), doc.parent)


def test_cost_cites_only_what_a_clone_holds() -> None:
    from trainers.jobs import cost

    text = cost.report("svtr", 9408, 100) + "\n" + (cost.__doc__ or "")
    assert "trainers/jobs/cost.py" in text and not _missing_citations(text, ROOT)


@pytest.mark.parametrize("doc", CITING, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_inline_commands_name_real_commands_and_options(doc: Path) -> None:
    """`thaigen train --arch db ...` in the prose: its command exists and so does each --option it names."""
    problems = []
    for quoted in re.findall(r"`(?:python -m )?thaigen ([^`]+)`", doc.read_text(encoding="utf-8")):
        words = quoted.split()
        parser = _command_parser(words)
        options = [word.strip("[]").split("=")[0] for word in words if word.strip("[").startswith("--")]
        if parser.prog == "thaigen":
            problems.append(f"`thaigen {quoted}`: no such command")
        problems += [f"`thaigen {quoted}`: {parser.prog} has no option {o}" for o in options
                     if o not in parser._option_string_actions]
    assert not problems, "\n".join(problems)
