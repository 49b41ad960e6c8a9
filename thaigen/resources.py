"""Where the files shipped beside the package live (fonts/, corpora/)."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the shipped data folder `name` ("fonts" or "corpora").

    Works for a source checkout / editable install (folder beside the package) and for a
    wheel (folder copied inside the package by the build backend).
    """
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"thaigen's shipped '{name}' folder is missing (looked beside {_PACKAGE})")
