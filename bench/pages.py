"""Detection page throughput: pages/s and lines/s of thaigen against a bare Pillow+raqm page loop.

Not a test: it prints figures (and writes them to bench/out/pages.json).

    python bench/pages.py [--recipe pages] [--count 64] [--workers 1 2]

Rows (pages/s, lines/s, and the ratio to the reference of the same run):
  reference     Pillow+raqm only: each page's lines drawn with ImageDraw.text in the font, size and place
                thaigen chose (from its records), on a blank page of the same size, then PNG-encoded the
                same way. The least any page generator drawing the same text must do.
  make_page     thaigen.pipeline.page.make_page in-process: layout, shaping, furniture, geometry with
                polygons, photometric presets, PNG; no file I/O.
  build wN      thaigen.pipeline.build of the recipe with N workers: wall time of the whole call (font
                scan, PNG writing, merge into det label files, manifest).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, features

from thaigen.config.loading import make_config
from thaigen.dataset.png import encode_png
from thaigen.pipeline.build import Mode, build
from thaigen.pipeline.page import PageSample, make_page
from thaigen.typeset.faces import pil_font
from thaigen.typeset.fonts import load_pool

OUT = Path(__file__).resolve().parent / "out"


def reference_loop(pages: list[PageSample]) -> float:
    """Draw every page's lines with bare Pillow+raqm at thaigen's fonts, sizes and places, encode; seconds."""
    start = time.perf_counter()
    for page in pages:
        canvas = Image.new("RGB", (page.width, page.height), (245, 245, 240))
        draw = ImageDraw.Draw(canvas)
        for label in page.labels:
            x, y = label.points[0]
            for run in label.line.runs:
                font = pil_font(str(run.font.path), label.line.size)
                draw.text((x, y), run.text, font=font, fill=(20, 20, 20))
                x += round(font.getlength(run.text))
        encode_png(np.asarray(canvas))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="pages")
    parser.add_argument("--count", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    config = make_config(args.recipe, count=args.count)
    pool = load_pool(config.fonts)
    make_page(config, pool, 0)  # warm caches (fonts, presets) as a build's first page does
    start = time.perf_counter()
    pages = [make_page(config, pool, i) for i in range(args.count)]
    ours = time.perf_counter() - start
    lines = sum(len(p.labels) for p in pages)
    reference = reference_loop(pages)
    rows: list[dict[str, Any]] = [
        {"row": "reference", "seconds": reference},
        {"row": "make_page", "seconds": ours},
    ]
    for workers in args.workers:
        out = OUT / f"pages-w{workers}"
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        build(config, out, workers=workers, mode=Mode.NEW, progress=False)
        rows.append({"row": f"build w{workers}", "seconds": time.perf_counter() - start})
    print(f"recipe {args.recipe}: {args.count} pages, {lines} lines ({lines / args.count:.1f} per page);"
          f" {os.cpu_count()} CPUs, Python {platform.python_version()}, raqm {features.version('raqm')}")
    print(f"{'row':<12} {'pages/s':>9} {'lines/s':>9} {'x reference':>12}")
    for row in rows:
        row |= {"pages_per_s": args.count / row["seconds"], "lines_per_s": lines / row["seconds"],
                "ratio_to_reference": reference / row["seconds"]}
        print(f"{row['row']:<12} {row['pages_per_s']:>9.2f} {row['lines_per_s']:>9.0f} {row['ratio_to_reference']:>12.2f}")
    OUT.mkdir(exist_ok=True)
    (OUT / "pages.json").write_text(json.dumps({"recipe": args.recipe, "pages": args.count, "lines": lines, "rows": rows},
                                               indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
