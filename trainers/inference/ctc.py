"""CTC greedy decoding and the character table of a PaddleOCR CTC head (index 0 is the blank)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trainers.inference.engine import Reading

BLANK = "blank"
"""What PaddleOCR's CTCLabelDecode calls index 0."""


def character_table(characters: Sequence[str], use_space_char: bool) -> tuple[str, ...]:
    """Output classes of a CTC head: blank, the dictionary in order, then space when `use_space_char`.

    This is what PaddleOCR's CTCLabelDecode builds (it appends the space itself; thaigen's dict.txt
    leaves it out). A dictionary that already holds a space gets no second one.
    """
    space = (" ",) if use_space_char and " " not in characters else ()
    return (BLANK, *characters, *space)


def greedy_decode(probabilities: np.ndarray, table: Sequence[str]) -> list[Reading]:
    """Best path decoding of N x T x C class probabilities: argmax per step, merge repeats, drop blanks.

    Confidence is the mean of the kept steps' probabilities (0 for an empty line), as in PaddleOCR.

    Raises:
        ValueError: the output layer's class count differs from the table's length.
    """
    if probabilities.ndim != 3 or probabilities.shape[2] != len(table):
        raise ValueError(f"model output {list(probabilities.shape)} does not end in {len(table)} classes (N x T x C)")
    best = probabilities.argmax(axis=2)
    best_probability = probabilities.max(axis=2)
    readings = []
    for indices, scores in zip(best, best_probability, strict=True):
        keep = indices != 0
        keep[1:] &= indices[1:] != indices[:-1]
        kept = scores[keep]
        readings.append(
            Reading(
                text="".join(table[i] for i in indices[keep]),
                confidence=float(kept.mean()) if kept.size else 0.0,
                char_confidences=tuple(float(s) for s in kept),
            )
        )
    return readings
