"""Throughput of thaigen against a bare Pillow+raqm render loop of the same texts.

Not a test: it prints figures (and writes them to bench/out/throughput.json).

    python bench/throughput.py [--count 1000] [--workers 1 2]

Rows (images/s, and the ratio to the bare reference loop of the same run):
  reference          Pillow+raqm only: one 'L' canvas per label, sized from getbbox, each run drawn with
                     the font (and size) thaigen chose for it; fonts cached per (path, size) as thaigen does.
  reference-uncached the same, but ImageFont.truetype() called for every image.
  make_sample        thaigen.make_sample in-process, no file I/O.
  build wN           thaigen.pipeline.build of the default recipe with N workers: wall time of the whole call
                     (font scan, PNG writing, merge into label files, manifest).
The stage split re-runs make_sample's steps one by one (checked to give the same PNG bytes) with
time.perf_counter around each; thaigen itself is not modified.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

import thaigen
from thaigen.augment import apply as augment_module
from thaigen.augment.presets import cached_preset
from thaigen.config.schema import GenConfig
from thaigen.pipeline import sample as pipeline_module
from thaigen.pipeline.build import Mode
from thaigen.pipeline.sample import MAX_ATTEMPTS, choose_runs, encode_png, make_sample
from thaigen.rng import Stage, stage_rng
from thaigen.text.sources import sample_text
from thaigen.typeset.fonts import FontPool, line_px_size
from thaigen.typeset.render import place_runs, sample_style
from thaigen.typeset.runs import split_runs

OUT = Path(__file__).resolve().parent / "out"


# ---------------------------------------------------------------- reference: bare Pillow + raqm


def reference_items(config: GenConfig, pool: FontPool) -> list[tuple[list[tuple[str, str]], int]]:
    """(runs as (text, font path), px size) of the first `count` samples, exactly as thaigen picks them."""
    items = []
    for index in range(config.count):
        _, runs = choose_runs(config, pool, index)
        style = sample_style(stage_rng(config.seed, index, Stage.RENDER), config.render)
        size = line_px_size([r.font for r in runs], style.line_fill * config.render.height)
        items.append(([(r.text, str(r.font.path)) for r in runs], size))
    return items


def reference_loop(items: list[tuple[list[tuple[str, str]], int]], cache_fonts: bool) -> float:
    """Draw every label on a fresh 'L' image sized from getbbox; return seconds (nothing encoded)."""
    fonts: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}
    engine = ImageFont.Layout.RAQM
    start = time.perf_counter()
    for runs, size in items:
        placed = []
        pen = 0.0
        left, top, right, bottom = float("inf"), float("inf"), float("-inf"), float("-inf")
        for text, path in runs:
            if cache_fonts:
                font = fonts.get((path, size))
                if font is None:
                    font = fonts[(path, size)] = ImageFont.truetype(path, size, layout_engine=engine)
            else:
                font = ImageFont.truetype(path, size, layout_engine=engine)
            x0, y0, x1, y1 = font.getbbox(text, anchor="ls")
            left, top = min(left, pen + x0), min(top, y0)
            right, bottom = max(right, pen + x1), max(bottom, y1)
            placed.append((pen, text, font))
            pen += font.getlength(text)
        image = Image.new("L", (max(1, int(right - left) + 1), max(1, int(bottom - top) + 1)), 0)
        draw = ImageDraw.Draw(image)
        for x, text, font in placed:
            draw.text((x - left, -top), text, font=font, fill=255, anchor="ls")
    return time.perf_counter() - start


# ---------------------------------------------------------------- thaigen, in-process


def time_make_sample(config: GenConfig, pool: FontPool) -> tuple[float, list[str]]:
    """Seconds for make_sample over all indices, and the sha256 of each PNG (to check the stage split)."""
    digests = []
    start = time.perf_counter()
    for index in range(config.count):
        digests.append(hashlib.sha256(make_sample(config, pool, index).png).hexdigest())
    return time.perf_counter() - start, digests


STAGES = (
    "rng setup", "text sampling", "font choice + runs", "style", "render", "background", "augment", "split draw", "png encode"
)


def time_stages(config: GenConfig, pool: FontPool, digests: list[str]) -> tuple[dict[str, float], dict[str, Any]]:
    """make_sample's steps called one by one, each timed; returns seconds per stage and side figures."""
    seconds = dict.fromkeys(STAGES, 0.0)
    clock = time.perf_counter
    mismatches = 0
    lines: list[tuple[list[Any], Any]] = []
    pixels_seen: list[np.ndarray] = []
    rendered: list[np.ndarray] = []
    for index in range(config.count):
        # choose_runs, unrolled
        runs = None
        for attempt in range(MAX_ATTEMPTS):
            t0 = clock()
            text_rng = stage_rng(config.seed, index, Stage.TEXT, attempt)
            font_rng = stage_rng(config.seed, index, Stage.FONT, attempt)
            t1 = clock()
            text = sample_text(text_rng, config.sources, config.max_text_length, config.ctc_time_steps)
            t2 = clock()
            for font_index in font_rng.permutation(len(pool.thai)):
                primary = pool.thai[int(font_index)]
                runs = split_runs(text.text, primary, pool.fallbacks_for(primary))
                if runs is not None:
                    break
            t3 = clock()
            seconds["rng setup"] += t1 - t0
            seconds["text sampling"] += t2 - t1
            seconds["font choice + runs"] += t3 - t2
            if runs is not None:
                break
        assert runs is not None
        t0 = clock()
        render_rng = stage_rng(config.seed, index, Stage.RENDER)
        background_rng = stage_rng(config.seed, index, Stage.BACKGROUND)
        augment_rng = stage_rng(config.seed, index, Stage.AUGMENT)
        split_rng = stage_rng(config.seed, index, Stage.SPLIT)
        t1 = clock()
        style = sample_style(render_rng, config.render)
        look = pipeline_module.sample_text_style(render_rng, config.style)
        runs = pipeline_module.with_weight(runs, look.bold, pool)
        style = replace(style, text=look)
        t2 = clock()
        ink, coverage, _, _ = pipeline_module._frame_line(config, pool, index, runs, style)
        t3 = clock()
        backdrop = pipeline_module.sample_backdrop(background_rng, config.background, config.render)
        ink, coverage = pipeline_module.to_height(config.render.height, ink, coverage)
        image = pipeline_module.draw_on(backdrop, coverage, config.background.images)
        t3b = clock()  # background painted
        preset = augment_module.choose_preset(augment_rng, config.augment.presets)
        augmented = augment_module.augment(image, ink, preset, config.augment.steps(preset), augment_rng)
        pixels, _ = pipeline_module.to_height(config.render.height, augmented.image, augmented.ink)
        t4 = clock()
        _ = split_rng.random() < config.val_fraction
        t5 = clock()
        png = encode_png(pixels)
        t6 = clock()
        seconds["rng setup"] += t1 - t0
        seconds["style"] += t2 - t1
        seconds["render"] += t3 - t2
        seconds["background"] += t3b - t3
        seconds["augment"] += t4 - t3b
        seconds["split draw"] += t5 - t4
        seconds["png encode"] += t6 - t5
        mismatches += hashlib.sha256(png).hexdigest() != digests[index]
        lines.append((runs, style))
        rendered.append(image)
        pixels_seen.append(pixels)

    # Side figures (not part of the stage totals).
    side: dict[str, Any] = {"stage_split_png_mismatches": mismatches}
    start = clock()
    for runs, style in lines:
        place_runs(runs, style, config.render.height)
    side["render: of which layout (place_runs: getbbox/getlength)"] = clock() - start
    side["augment: per transform"] = augment_breakdown(config, rendered)
    side["png encode: variants"] = encode_variants(pixels_seen)
    side["mean image size (w x h)"] = [
        round(float(np.mean([p.shape[1] for p in pixels_seen])), 1),
        round(float(np.mean([p.shape[0] for p in pixels_seen])), 1),
    ]
    return seconds, side


def augment_breakdown(config: GenConfig, images: list[np.ndarray]) -> dict[str, dict[str, float]]:
    """Each transform of the preset forced on every image: ms per application, and expected ms (x p)."""
    preset = max(config.augment.presets, key=lambda name: config.augment.presets[name])  # the main preset
    pipeline, _ = cached_preset(preset, json.dumps(config.augment.steps(preset), sort_keys=True))
    if pipeline is None:
        return {}
    result = {}
    for transform in pipeline.transforms:
        forced = copy.deepcopy(transform)
        forced.set_random_seed(0)
        start = time.perf_counter()
        for image in images:
            forced(image=image, force_apply=True)
        per_call_ms = (time.perf_counter() - start) / len(images) * 1e3
        result[type(transform).__name__] = {
            "p": transform.p,
            "ms_when_applied": round(per_call_ms, 4),
            "expected_ms_per_image": round(per_call_ms * transform.p, 4),
        }
    reseeded = copy.deepcopy(pipeline)
    start = time.perf_counter()
    for seed in range(len(images)):
        reseeded.set_random_seed(seed)
    per_call_ms = (time.perf_counter() - start) / len(images) * 1e3

    def always(ms: float) -> dict[str, float]:
        return {"p": 1.0, "ms_when_applied": round(ms, 4), "expected_ms_per_image": round(ms, 4)}

    result["Compose.set_random_seed"] = always(per_call_ms)
    idle = copy.deepcopy(pipeline)
    for transform in idle.transforms:
        transform.p = 0.0
    start = time.perf_counter()
    for image in images:
        idle(image=image)
    per_call_ms = (time.perf_counter() - start) / len(images) * 1e3
    result["Compose call, nothing applied"] = always(per_call_ms)
    return result


def encode_variants(pixels: list[np.ndarray]) -> dict[str, Any]:
    """ms and bytes per image for thaigen's encoding (RGB PNG, level 3) and alternatives, for reference."""
    import io
    import zlib

    def png(image: Image.Image, **options: Any) -> int:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", **options)
        return buffer.tell()

    def gray_when_possible(array: np.ndarray) -> int:
        gray = array[:, :, 0]
        if np.array_equal(gray, array[:, :, 1]) and np.array_equal(gray, array[:, :, 2]):
            return png(Image.fromarray(np.ascontiguousarray(gray)), compress_level=3)
        return png(Image.fromarray(array), compress_level=3)

    variants = {
        "RGB PNG level 3 (thaigen)": lambda a: png(Image.fromarray(a), compress_level=3),
        "RGB PNG level 1": lambda a: png(Image.fromarray(a), compress_level=1),
        "RGB PNG level 6": lambda a: png(Image.fromarray(a), compress_level=6),
        "L PNG level 3 when R=G=B": gray_when_possible,
        "zlib level 3 of raw RGB (no PNG)": lambda a: len(zlib.compress(a.tobytes(), 3)),
    }
    result: dict[str, Any] = {
        "images with R=G=B": sum(
            bool(np.array_equal(a[:, :, 0], a[:, :, 1]) and np.array_equal(a[:, :, 0], a[:, :, 2])) for a in pixels
        ),
        "images": len(pixels),
    }
    for name, encode in variants.items():
        start = time.perf_counter()
        size = sum(encode(array) for array in pixels)
        result[name] = {
            "ms_per_image": round((time.perf_counter() - start) / len(pixels) * 1e3, 4),
            "bytes_per_image": round(size / len(pixels)),
        }
    return result


# ---------------------------------------------------------------- thaigen.pipeline.build


def time_build(config: GenConfig, workers: int) -> tuple[float, int]:
    """Wall seconds of a whole build into a fresh folder, and the bytes of PNG written."""
    out = OUT / f"build-w{workers}"
    if out.exists() and not (out / "build.json").is_file():
        shutil.rmtree(out)  # a leftover of ours that thaigen would refuse to overwrite
    start = time.perf_counter()
    thaigen.build(config, out, workers=workers, mode=Mode.OVERWRITE, progress=False)
    seconds = time.perf_counter() - start
    png_bytes = sum(p.stat().st_size for p in (out / "images").rglob("*.png"))
    return seconds, png_bytes


# ---------------------------------------------------------------- machine


def _burn(steps: int) -> int:
    total = 0
    for i in range(steps):
        total += i * i
    return total


def parallel_speedup(processes: int, steps: int = 3_000_000) -> float:
    """How many pure-Python CPU-bound processes really run at once (ideal: `processes`)."""
    import multiprocessing

    start = time.perf_counter()
    _burn(steps)
    alone = time.perf_counter() - start
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_burn, [1000] * processes)  # start the workers before timing
        start = time.perf_counter()
        pool.map(_burn, [steps] * processes, chunksize=1)
        together = time.perf_counter() - start
    return processes * alone / together


# ---------------------------------------------------------------- main


def environment() -> dict[str, Any]:
    import albumentations

    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "python": sys.version.split()[0],
        "pillow": Image.__version__,
        "raqm": features.version("raqm"),
        "harfbuzz": features.version("harfbuzz") if "harfbuzz" in features.get_supported_features() else None,
        "fribidi": features.version("fribidi"),
        "freetype2": features.version("freetype2"),
        "zlib": features.version("zlib"),
        "numpy": np.__version__,
        "albumentations": albumentations.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="images per measurement (default 1000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to build with")
    parser.add_argument(
        "--repeat", type=int, default=3, help="in-process loops are run this many times, best kept (default 3)"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    config = thaigen.load_config(count=args.count)
    env = environment()
    most_workers = max(args.workers)
    env[f"parallel_speedup_{most_workers}_processes"] = speedup = (
        parallel_speedup(most_workers) if most_workers > 1 else 1.0
    )

    start = time.perf_counter()
    pool = thaigen.load_pool(config.fonts)
    pool_seconds = time.perf_counter() - start

    # Warm-up outside the measured indices: corpora, albumentations preset, first fonts.
    start = time.perf_counter()
    for index in range(config.count, config.count + 20):
        make_sample(config, pool, index)
    warmup_seconds = time.perf_counter() - start

    items = reference_items(config, pool)
    rows: list[dict[str, Any]] = []

    def add(name: str, seconds: float, note: str = "") -> None:
        rows.append({"name": name, "seconds": seconds, "images_per_s": config.count / seconds, "note": note})

    repeat = max(1, args.repeat)
    best = f"best of {repeat}"
    reference_loop(items, cache_fonts=True)  # warm-up: first use of each font file and size
    cached = min(reference_loop(items, cache_fonts=True) for _ in range(repeat))
    add("reference", cached, f"Pillow+raqm draw only, fonts cached per run; {best}")
    uncached = min(reference_loop(items, cache_fonts=False) for _ in range(repeat))
    add("reference-uncached", uncached, f"truetype() per image; {best}")
    timed = [time_make_sample(config, pool) for _ in range(repeat)]
    sample_seconds, digests = min(timed)
    add("make_sample", sample_seconds, f"in-process, no file I/O; {best}")
    splits = [time_stages(config, pool, digests) for _ in range(repeat)]
    stage_seconds, side = min(splits, key=lambda split: sum(split[0].values()))
    add("stages (sum)", sum(stage_seconds.values()), f"make_sample unrolled, timed per stage; {best}")
    png_bytes = {}
    for workers in args.workers:
        seconds, png_bytes[workers] = time_build(config, workers)
        add(f"build w{workers}", seconds, "whole build: scan, render, PNG files, merge")

    reference_rate = rows[0]["images_per_s"]
    for row in rows:
        row["ratio_to_reference"] = row["images_per_s"] / reference_rate

    print(f"thaigen throughput, recipe '{config.recipe}', count {config.count}")
    print(
        f"cpu_count {env['cpu_count']} (usable {env['usable_cpus']}), Python {env['python']}, "
        f"Pillow {env['pillow']}, raqm {env['raqm']} (HarfBuzz {env['harfbuzz']}, FriBiDi {env['fribidi']}), "
        f"FreeType {env['freetype2']}, numpy {env['numpy']}, albumentations {env['albumentations']}"
    )
    print(
        f"CPU-bound pure-Python speedup with {most_workers} processes: {speedup:.2f}x "
        f"(ideal {most_workers}x; below that, build wN cannot scale on this machine)"
    )
    print(
        f"font pool scan (load_pool): {pool_seconds * 1e3:.0f} ms, "
        f"{len(pool.thai)} Thai + {len(pool.fallbacks)} fallback fonts"
    )
    print(f"first 20 make_sample calls of the process (cold: corpora, albumentations): {warmup_seconds * 1e3:.0f} ms")
    print()
    print(f"{'name':<20} {'images/s':>10} {'x reference':>12}  note")
    for row in rows:
        print(f"{row['name']:<20} {row['images_per_s']:>10.1f} {row['ratio_to_reference']:>12.3f}  {row['note']}")

    total = sum(stage_seconds.values())
    print()
    print(f"{'stage':<22} {'ms/image':>9} {'share':>7}")
    for name in STAGES:
        print(f"{name:<22} {stage_seconds[name] / config.count * 1e3:>9.3f} {stage_seconds[name] / total:>7.1%}")
    print(f"{'total':<22} {total / config.count * 1e3:>9.3f}")
    layout = side["render: of which layout (place_runs: getbbox/getlength)"]
    print(f"  render: of which layout (place_runs, separate pass) {layout / config.count * 1e3:.3f} ms/image")
    print("  augment, each transform forced on every image (ms when applied, x p = expected):")
    for name, figures in side["augment: per transform"].items():
        applied, p, expected = figures["ms_when_applied"], figures["p"], figures["expected_ms_per_image"]
        print(f"    {name:<30} {applied:>7.3f}  x {p:.1f} = {expected:.3f}")
    variants = dict(side["png encode: variants"])
    gray, images = variants.pop("images with R=G=B"), variants.pop("images")
    print(f"  png encode variants ({gray} of {images} augmented images have R=G=B):")
    for name, figures in variants.items():
        print(f"    {name:<34} {figures['ms_per_image']:>7.3f} ms {figures['bytes_per_image']:>7} B")
    width, height = side["mean image size (w x h)"]
    mismatches = side["stage_split_png_mismatches"]
    print(f"  mean image {width} x {height} px; stage-split PNG mismatches vs make_sample: {mismatches}")
    for workers, size in png_bytes.items():
        print(f"  build w{workers}: {size / config.count / 1024:.1f} KiB PNG per image")
    if 1 in args.workers:
        build_seconds = next(r["seconds"] for r in rows if r["name"] == "build w1")
        overhead = build_seconds - sample_seconds - pool_seconds
        print(
            f"  build w1 minus make_sample loop minus font scan: {overhead / config.count * 1e3:.3f} ms/image "
            "(file writes, mkdir, JSON records, merge, manifest)"
        )

    report = {
        "recipe": config.recipe,
        "count": config.count,
        "environment": env,
        "font_pool_scan_s": pool_seconds,
        "cold_first_20_samples_s": warmup_seconds,
        "repeat": repeat,
        "rows": rows,
        "stages_ms_per_image": {k: v / config.count * 1e3 for k, v in stage_seconds.items()},
        "stage_shares": {k: v / total for k, v in stage_seconds.items()},
        "side": side,
        "png_bytes_per_image": {f"w{w}": b / config.count for w, b in png_bytes.items()},
    }
    (OUT / "throughput.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten {OUT / 'throughput.json'}")


if __name__ == "__main__":
    main()
