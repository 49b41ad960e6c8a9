"""Command line: `python -m thaigen build|lint|report`. A thin shell over the library."""

from __future__ import annotations

import argparse
import errno
import sys
import warnings
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path

from thaigen.config.focus import describe_focus, focus, read_score_report
from thaigen.config.loading import load_config
from thaigen.config.recipes import RECIPES
from thaigen.config.schema import DEFAULT_DET_RECIPE, DEFAULT_RECIPE, TASKS, GenConfig
from thaigen.dataset import kie, lmdb, paths
from thaigen.dataset.detection import is_det_set
from thaigen.dataset.formats import line_format
from thaigen.errors import BuildIOError, ConfigError, EnvironmentProblem, ThaigenError
from thaigen.inspect.lint import lint_dataset, lint_dictionary, warn_dictionary_defects, width_note
from thaigen.inspect.page_report import write_page_report
from thaigen.inspect.report import dataset_root, write_report
from thaigen.pipeline.build import CONVERTERS, BuildResult, Engine, Mode, Storage, build, local_engine, started_build
from thaigen.pipeline.merge_shards import merge_shards
from thaigen.pipeline.shards import Shard

DEFAULT_OUT = Path("datasets")
"""Default parent folder of built datasets: `datasets/<recipe>`."""
RESUME_HINT = "finished chunks are kept; rerun with --resume"
"""Added to a build's I/O failure or interruption once its output folder is started, and to no other command's."""


PLUGIN_GROUP = "thaigen.commands"
"""Entry-point group for commands that live outside the core package (trainers/: train, score, ...).

Each entry point is named after its command and points to `add(parser) -> run`: it adds the
command's arguments to `parser` and returns `run(args) -> exit code`. thaigen never imports them
by name, so the core stays free of their heavy dependencies."""

Runner = Callable[[argparse.Namespace], int]

ENGINE_GROUP = "thaigen.engines"
"""Entry-point group for build engines that live outside the core package (sagemaker-processing).

Each entry point, named after its `--engine` value, points to `add(group) -> launch`: it adds the engine's
options to the build parser's group and returns `launch(args, config, out, mode, storage) -> BuildResult`."""

Launcher = Callable[..., BuildResult]
ENGINES = ("local", "ray")
"""Engines in the core package: worker processes here, or one Ray task per chunk."""


def _unavailable(name: str, problem: ImportError) -> Runner:
    def run(args: argparse.Namespace) -> int:
        missing = problem.name or str(problem)
        raise EnvironmentProblem(
            f"'{name}' needs {missing}, which is not installed: pip install -e '.[train]' (see README)"
        )

    return run


def _add_plugins(commands: argparse._SubParsersAction, wanted: str | None) -> None:  # type: ignore[type-arg]
    """Add each plugin command; one whose dependencies are missing (when loaded or while adding its
    arguments) stays listed and says what to install when run, so other commands keep working.

    Nothing is loaded when the command asked for (`wanted`) is one of thaigen's own: the plugins' imports
    (starlette, uvicorn, shapely, the trainers) cost a quarter of a second that `build` has no use for.
    """
    if wanted in commands.choices:
        return
    for entry in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        try:
            add = entry.load()
            parser = commands.add_parser(entry.name, help=(add.__doc__ or "").strip().splitlines()[0])
            parser.set_defaults(run=add(parser))
        except ImportError as problem:
            if entry.name in commands.choices:
                parser = commands.choices[entry.name]
            else:
                parser = commands.add_parser(entry.name, help="(unavailable: missing dependencies)")
            parser.set_defaults(run=_unavailable(entry.name, problem))


def _parser(wanted: str | None = None) -> argparse.ArgumentParser:
    """The CLI's parser; plugin commands are added unless `wanted` names a built-in command."""
    parser = argparse.ArgumentParser(prog="thaigen", description="Synthetic Thai OCR data for PaddleOCR.")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="build a recognition dataset (default: the 'mixed' recipe, 1,000 lines)")
    make.set_defaults(run=_build)
    make.add_argument("--task", choices=TASKS, help="rec: text-line images (default); det: pages with line polygons")
    make.add_argument(
        "--recipe", choices=sorted(RECIPES), help=f"embedded recipe (default {DEFAULT_RECIPE}; with --task det {DEFAULT_DET_RECIPE})"
    )
    make.add_argument("--config", type=Path, help="YAML file setting any recipe key")
    make.add_argument("--count", type=int, help="number of samples (default 1000)")
    make.add_argument("--seed", type=int, help="master seed (default 0)")
    make.add_argument("--val-fraction", type=float, help="share of samples in val.txt (default 0.1)")
    make.add_argument("--out", type=Path, help=f"output folder (default {DEFAULT_OUT}/<recipe>)")
    make.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    make.add_argument("--crops", action="store_true", default=None,
                      help="det: also write crops/, a rec set cut from the page lines as PaddleOCR's system cuts boxes")
    make.add_argument("--kie", action="store_true", default=None,
                      help="det: also write kie_train.txt, kie_val.txt, kie_class_list.txt (PaddleOCR's XFUND-style SER/RE"
                           " labels: field labels linked to their values)")
    make.add_argument("--char-boxes", action="store_true", default=None,
                      help="also record each label's grapheme clusters with their boxes (4 corners, image px) in"
                           " samples.jsonl")
    modes = make.add_mutually_exclusive_group()
    modes.add_argument("--overwrite", action="store_true", help="replace an existing thaigen dataset in --out")
    modes.add_argument("--resume", action="store_true", help="finish an interrupted build in --out")
    make.add_argument("--dict", type=Path, metavar="FILE",
                      help="target PaddleOCR dict (e.g. ppocrv5_th_dict.txt): only labels it encodes, written as dict.txt")
    make.add_argument("--focus", type=Path, metavar="SCORE_REPORT",
                      help="re-weight sources, characters and presets toward a `thaigen score` report.json's errors")
    make.add_argument("--focus-engine", metavar="NAME",
                      help="with --focus: the report's engine to re-weight toward (default: its only one, else its first)")
    make.add_argument("--quiet", action="store_true", help="no progress bar")
    make.add_argument("--shard", metavar="K/N",
                      help="build only shard K (0-based) of N: contiguous chunks; join shards with `thaigen merge`")
    make.add_argument("--format", choices=[s.value for s in Storage],
                      help="folder: PNGs + label files (default); lmdb: train/ and val/ LMDBs for PaddleOCR's LMDBDataSet; "
                           "webdataset: train-NNNNNN.tar / val-NNNNNN.tar shards (KEY.png, KEY.txt, KEY.json); "
                           "hf: Hugging Face datasets Parquet shards (data/) + README.md card; "
                           "tesstrain: train/ and val/ of KEY.png + KEY.gt.txt (tesstrain's ground truth)")
    engines = make.add_argument_group("engines")
    engines.add_argument("--engine", default="local", help="local (default), ray, or a plugin (sagemaker-processing)")
    engines.add_argument("--address", help="ray: cluster address (default: RAY_ADDRESS, else a local Ray)")
    engines.add_argument("--gather", action="store_true",
                         help="ray: send each chunk's files back to the driver (when --out is not shared with the cluster)")
    make.set_defaults(launchers=_add_engine_plugins(engines))
    join = commands.add_parser("merge", help="join the shard folders of one build into one dataset, as a single build")
    join.set_defaults(run=_merge)
    join.add_argument("shards", type=Path, nargs="+", help="finished shard folders (build --shard K/N), all N of them")
    join.add_argument("--out", type=Path, required=True, help="new folder for the merged dataset")
    join.add_argument("--overwrite", action="store_true", help="replace an existing thaigen dataset in --out")
    lint = commands.add_parser("lint", help="report labels PaddleOCR would drop or mangle, or a dictionary's defects")
    lint.set_defaults(run=_lint)
    lint.add_argument("dataset", type=Path, nargs="?",
                      help="dataset folder (train.txt, val.txt, dict.txt) or one label file; without it, lint --dict FILE")
    lint.add_argument("--dict", type=Path,
                      help="character dictionary (default: dict.txt beside the labels); alone: that dictionary's defects")
    lint.add_argument("--max-text-length", type=int, help="Global.max_text_length (default: manifest, else 25)")
    lint.add_argument("--time-steps", type=int, help="CTC time steps of the model (default: manifest, else unchecked)")
    report = commands.add_parser(
        "report", help="contact sheet (PNG) and HTML page of what a dataset holds (det sets: pages with polygons)"
    )
    report.set_defaults(run=_report)
    report.add_argument("dataset", type=Path, help="dataset folder (train.txt, val.txt, dict.txt) or one label file")
    report.add_argument("--out", type=Path, help="output folder (default: DATASET/report)")
    report.add_argument("--dict", type=Path, help="character dictionary (default: dict.txt beside the labels)")
    report.add_argument("--samples", type=int, default=48, help="images on the contact sheet (default 48; det sets: at most 12 pages)")
    report.add_argument("--seed", type=int, default=0, help="which random images the sheet shows (default 0)")
    report.add_argument("--min-char-count", type=int, default=20, help="flag dictionary characters rarer than this")
    _add_plugins(commands, wanted)
    return parser


def _add_engine_plugins(group: argparse._ArgumentGroup) -> dict[str, Launcher | ImportError]:
    """--engine values from ENGINE_GROUP: name -> launcher, or the ImportError that keeps it out."""
    launchers: dict[str, Launcher | ImportError] = {}
    for entry in sorted(entry_points(group=ENGINE_GROUP), key=lambda e: e.name):
        try:
            launchers[entry.name] = entry.load()(group)
        except ImportError as problem:
            launchers[entry.name] = problem
    return launchers


def _engine(args: argparse.Namespace) -> Engine:
    if args.engine == "ray":
        from thaigen.pipeline.ray_engine import ray_engine

        return ray_engine(args.address, gather=args.gather)
    return local_engine(args.workers)


def _config(args: argparse.Namespace) -> GenConfig:
    """The config build's options give: recipe, file and flags, the --dict target checked, --focus applied."""
    page = {key: True for key, on in (("crops", args.crops), ("kie", args.kie)) if on} or None
    config = load_config(
        args.config, args.recipe, count=args.count, seed=args.seed, val_fraction=args.val_fraction, task=args.task, page=page,
        dictionary=args.dict, char_boxes=args.char_boxes,
    )
    if config.dictionary:
        warn_dictionary_defects(config.dictionary)
    if args.focus_engine and not args.focus:
        raise ConfigError("--focus-engine needs --focus SCORE_REPORT")
    if args.focus:
        findings = read_score_report(args.focus, args.focus_engine)
        focused = focus(config, findings)
        print(describe_focus(config, focused, findings))
        config = focused
    return config


CONFIG_OPTIONS = ("config", "recipe", "count", "seed", "val_fraction", "task", "crops", "kie", "char_boxes", "dict", "focus",
                  "shard", "format")
"""build's options that decide the bytes: `--resume --out DIR` with none of them takes them from DIR/build.json
(where there is none, the defaults build, as with any --resume into a new folder)."""


def _build(args: argparse.Namespace) -> int:
    given = any(getattr(args, option) is not None for option in CONFIG_OPTIONS)
    if args.resume and args.out and not given and (args.out / paths.STATE).is_file():
        started = started_build(args.out)
        config, storage, shard = started.config, started.storage, started.shard
    else:
        config, storage = _config(args), Storage(args.format or Storage.FOLDER.value)
        shard = Shard.parse(args.shard) if args.shard else None
    out = args.out or DEFAULT_OUT / config.recipe
    mode = Mode.OVERWRITE if args.overwrite else Mode.RESUME if args.resume else Mode.NEW
    known = [*ENGINES, *args.launchers]
    if args.engine not in known:
        raise ConfigError(f"unknown --engine '{args.engine}'; known: {', '.join(known)}")
    launcher = args.launchers.get(args.engine)
    if isinstance(launcher, ImportError):
        missing = launcher.name or str(launcher)
        raise EnvironmentProblem(f"--engine {args.engine} needs {missing}, which is not installed: pip install -e '.[train]'")
    if launcher is not None and shard:
        raise ConfigError(f"--engine {args.engine} makes its own shards; leave out --shard")
    if launcher is not None and storage in CONVERTERS:
        raise ConfigError(f"--engine {args.engine} builds shards, and --format {storage.value} is written from a whole "
                          f"build; use --engine local or ray (or --format folder or lmdb)")
    try:
        if launcher is not None:
            result = launcher(args, config, out, mode, storage)
        else:
            result = build(config, out, workers=args.workers, mode=mode, progress=not args.quiet, shard=shard,
                           storage=storage, engine=_engine(args))
    except OSError as exc:
        hint = f" ({RESUME_HINT})" if _started(out) else ""
        raise BuildIOError(_os_problem(exc) + hint) from exc
    except KeyboardInterrupt:
        if _started(out):
            raise KeyboardInterrupt(RESUME_HINT) from None
        raise
    _say("already up to date" if result.up_to_date else "built", result)
    _warn_empty_splits(result)
    return 0


def _merge(args: argparse.Namespace) -> int:
    result = merge_shards(args.shards, args.out, Mode.OVERWRITE if args.overwrite else Mode.NEW)
    _say("already up to date" if result.up_to_date else f"merged {len(args.shards)} shards", result)
    _warn_empty_splits(result)
    return 0


def _say(state: str, result: BuildResult) -> None:
    """One line: where the dataset is and what it holds."""
    config, out, counts = result.manifest["config"], result.out, result.manifest["counts"]
    shard = result.manifest.get("shard")
    if shard:
        state += f" shard {shard['index']}/{shard['count']} (samples {shard['first']}-{shard['end'] - 1})"
    if config["task"] == "rec":
        print(f"{state}: {out} ({counts['train']} train, {counts['val']} val, dict {result.manifest['paddleocr']['dict_size']} chars)")
    else:
        crops = f"; crops in {out / paths.CROPS}" if config["page"]["crops"] else ""
        crops += f"; KIE labels in {out / kie.TRAIN_LABELS}" if config["page"].get("kie") else ""
        print(f"{state}: {out} ({counts['train']} train, {counts['val']} val pages, {counts['lines']} lines,"
              f" {counts['ignored']} ###{crops})")


def _warn_empty_splits(result: BuildResult) -> None:
    """One warning per empty split: `thaigen train` refuses a set without train or val samples."""
    counts = result.manifest["counts"]
    for split in ("train", "val"):
        if counts[split] == 0:
            samples = "pages" if result.manifest["config"]["task"] == "det" else "samples"
            warnings.warn(f"{result.out}: the {split} split is empty (0 {samples}); `thaigen train` will refuse it"
                          f" (change --count or --val-fraction)", stacklevel=2)


def _started(out: Path) -> bool:
    """Whether `out` holds a started build (its state file), which --resume can finish."""
    return (out / paths.STATE).is_file()


def _lint(args: argparse.Namespace) -> int:
    if args.dataset is None and args.dict is None:
        raise ConfigError("lint needs a dataset (folder or label file) or --dict FILE")
    note = width = None
    if args.dataset is None:
        linted = lint_dictionary(args.dict)
        findings, note = linted.defects, linted.coverage_note()
    else:
        findings = lint_dataset(
            args.dataset, max_text_length=args.max_text_length, time_steps=args.time_steps, dict_path=args.dict
        )
        width = width_note(args.dataset)
    for finding in findings:
        print(finding)
    if width:
        print(width)
    kind = line_format(args.dataset) if args.dataset else None
    if kind:
        print(f"{args.dataset}: a build --format {kind.name} set ({kind.what}): its labels checked")
    print(f"{len(findings)} problem(s) in {args.dataset or args.dict}")
    if note:
        print(note)
    return 1 if findings else 0


def _report(args: argparse.Namespace) -> int:
    root = dataset_root(args.dataset)
    folder = not lmdb.is_lmdb_set(root) and line_format(root) is None
    if folder and is_det_set(paths.label_files(args.dataset)[1]):
        pages = write_page_report(args.dataset, args.out or root / "report", samples=min(args.samples, 12), seed=args.seed)
        print(f"report: {pages.html} and {pages.sheet} ({pages.entries} pages)")
        return 0
    result = write_report(
        args.dataset, args.out or root / "report", dict_path=args.dict, samples=args.samples, seed=args.seed,
        min_char_count=args.min_char_count,
    )
    print(f"report: {result.html} and {result.sheet} ({result.entries} images, {len(result.rare_characters)} rare characters)")
    return 0


def _os_problem(exc: OSError) -> str:
    """One line saying what failed and on which file(s), e.g. 'disk full: out/images/0/1.png'."""
    reason = "disk full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc) or type(exc).__name__
    files = " -> ".join(str(name) for name in (exc.filename, exc.filename2) if name is not None)
    return f"{reason}: {files}" if files else reason


def _one_line(message: str) -> str:
    """`message` with line breaks and other control characters escaped, so an error stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; bad input gives one line on stderr and exit code 2, a bug its traceback and exit code 1."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    wanted = next((a for a in arguments if not a.startswith("-")), None)
    args = _parser(wanted).parse_args(arguments)
    warnings.formatwarning = lambda message, category, *rest: f"thaigen: warning: {message}\n"  # type: ignore[assignment]
    try:
        return int(args.run(args))
    except ThaigenError as exc:
        print(f"thaigen: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"thaigen: error: {_one_line(_os_problem(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        hint = f"; {exc}" if str(exc) else ""
        print(f"thaigen: interrupted{hint}", file=sys.stderr)
        return 130
