"""Label statistics of a build without rendering it: repeats and character counts over N samples.

The labels are exactly the ones `thaigen build` would write for the same config (the text and font
stages of every sample run; nothing is drawn), so a 100,000-line default build is checked in about a
minute.

    python bench/text_stats.py [--recipe mixed] [--count 100000] [--config FILE] [--top 15] [--min-count 100]

Prints the most repeated labels, the repeat-count distribution, the characters under `--min-count`,
and the per-category share and mean length; figures also go to bench/out/text_stats-<recipe>.json.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import thaigen
from thaigen.pipeline.sample import choose_runs
from thaigen.typeset.fonts import load_pool

OUT = Path(__file__).parent / "out"


def main() -> None:
    """Draw every label of the build and print its repeat and character figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default=None)
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--min-count", type=int, default=100)
    args = parser.parse_args()
    config = thaigen.load_config(path=args.config, recipe=args.recipe, count=args.count)
    pool = load_pool(config.fonts)
    labels: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    lengths: Counter[str] = Counter()
    started = time.perf_counter()
    for index in range(config.count):
        text, _ = choose_runs(config, pool, index)
        labels[text.text] += 1
        categories[text.category] += 1
        lengths[text.category] += len(text.text)
    seconds = time.perf_counter() - started
    characters: Counter[str] = Counter()
    for label, n in labels.items():
        for ch in label:
            characters[ch] += n
    repeats = Counter(labels.values())
    rare = {ch: n for ch, n in sorted(characters.items(), key=lambda kv: kv[1]) if n < args.min_count and ch != " "}
    name = args.recipe or (args.config.stem if args.config else "default")
    print(f"{config.count} labels ({name}), {len(labels)} distinct, drawn in {seconds:.1f} s")
    print("top repeats:", ", ".join(f"{n}x {label!r}" for label, n in labels.most_common(args.top)))
    print("labels seen k times:", ", ".join(f"{k}: {repeats[k]}" for k in sorted(repeats)[:12]),
          f"... max {max(repeats)}")
    print(f"characters: {len(characters)} distinct; min {min(characters.values())}"
          f" ({min(characters, key=characters.__getitem__)!r})")
    print(f"under {args.min_count}:", " ".join(f"{ch!r}:{n}" for ch, n in rare.items()) or "none")
    print("categories:", ", ".join(
        f"{c} {n / config.count:.1%} (mean {lengths[c] / n:.1f} cp)" for c, n in categories.most_common()))
    OUT.mkdir(exist_ok=True)
    figures = {
        "count": config.count,
        "distinct": len(labels),
        "top_repeats": labels.most_common(args.top),
        "repeat_histogram": dict(sorted(repeats.items())),
        "characters": dict(sorted(characters.items())),
        "under_min_count": rare,
        "categories": dict(categories.most_common()),
    }
    (OUT / f"text_stats-{name}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
