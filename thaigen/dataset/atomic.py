"""Atomic file writes: a reader sees the old file or the whole new one, never a torn one (and the plain
write for files whose completion a later atomic write records)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_text(path: Path) -> Iterator[IO[str]]:
    """Open `path` for writing text via a temporary sibling renamed into place on success."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with temporary.open("w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    finally:
        temporary.unlink(missing_ok=True)


def atomic_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (temporary file, then rename)."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    finally:
        temporary.unlink(missing_ok=True)


def write_in_place(path: Path, data: bytes) -> None:
    """Create or replace `path` with `data` directly: one open, no temporary file, rename or stat.

    Only for files that count as written once a later atomic write says so (a chunk's images, before its
    record file): a torn file can then only belong to unfinished work, which is redone. File creation is
    the costly step on many file systems; this halves it against atomic_bytes. A file already there is
    unlinked first, never truncated: it may be a hard link into another dataset (merge links shard images).
    """
    try:
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            path.unlink()
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
        finally:
            os.close(handle)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
