"""Per-sample random streams: a sample is a pure function of (seed, index)."""

from enum import IntEnum

import numpy as np


class Stage(IntEnum):
    """One independent stream per stage, so adding a stage shifts nothing else."""

    TEXT = 1
    FONT = 2
    RENDER = 3
    AUGMENT = 4
    SPLIT = 5


def stage_rng(seed: int, index: int, stage: Stage, attempt: int = 0) -> np.random.Generator:
    """Return the generator for one stage of one sample (and one retry `attempt`)."""
    return np.random.default_rng(np.random.SeedSequence([seed, index, int(stage), attempt]))
