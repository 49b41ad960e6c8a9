"""Errors thaigen raises on bad input; the CLI turns each into one line and exit code 2."""


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
