"""Errors thaigen raises on bad input; the CLI turns each into one line and exit code 2."""

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'a' or 'b'?)` for the known names closest to a misspelt `name` ('' when none is close)."""
    close = difflib.get_close_matches(name, list(known), n=3)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


class ThaigenError(Exception):
    """Base class: a problem with the user's input or environment, not a bug."""


class ConfigError(ThaigenError):
    """A config file, recipe or option is invalid."""


class FontError(ThaigenError):
    """A font is missing, unreadable, or cannot render Thai."""


class DatasetError(ThaigenError):
    """An output or input dataset folder is in a state we refuse to touch."""


class EnvironmentProblem(ThaigenError):
    """The Python environment lacks something thaigen needs (e.g. Pillow without raqm)."""


class BuildIOError(ThaigenError):
    """Reading or writing failed part-way through a build (disk full, permissions); finished chunks are kept."""
