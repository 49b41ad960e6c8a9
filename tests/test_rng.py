"""thaigen.rng: per-sample streams."""

from __future__ import annotations

import numpy as np
import pytest

from thaigen.rng import Stage, stage_rng


@pytest.mark.parametrize("words", [(0, 0, 1, 0), (7, 123_456, 3, 2), (2**32 - 1, 5, 8, 49), (2**40 + 3, 9, 4, 0)])
def test_stage_rng_is_default_rng_of_the_four_ints(words: tuple[int, int, int, int]) -> None:
    """The fast construction gives the very stream of default_rng(SeedSequence(list)), large seeds included."""
    seed, index, stage, attempt = words
    expected = np.random.default_rng(np.random.SeedSequence(list(words))).random(8)
    assert np.array_equal(stage_rng(seed, index, Stage(stage), attempt).random(8), expected)


def test_stage_rng_matches_default_rng_over_many_seeds() -> None:
    """Every stage of many samples: the same PCG64 state as numpy's own construction (errstate skipped)."""
    for seed in (0, 1, 2**31 + 5):
        for index in range(0, 5000, 37):
            for stage in Stage:
                expected = np.random.default_rng(np.random.SeedSequence([seed, index, int(stage), 0]))
                assert stage_rng(seed, index, stage).bit_generator.state == expected.bit_generator.state
