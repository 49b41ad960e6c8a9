"""The default build's labels over 100,000 samples: every character at least MIN_COUNT times, the rare
set reached, and no Thai label repeated more than a handful of times (the labels `thaigen build` writes:
the text and font stages of every sample run, nothing is drawn; about 25 s)."""

from __future__ import annotations

from collections import Counter

import thaigen
from thaigen.pipeline.sample import choose_runs
from thaigen.text.balance import rare_characters
from thaigen.text.thai import CONSONANTS

COUNT = 100_000
MIN_COUNT = 100
"""Per character in 100,000 lines: a 10 % val split then still holds about 10 of the rarest, and CTC
sees each class in at least 0.1 % of the lines."""
MAX_THAI_REPEAT = 20
"""Most times one label holding Thai letters may come back (single digits and clock times repeat by nature)."""


def test_default_build_balances_characters_and_rarely_repeats() -> None:
    config = thaigen.load_config(count=COUNT)
    pool = thaigen.load_pool(config.fonts)
    labels = Counter(choose_runs(config, pool, index)[0].text for index in range(COUNT))
    characters: Counter[str] = Counter()
    for label, n in labels.items():
        for ch in label:
            characters[ch] += n
    del characters[" "]
    assert min(characters.values()) >= MIN_COUNT, sorted(characters.items(), key=lambda kv: kv[1])[:5]
    assert set(rare_characters()) | set(CONSONANTS) <= set(characters)
    thai_repeats = [n for label, n in labels.items() if any(ch in CONSONANTS for ch in label)]
    assert max(thai_repeats) <= MAX_THAI_REPEAT
    assert len(labels) > 0.93 * COUNT
