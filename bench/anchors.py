"""thaigen against TRDG 1.8.0 on the same Thai texts: whole processes, one worker each, then two.

Not a test: it prints figures (and writes them to bench/out/anchors.json).

    python bench/anchors.py [--count 4000] [--workers 1 2] [--repeat 3] [--trdg PATH/TO/trdg] [--scratch DIR]

Each round runs, for each worker count N, one after the other and as separate processes:
  thaigen wN   `python -m thaigen build` of the default recipe ('mixed'), --count lines, --workers N:
               wall time of the whole process (start-up, font scan, PNG files, merge, manifest).
  TRDG tN      `trdg -i TEXTS -c COUNT -f 48 -ws -fd FONTS -t N -e png -na 2`: TRDG's CLI on thaigen's own labels
               of that build (one per line, in index order), 48 px high, whole words (its default per-character
               placement misplaces Thai marks), Gaussian-noise background (its default), fonts from the
               repository's fonts/tlwg (Thai fonts that also cover the Latin letters and digits in the labels:
               TRDG has no fallback font).
  thaigen wN   the same build again (its labels must be the first one's): thaigen's rate in the round is that of
               the two builds together (all their images over all their seconds), one just before and one just
               after TRDG's, which runs five times longer. On a shared machine whose speed drifts by a third
               within minutes, one short run beside one long one made single-round ratios range 4-6x.
Each run writes into a new folder of its own (under scratch/round-R/), and nothing is deleted while the rounds
run: the images of every round stay until the end. Deleting files just before a run slows that run's own file
creation, on ext4 without a journal (this machine's disk) by a lot: its inode allocator skips every inode freed
in the last dirty_expire_centisecs (30 s) + 5 s, checking each in the inode table (recently_deleted() in a kernel
profile: a fifth of a thaigen run's CPU time when each run deleted the one before, a smaller share of TRDG's
slower runs). So a previous bench's leftovers are removed first, then the bench waits out that window, and the
images go at the end. --scratch on a tmpfs (e.g. /dev/shm) leaves the disk out of both engines.
Two figures per run: img/s of wall time, and img per CPU second (user + system time of the process and all its
workers, from getrusage): the per-core rate, which other work on a shared machine barely moves. The ratios
thaigen/TRDG are taken within each round (same moment, same machine load) and their medians printed.
TRDG needs its own virtualenv (it crashes with Pillow >= 10):

    python -m venv bench/out/trdg-venv && bench/out/trdg-venv/bin/pip install trdg==1.8.0 'pillow<10'

Without a TRDG executable the TRDG rows are skipped and the ratio is given against REFERENCE_TRDG_IMG_S, labelled as such.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "bench" / "out" / "anchors.json"
SCRATCH = ROOT / "bench" / "out" / "anchors"
"""Default folder for both engines' images (--scratch)."""
CLEARED = "cleared"
"""File in the scratch folder touched whenever earlier rounds' images were deleted there."""
DEFAULT_TRDG = ROOT / "bench" / "out" / "trdg-venv" / "bin" / "trdg"
REFERENCE_TRDG_IMG_S = 106.0
"""TRDG 1.8.0 -ws on one core, whole process, 4,000 lines at 48 px (measured on the project's 2-core machine, Dec 2026: 104-109 img/s)."""
HEIGHT_PX = 48


def _cpu_seconds() -> float:
    """User + system seconds of all finished child processes (and their waited-for workers) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _recency_s() -> float:
    """Seconds after a delete during which ext4 (no journal) skips the freed inode: dirty_expire_centisecs + 5 s."""
    try:
        return int(Path("/proc/sys/vm/dirty_expire_centisecs").read_text()) / 100 + 5
    except (OSError, ValueError):
        return 35.0


def _clear(scratch: Path) -> None:
    """Remove earlier rounds' folders from `scratch` and note when (untimed; the texts file stays)."""
    rounds = sorted(scratch.glob("round-*"))
    for folder in rounds:
        shutil.rmtree(folder)
    if rounds:
        os.sync()
        (scratch / CLEARED).touch()


def _settle(scratch: Path) -> None:
    """Wait until nothing was deleted in `scratch` for the kernel's recency window (see the module docstring)."""
    stamp = scratch / CLEARED
    if stamp.exists():
        wait = stamp.stat().st_mtime + _recency_s() - time.time()
        if wait > 0:
            print(f"waiting {wait:.0f} s: files were deleted in {scratch} and ext4 would skip their inodes", flush=True)
            time.sleep(wait)


def _timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Run `command` to completion (output kept only on failure), after a sync; return its wall and CPU seconds."""
    os.sync()
    cpu, start = _cpu_seconds(), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, _cpu_seconds() - cpu


def thaigen_build(folder: Path, count: int, workers: int) -> tuple[tuple[float, float], Path]:
    """Wall and CPU seconds of one `python -m thaigen build` process into a new folder in `folder`, and that folder."""
    out = folder / f"thaigen-w{workers}"
    folder.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "thaigen", "build", "--count", str(count), "--workers", str(workers),
               "--out", str(out), "--quiet"]
    return _timed(command, ROOT), out


def labels_of(dataset: Path) -> list[str]:
    """The build's labels in index order (from samples.jsonl)."""
    with (dataset / "samples.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line)["label"] for line in handle]


def trdg_run(trdg: Path, folder: Path, texts: Path, count: int, workers: int) -> tuple[float, float]:
    """Wall and CPU seconds of one TRDG CLI process writing `count` PNG lines from `texts` into a new folder in `folder`."""
    out = folder / f"trdg-t{workers}"
    out.mkdir()
    command = [str(trdg), "-i", str(texts), "-c", str(count), "-f", str(HEIGHT_PX), "-ws", "-fd",
               str(ROOT / "fonts" / "tlwg"), "-t", str(workers), "-e", "png", "-na", "2", "--output_dir", str(out)]
    seconds = _timed(command, folder)
    written = len(list(out.glob("*.png")))
    if written != count:
        raise SystemExit(f"TRDG wrote {written} images, not {count}")
    return seconds


def main() -> None:
    """Run the rounds and print img/s (wall) and img per CPU second per engine and worker count, with ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--trdg", type=Path, default=DEFAULT_TRDG)
    parser.add_argument("--scratch", type=Path, default=SCRATCH,
                        help="folder for both engines' images (e.g. on tmpfs, to leave the disk's file creation out)")
    args = parser.parse_args()
    args.scratch.mkdir(parents=True, exist_ok=True)
    has_trdg = args.trdg.is_file()
    if not has_trdg:
        print(f"TRDG not found at {args.trdg}: ratios are against the reference {REFERENCE_TRDG_IMG_S} img/s per core, "
              "not measured in this run")
    rows: dict[str, dict[str, list[float]]] = {}
    ratios: dict[str, list[float]] = {}
    texts = args.scratch / "texts.txt"
    _clear(args.scratch)
    _settle(args.scratch)
    for round_ in range(args.repeat):
        folder = args.scratch / f"round-{round_ + 1}"
        folder.mkdir()
        for workers in args.workers:
            (wall, cpu), dataset = thaigen_build(folder / "before", args.count, workers)
            labels = labels_of(dataset)
            if has_trdg:
                texts.write_text("\n".join(labels) + "\n", encoding="utf-8")
                trdg_wall, trdg_cpu = trdg_run(args.trdg, folder, texts, args.count, workers)
                theirs = {"wall": args.count / trdg_wall, "cpu": args.count / trdg_cpu}
            else:
                theirs = {"wall": REFERENCE_TRDG_IMG_S * workers, "cpu": REFERENCE_TRDG_IMG_S}
            (wall_after, cpu_after), again = thaigen_build(folder / "after", args.count, workers)
            if labels_of(again) != labels:
                raise SystemExit(f"thaigen's two builds in round {round_ + 1} differ: {dataset}, {again}")
            ours = {"wall": 2 * args.count / (wall + wall_after), "cpu": 2 * args.count / (cpu + cpu_after)}
            for name, rates in ((f"thaigen w{workers}", ours), (f"TRDG t{workers}", theirs)):
                for kind, rate in rates.items():
                    rows.setdefault(name, {}).setdefault(kind, []).append(rate)
            for kind in ("wall", "cpu"):
                ratios.setdefault(f"{kind} w{workers}", []).append(ours[kind] / theirs[kind])
            print(f"round {round_ + 1} w{workers}: thaigen {ours['wall']:.1f} img/s ({ours['cpu']:.1f} per CPU s), "
                  f"TRDG {theirs['wall']:.1f} img/s ({theirs['cpu']:.1f} per CPU s){'' if has_trdg else ' (reference)'}",
                  flush=True)
    print(f"\n{args.count} lines at {HEIGHT_PX} px, whole processes, median of {args.repeat} rounds"
          f"{'' if has_trdg else '; TRDG rows are the reference figure, not measured'}:")
    for name, kinds in rows.items():
        print(f"  {name:12s} {statistics.median(kinds['wall']):7.1f} img/s wall   {statistics.median(kinds['cpu']):7.1f} img per CPU s")
    for key, values in ratios.items():
        kind, workers = key.split()
        label = "img/s wall" if kind == "wall" else "img per CPU s (per core)"
        print(f"  thaigen/TRDG {workers} by {label}: {statistics.median(values):.2f}x  (rounds: {', '.join(f'{v:.2f}' for v in values)})")
    report: dict[str, Any] = {
        "count": args.count, "scratch": str(args.scratch), "height_px": HEIGHT_PX, "repeat": args.repeat, "trdg_measured": has_trdg,
        "median": {name: {kind: statistics.median(v) for kind, v in kinds.items()} for name, kinds in rows.items()},
        "runs": rows, "ratio_thaigen_over_trdg": {key: statistics.median(v) for key, v in ratios.items()},
    }
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    _clear(args.scratch)


if __name__ == "__main__":
    main()
