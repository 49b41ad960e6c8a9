"""Shards: one build cut into N contiguous runs of whole chunks (`build --shard K/N`), merged by merge_shards.

A shard folder is a dataset of its own: its samples' images, label files, samples.jsonl, dict.txt, and a
manifest with a `shard` section.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from thaigen.errors import ConfigError


@dataclass(frozen=True)
class Shard:
    """Shard `index` (0-based) of `count`."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """From `K/N` (K in 0..N-1).

        Raises:
            ConfigError: not of that form.
        """
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match or not 0 <= int(match[1]) < int(match[2]):
            raise ConfigError(f"--shard must be K/N with 0 <= K < N (e.g. 0/4), not {text!r}")
        return cls(int(match[1]), int(match[2]))

    def select(self, starts: Sequence[int]) -> list[int]:
        """This shard's contiguous run of the build's chunk starts (shards differ by at most one chunk).

        Raises:
            ConfigError: more shards than chunks.
        """
        if self.count > len(starts):
            raise ConfigError(f"{self.count} shards for a build of {len(starts)} chunk(s); use at most {len(starts)}")
        n = len(starts)
        return list(starts[self.index * n // self.count : (self.index + 1) * n // self.count])

    def describe(self, first: int, end: int) -> dict[str, int]:
        """The manifest's `shard` section: which shard, and its sample indices [first, end)."""
        return {"index": self.index, "count": self.count, "first": first, "end": end}

    def folder_name(self) -> str:
        """Name for this shard's folder among its siblings, e.g. shard-00001-of-00004."""
        return f"shard-{self.index:05d}-of-{self.count:05d}"
