"""thaigen.rng: per-sample streams."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from thaigen.rng import Stage, generator, stage_rng


@pytest.mark.parametrize("words", [(0, 0, 1, 0), (7, 123_456, 3, 2), (2**32 - 1, 5, 8, 49), (2**80 + 3, 9, 4, 0)])
def test_a_stage_stream_is_pcg64_seeded_by_blake2b_of_its_words(words: tuple[int, int, int, int]) -> None:
    """PCG64's four seed words are BLAKE2b (personalised) of the words as decimal text, read little-endian."""
    seed, index, stage, attempt = words
    key = " ".join(map(str, words)).encode()
    digest = hashlib.blake2b(key, digest_size=32, person=b"thaigen.rng").digest()
    seeds = [int.from_bytes(digest[i : i + 8], "little") for i in range(0, 32, 8)]

    class Given(np.random.SeedSequence):
        def generate_state(self, n_words: int, dtype: type = np.uint32) -> np.ndarray:
            return np.array(seeds, dtype=np.uint64)

    expected = np.random.Generator(np.random.PCG64(Given()))
    assert stage_rng(seed, index, Stage(stage), attempt).bit_generator.state == expected.bit_generator.state


def test_streams_of_neighbouring_words_are_unrelated() -> None:
    """Every stage of 2,000 samples starts its own state, and first draws across samples are uniform."""
    states = set()
    first = []
    for index in range(2000):
        for stage in Stage:
            state = stage_rng(3, index, stage).bit_generator.state["state"]
            states.add((state["state"], state["inc"]))
        first.append(stage_rng(3, index, Stage.TEXT).random())
    assert len(states) == 2000 * len(Stage)
    counts = np.bincount((np.array(first) * 10).astype(int), minlength=10)
    assert ((counts - 200) ** 2 / 200).sum() < 27.9  # chi-square, 9 degrees of freedom, p = 0.001
    assert abs(np.corrcoef(first[:-1], first[1:])[0, 1]) < 0.1


def test_word_boundaries_count() -> None:
    """(1, 23) and (12, 3) are other keys, as are seeds past 64 bits."""
    draws = {generator(*w).random() for w in ((1, 23), (12, 3), (123,), (2**64, 0), (0, 2**64))}
    assert len(draws) == 5
    assert generator(2**90, 1).random() == generator(2**90, 1).random()


def test_generate_state_gives_what_a_bit_generator_asks_for() -> None:
    """uint32 words are the uint64 words' halves, low first, whatever the machine's byte order."""
    seeds = generator(5, 6).bit_generator.seed_seq
    wide, narrow = seeds.generate_state(2, np.uint64), seeds.generate_state(4, np.uint32)
    assert wide.dtype == np.uint64 and narrow.dtype == np.uint32
    assert [int(w) for w in wide] == [int(narrow[0]) | int(narrow[1]) << 32, int(narrow[2]) | int(narrow[3]) << 32]
