"""`build --focus SCORE_REPORT.json`: re-weight a config toward what a scored model gets wrong.

From a `thaigen score` report (report.json) of recognized lines, for one engine (the one asked for, else the
report's only one, else its first, which is score's MODEL argument: a FocusWarning names it and the others),
it takes each category's line accuracy, each character's
error rate (truth characters replaced or dropped, by aligning every line's truth and reading), and,
when the scored lines are a thaigen set whose samples.jsonl is beside them, each preset's accuracy.
Then:

- sources: each source behind a category is scaled by that category's error over the mean error,
  clipped to [1/MAX_SCALE, MAX_SCALE]; a category named like a source is that source, the meter's
  categories map through CATEGORY_SOURCES;
- characters: the TOP_CHARACTERS characters that lose the most (misses times miss rate, at least
  MIN_SEEN occurrences) become `focus_characters`, weighted by their miss rate, and the `focus` source writes lines around them as
  FOCUS_SHARE of the mix;
- presets: scaled like sources.

The result is an ordinary config (so the manifest records every weight, and the build is as
deterministic as any other); `focus` in the manifest names the report by sha256. `describe_focus` says in
a few lines what changed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thaigen.config.schema import GenConfig
from thaigen.dataset.samples import records_by_image
from thaigen.errors import ConfigError

MAX_SCALE = 2.0
TOP_CHARACTERS = 12
MIN_SEEN = 5
FOCUS_SHARE = 0.08
CATEGORY_SOURCES: dict[str, tuple[str, ...]] = {
    "thai_words": ("words", "thai_word", "hard_words"),
    "thai_long": ("running", "phrase", "sentence"),
    "mixed": ("mixed_phrase", "mixed"),
    "digits": ("arabic_digits", "thai_digits", "phone", "price", "date", "time", "national_id"),
}
"""The meter's evaluation categories -> the sources that write such lines."""


class FocusWarning(UserWarning):
    """--focus chose something the user did not name: one engine of a report that scores several."""


@dataclass(frozen=True)
class Findings:
    """What a score report says the model gets wrong."""

    category_accuracy: dict[str, float]
    character_misses: dict[str, tuple[int, int]]
    """Character -> (misses, occurrences) over the truths."""
    preset_accuracy: dict[str, float]
    digest: str
    engine: str
    """The scored engine these findings are of."""


def read_score_report(path: Path, engine: str | None = None) -> Findings:
    """Read a `thaigen score` report.json of recognized lines, for the engine named `engine` (its full name, or
    the part before ' ('); by default the report's only engine, else its first (score's MODEL), with a FocusWarning.

    Raises:
        ConfigError: the file is missing, not JSON, a det/e2e report, not a score report, or has no such engine.
    """
    try:
        data = path.read_bytes()
        report = json.loads(data)
    except FileNotFoundError:
        raise ConfigError(f"--focus: score report not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--focus: {path} is not a thaigen score report.json ({type(exc).__name__}: {exc})") from None
    if isinstance(report, dict) and "engines" not in report and "page_results" in report:
        task = "e2e" if "recognizer" in (report.get("models") or {}) else "det"
        raise ConfigError(
            f"--focus: {path} is a `score --task {task}` report of pages; --focus needs a report of recognized "
            "lines: thaigen score MODEL DATASET"
        )
    try:
        chosen = _engine(report["engines"], engine, path)
        lines = chosen["lines"]
        categories = {str(c): float(v["line_accuracy"]) for c, v in chosen["by_category"].items()}
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ConfigError(f"--focus: {path} is not a thaigen score report.json ({type(exc).__name__}: {exc})") from None
    misses: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    by_preset: dict[str, list[bool]] = {}
    records: dict[Path, dict[str, dict[str, Any]]] = {}
    for line in lines:
        truth, reading = str(line["truth"]), str(line["prediction"])
        seen.update(truth)
        for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, truth, reading, autojunk=False).get_opcodes():
            if tag in ("replace", "delete"):
                misses.update(truth[i1:i2])
        preset = _preset(Path(line["image"]), records)
        if preset is not None:
            by_preset.setdefault(preset, []).append(truth == reading)
    return Findings(
        category_accuracy=categories,
        character_misses={ch: (misses[ch], n) for ch, n in seen.items() if ch != " "},
        preset_accuracy={p: sum(ok) / len(ok) for p, ok in by_preset.items()},
        digest=hashlib.sha256(data).hexdigest(),
        engine=str(chosen["engine"]),
    )


def _engine(engines: list[dict[str, Any]], wanted: str | None, path: Path) -> dict[str, Any]:
    """The report entry of the engine `wanted` (full name or the part before ' ('), else the only or the first one."""
    names = [str(e["engine"]) for e in engines]
    if wanted is not None:
        for entry, name in zip(engines, names, strict=True):
            if wanted in (name, name.split(" (")[0]):
                return entry
        listed = ", ".join(f"'{n}'" for n in names)
        raise ConfigError(f"--focus: {path} scores no engine '{wanted}'; it scores {listed}")
    if len(names) > 1:
        others = ", ".join(f"'{n}'" for n in names[1:])
        warnings.warn(
            f"--focus: {path} scores {len(names)} engines; re-weighting toward the first, '{names[0]}' "
            f"(score's MODEL), not {others} (choose another with --focus-engine NAME)",
            FocusWarning,
            stacklevel=3,
        )
    return engines[0]


def _preset(image: Path, cache: dict[Path, dict[str, dict[str, Any]]]) -> str | None:
    """The preset a thaigen sample was drawn with (its samples.jsonl two folders up), else None."""
    root = image.parents[2] if len(image.parents) > 2 else image.parent
    if root not in cache:
        cache[root] = records_by_image(root) if (root / "samples.jsonl").is_file() else {}
    record = cache[root].get(str(image.relative_to(root))) if cache[root] else None
    return None if record is None or "preset" not in record else str(record["preset"])


def _scaled(weights: Mapping[str, float], errors: Mapping[str, float]) -> dict[str, float]:
    """Each weight with an error scaled by error / mean error (clipped), the rest unchanged."""
    if not errors:
        return dict(weights)
    mean = sum(errors.values()) / len(errors)
    if mean <= 0:
        return dict(weights)
    scale = {k: min(MAX_SCALE, max(1 / MAX_SCALE, e / mean)) for k, e in errors.items()}
    return {k: round(w * scale.get(k, 1.0), 4) for k, w in weights.items()}


def source_errors(config: GenConfig, accuracy: Mapping[str, float]) -> dict[str, float]:
    """Source -> line error of the category it stands behind (sources of the config only)."""
    errors: dict[str, float] = {}
    for category, acc in accuracy.items():
        for source in CATEGORY_SOURCES.get(category, (category,)):
            if config.sources.get(source, 0) > 0:
                errors[source] = 1.0 - acc
    return errors


def focus(config: GenConfig, findings: Findings) -> GenConfig:
    """`config` re-weighted toward the findings (see the module docstring).

    Raises:
        ConfigError: the report shares no category, character or preset with the config.
    """
    sources = _scaled(config.sources, source_errors(config, findings.category_accuracy))
    ranked = sorted(
        ((misses * misses / n, misses / n, ch)
         for ch, (misses, n) in findings.character_misses.items() if n >= MIN_SEEN and misses),
        key=lambda item: (-item[0], item[2]),
    )[:TOP_CHARACTERS]  # fmt: skip
    characters = {ch: round(rate, 4) for _, rate, ch in ranked}
    if characters:
        total = sum(sources.values())
        sources["focus"] = round(FOCUS_SHARE * total / (1 - FOCUS_SHARE), 4)
    presets = _scaled(
        config.augment.presets,
        {p: 1.0 - a for p, a in findings.preset_accuracy.items() if config.augment.presets.get(p, 0) > 0},
    )
    if sources == config.sources and not characters and presets == config.augment.presets:
        raise ConfigError("--focus: the score report names no category, character or preset this config uses")
    values = config.model_dump()
    values["augment"]["presets"] = presets
    values |= {"sources": sources, "focus_characters": characters, "focus_report": findings.digest}
    return GenConfig.model_validate(values)


def _changes(before: Mapping[str, float], after: Mapping[str, float]) -> str:
    """'a 1 -> 1.5, b 0 -> 0.2 (3 unchanged)', or 'unchanged'."""
    keys = sorted(set(before) | set(after))
    changed = [f"{k} {before.get(k, 0):g} -> {after.get(k, 0):g}" for k in keys if before.get(k, 0) != after.get(k, 0)]
    if not changed:
        return "unchanged"
    unchanged = len(keys) - len(changed)
    return ", ".join(changed) + (f" ({unchanged} unchanged)" if unchanged else "")


def describe_focus(before: GenConfig, after: GenConfig, findings: Findings) -> str:
    """What `focus` re-weighted, in four lines: the engine, then sources, characters and presets."""
    characters = ", ".join(f"{ch} U+{ord(ch):04X} {w:g}" for ch, w in after.focus_characters.items()) or "none"
    return "\n".join(
        [
            f"focus: toward the errors of '{findings.engine}' (report sha256 {findings.digest[:12]})",
            f"  sources: {_changes(before.sources, after.sources)}",
            f"  characters (written by the focus source, by miss rate): {characters}",
            f"  presets: {_changes(before.augment.presets, after.augment.presets)}",
        ]
    )
