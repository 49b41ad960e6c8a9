"""PaddleOCR's training source (tools/, ppocr/): not on PyPI, so located on disk or cloned at a pinned tag."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from thaigen.errors import EnvironmentProblem

PINNED_TAG = "v3.0.0"
PINNED_COMMIT = "79f652f5f5ccb4293f819fc8d347d5353f0c751a"
"""The commit v3.0.0 points to: the code these trainers were run and tested with (paddlepaddle 3.3.1)."""
REPO_URL = "https://github.com/PaddlePaddle/PaddleOCR.git"
ENV_VAR = "PADDLEOCR_SRC"


def cache_dir() -> Path:
    """Where `thaigen paddleocr-source` puts the clone: ~/.cache/thaigen/PaddleOCR-v3.0.0 (XDG_CACHE_HOME honoured),
    absolute (PaddleOCR's tools run with the source as working folder)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").resolve()
    return base / "thaigen" / f"PaddleOCR-{PINNED_TAG}"


def is_source(path: Path) -> bool:
    """Whether `path` holds PaddleOCR's training code (not just the inference wheel)."""
    return (path / "tools" / "train.py").is_file() and (path / "ppocr" / "modeling").is_dir()


def locate() -> Path:
    """The PaddleOCR source to train with: $PADDLEOCR_SRC, else the cache folder.

    Raises:
        EnvironmentProblem: neither holds PaddleOCR's training code.
    """
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured).expanduser()
        if not is_source(path):
            raise EnvironmentProblem(
                f"{ENV_VAR}={configured} has no tools/train.py and ppocr/modeling (a PaddleOCR checkout?)"
            )
        return path.resolve()
    if is_source(cache_dir()):
        return cache_dir()
    raise EnvironmentProblem(
        f"PaddleOCR training source not found: run `python -m thaigen paddleocr-source` (needs network) "
        f"or set {ENV_VAR} to a PaddleOCR {PINNED_TAG} checkout"
    )


def clone(dest: Path | None = None, url: str = REPO_URL) -> Path:
    """Clone PaddleOCR at the pinned tag (shallow) into `dest` (default: the cache folder) unless already there.

    Raises:
        EnvironmentProblem: git is missing or the clone failed (no network).
    """
    dest = dest or cache_dir()
    if is_source(dest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    command = ["git", "clone", "--quiet", "--depth", "1", "--branch", PINNED_TAG, url, str(dest)]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=600)
    except FileNotFoundError:
        raise EnvironmentProblem(
            "git is not installed; install it, or set PADDLEOCR_SRC to a PaddleOCR checkout"
        ) from None
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as problem:
        detail = (getattr(problem, "stderr", "") or "").strip().splitlines()
        raise EnvironmentProblem(
            f"could not clone {url} at {PINNED_TAG} ({detail[-1] if detail else 'timed out'}); "
            f"on a machine with network run `git clone --depth 1 --branch {PINNED_TAG} {REPO_URL}`, "
            f"copy it here and set {ENV_VAR} to it"
        ) from None
    return dest


def commit(path: Path) -> str | None:
    """The checked-out commit of a git clone (None for an unpacked archive)."""
    if not (path / ".git").exists():
        return None
    try:
        done = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    except (FileNotFoundError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def tool_command(source: Path, script: str, *args: str) -> list[str]:
    """Command line running PaddleOCR's `tools/<script>` with this interpreter (run it with cwd=source)."""
    return [sys.executable, str(source / "tools" / script), *args]


def locate_or_clone() -> Path:
    """The source `locate` finds, else a fresh clone into the cache folder.

    Raises:
        EnvironmentProblem: $PADDLEOCR_SRC is set but wrong, or the clone failed.
    """
    if os.environ.get(ENV_VAR) or is_source(cache_dir()):
        return locate()
    return clone()
