"""Derived data kept on disk between runs (font scans, the Thai lexicon), so start-up does not redo it.

Entries live under $THAIGEN_CACHE_DIR, else $XDG_CACHE_HOME/thaigen, else ~/.cache/thaigen, one folder per
kind. Each entry's name holds a digest of everything it is derived from (input bytes, the code that derives
it, library versions), so a stale entry is never read, only left behind. An entry that is missing or
unreadable is rebuilt by the caller; a cache that cannot be written is simply not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """The folder of one kind of entry (it may not exist yet)."""
    root = os.environ.get("THAIGEN_CACHE_DIR")
    if root:
        return Path(root) / kind
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "thaigen" / kind


def digest(*parts: bytes | str) -> str:
    """A short name-safe digest of what an entry is derived from."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little") + data)
    return hasher.hexdigest()[:16]


def find(kind: str, name: str) -> Path | None:
    """The entry's path when it exists (for readers that take a file name)."""
    entry = cache_dir(kind) / name
    return entry if entry.is_file() else None


def load(kind: str, name: str) -> bytes | None:
    """The entry's bytes, or None when it is absent or unreadable."""
    try:
        return (cache_dir(kind) / name).read_bytes()
    except OSError:
        return None


def store(kind: str, name: str, data: bytes) -> None:
    """Keep an entry for later runs (written whole or not at all; errors are ignored)."""
    target = cache_dir(kind) / name
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        temporary.replace(target)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
