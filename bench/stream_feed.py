"""Does the GPU wait? Streamed samples per second on one CPU worker, and the cores that keep a GPU fed.

Not a test: it prints figures (and writes them to bench/out/stream_feed.json).

    python bench/stream_feed.py [--lines 1000] [--pages 50] [--warmup 50]

Rows of the first table (one process, BLAS on one thread, as thaigen.samples draws):
  draw/s             samples drawn by thaigen.samples per CPU second of this process (wall/s beside it: on a
                     shared machine the wall clock also counts other people's work); fonts, corpora and presets
                     are loaded by a warm-up over indices past the measured ones, not counted.
  + loader (arch)    what one core hands the GPU when it also runs PaddleOCR's decode + label encode + resize
                     (trainers/jobs/cost.py LOADER_IMAGES_PER_CORE): 1 / (1/draw + 1/loader), as
                     cost.streamed_per_core computes it.
Rows of the second table, per instance of trainers/jobs/cost.py INSTANCES and arch: the GPU's training rate
(cost.images_per_second, an estimate derived in that module's docstring unless measured), the cores streaming
needs to match it, ceil(GPU rate / combined per-core rate), against the vCPUs left beside the training process.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import thaigen
from thaigen.config.loading import load_config
from trainers.jobs import cost

OUT = Path(__file__).resolve().parent / "out"

WORKLOADS = {
    "lines (mixed)": ("mixed", "rec"),
    "lines (documents)": ("documents", "rec"),
    "pages (det)": (None, "det"),
}
"""Workload -> (recipe, task) given to load_config (None: the task's default recipe)."""

LINES = ("lines (mixed)", "lines (documents)")
ARCHS = {"crnn": LINES, "svtr": LINES, "db": ("pages (det)",)}
"""Arch -> the workloads that feed it."""


def measure(recipe: str | None, task: str, count: int, warmup: int) -> dict[str, Any]:
    """Draw rate of samples 0..count-1 after a warm-up over the `warmup` indices past them."""
    config = load_config(recipe=recipe, task=task, count=count)
    for _ in thaigen.samples(config, count, count + warmup):
        pass
    wall, cpu = time.perf_counter(), time.process_time()
    sizes = [(sample.width, sample.height) for sample in thaigen.samples(config, 0, count)]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "recipe": config.recipe,
        "task": task,
        "count": count,
        "cpu_s": cpu,
        "wall_s": wall,
        "draw_per_cpu_s": count / cpu,
        "draw_per_wall_s": count / wall,
        "mean_size_wxh": [round(sum(s[0] for s in sizes) / count, 1), round(sum(s[1] for s in sizes) / count, 1)],
    }


def commit() -> str:
    """The checkout's commit (with '+dirty' when thaigen/ has changes), or 'unknown' outside git."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=False
        )
        dirty = subprocess.run(["git", "status", "--porcelain", "thaigen"], cwd=root, capture_output=True, check=False)
    except OSError:
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if head.returncode == 0 else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1000, help="lines per line workload (default 1000)")
    parser.add_argument("--pages", type=int, default=50, help="pages for the det workload (default 50)")
    parser.add_argument("--warmup", type=int, default=50, help="samples drawn first, not counted (default 50)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    measured = {
        name: measure(recipe, task, args.pages if task == "det" else args.lines, args.warmup)
        for name, (recipe, task) in WORKLOADS.items()
    }
    revision = commit()
    print(f"streamed samples per CPU worker ({revision}, {date.today()}, cpu_count {os.cpu_count()})")
    print(f"{'workload':<19}{'count':>6}{'draw/s':>9}{'wall/s':>9}{'  mean w x h':<16}  + loader, per arch")
    for name, row in measured.items():
        archs = [arch for arch, feeds in ARCHS.items() if name in feeds]
        row["combined_per_core"] = {arch: cost.streamed_per_core(arch, row["draw_per_cpu_s"]) for arch in archs}
        size = "{} x {}".format(*row["mean_size_wxh"])
        loaders = ", ".join(f"{arch} {rate:.1f}" for arch, rate in row["combined_per_core"].items())
        print(
            f"{name:<19}{row['count']:>6}{row['draw_per_cpu_s']:>9.1f}{row['draw_per_wall_s']:>9.1f}  {size:<14}  {loaders}"
        )
    print(f"loader rates per core (cost.LOADER_IMAGES_PER_CORE): {cost.LOADER_IMAGES_PER_CORE} (db: estimated)")

    feeds = []
    print()
    print(f"{'instance':<16}{'arch':<6}{'GPU img/s':>10}  {'':<9}{'vCPU-1':>7}  cores needed to stream")
    for instance in cost.INSTANCES:
        for arch, workloads in ARCHS.items():
            rate, was_measured = cost.images_per_second(arch, instance)
            needed = {name: math.ceil(rate / measured[name]["combined_per_core"][arch]) for name in workloads}
            feeds.append(
                {
                    "instance": instance.name,
                    "gpu": instance.gpu,
                    "arch": arch,
                    "gpu_images_per_s": rate,
                    "measured": was_measured,
                    "spare_vcpus": instance.vcpus - 1,
                    "cores_needed": needed,
                }
            )
            cores = ", ".join(f"{name} {n}" for name, n in needed.items())
            source = "measured" if was_measured else "estimate"
            print(f"{instance.name:<16}{arch:<6}{rate:>10.0f}  {source:<9}{instance.vcpus - 1:>7}  {cores}")
    print("GPU img/s: trainers/jobs/cost.py images_per_second (its docstring states the estimate's derivation)")

    report = {
        "commit": revision,
        "date": str(date.today()),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "workloads": measured,
        "loader_images_per_core": cost.LOADER_IMAGES_PER_CORE,
        "feeds": feeds,
    }
    (OUT / "stream_feed.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"figures: {OUT / 'stream_feed.json'}")


if __name__ == "__main__":
    main()
