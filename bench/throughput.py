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
The stage split runs the real make_sample with the functions of each stage (as thaigen.pipeline.sample calls
them) wrapped in a clock that keeps each stage's own time, less that of the stages it calls.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

import thaigen
from thaigen.augment.apply import drive
from thaigen.augment.presets import cached_preset
from thaigen.config.schema import GenConfig
from thaigen.dataset.png import encode_png, is_gray, opencv_plane
from thaigen.pipeline import sample as pipeline_module
from thaigen.pipeline.build import Mode
from thaigen.pipeline.sample import choose_runs, make_sample
from thaigen.rng import Stage, stage_rng
from thaigen.typeset.fonts import FontPool, line_px_size
from thaigen.typeset.render import place_runs, sample_style

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


def time_make_sample(config: GenConfig, pool: FontPool) -> float:
    """Seconds for make_sample over all indices."""
    start = time.perf_counter()
    for index in range(config.count):
        make_sample(config, pool, index)
    return time.perf_counter() - start


STAGES = {
    "rng setup": ("stage_rng",),
    "text + fonts": ("choose_runs",),
    "style": ("sample_style", "sample_text_style", "with_weight"),
    "render (raqm, FreeType)": ("draw_ink",),
    "frame + furniture": ("_frame_line", "sample_frame", "recrop", "draw_furniture", "_neighbour_ink"),
    "background": ("sample_backdrop", "draw_on"),
    "resize": ("to_height",),
    "augment": ("choose_preset", "augment"),
    "png encode": ("encode_png",),
}
"""Stage -> the functions make_sample calls through thaigen.pipeline.sample's namespace that belong to it."""
OTHER = "other (compose_sample itself)"


class StageClock:
    """Exclusive time per stage: each wrapped function's time less that of wrapped functions it calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys([*STAGES, OTHER], 0.0)
        self._children: list[float] = []

    def timed(self, stage: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            self._children.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                self.seconds[stage] += elapsed - self._children.pop()
                if self._children:
                    self._children[-1] += elapsed

        return wrapper


def time_stages(config: GenConfig, pool: FontPool) -> tuple[dict[str, float], dict[str, Any]]:
    """The real make_sample, with the functions of each stage wrapped in a clock (thaigen's own code is not
    copied, so the split always describes what make_sample does); returns seconds per stage and side figures."""
    clock = StageClock()
    originals = {name: getattr(pipeline_module, name) for names in STAGES.values() for name in names}
    for stage, names in STAGES.items():
        for name in names:
            setattr(pipeline_module, name, clock.timed(stage, originals[name]))
    compose = pipeline_module.compose_sample
    pixels_seen: list[np.ndarray] = []
    backgrounds: list[np.ndarray] = []
    draw_on = pipeline_module.draw_on

    def kept_background(*args: Any) -> np.ndarray:
        backgrounds.append(image := draw_on(*args))
        return image

    pipeline_module.draw_on = kept_background
    try:
        for index in range(config.count):
            pixels_seen.append(clock.timed(OTHER, compose)(config, pool, index).pixels)
    finally:
        for name, function in originals.items():
            setattr(pipeline_module, name, function)

    side: dict[str, Any] = {}
    start = time.perf_counter()
    for index in range(config.count):
        _, runs = choose_runs(config, pool, index)
        place_runs(runs, sample_style(stage_rng(config.seed, index, Stage.RENDER), config.render), config.render.height)
    side["text + fonts and layout again (choose_runs + place_runs, cached shapes)"] = time.perf_counter() - start
    side["augment: per transform"] = augment_breakdown(config, backgrounds)
    side["png encode: variants"] = encode_variants(pixels_seen)
    side["mean image size (w x h)"] = [
        round(float(np.mean([p.shape[1] for p in pixels_seen])), 1),
        round(float(np.mean([p.shape[0] for p in pixels_seen])), 1),
    ]
    return clock.seconds, side


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
    def always(ms: float) -> dict[str, float]:
        return {"p": 1.0, "ms_when_applied": round(ms, 4), "expected_ms_per_image": round(ms, 4)}

    driven = copy.deepcopy(pipeline)
    streams = [stage_rng(config.seed, index, Stage.AUGMENT) for index in range(len(images))]
    start = time.perf_counter()
    for rng in streams:
        drive(driven, rng)
    result["thaigen drive (what augment calls)"] = always((time.perf_counter() - start) / len(images) * 1e3)
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
    """ms and bytes per image for thaigen's encoder (dataset.png) and the alternatives it was chosen from."""
    import io

    def pillow(array: np.ndarray, level: int) -> int:
        buffer = io.BytesIO()
        Image.fromarray(array).save(buffer, format="PNG", compress_level=level)
        return buffer.tell()

    def opencv(array: np.ndarray, *params: int) -> int:
        return len(cv2.imencode(".png", opencv_plane(array), params)[1])

    variants = {
        "thaigen (OpenCV, Up filter, level 1, gray as L)": lambda a: len(encode_png(a)),
        "Pillow RGB level 3 (drawing format 1)": lambda a: pillow(a, 3),
        "Pillow RGB level 1": lambda a: pillow(a, 1),
        "OpenCV, libpng's filter choice, level 1": lambda a: opencv(a, cv2.IMWRITE_PNG_COMPRESSION, 1),
        "OpenCV, no filter, level 1": lambda a: opencv(
            a, cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE
        ),
    }
    result: dict[str, Any] = {"images with R=G=B": sum(is_gray(a) for a in pixels), "images": len(pixels)}
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
    sample_seconds = min(time_make_sample(config, pool) for _ in range(repeat))
    add("make_sample", sample_seconds, f"in-process, no file I/O; {best}")
    splits = [time_stages(config, pool) for _ in range(repeat)]
    stage_seconds, side = min(splits, key=lambda split: sum(split[0].values()))
    add("stages (sum)", sum(stage_seconds.values()), f"make_sample with each stage's functions clocked; {best}")
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
    for name in stage_seconds:
        print(f"{name:<22} {stage_seconds[name] / config.count * 1e3:>9.3f} {stage_seconds[name] / total:>7.1%}")
    print(f"{'total':<22} {total / config.count * 1e3:>9.3f}")
    again = side["text + fonts and layout again (choose_runs + place_runs, cached shapes)"]
    print(f"  text + fonts and layout run again (shapes cached): {again / config.count * 1e3:.3f} ms/image")
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
    print(f"  mean image {width} x {height} px")
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
