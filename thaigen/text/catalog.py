"""Every text source by name: the fixed-shape ones of :mod:`thaigen.text.sources`, and the running-text
ones that fill a length budget, bound here to a config's label limit."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

from thaigen.text.balance import focused, rare
from thaigen.text.phrases import form_label, phrase
from thaigen.text.running import address_line, body, hard_words, running, words
from thaigen.text.sources import SOURCES, USER_CORPUS, Source, choice

BUDGETED: dict[str, Callable[..., str]] = {
    "running": running,
    "body": body,
    "words": words,
    "address_line": address_line,
    "phrase": phrase,
    "mixed_phrase": functools.partial(phrase, mixed=True),
    "hard_words": hard_words,
    "rare": rare,
    "form_label": form_label,
}
"""Sources called as `source(rng, budget=longest label allowed)`, aiming within it."""

FOCUS = "focus"
"""Source writing a config's focus_characters (build --focus)."""
NAMES: tuple[str, ...] = tuple(sorted([*SOURCES, *BUDGETED, FOCUS]))
"""Every built-in source name (USER_CORPUS aside)."""


def sources_for(
    max_code_points: int, corpus_lines: Sequence[str] = (), focus: Mapping[str, float] | None = None
) -> dict[str, Source]:
    """The registry a config draws from: built-ins with budgets bound, plus USER_CORPUS over `corpus_lines`;
    FOCUS writes `focus` (character -> weight) when given."""
    registry: dict[str, Source] = dict(SOURCES)
    for name, source in BUDGETED.items():
        registry[name] = functools.partial(source, budget=max_code_points)
    if focus:
        registry[FOCUS] = functools.partial(focused, budget=max_code_points, characters=tuple(sorted(focus.items())))
    if corpus_lines:
        registry[USER_CORPUS] = lambda rng: choice(rng, corpus_lines)
    return registry
