"""The shape of the code: imports flow one way, thaigen never imports trainers, every package says what it holds."""

from __future__ import annotations

import ast
import graphlib
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("thaigen", "trainers")


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _imports(module: str) -> set[str]:
    """Project modules `module` imports anywhere in its body (top level, functions, TYPE_CHECKING blocks)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                found.add(target if target in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: _imports(module) for module in MODULES}


def _stage(module: str) -> str:
    """The package a module belongs to: `thaigen.typeset`, `trainers.jobs`; top-level modules stand alone."""
    return ".".join(module.split(".")[:2])


def test_modules_import_each_other_without_cycles() -> None:
    graphlib.TopologicalSorter(GRAPH).prepare()  # raises CycleError naming the cycle


def test_packages_form_a_pipeline_without_cycles() -> None:
    """Data flows one way between packages; the CLI modules are the shell over them and may reach any."""
    stages: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        if module.rsplit(".", 1)[-1] == "cli":
            continue
        stages.setdefault(_stage(module), set()).update(_stage(t) for t in targets if _stage(t) != _stage(module))
    graphlib.TopologicalSorter(stages).prepare()


def test_thaigen_never_imports_trainers() -> None:
    leaks = {m: sorted(t for t in targets if t.startswith("trainers")) for m, targets in GRAPH.items()}
    assert {m: t for m, t in leaks.items() if m.startswith("thaigen") and t} == {}
    names = [m for m in MODULES if m.startswith("thaigen") and m != "thaigen.__main__"]
    code = f"import importlib, sys\nfor m in {names!r}: importlib.import_module(m)\n" \
           "print(sorted(m for m in sys.modules if m.split('.')[0] == 'trainers'))"  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("package", sorted(m for m, p in MODULES.items() if p.name == "__init__.py"))
def test_every_package_says_what_lives_there(package: str) -> None:
    docstring = importlib.import_module(package).__doc__
    assert docstring and docstring.strip(), f"{package}/__init__.py has no docstring"
