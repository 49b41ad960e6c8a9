"""thaigen's data-quality meter: train one small fixed recognizer on a thaigen build, score it on lines
another engine drew.

    python bench/meter.py [--config FILE.yaml | --recipe mixed] [--count 20000] [--steps 6000]
                          [--seeds 0 1] [--eval-count 800] [--name NAME]

The evaluation set is never built by thaigen: its texts are Thai Wikipedia titles (pythainlp's list,
which no thaigen source reads), mixed with Latin tokens and numbers written here, and its images are
drawn by pango-view (Pango + HarfBuzz + Cairo) and by headless Chromium (Skia + HarfBuzz) in fonts
thaigen does not ship (Debian's fonts-arundina, fonts-tlwg-mono/typo/typewriter), at 14-40 px, cut at
the ink with a 2-8 px margin. It is built once into bench/out/meter/eval/ (or --out) and reused.

A fifth category, scanned_docs, is scored from its own folder (eval-scanned/): long prose lines (10-90 code
points, most 40-85) in the same faces, typeset by pango-view into PDF, printed and scanned at 200/300 dpi by
ghostscript and ImageMagick, most saved as 1-bit (bench/scanned.py); scored at their own width, never squeezed.
--rescore scores models a run already trained (NAME/model-SEED) on both sets again, without building or training.

The recognizer is tests/tiny_model.py's CTC network (4 conv blocks + BiLSTM, CPU), trained for a fixed
number of steps per seed, so two builds are compared on equal terms; the seed spread (half the range
over --seeds) says what a difference must beat. Per seed it prints line accuracy and CER overall and per
category, and writes each score report (thaigen score's report.json, the input of `build --focus`)
under bench/out/meter/NAME/. Needs `bash scripts/setup.sh test` (pango-view, Chromium, ghostscript, ImageMagick, the fonts).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from pythainlp.corpus import thai_wikipedia_titles

import thaigen
from thaigen.cli import main as thaigen_main
from thaigen.config.focus import focus, read_score_report
from thaigen.dataset import labels, paths, samples
from thaigen.dataset.atomic import atomic_text
from thaigen.text.lexicon import WORD_LETTERS
from thaigen.text.thai import is_valid_thai

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import tiny_model  # the tests' small recognizer: one network for tests, demos and the meter

sys.path.insert(0, str(Path(__file__).parent))
import scanned  # the scanned-documents lines, printed and scanned outside thaigen

OUT = Path(__file__).parent / "out" / "meter"
FONTS = ("Arundina Sans", "Arundina Serif", "Tlwg Typo", "Tlwg Typewriter")
"""Not Tlwg Mono: Pango and Chromium both drop or misplace its marks (ร์ draws as ร), so its image would not show its label."""
MAX_CODE_POINTS = 25
LATIN = ("COVID-19", "5G", "USB-C", "iPhone", "LINE", "Grab", "Shopee", "km", "kg", "Wi-Fi", "PDF", "No.", "ID",
         "SMS", "QR", "Android", "Bangkok", "Express", "Plus", "Pro", "mg", "ml", "cm", "Email", "Online", "VAT")  # fmt: skip
CATEGORIES = ("thai_words", "thai_long", "mixed", "digits")
SCANNED = "scanned_docs"
"""The category of eval-scanned/: long prose lines printed and scanned outside thaigen (bench/scanned.py)."""


def _titles() -> tuple[str, ...]:
    """Thai-only Wikipedia titles in valid mark order (NFC), 3-25 code points, without the Pali signs ฺ ํ ๎."""
    kept = set()
    for title in thai_wikipedia_titles():
        text = unicodedata.normalize("NFC", title.strip())
        thai = 3 <= len(text) <= MAX_CODE_POINTS and all(c in WORD_LETTERS or c == " " for c in text)
        if thai and is_valid_thai(text) and " ".join(text.split()) == text:
            kept.add(text)
    return tuple(sorted(kept))


def _digits(rng: np.random.Generator) -> str:
    shape = int(rng.integers(5))
    if shape == 0:
        return f"{int(rng.integers(1, 10**6)):,}.{int(rng.integers(100)):02d}"
    if shape == 1:
        return f"{int(rng.integers(1, 29)):02d}/{int(rng.integers(1, 13)):02d}/{int(rng.integers(2540, 2570))}"
    if shape == 2:
        return f"0{int(rng.integers(6, 10))}{int(rng.integers(10**7, 10**8))}"[:3] + "-" + f"{int(rng.integers(10**6, 10**7))}"
    if shape == 3:
        return str(int(rng.integers(10**3, 10**6))).translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    return f"{int(rng.integers(1, 999))} {'บาท' if rng.random() < 0.5 else 'THB'}"


def eval_texts(count: int, seed: int = 2026) -> list[tuple[str, str]]:
    """(text, category) pairs for the evaluation set, an equal share per category."""
    rng = np.random.default_rng(seed)
    titles = _titles()
    pairs = []
    for index in range(count):
        category = CATEGORIES[index % len(CATEGORIES)]
        if category == "thai_words":
            text = titles[int(rng.integers(len(titles)))]
        elif category == "thai_long":
            text = titles[int(rng.integers(len(titles)))]
            while len(text) < 16:
                text += ("" if rng.random() < 0.6 else " ") + titles[int(rng.integers(len(titles)))]
        elif category == "mixed":
            text = f"{titles[int(rng.integers(len(titles)))]} {LATIN[int(rng.integers(len(LATIN)))]}"
            if rng.random() < 0.5:
                text += f" {int(rng.integers(1, 500))}"
        else:
            text = _digits(rng)
        pairs.append((text[:MAX_CODE_POINTS].rstrip(), category))
    return pairs


def _pango(text: str, font: str, size: int, work: Path) -> Image.Image:
    path = work / "pango.png"
    subprocess.run(["pango-view", f"--font={font} {size}px", f"--text={text}", "-o", str(path), "--margin=10",
                    "--dpi=72", "-q", "--antialias=gray"], check=True, capture_output=True)  # fmt: skip
    with Image.open(path) as image:
        return image.copy()


def _chromium(lines: Sequence[tuple[str, str, int]], work: Path) -> list[Image.Image]:
    """Draw (text, font, size) lines on one page, one 100 px row each, and cut the rows apart."""
    rows = "".join(
        f'<div style="font: {size}px \'{font}\'; height: 100px; line-height: 100px; white-space: pre; padding-left: 10px">'
        f"{text.replace('&', '&amp;').replace('<', '&lt;')}</div>"
        for text, font, size in lines
    )
    page = work / "page.html"
    page.write_text(f'<html><meta charset="utf-8"><body style="margin:0;background:#fff;color:#000">{rows}</body></html>',
                    encoding="utf-8")  # fmt: skip
    shot = work / "shot.png"
    subprocess.run(["chromium-headless-shell", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", f"--window-size=1400,{100 * len(lines)}", page.as_uri()],
                   check=True, capture_output=True)  # fmt: skip
    with Image.open(shot) as image:
        return [image.crop((0, 100 * i, image.width, 100 * (i + 1))) for i in range(len(lines))]


def _reuse(evals: Path, wanted: dict[str, object]) -> bool:
    """True when `evals` already holds the set `wanted` describes (its eval.json); else empty it for a new one."""
    marker = evals / "eval.json"
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        return True
    shutil.rmtree(evals, ignore_errors=True)
    evals.mkdir(parents=True)
    return False


def _write_lines(evals: Path, lines: Iterable[tuple[Image.Image, dict[str, object]]], wanted: dict[str, object]) -> None:
    """Save (image, record) pairs as sample 0, 1, ... with val.txt and samples.jsonl (the record's `label` is the
    line's label), then mark the set as `wanted`."""
    with atomic_text(evals / "val.txt") as val, atomic_text(evals / "samples.jsonl") as records:
        for i, (image, record) in enumerate(lines):
            relative = paths.image_relpath(i)
            (evals / relative).parent.mkdir(parents=True, exist_ok=True)
            image.save(evals / relative)
            val.write(labels.format_line(relative, str(record["label"])))
            records.write(samples.format_record({"index": i, **record}))
    (evals / "eval.json").write_text(json.dumps(wanted), encoding="utf-8")


def build_eval(count: int, root: Path) -> Path:
    """Draw the evaluation set into `root`/eval (once; reused while its count and fonts match)."""
    evals = root / "eval"
    wanted: dict[str, object] = {"count": count, "fonts": list(FONTS)}
    if _reuse(evals, wanted):
        return evals
    rng = np.random.default_rng(7)
    texts = eval_texts(count)
    plan = [(text, cat, FONTS[i % len(FONTS)], int(rng.integers(14, 41)), "pango" if i % 2 else "chromium")
            for i, (text, cat) in enumerate(texts)]  # fmt: skip
    images: dict[int, Image.Image] = {}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        chromium = [i for i, p in enumerate(plan) if p[4] == "chromium"]
        for start in range(0, len(chromium), 40):
            batch = chromium[start : start + 40]
            for i, image in zip(batch, _chromium([(plan[i][0], plan[i][2], plan[i][3]) for i in batch], work)):
                images[i] = image
        for i, (text, _, font, size, renderer) in enumerate(plan):
            if renderer == "pango":
                images[i] = _pango(text, font, size, work)
    _write_lines(evals, ((scanned.cut_at_ink(images[i], rng),
                          {"label": text, "category": category, "font": font, "size": size, "renderer": renderer})
                         for i, (text, category, font, size, renderer) in enumerate(plan)), wanted)  # fmt: skip
    return evals


def _scanned_lines(count: int, work: Path) -> Iterator[tuple[Image.Image, dict[str, object]]]:
    """The scanned-documents lines, each printed, scanned and cut, with its record."""
    rng = np.random.default_rng(11)
    for i, text in enumerate(scanned.prose_lines(count, rng)):
        font = FONTS[i % len(FONTS)]
        image = None
        while image is None:  # a scan that lost its text is drawn again with another plan
            plan = scanned.plan(rng)
            image = scanned.scan_line(text, font, plan, work, rng)
        cut = scanned.cut_at_ink(image, rng, scanned.SPECK_PX * plan.dpi**2 // 300**2).convert("L")
        yield cut, {"label": text, "category": SCANNED, "font": font, "renderer": "pango-pdf", "scan": scanned.record(plan)}


def build_scanned(count: int, root: Path) -> Path:
    """Print and scan the scanned-documents lines into `root`/eval-scanned (once; reused while count and fonts match)."""
    evals = root / "eval-scanned"
    wanted: dict[str, object] = {"count": count, "fonts": list(FONTS), "prose": scanned.PROSE.name,
                                 "speck_px": scanned.SPECK_PX}  # fmt: skip
    if not _reuse(evals, wanted):
        with tempfile.TemporaryDirectory() as scratch:
            _write_lines(evals, _scanned_lines(count, Path(scratch)), wanted)
    return evals


def train_seed(config: thaigen.GenConfig, seed: int, steps: int, batch: int, out: Path) -> tuple[Path, dict[str, float]]:
    """Build the config with `seed` and train the tiny recognizer `steps` steps; its exported folder and timings."""
    data = out / f"data-{seed}"
    config = config.model_copy(update={"seed": seed})
    started = time.perf_counter()
    thaigen.build(config, data, workers=2, mode=thaigen.Mode.OVERWRITE, progress=False)
    built = time.perf_counter()
    training = tiny_model.load_training_set(data)
    model = tiny_model.train(training, steps, batch, seed)
    trained = time.perf_counter()
    folder = tiny_model.export(model, training.characters, out / f"model-{seed}", legacy=False)
    shutil.rmtree(data)
    return folder, {"build_s": round(built - started, 1), "train_s": round(trained - built, 1)}


def score_seed(folder: Path, seed: int, out: Path, eval_sets: Sequence[Path]) -> dict[str, object]:
    """Score one trained model on each eval set: line accuracy and CER overall (the first set) and per category."""
    by_category: dict[str, dict[str, float]] = {}
    overall: dict[str, float] = {}
    reports = []
    for n, evals in enumerate(eval_sets):
        scores = out / (f"score-{seed}" if n == 0 else f"score-{seed}-{evals.name}")
        thaigen_main(["score", str(folder), str(evals), "--out", str(scores)])
        engine = json.loads((scores / "report.json").read_text(encoding="utf-8"))["engines"][0]
        if n == 0:
            overall = {"accuracy": engine["summary"]["line_accuracy"], "cer": engine["summary"]["cer"]}
        by_category |= {c: {"accuracy": v["line_accuracy"], "cer": v["cer"]} for c, v in engine["by_category"].items()}
        reports.append(str(scores / "report.json"))
    return {"seed": seed, "overall": overall, "by_category": by_category, "report": reports[0], "reports": reports}


def _spread(values: Sequence[float]) -> str:
    return f"{np.mean(values):6.1%} ±{(max(values) - min(values)) / 2:5.1%}"


def main() -> None:
    """Build the eval set, then train and score once per seed; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path)
    parser.add_argument("--recipe")
    parser.add_argument("--count", type=int, default=20000, help="training lines built per seed")
    parser.add_argument("--steps", type=int, default=6000, help="training steps per seed")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--eval-count", type=int, default=800)
    parser.add_argument("--scanned-count", type=int, default=200, help="scanned-documents lines (eval-scanned/)")
    parser.add_argument("--rescore", action="store_true", help="score NAME's trained models again; no build, no training")
    parser.add_argument("--focus", type=Path, help="a score report.json: meter the config as build --focus re-weights it")
    parser.add_argument("--name", default=None, help="output folder name (default: the config's stem or recipe)")
    parser.add_argument("--out", type=Path, default=OUT, help="where the eval set and runs go (default bench/out/meter)")
    args = parser.parse_args()
    config = thaigen.load_config(args.config, args.recipe, count=args.count)
    if args.focus:
        config = focus(config, read_score_report(args.focus))
    name = args.name or (args.config.stem if args.config else config.recipe)
    out = args.out / name
    out.mkdir(parents=True, exist_ok=True)
    eval_sets = (build_eval(args.eval_count, args.out), build_scanned(args.scanned_count, args.out))
    if args.rescore:
        previous = json.loads((out / "meter.json").read_text(encoding="utf-8"))
        timings = {r["seed"]: {k: r[k] for k in ("build_s", "train_s")} for r in previous["runs"]}
        args.count, args.steps, args.batch = previous["count"], previous["steps"], previous["batch"]
        runs = [timings[seed] | score_seed(out / f"model-{seed}", seed, out, eval_sets) for seed in args.seeds]
    else:
        runs = []
        for seed in args.seeds:
            folder, timing = train_seed(config, seed, args.steps, args.batch, out)
            runs.append(timing | score_seed(folder, seed, out, eval_sets))
    (out / "meter.json").write_text(json.dumps({"name": name, "count": args.count, "steps": args.steps,
                                                "batch": args.batch, "runs": runs}, indent=1), encoding="utf-8")  # fmt: skip
    print(f"meter {name}: {args.count} lines, {args.steps} steps x {args.batch}, seeds {args.seeds}"
          f" (train {np.mean([r['train_s'] for r in runs]):.0f} s per seed)")  # fmt: skip
    print(f"  {'overall':12s} accuracy {_spread([r['overall']['accuracy'] for r in runs])}"
          f"   CER {_spread([r['overall']['cer'] for r in runs])}")  # fmt: skip
    for category in (*CATEGORIES, SCANNED):
        accuracy = [r["by_category"][category]["accuracy"] for r in runs]
        cer = [r["by_category"][category]["cer"] for r in runs]
        print(f"  {category:12s} accuracy {_spread(accuracy)}   CER {_spread(cer)}")


if __name__ == "__main__":
    main()
