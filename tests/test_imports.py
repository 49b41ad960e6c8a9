"""The shape of the code: imports flow one way, thaigen never imports trainers, every package says what it holds."""

from __future__ import annotations

import ast
import graphlib
import importlib
import os
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


def _fresh(code: str, **environ: str) -> str:
    """stdout of `code` in a new interpreter (the environment without OPENBLAS_NUM_THREADS, plus `environ`)."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"} | environ
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    return done.stdout.strip()


def test_import_thaigen_loads_no_numerical_library_until_a_name_is_used() -> None:
    code = (
        "import sys, thaigen\nheavy = ('numpy', 'cv2', 'albumentations')\n"
        "print(any(m in sys.modules for m in heavy), thaigen.build.__module__, any(m in sys.modules for m in heavy))"
    )
    assert _fresh(code) == "False thaigen.pipeline.build True"


def test_every_public_name_is_its_modules_own() -> None:
    import thaigen

    assert set(thaigen.__all__) == set(thaigen._HOMES) | {"ConfigError", "DatasetError", "FontError", "ThaigenError"}
    assert set(thaigen.__all__) <= set(dir(thaigen))
    for name in thaigen.__all__:
        value = getattr(thaigen, name)
        assert getattr(importlib.import_module(value.__module__), name) is value
    with pytest.raises(AttributeError, match="no attribute 'mkae_sample'"):
        thaigen.mkae_sample  # noqa: B018


_CLI_THREADS = (
    "import os\nfrom threadpoolctl import threadpool_info\nfrom thaigen.__main__ import one_blas_thread_at_load\n"
    "with one_blas_thread_at_load():\n    import thaigen.cli\n"
    "blas = sorted({p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'})\n"
    "print(blas, len(os.listdir('/proc/self/task')), os.environ.get('OPENBLAS_NUM_THREADS'))"
)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="OpenBLAS starts no extra thread on one core")
def test_the_command_line_loads_blas_without_spare_threads_and_leaves_the_environment_as_it_was() -> None:
    assert _fresh(_CLI_THREADS) == "[1] 1 None"  # one thread in the process: no OpenBLAS servers spinning
    blas, threads, environ = _fresh(_CLI_THREADS, OPENBLAS_NUM_THREADS="2").split(" ")  # the user's own choice
    assert (blas, environ) == ("[2]", "2") and int(threads) > 1
