"""What a PaddleOCR recognition dataset holds: a contact sheet (PNG) and an HTML page of counts and histograms.

Works on any `path<TAB>label` dataset and on LMDB sets (`build --format lmdb`); thaigen's samples.jsonl and manifest.json add recipe, preset, font,
category, background and furniture counts when present.
"""

from __future__ import annotations

import html
import io
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pythainlp.tokenize import word_tokenize

from thaigen.config.schema import FontsConfig
from thaigen.dataset import lmdb, paths
from thaigen.dataset.atomic import atomic_bytes, atomic_text
from thaigen.dataset.dictionary import read_dictionary
from thaigen.dataset.formats import LineFormat, line_format
from thaigen.dataset.labels import read_label_lines
from thaigen.dataset.manifest import read_manifest
from thaigen.dataset.samples import records_by_image, records_by_lmdb_sample
from thaigen.errors import DatasetError
from thaigen.typeset.faces import pil_font
from thaigen.typeset.fonts import FontInfo, load_pool
from thaigen.typeset.runs import clusters, split_runs

SHEET_COLUMNS = 4
CELL_WIDTH = 340
"""px; a sample whose image is wider at IMAGE_HEIGHT spans as many columns as it needs (a whole row at most)."""
IMAGE_HEIGHT = 48
"""px; images are shown this high when their cell is wide enough."""
MIN_IMAGE_HEIGHT = 32
"""px; an image too wide for a whole row at IMAGE_HEIGHT is shrunk to this at most, and its row widens instead."""
PADDING = 8
"""px between a cell's edge and what it holds, left and right (6 above, 4 below and between its parts)."""
LABEL_PX = 20
LABEL_FONT = "NotoSansThai-Regular.ttf"
"""Shipped font the contact sheet's labels are drawn in (with the shipped fallbacks for Latin)."""
LEADING_VOWELS = frozenset("เแโใไ")
"""Thai vowels written before their consonant: a label line never ends on one."""

Box = tuple[int, int, int, int]
"""(left, top, right, bottom) px on the sheet, right and bottom exclusive."""


@dataclass(frozen=True)
class Entry:
    """One labelled image of the dataset."""

    image: Path
    """The image file; for an LMDB sample, its split's LMDB folder."""
    label: str
    split: str
    meta: Mapping[str, object] = field(default_factory=dict)
    """Its samples.jsonl record, when the dataset has one."""
    number: int | None = None
    """An LMDB sample's 1-based number in `image` (None: `image` is a file)."""
    size: tuple[int, int] | None = None
    """(width, height) px when known without opening the image again."""
    read: Callable[[Path], bytes] | None = None
    """A converted set's reader of `image` (a shard member or row), None for a file or an LMDB sample."""

    def open(self) -> Image.Image:
        """The image (from its file, its LMDB or its converted set).

        Raises:
            OSError: it cannot be read or decoded.
            DatasetError: its LMDB sample or shard member is missing.
        """
        if self.read is not None:
            return Image.open(io.BytesIO(self.read(self.image)))
        if self.number is None:
            return Image.open(self.image)
        return Image.open(io.BytesIO(lmdb.read_image(self.image, self.number)))


@dataclass(frozen=True)
class Report:
    """Where the report went."""

    html: Path
    sheet: Path
    entries: int
    rare_characters: tuple[str, ...]


def _png_size(png: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(png)) as image:
            return image.size
    except OSError:
        return None


def read_lmdb_entries(target: Path, root: Path) -> list[Entry]:
    """Every sample of an LMDB set (or one LMDB) under `root`, with samples.jsonl's records when present (the
    n-th record of a split is its sample n)."""
    records = records_by_lmdb_sample(root)
    entries = [
        Entry(s.folder, s.label, s.split, records.get((s.split, s.number), {}), s.number, _png_size(s.png))
        for s in lmdb.read_lmdb_set(target)
    ]
    if not entries:
        raise DatasetError(f"no samples in the LMDB set {target}")
    return entries


def read_converted_entries(target: Path, kind: LineFormat) -> list[Entry]:
    """Every sample of a converted set (`build --format webdataset` ...), with samples.jsonl's records."""
    records = records_by_image(target)
    entries = [
        Entry(line.where, line.label, line.split, records.get(paths.image_relpath(line.index), {}),
              size=_png_size(line.png), read=kind.png)
        for line in kind.lines(target)
    ]  # fmt: skip
    if not entries:
        raise DatasetError(f"no samples in the build --format {kind.name} set {target}")
    return entries


def dataset_root(target: Path) -> Path:
    """The folder holding the dataset's dict.txt and manifest.json: `target` (a folder, LMDB or converted set), or
    the folder above a label file or above one LMDB split.

    Raises:
        DatasetError: no dataset at `target`.
    """
    if line_format(target) is not None:
        return target
    return lmdb.lmdb_root(target) or paths.label_files(target)[0]


def read_entries(target: Path) -> list[Entry]:
    """Every line PaddleOCR can use in the dataset's label files (or every sample of its LMDBs or converted set),
    with thaigen's per-sample records when present."""
    kind = line_format(target)
    if kind is not None:
        return read_converted_entries(target, kind)
    if lmdb.lmdb_splits(target) is not None:
        return read_lmdb_entries(target, dataset_root(target))
    root, files = paths.label_files(target)
    records = records_by_image(root)
    entries = [
        Entry(root / line.path, line.label, labels.stem, records.get(line.path, {}))
        for labels in files
        for line in read_label_lines(labels)
        if line.label is not None
    ]
    if not entries:
        raise DatasetError(f"no labelled lines in {', '.join(map(str, files))}")
    return entries


@dataclass(frozen=True)
class LabelFonts:
    """The fonts contact-sheet labels are drawn in: a Thai face and its fallbacks, at LABEL_PX."""

    primary: FontInfo
    fallbacks: tuple[FontInfo, ...]
    ascent: int
    """px above the baseline that any of them may reach."""
    descent: int
    """px below the baseline."""

    @classmethod
    def load(cls) -> LabelFonts:
        """The shipped LABEL_FONT (or the first Thai font of the pool) and its fallbacks."""
        pool = load_pool(FontsConfig())
        primary = next((f for f in pool.thai if f.path.name == LABEL_FONT), pool.thai[0])
        fallbacks = pool.fallbacks_for(primary)
        metrics = [pil_font(str(f.path), LABEL_PX).getmetrics() for f in (primary, *fallbacks)]
        return cls(primary, fallbacks, max(a for a, _ in metrics), max(d for _, d in metrics))

    def runs(self, text: str) -> list[tuple[ImageFont.FreeTypeFont, str]]:
        """`text` cut into runs, each with the font that draws it ('?' for characters none covers)."""
        known = self.primary.codepoints.union(*(f.codepoints for f in self.fallbacks))
        runs = split_runs("".join(ch if ch in known else "?" for ch in text), self.primary, self.fallbacks) or []
        return [(pil_font(str(run.font.path), LABEL_PX), run.text) for run in runs]


@dataclass(frozen=True)
class TextLine:
    """One line of text on the sheet."""

    text: str
    origin: tuple[int, int]
    """Left end of its baseline, px."""
    ink: Box
    """Where its glyphs draw (raqm's shaping, every run in its own font); (x, y, x, y) when it draws nothing."""


@dataclass(frozen=True)
class Cell:
    """One sample on the contact sheet: its image above its label (wrapped within the cell) and its tags."""

    box: Box
    image: Box
    label: tuple[TextLine, ...]
    tags: TextLine


@dataclass(frozen=True)
class SheetLayout:
    """Where everything on the contact sheet goes, as data (the drawing only follows it)."""

    size: tuple[int, int]
    cells: tuple[Cell, ...]


def _ink(runs: Sequence[tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, str]], origin: tuple[int, int]) -> Box:
    """The box the runs' glyphs cover when drawn one after another from `origin` (baseline left)."""
    x, y = origin
    boxes = []
    for font, text in runs:
        left, top, right, bottom = font.getbbox(text, anchor="ls")
        if right > left:
            boxes.append((x + int(left), y + int(top), x + int(right), y + int(bottom)))
        x += round(font.getlength(text))
    if not boxes:
        return (x, y, x, y)
    return min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)


def _breakable(text: str) -> list[str]:
    """`text` as units a line may break between: grapheme clusters, a leading vowel kept with what follows."""
    units: list[str] = []
    for cluster in clusters(text):
        if units and units[-1][-1] in LEADING_VOWELS:
            units[-1] += cluster
        else:
            units.append(cluster)
    return units


def _fitting(units: Sequence[str], width: int, fonts: LabelFonts) -> int:
    """How many of `units` (at least one) draw within `width` px on one line."""
    low, high = 1, len(units)
    while low < high:
        middle = (low + high + 1) // 2
        if _ink(fonts.runs("".join(units[:middle]).rstrip()), (0, 0))[2] <= width:
            low = middle
        else:
            high = middle - 1
    return low


def wrap_label(text: str, width: int, fonts: LabelFonts) -> list[str]:
    """`text` in lines whose ink ends within `width` px, broken where Thai breaks a line (a word boundary by
    pythainlp's newmm, or a space), else between grapheme clusters (never inside one, nor after a leading vowel)
    when a word is wider than the line; a line holds at least one cluster. Spaces at a break are dropped."""
    units = _breakable(text)
    starts = list(accumulate((len(u) for u in units), initial=0))
    words = set(accumulate(len(w) for w in word_tokenize(text, engine="newmm", keep_whitespace=True)))
    lines: list[str] = []
    first = 0
    while first < len(units):
        end = first + _fitting(units[first:], width, fonts)
        end = next((n for n in range(end, first, -1) if starts[n] in words), end) if end < len(units) else end
        lines.append("".join(units[first:end]).strip())
        first = end
    return [line for line in lines if line] or [""]


def _tags(entry: Entry) -> str:
    return " · ".join(str(entry.meta[k]) for k in ("preset", "background") if k in entry.meta)


def layout_sheet(samples: Sequence[tuple[Entry, tuple[int, int]]], fonts: LabelFonts) -> SheetLayout:
    """Place each (entry, image size) in reading order on a grid of SHEET_COLUMNS columns.

    An image is shown IMAGE_HEIGHT px high and its cell spans the columns it needs; one too wide for a whole row
    is shrunk, never below MIN_IMAGE_HEIGHT, and its row (and the sheet) widens to hold it. Labels wrap within
    their cell; each row is as high as its tallest cell.
    """
    grid = SHEET_COLUMNS * CELL_WIDTH
    tag_font = ImageFont.load_default()
    line_pitch = fonts.ascent + fonts.descent + 2
    placed: list[list[tuple[int, int, tuple[int, int], Entry]]] = [[]]  # per row: (x, cell width, picture size, entry)
    column = 0
    for entry, (width, height) in samples:
        shown = width * IMAGE_HEIGHT / height
        span = min(SHEET_COLUMNS, -(-(round(shown) + 2 * PADDING) // CELL_WIDTH))
        if column + span > SHEET_COLUMNS:
            placed.append([])
            column = 0
        scale = max(MIN_IMAGE_HEIGHT / height, min(IMAGE_HEIGHT / height, (span * CELL_WIDTH - 2 * PADDING) / width))
        picture = (max(1, round(width * scale)), max(1, round(height * scale)))
        cell_width = max(span * CELL_WIDTH, picture[0] + 2 * PADDING)
        placed[-1].append((column * CELL_WIDTH, cell_width, picture, entry))
        column += span
    cells: list[Cell] = []
    top = 0
    for row in filter(None, placed):
        drawn = []
        for x, cell_width, picture, entry in row:
            image = (x + PADDING, top + 6, x + PADDING + picture[0], top + 6 + picture[1])
            baseline = image[3] + 4 + fonts.ascent
            label = []
            for text in wrap_label(entry.label, cell_width - 2 * PADDING, fonts):
                origin = (x + PADDING, baseline)
                label.append(TextLine(text, origin, _ink(fonts.runs(text), origin)))
                baseline += line_pitch
            tags_origin = (x + PADDING, baseline - fonts.ascent + 12)
            tags = TextLine(_tags(entry), tags_origin, _ink([(tag_font, _tags(entry))], tags_origin))
            drawn.append((x, cell_width, image, tuple(label), tags))
        bottom = max(max(tags.origin[1] + 4, tags.ink[3]) for *_, tags in drawn) + 6
        cells.extend(Cell((x, top, x + w, bottom), image, label, tags) for x, w, image, label, tags in drawn)
        top = bottom
    return SheetLayout((max([grid, *(c.box[2] for c in cells)]), top), tuple(cells))


def contact_sheet(entries: Sequence[Entry], count: int, seed: int, out: Path) -> SheetLayout:
    """A sheet of `count` random samples (seeded), each image above its label; returns its layout."""
    rng = np.random.default_rng(seed)
    chosen = [entries[int(i)] for i in sorted(rng.choice(len(entries), size=min(count, len(entries)), replace=False))]
    pictures = []
    for entry in chosen:
        try:
            with entry.open() as image:
                pictures.append(image.convert("RGB"))
        except (OSError, DatasetError):
            pictures.append(Image.new("RGB", (IMAGE_HEIGHT, IMAGE_HEIGHT), (255, 0, 0)))
    fonts = LabelFonts.load()
    layout = layout_sheet([(e, p.size) for e, p in zip(chosen, pictures)], fonts)
    sheet = Image.new("RGB", layout.size, (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for cell, picture in zip(layout.cells, pictures):
        left, top, right, bottom = cell.image
        sheet.paste(picture.resize((right - left, bottom - top)), (left, top))
        draw.rectangle((left - 1, top - 1, right, bottom), outline=(200, 200, 200))
        for line in cell.label:
            x, y = line.origin
            for font, text in fonts.runs(line.text):
                draw.text((x, y), text, font=font, fill=(0, 0, 0), anchor="ls")
                x += round(font.getlength(text))
        draw.text(cell.tags.origin, cell.tags.text, font=ImageFont.load_default(), fill=(120, 120, 120), anchor="ls")
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG")
    atomic_bytes(out, buffer.getvalue())
    return layout


def _counts(entries: Iterable[Entry], key: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for entry in entries:
        value = entry.meta.get(key)
        if key == "fonts":
            runs = entry.meta.get("runs")
            counts.update(sorted({str(r["font"]) for r in runs}) if isinstance(runs, list) else ["(unknown)"])
        elif isinstance(value, list):
            counts.update(map(str, value) if value else ["(none)"])
        else:
            counts[str(value) if value is not None else "(unknown)"] += 1
    return counts


def _image_size(entry: Entry) -> tuple[int, int] | None:
    if entry.size is not None:
        return entry.size
    if "width" in entry.meta and "height" in entry.meta:
        return int(entry.meta["width"]), int(entry.meta["height"])  # type: ignore[call-overload]
    try:
        with entry.open() as image:
            return image.size
    except (OSError, DatasetError):
        return None


def bars(counts: Mapping[str, int] | Mapping[int, int], title: str) -> str:
    """An HTML table with inline bars, largest first for names and in order for numbers."""
    if not counts:
        return f"<h2>{html.escape(title)}</h2><p>none</p>"
    items = sorted(counts.items()) if all(isinstance(k, int) for k in counts) else Counter(counts).most_common()
    top = max(counts.values())
    rows = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td class=n>{v}</td>"
        f"<td><div class=bar style='width:{max(1, round(300 * v / top))}px'></div></td></tr>"
        for k, v in items
    )
    return f"<h2>{html.escape(title)}</h2><table>{rows}</table>"


def binned(values: Sequence[int], width: int) -> dict[int, int]:
    return dict(Counter(v // width * width for v in values))


def write_report(
    target: Path, out: Path, *, dict_path: Path | None = None, samples: int = 48, seed: int = 0, min_char_count: int = 20
) -> Report:
    """Write contact_sheet.png and report.html for the dataset at `target` into `out`.

    Raises:
        DatasetError: no dataset, no label files, or no labelled lines.
    """
    entries = read_entries(target)
    root = dataset_root(target)
    out.mkdir(parents=True, exist_ok=True)
    sheet = out / "contact_sheet.png"
    contact_sheet(entries, samples, seed, sheet)
    characters = Counter(ch for e in entries for ch in e.label if ch != " ")
    dict_file = dict_path or root / paths.DICT
    dictionary = sorted(set(read_dictionary(dict_file))) if dict_file.is_file() else sorted(characters)
    rare = tuple(ch for ch in dictionary if characters[ch] < min_char_count)
    outside = sorted(set(characters) - set(dictionary))
    manifest = root / paths.MANIFEST
    recipe = read_manifest(manifest)["config"]["recipe"] if manifest.is_file() else None
    sizes = [s for s in map(_image_size, entries) if s is not None]
    counted = (
        ("preset", "Augmentation preset"),
        ("category", "Text category"),
        ("fonts", "Font (samples using it)"),
        ("background", "Background"),
        ("furniture", "Furniture"),
        ("crop", "Crop"),
    )
    summary = (
        f"<p>{len(entries)} labelled images in {html.escape(str(target))}; dictionary {html.escape(str(dict_file))}"
        f" ({len(dictionary)} characters)</p><div class=sheet><img src='{sheet.name}' alt='contact sheet'></div>"
    )
    flags = (
        f"<h2>Characters with fewer than {min_char_count} occurrences ({len(rare)} of {len(dictionary)})</h2>"
        f"<p class=flag>{html.escape(' '.join(rare)) or 'none'}</p>"
        f"<h2>Characters not in the dictionary ({len(outside)})</h2>"
        f"<p class=flag>{html.escape(' '.join(outside)) or 'none'}</p>"
    )
    sections = [
        summary,
        bars({recipe or "(not a thaigen build)": len(entries)}, "Recipe"),
        bars(Counter(e.split for e in entries), "Label file"),
        *(bars(_counts(entries, key), title) for key, title in counted),
        flags,
        bars({ch: characters[ch] for ch in dictionary}, "Character frequency, dictionary characters (most common first)"),
        bars(Counter(len(e.label) for e in entries), "Label length (code points)"),
        bars(binned([w for w, _ in sizes], 20), "Image width (px, bins of 20)"),
        bars(Counter(h for _, h in sizes), "Image height (px)"),
    ]
    page = out / "report.html"
    with atomic_text(page) as handle:
        handle.write(
            "<!doctype html><meta charset=utf-8><title>thaigen report</title><style>"
            "body{font-family:'Noto Sans Thai',sans-serif;margin:2em}td{padding:1px 8px}td.n{text-align:right}"
            ".bar{background:#4a7;height:12px}.flag{color:#b00;font-size:1.3em}.sheet{overflow-x:auto}</style>"
            f"<h1>Dataset report</h1>{''.join(sections)}\n"
        )
    return Report(page, sheet, len(entries), rare)
