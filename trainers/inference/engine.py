"""What every recognition engine (a model, Tesseract, an ensemble) gives back, and the interface it offers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from trainers.inference.image import Image


@dataclass(frozen=True)
class Reading:
    """One line read by an engine: text, mean confidence in [0, 1], and each character's confidence."""

    text: str
    confidence: float
    char_confidences: tuple[float, ...] = ()


class Engine(Protocol):
    """Reads text lines: anything `thaigen score` can score."""

    @property
    def name(self) -> str:
        """Short name for reports."""
        ...

    def read(self, images: Sequence[Image]) -> list[Reading]:
        """One Reading per image, in order."""
        ...
