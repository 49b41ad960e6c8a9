"""The character dictionary (`dict.txt`): one entry per line, in the order of the model's classes."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from thaigen.dataset.atomic import atomic_text
from thaigen.errors import DatasetError


def read_dictionary(path: Path) -> tuple[str, ...]:
    """A PaddleOCR dict.txt in order, one entry per line.

    Split on "\\n" only, with "\\r" stripped from both ends, as PaddleOCR's `BaseRecLabelEncode` does
    (`line.decode("utf-8").strip("\\n").strip("\\r\\n")`).

    Raises:
        DatasetError: the file is missing or not UTF-8.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise DatasetError(f"character dictionary not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read character dictionary {path}: {exc}") from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # what follows the last "\n" (bytes.readlines yields no line for it)
    return tuple(line.strip("\r") for line in lines)


def write_dictionary(path: Path, characters: Iterable[str]) -> None:
    """Write dict.txt atomically, one entry per line.

    Raises:
        ValueError: an entry is empty or holds a line break (a bug: PaddleOCR would split it).
    """
    entries = list(characters)
    bad = next((c for c in entries if not c or "\n" in c or "\r" in c), None)
    if bad is not None:
        raise ValueError(f"dictionary entry {bad!r} is empty or holds a line break")
    with atomic_text(path) as handle:
        handle.writelines(f"{ch}\n" for ch in entries)


@functools.cache
def encodable_characters(path: Path) -> frozenset[str]:
    """The characters a label may hold for PaddleOCR to keep every one under the dict at `path`: its
    one-character entries, and the space (use_space_char). Its encoder matches labels character by
    character, so an entry of two characters (such as ``ωก``) never matches anything.

    Raises:
        DatasetError: the file is missing, unreadable, or has no one-character entry.
    """
    characters = frozenset(entry for entry in read_dictionary(path) if len(entry) == 1)
    if not characters:
        raise DatasetError(f"character dictionary {path} has no one-character entries")
    return characters | {" "}
