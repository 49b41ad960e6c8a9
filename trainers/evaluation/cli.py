"""Command `thaigen score` (entry point in group thaigen.commands).

Only light modules are imported here; the runtimes (paddle, onnxruntime) load inside the run functions.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from thaigen.cli import Runner
from thaigen.dataset.detection import is_det_set
from thaigen.dataset.lmdb import is_lmdb, is_lmdb_set
from thaigen.errors import ConfigError
from trainers.inference.cli import add_detector_options, add_model_options, load_detector, load_recognizer

if TYPE_CHECKING:
    from trainers.inference.engine import Engine

TESSERACT = "tesseract"
TASKS = ("rec", "det", "e2e")
PAGES_DRAWN = 12


def add_score(parser: argparse.ArgumentParser) -> Runner:
    """score recognizers (and Tesseract, ensembles) on a label file or dataset folder; detectors with --task det|e2e"""
    parser.add_argument("model", nargs="?", help=f"recognizer folder, or '{TESSERACT}' (rec; e2e: or --rec)")
    parser.add_argument("dataset", type=Path, help="label file, dataset folder (its val.txt) or LMDB set (its val/)")
    parser.add_argument(
        "--task",
        choices=TASKS,
        default="rec",
        help="rec: lines (default); det: a detector's boxes on a det set; e2e: detector + recognizer on it",
    )
    parser.add_argument("--rec", help=f"recognizer folder or '{TESSERACT}' for --task e2e")
    parser.add_argument(
        "--draw", type=int, default=PAGES_DRAWN, help=f"det/e2e: worst pages drawn as PNGs (default {PAGES_DRAWN})"
    )
    parser.add_argument(
        "--engine", action="append", default=[], help=f"another model folder or '{TESSERACT}' (repeatable)"
    )
    parser.add_argument(
        "--ensemble",
        action="append",
        default=[],
        choices=("confidence", "vote"),
        help="also score all engines combined (repeatable)",
    )
    parser.add_argument(
        "--labels", help="label file inside a dataset folder (default val.txt); of an LMDB set, its split (val, train)"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="folder the image paths are relative to (default: the label file's)"
    )
    parser.add_argument("--limit", type=int, help="score only the first N lines")
    parser.add_argument("--tesseract-langs", default="tha+eng", help="Tesseract languages (default tha+eng)")
    parser.add_argument("--out", type=Path, help="report folder (default scores/<dataset>)")
    add_detector_options(parser)
    add_model_options(parser)
    return _score


def _engine(spec: str, args: argparse.Namespace) -> Engine:
    if spec == TESSERACT:
        from trainers.inference.tesseract import TesseractEngine

        return TesseractEngine(args.tesseract_langs)
    return load_recognizer(Path(spec), args)


def _warn_dictionary_gap(engine: Engine, truths: list[str]) -> None:
    """Warn when a model's dictionary cannot write characters of the truth (which alone can score it 0)."""
    from trainers.evaluation.score import DictionaryGapWarning, dictionary_gap
    from trainers.inference.recognizer import Recognizer

    gap = dictionary_gap(truths, engine.table[1:]) if isinstance(engine, Recognizer) else None
    if gap is not None:
        warnings.warn(f"{engine.name}: {gap}", DictionaryGapWarning, stacklevel=1)


def _score(args: argparse.Namespace) -> int:
    if args.task != "rec":
        return _score_pages(args)
    if args.model is None:
        raise ConfigError(f"give a recognizer folder or '{TESSERACT}' to score")
    from trainers.evaluation.report import summary_table, write_report
    from trainers.evaluation.score import (
        label_file_for,
        labelled_lines,
        lmdb_for,
        lmdb_lines,
        load_images,
        score,
    )
    from trainers.inference.ensemble import Combiner, Ensemble

    source = lmdb_for(args.dataset, args.labels)
    if source is not None:
        if args.data_dir is not None:
            raise ConfigError(f"--data-dir is for label files; {args.dataset} is an LMDB set (its images are inside)")
        lines = lmdb_lines(source)[: args.limit]
    else:
        source = label_file_for(args.dataset, args.labels)
        if is_det_set([source]):
            raise ConfigError(f"{source} holds det boxes, not line labels: score it with --task det or --task e2e")
        lines = labelled_lines(source, args.data_dir)[: args.limit]
    engines = [_engine(spec, args) for spec in [args.model, *args.engine]]
    for engine in engines:
        _warn_dictionary_gap(engine, [line.truth for line in lines])
    if args.ensemble and len(engines) < 2:
        raise ConfigError("--ensemble needs at least two engines: add --engine")
    engines += [Ensemble(engines, Combiner(name)) for name in args.ensemble]
    names = [e.name for e in engines]
    if len(set(names)) < len(names):
        raise ConfigError(f"the same engine is listed twice: {', '.join(names)}")
    images = load_images(lines)
    scores = score(engines, lines, images)
    out = args.out or Path("scores") / (args.dataset.name if args.dataset.is_dir() else source.stem)
    report = write_report(out, str(source), scores, lines, images)
    print(summary_table(scores))
    print(f"report: {report} (+ report.json, worst-*.png)")
    return 0


def _score_pages(args: argparse.Namespace) -> int:
    from trainers.evaluation.page_report import summary_text, write_page_report
    from trainers.evaluation.pages import score_pages, summarize_pages, true_pages
    from trainers.evaluation.score import label_file_for

    if args.det is None:
        raise ConfigError(f"--task {args.task} needs a detector: --det MODEL")
    if args.model is not None and args.rec is not None:
        raise ConfigError("give the recognizer once: as MODEL or as --rec")
    rec = args.rec or args.model
    if args.task == "e2e" and rec is None:
        raise ConfigError("--task e2e needs a recognizer: --rec MODEL")
    if args.task == "det" and rec is not None:
        raise ConfigError("--task det scores boxes only: drop the recognizer, or use --task e2e")
    if is_lmdb(args.dataset) or is_lmdb_set(args.dataset):
        raise ConfigError(
            f"{args.dataset} is an LMDB set of recognition lines, not det pages: score it with --task rec"
        )
    label_file = label_file_for(args.dataset, args.labels)
    pages = true_pages(label_file, args.data_dir)[: args.limit]
    detector = load_detector(args.det, args)
    recognizer = None if rec is None else _engine(rec, args)
    if recognizer is not None:
        _warn_dictionary_gap(recognizer, [box.transcription for page in pages for box in page.boxes if not box.ignored])
    scores = summarize_pages(score_pages(pages, detector, recognizer), end_to_end=recognizer is not None)
    models = {"detector": detector.name} | ({} if recognizer is None else {"recognizer": recognizer.name})
    out = args.out or Path("scores") / (args.dataset.name if args.dataset.is_dir() else label_file.stem)
    report = write_page_report(out, str(label_file), models, scores, args.draw)
    print(summary_text(scores))
    print(f"report: {report} (+ pages/*.png: true green, ### orange, predicted magenta)")
    return 0
