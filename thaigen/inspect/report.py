"""What a PaddleOCR recognition dataset holds: a contact sheet (PNG) and an HTML page of counts and histograms.

Works on any `path<TAB>label` dataset and on LMDB sets (`build --format lmdb`); thaigen's samples.jsonl and manifest.json add recipe, preset, font,
category, background and furniture counts when present.
"""

from __future__ import annotations

import html
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from thaigen.config.schema import FontsConfig
from thaigen.dataset import lmdb, paths
from thaigen.dataset.atomic import atomic_bytes, atomic_text
from thaigen.dataset.dictionary import read_dictionary
from thaigen.dataset.labels import read_label_lines
from thaigen.dataset.manifest import read_manifest
from thaigen.dataset.samples import read_records, records_by_image
from thaigen.errors import DatasetError
from thaigen.typeset.faces import pil_font
from thaigen.typeset.fonts import FontInfo, load_pool
from thaigen.typeset.runs import split_runs

SHEET_COLUMNS = 4
CELL_WIDTH = 340
IMAGE_HEIGHT = 48
LABEL_PX = 20
LABEL_FONT = "NotoSansThai-Regular.ttf"
"""Shipped font the contact sheet's labels are drawn in (with the shipped fallbacks for Latin)."""


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

    def open(self) -> Image.Image:
        """The image (from its file or its LMDB).

        Raises:
            OSError: it cannot be read or decoded.
            DatasetError: its LMDB sample is missing.
        """
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
    records: dict[tuple[str, int], dict[str, object]] = {}
    if (root / paths.SAMPLES).is_file():
        numbers: Counter[str] = Counter()
        for record in read_records(root / paths.SAMPLES):
            numbers[str(record["split"])] += 1
            records[(str(record["split"]), numbers[str(record["split"])])] = record
    entries = [
        Entry(s.folder, s.label, s.split, records.get((s.split, s.number), {}), s.number, _png_size(s.png))
        for s in lmdb.read_lmdb_set(target)
    ]
    if not entries:
        raise DatasetError(f"no samples in the LMDB set {target}")
    return entries


def dataset_root(target: Path) -> Path:
    """The folder holding the dataset's dict.txt and manifest.json: `target`, or the folder above a label file or
    above one LMDB split.

    Raises:
        DatasetError: no dataset at `target`.
    """
    if lmdb.lmdb_splits(target) == [target]:
        return target.parent
    if lmdb.is_lmdb_set(target):
        return target
    return paths.label_files(target)[0]


def read_entries(target: Path) -> list[Entry]:
    """Every line PaddleOCR can use in the dataset's label files (or every sample of its LMDBs), with thaigen's
    per-sample records when present."""
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


def _label_fonts() -> tuple[FontInfo, tuple[FontInfo, ...]]:
    pool = load_pool(FontsConfig())
    primary = next((f for f in pool.thai if f.path.name == LABEL_FONT), pool.thai[0])
    return primary, pool.fallbacks_for(primary)


def _draw_label(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, fonts: tuple[FontInfo, tuple[FontInfo, ...]]) -> None:
    """Draw `text` shaped by raqm, run by run in fonts that cover it ('?' for characters none covers)."""
    primary, fallbacks = fonts
    known = primary.codepoints.union(*(f.codepoints for f in fallbacks))
    runs = split_runs("".join(ch if ch in known else "?" for ch in text), primary, fallbacks) or []
    x, y = xy
    for run in runs:
        font = pil_font(str(run.font.path), LABEL_PX)
        draw.text((x, y), run.text, font=font, fill=(0, 0, 0), anchor="ls")
        x += round(font.getlength(run.text))


def contact_sheet(entries: Sequence[Entry], count: int, seed: int, out: Path) -> None:
    """A grid of `count` random samples (seeded), each image above its label."""
    rng = np.random.default_rng(seed)
    chosen = [entries[int(i)] for i in sorted(rng.choice(len(entries), size=min(count, len(entries)), replace=False))]
    fonts = _label_fonts()
    cell_height = IMAGE_HEIGHT + 2 * LABEL_PX + 16
    rows = -(-len(chosen) // SHEET_COLUMNS)
    sheet = Image.new("RGB", (SHEET_COLUMNS * CELL_WIDTH, rows * cell_height), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for n, entry in enumerate(chosen):
        left, top = (n % SHEET_COLUMNS) * CELL_WIDTH + 8, (n // SHEET_COLUMNS) * cell_height + 6
        try:
            with entry.open() as image:
                picture = image.convert("RGB")
        except (OSError, DatasetError):
            picture = Image.new("RGB", (IMAGE_HEIGHT, IMAGE_HEIGHT), (255, 0, 0))
        scale = min(IMAGE_HEIGHT / picture.height, (CELL_WIDTH - 16) / picture.width)
        picture = picture.resize((max(1, round(picture.width * scale)), max(1, round(picture.height * scale))))
        sheet.paste(picture, (left, top))
        draw.rectangle((left - 1, top - 1, left + picture.width, top + picture.height), outline=(200, 200, 200))
        _draw_label(draw, (left, top + IMAGE_HEIGHT + LABEL_PX + 2), entry.label, fonts)
        tags = " · ".join(str(entry.meta[k]) for k in ("preset", "background") if k in entry.meta)
        draw.text((left, top + IMAGE_HEIGHT + 2 * LABEL_PX + 6), tags, fill=(120, 120, 120), anchor="ls")
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG")
    atomic_bytes(out, buffer.getvalue())


def _counts(entries: Iterable[Entry], key: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for entry in entries:
        value = entry.meta.get(key)
        if key == "fonts":
            runs = entry.meta.get("runs")
            counts.update({str(r["font"]) for r in runs} if isinstance(runs, list) else ["(unknown)"])
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
        f" ({len(dictionary)} characters)</p><img src='{sheet.name}' alt='contact sheet'>"
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
            ".bar{background:#4a7;height:12px}.flag{color:#b00;font-size:1.3em}img{max-width:100%}</style>"
            f"<h1>Dataset report</h1>{''.join(sections)}\n"
        )
    return Report(page, sheet, len(entries), rare)
