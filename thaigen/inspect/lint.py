"""Find labels PaddleOCR would silently drop or mangle, in any PaddleOCR recognition or detection dataset,
and the defects of a character dictionary."""

from __future__ import annotations

import io
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from thaigen.dataset import lmdb, paths
from thaigen.dataset.detection import DetPage, det_page, is_det_set
from thaigen.dataset.dictionary import read_dictionary
from thaigen.dataset.formats import LineFormat, line_format
from thaigen.dataset.labels import LabelLine, read_label_lines
from thaigen.dataset.manifest import read_manifest
from thaigen.errors import DatasetError
from thaigen.inspect.rec_width import MAX_WIDTH, REC_INPUTS, fit_width, line_shapes
from thaigen.text.sources import ctc_steps
from thaigen.text.thai import THAI_BLOCK

PADDLEOCR_MAX_TEXT_LENGTH = 25
"""PaddleOCR's default Global.max_text_length."""
BOM = "\ufeff"
INVISIBLE_CATEGORIES = {"Cc": "a control character", "Cf": "a format character", "Co": "a private-use character",
                        "Cn": "unassigned in Unicode", "Cs": "a lone surrogate"}


class DictionaryDefectWarning(UserWarning):
    """A target dictionary (build --dict) has a defect `thaigen lint --dict` names."""


@dataclass(frozen=True)
class LintRules:
    """What the target model accepts."""

    characters: frozenset[str]
    use_space_char: bool
    max_text_length: int
    time_steps: int | None


@dataclass(frozen=True)
class Finding:
    """One label PaddleOCR would drop or mangle."""

    file: Path
    line: int | None
    """1-based line number; None for a defect of the whole file (a dictionary's missing character) or of one
    LMDB sample (`file` is then its LMDB folder / its label key)."""
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.problem}" if self.line is not None else f"{self.file}: {self.problem}"


def _shown(text: str) -> str:
    """`text` quoted, with its code points: 'ωก' (U+03C9 U+0E01)."""
    return f"{text!r} ({' '.join(f'U+{ord(ch):04X}' for ch in text)})"


def entry_problem(entry: str, entries: frozenset[str] = frozenset()) -> str | None:
    """Why PaddleOCR's label encoder can never use one dictionary entry (None: it can).

    The encoder maps each code point of a label to the class whose entry equals it, so an entry of
    more or less than one code point is a class no label reaches. A lone combining mark (่, ั) is
    right: Thai dictionaries need them as entries of their own. `entries`: the whole dictionary, to
    say which characters have a class elsewhere.
    """
    if not entry:
        return "empty entry: a class no label can reach"
    if entry.isspace():
        what = "a space" if entry == " " else f"whitespace {_shown(entry)}"
        return f"{what} entry: with use_space_char PaddleOCR adds the space class itself; leave whitespace out"
    if len(entry) > 1:
        if entry.startswith(BOM):
            why = "starts with a byte order mark (PaddleOCR keeps it): "
        elif entry != entry.strip():
            why = "starts or ends with whitespace (PaddleOCR keeps it): "
        else:
            why = ""
        orphans = [ch for ch in dict.fromkeys(entry) if ch not in entries and not ch.isspace() and ch != BOM]
        own = "has no class of its own" if len(orphans) == 1 else "have no class of their own"
        lost = f"; {', '.join(orphans)} {own}" if orphans else ""
        return (f"{_shown(entry)} holds {len(entry)} characters: {why}PaddleOCR encodes labels one character at a "
                f"time, so no label reaches this class{lost}")
    category = unicodedata.category(entry)
    if category in INVISIBLE_CATEGORIES:
        return f"{_shown(entry)} is {INVISIBLE_CATEGORIES[category]}: no text to learn, no standard glyph"
    normal = unicodedata.normalize("NFC", entry)
    if normal != entry:
        also = " (it has its own entry too)" if normal in entries else ""
        return f"{_shown(entry)} is not NFC: NFC labels hold {_shown(normal)}{also} and never reach this class"
    return None


@dataclass(frozen=True)
class DictionaryLint:
    """A character dictionary's defects, and the Thai characters it has no class for."""

    defects: list[Finding]
    """What makes the dictionary wrong: an entry no label reaches, a duplicate, a Thai character lost inside
    such an entry (its author meant it; no label can teach it)."""
    absent: str
    """Thai-block characters found in no entry at all: coverage, not a defect (a dictionary built from
    labels lacks whatever was never drawn; thaigen leaves out the Pali signs ฺ ํ ๎ on purpose)."""

    def coverage_note(self) -> str | None:
        """One line naming the absent Thai characters (None: none absent)."""
        if not self.absent:
            return None
        shown = ", ".join(f"{ch} U+{ord(ch):04X} {unicodedata.name(ch).removeprefix('THAI CHARACTER ')}" for ch in self.absent)
        return (f"note: {len(self.absent)} Thai character(s) have no class, so a model with this dictionary cannot "
                f"read them (coverage, not a defect): {shown}")


def lint_dictionary(path: Path) -> DictionaryLint:
    """A character dictionary's defects as PaddleOCR reads it (bad entries, duplicates, Thai characters lost inside
    a bad entry), and the Thai characters it lacks.

    Raises:
        DatasetError: the file is missing or not UTF-8 (PaddleOCR fails on it too).
    """
    entries = read_dictionary(path)
    every = frozenset(entries)
    findings = []
    first_line: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        problem = entry_problem(entry, every)
        if problem:
            findings.append(Finding(path, number, problem))
        if entry in first_line:
            earlier = first_line[entry]
            findings.append(Finding(path, number, f"duplicate of line {earlier} {_shown(entry)}: PaddleOCR encodes it "
                                    f"as this line's class, so line {earlier}'s class is never trained"))
        first_line.setdefault(entry, number)
    if not entries:
        findings.append(Finding(path, None, "no entries"))
    absent = []
    for ch in THAI_BLOCK:
        if ch in every:
            continue
        inside = next((n for n, e in enumerate(entries, start=1) if len(e) > 1 and ch in e), None)
        if inside is None:
            absent.append(ch)
        else:
            findings.append(Finding(path, None, f"Thai character missing: {_shown(ch)} {unicodedata.name(ch)} "
                                                f"(only inside line {inside} {entries[inside - 1]!r})"))
    return DictionaryLint(findings, "".join(absent))


def warn_dictionary_defects(path: Path) -> None:
    """Warn once per defect of a target dictionary, in `thaigen lint --dict`'s words.

    Raises:
        DatasetError: the file is missing or not UTF-8.
    """
    for finding in lint_dictionary(path).defects:
        warnings.warn(str(finding), DictionaryDefectWarning, stacklevel=2)


def check_label(label: str, rules: LintRules) -> list[str]:
    """Problems PaddleOCR's CTC label encoder and loss would have with `label`."""
    problems = []
    if not label:
        problems.append("empty label (dropped)")
    if len(label) > rules.max_text_length:
        problems.append(f"{len(label)} code points > max_text_length {rules.max_text_length} (dropped)")
    allowed = rules.characters | ({" "} if rules.use_space_char else set())
    missing = sorted({ch for ch in label if ch not in allowed})
    if missing:
        shown = " ".join(f"{ch!r} U+{ord(ch):04X}" for ch in missing)
        problems.append(f"characters not in the dictionary: {shown} (silently removed)")
    if rules.time_steps is not None and ctc_steps(label) > rules.time_steps:
        problems.append(f"needs {ctc_steps(label)} CTC steps > the model's {rules.time_steps} (cannot be aligned)")
    return problems


def label_problems(label: str, rules: LintRules) -> list[str]:
    """Where PaddleOCR's reading of one label (from a label file or an LMDB) differs from what its author meant."""
    problems = []
    if label.endswith("\r"):
        problems.append("ends in \\r (a CRLF file): PaddleOCR keeps it in the label")
    if label != label.strip(" "):
        problems.append("label starts or ends with a space: PaddleOCR keeps it")
    return problems + check_label(label, rules)


def line_problems(line: LabelLine, root: Path, rules: LintRules) -> list[str]:
    """Where PaddleOCR's reading of one label line differs from what its author meant, or drops it."""
    if line.label is None:
        return [f"{line.problem} (PaddleOCR substitutes a random sample)"]
    problems = []
    if line.number == 1 and line.path.startswith(BOM):
        problems.append("starts with a byte order mark: PaddleOCR takes it as part of the image path")
    if line.ignored is not None:
        problems.append("more than one TAB: PaddleOCR keeps only the text before the second")
    if not (root / line.path).is_file():
        problems.append(f"image not found: {line.path} (PaddleOCR substitutes a random sample)")
    return problems + label_problems(line.label, rules)


def lint_file(labels: Path, root: Path, rules: LintRules) -> Iterator[Finding]:
    """Check every line of a `path<TAB>label` file (image paths relative to `root`)."""
    for line in read_label_lines(labels):
        for problem in line_problems(line, root, rules):
            yield Finding(labels, line.number, problem)


def lint_lmdb(target: Path, rules: LintRules) -> Iterator[Finding]:
    """Check every sample of an LMDB set (or of one LMDB): its label as `label_problems` does, and that its
    image decodes (LMDBDataSet substitutes a random sample for one that does not)."""
    for sample in lmdb.read_lmdb_set(target):
        problems = label_problems(sample.label, rules)
        try:
            with Image.open(io.BytesIO(sample.png)):
                pass
        except (OSError, UnidentifiedImageError):
            problems.append("image not readable (PaddleOCR substitutes a random sample)")
        for problem in problems:
            yield Finding(sample.folder / sample.key, None, problem)


def lint_line_format(target: Path, kind: LineFormat, rules: LintRules) -> Iterator[Finding]:
    """Check every label of a converted set (`build --format webdataset` ...) as `label_problems` does."""
    for where, label in kind.labels(target):
        for problem in label_problems(label, rules):
            yield Finding(where, None, problem)


def rules_for(folder: Path, max_text_length: int | None, time_steps: int | None, dict_path: Path | None) -> LintRules:
    """Rules from explicit options, else the dataset's manifest, else PaddleOCR's defaults."""
    paddle = read_manifest(folder / paths.MANIFEST)["paddleocr"] if (folder / paths.MANIFEST).is_file() else {}
    return LintRules(
        characters=frozenset(read_dictionary(dict_path or folder / paths.DICT)),
        use_space_char=bool(paddle.get("use_space_char", True)),
        max_text_length=max_text_length or int(paddle.get("max_text_length", PADDLEOCR_MAX_TEXT_LENGTH)),
        time_steps=time_steps or paddle.get("ctc_time_steps"),
    )


def page_problem(page: DetPage, root: Path) -> str | None:
    """Why PaddleOCR's DB training cannot use a det page as labelled (None: it can), reading only the image header."""
    if not any(not box.ignored for box in page.boxes):
        return "no box to learn: every box is ### (DetLabelEncode drops the page and trains on another)"
    image = root / page.path
    try:
        with Image.open(image) as opened:
            width, height = opened.size
    except FileNotFoundError:
        return f"image not found: {image}"
    except (OSError, UnidentifiedImageError) as exc:
        return f"image not readable: {image} ({exc})"
    for box in page.boxes:
        outside = next(((x, y) for x, y in box.points if not (0 <= x <= width and 0 <= y <= height)), None)
        if outside:
            return f"point {list(outside)} of box {box.transcription!r} lies outside the {width}x{height} image"
    return None


def lint_det_file(labels: Path, root: Path) -> Iterator[Finding]:
    """Check every line of a det label file: usable by SimpleDataSet, parseable boxes, a box to learn, points inside."""
    for line in read_label_lines(labels):
        if line.label is None:
            yield Finding(labels, line.number, f"{line.problem} (PaddleOCR substitutes a random sample)")
            continue
        try:
            problem = page_problem(det_page(line), root)
        except DatasetError as exc:
            problem = str(exc).removeprefix(f"{line.where}: ")
        if problem:
            yield Finding(labels, line.number, problem)


def lint_dataset(
    target: Path, *, max_text_length: int | None = None, time_steps: int | None = None, dict_path: Path | None = None
) -> list[Finding]:
    """Lint a dataset folder (train.txt + val.txt), one label file, an LMDB set (train/ + val/), one LMDB or a
    converted set (its labels).

    Raises:
        DatasetError: the target, its label files or its dictionary are missing.
        EnvironmentProblem: an LMDB set, without the lmdb package.
    """
    kind = line_format(target)
    if kind is not None:
        return list(lint_line_format(target, kind, rules_for(target, max_text_length, time_steps, dict_path)))
    root = lmdb.lmdb_root(target)
    if root is not None:
        return list(lint_lmdb(target, rules_for(root, max_text_length, time_steps, dict_path)))
    folder, files = paths.label_files(target)
    if is_det_set(files):
        if dict_path or max_text_length or time_steps:
            raise DatasetError(f"{target} is a det set (pages with boxes): --dict, --max-text-length and --time-steps "
                               f"are for rec sets (a det build's line crops: build --crops, then lint {folder / paths.CROPS})")
        return [finding for labels in files for finding in lint_det_file(labels, folder)]
    rules = rules_for(folder, max_text_length, time_steps, dict_path)
    return [finding for labels in files for finding in lint_file(labels, folder, rules)]


def width_note(target: Path) -> str | None:
    """One line: the width each `thaigen train` recogniser trains this rec set at, flagging a set whose lines need
    more than MAX_WIDTH (the widest are squeezed) and labels a model with pooled steps cannot align. None: a det set,
    a converted set, or no readable image.

    Raises:
        DatasetError: the target or its label files are missing.
        EnvironmentProblem: an LMDB set, without the lmdb package.
    """
    if line_format(target) is not None:
        return None
    if lmdb.lmdb_root(target) is None and is_det_set(paths.label_files(target)[1]):
        return None
    lines = line_shapes(target)
    if lines is None:
        return None
    said: dict[str, list[str]] = {}
    for arch, model in REC_INPUTS.items():
        fit = fit_width(model, lines)
        what = f"{fit.width} px ({fit.steps} CTC steps"
        if model.pooled_steps:
            what += " at any width"
            if lines.most_steps > model.pooled_steps:
                what += f"; labels need up to {lines.most_steps}: too many, train them with crnn"
        if fit.capped:
            what += f"; capped: the lines need {fit.wanted} px, those over {MAX_WIDTH // model.height}:1 are squeezed"
        said.setdefault(what + ")", []).append(arch)
    return "train width: " + "; ".join(f"{', '.join(archs)} {what}" for what, archs in said.items())
