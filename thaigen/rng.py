"""Per-sample random streams: a sample is a pure function of (seed, index)."""

import bisect
import itertools
from collections.abc import Sequence
from enum import IntEnum

import numpy as np


class Stage(IntEnum):
    """One independent stream per stage, so adding a stage shifts nothing else."""

    TEXT = 1
    FONT = 2
    RENDER = 3
    AUGMENT = 4
    SPLIT = 5
    FRAME = 6
    BACKGROUND = 7
    LAYOUT = 8


_WORD = 1 << 32
_GENERATE_STATE = getattr(np.random.SeedSequence.generate_state, "__wrapped__", np.random.SeedSequence.generate_state)
"""SeedSequence.generate_state without numpy's errstate(over="ignore") wrapper, a third of stage_rng's time:
its hashing is Cython arithmetic on C uint32s, which never raises numpy's overflow warnings."""


class _SeedSequence(np.random.SeedSequence):
    """A SeedSequence whose generate_state skips the errstate wrapper (the same words, tested)."""

    def generate_state(self, n_words: int, dtype: type = np.uint32) -> np.ndarray:
        """SeedSequence.generate_state's words, computed by its own unwrapped code."""
        return _GENERATE_STATE(self, n_words, dtype)


def stage_rng(seed: int, index: int, stage: Stage, attempt: int = 0) -> np.random.Generator:
    """Return the generator for one stage of one sample (and one retry `attempt`).

    The same generator as ``np.random.default_rng(SeedSequence([seed, index, stage, attempt]))``, built faster
    (it is made about seven times per sample): without default_rng's type dispatch or generate_state's errstate,
    and with the entropy as the uint32 array SeedSequence would assemble from those four ints when each fits
    in one 32-bit word.
    """
    words = (seed, index, int(stage), attempt)
    entropy = np.array(words, dtype=np.uint32) if 0 <= min(words) and max(words) < _WORD else list(words)
    return np.random.Generator(np.random.PCG64(_SeedSequence(entropy)))


def pick(u: float, weights: Sequence[float]) -> int:
    """The index a uniform draw `u` in [0, 1) picks, each with probability proportional to its weight."""
    cumulative = list(itertools.accumulate(weights))
    return min(bisect.bisect_right(cumulative, u * cumulative[-1]), len(cumulative) - 1)
