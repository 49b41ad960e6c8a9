"""Build configuration models: one validated, frozen object; validation checks shapes and values, never files.

Preset and text source names are checked against their registries, imported inside the validators so
that config imports nothing of thaigen but thaigen.errors at module level (the registries never import config).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

DEFAULT_RECIPE = "mixed"
DEFAULT_DET_RECIPE = "pages"
TASKS = ("rec", "det")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


FONT_CLASSES = ("looped", "loopless", "serif", "display", "handwriting", "monospace", "national", "other")
"""Font classes of fonts/README.md's family table; `other` is every font outside it (fonts.files, fonts.dirs)."""


class FontsConfig(_Strict):
    """Which fonts draw the text."""

    shipped: bool = True
    """Use the Thai fonts shipped in thaigen's fonts/ folder."""
    set: Literal["core", "all"] = "core"
    """Which shipped fonts: core (the 12 families every recipe has drawn from, 24 files) or all (every
    shipped family: + Google Fonts' Thai families and the national fonts of the Thai government's programme)."""
    classes: dict[str, float] = Field(default_factory=dict)
    """Font class -> relative weight (fonts/README.md): a class's weight is shared equally by its families and
    a family's by its faces; a font in several classes takes a share of each. Empty: every font equally."""
    dirs: tuple[Path, ...] = ()
    """Extra folders of Thai fonts (*.ttf, *.otf); every font in them must cover Thai."""
    files: tuple[Path, ...] = ()
    """Extra Thai font files."""
    fallback: tuple[Path, ...] = ()
    """Extra fallback fonts for characters a Thai font lacks (Latin, digits); shipped Noto Sans is always there."""

    def __hash__(self) -> int:
        """Hash of the values (a frozen config is a cache key; `classes` is a dict)."""
        return hash(self.model_dump_json())

    @model_validator(mode="after")
    def _classes_known(self) -> FontsConfig:
        if self.classes:
            _check_weights("fonts.classes", self.classes)
            unknown = sorted(set(self.classes) - set(FONT_CLASSES))
            if unknown:
                raise ValueError(f"unknown font class '{unknown[0]}'; known: {', '.join(FONT_CLASSES)}")
        return self


class RenderConfig(_Strict):
    """Geometry and colours of a clean text line."""

    height: int = Field(48, ge=16, le=256)
    """Output image height in px (PP-OCRv3+ recognisers read 48)."""
    line_fill: tuple[float, float] = (0.80, 0.98)
    """Range of the fraction of the height the font's line box (ascent+descent) fills."""
    margin_x: tuple[int, int] = (2, 16)
    """Range of the left/right margin between ink and image edge, px."""
    text_gray: tuple[int, int] = (0, 70)
    """Range of the text gray level (0 black)."""
    background_gray: tuple[int, int] = (190, 255)
    """Range of the background gray level."""

    @model_validator(mode="after")
    def _ranges_ordered(self) -> RenderConfig:
        for name in ("line_fill", "margin_x", "text_gray", "background_gray"):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"render.{name}: {low} > {high}")
        if not 1 <= self.margin_x[0] <= self.margin_x[1] <= 256:
            raise ValueError("render.margin_x must lie within [1, 256] px (at least 1 so ink never touches the border)")
        for name in ("text_gray", "background_gray"):
            if not 0 <= getattr(self, name)[0] <= getattr(self, name)[1] <= 255:
                raise ValueError(f"render.{name} must lie within [0, 255]")
        if not 0.2 <= self.line_fill[0] <= self.line_fill[1] <= 1.0:
            raise ValueError("render.line_fill must lie within [0.2, 1.0]")
        if self.background_gray[0] - self.text_gray[1] < 80:
            raise ValueError("render: text and background gray ranges leave less than 80 levels of contrast")
        return self


class AugmentConfig(_Strict):
    """Which augmentation presets run after rendering, by weight, and presets defined in the config."""

    presets: dict[str, float] = Field(default_factory=lambda: {"light": 1.0})
    """Preset name -> relative weight; built-ins: clean (= none), light, scan, photo, screen, fax."""
    define: dict[str, tuple[dict[str, dict[str, JsonValue] | None], ...]] = Field(default_factory=dict)
    """New presets: name -> list of {AlbumentationsTransform: {parameter: value}} steps (see thaigen.augment.presets)."""

    @model_validator(mode="before")
    @classmethod
    def _single_preset(cls, data: Any) -> Any:
        """`preset: NAME` (thaigen 0.1) means `presets: {NAME: 1}`."""
        if isinstance(data, dict) and "preset" in data:
            if not isinstance(data["preset"], str):
                raise ValueError(f"preset: must be a preset name, not {type(data['preset']).__name__}")
            data = {k: v for k, v in data.items() if k != "preset"} | {"presets": {data["preset"]: 1}}
        return data

    @model_validator(mode="after")
    def _presets_known(self) -> AugmentConfig:
        from thaigen.augment.presets import BUILTIN, build_preset

        _check_weights("presets", self.presets)
        for name, steps in self.define.items():
            if name in BUILTIN:
                raise ValueError(f"define: '{name}' is a built-in preset; give yours another name")
            build_preset(name, steps)
        known = sorted([*BUILTIN, *self.define])
        unknown = sorted(set(self.presets) - set(known))
        if unknown:
            raise ValueError(f"unknown preset '{unknown[0]}'; known: {', '.join(known)}")
        return self

    def steps(self, name: str) -> tuple[Mapping[str, Mapping[str, JsonValue] | None], ...]:
        """The steps of preset `name` (defined here, else built in)."""
        from thaigen.augment.presets import BUILTIN

        return self.define[name] if name in self.define else BUILTIN[name]


class Chance(_Strict):
    """An effect applied to a share `p` of lines, its strength drawn uniformly from `range`."""

    p: float = Field(0.0, ge=0.0, le=1.0)
    range: tuple[float, float] = (0.0, 0.0)

    @model_validator(mode="after")
    def _ordered(self) -> Chance:
        if self.range[0] > self.range[1]:
            raise ValueError(f"range {list(self.range)} is not low, high")
        return self


class StyleConfig(_Strict):
    """How the text itself is drawn: weight, spacing, width, slant."""

    bold: float = Field(0.35, ge=0.0, le=1.0)
    """Share of bold lines: the family's bold face when the pool has one covering the run, else a synthetic stroke."""
    stroke: tuple[float, float] = (0.02, 0.045)
    """Width of the synthetic bold stroke, em."""
    letter_spacing: Chance = Chance(p=0.06, range=(0.03, 0.2))
    """Extra space between grapheme clusters (never inside one), em."""
    width: Chance = Chance(p=0.1, range=(0.8, 1.2))
    """Horizontal scale: below 1 condensed, above 1 expanded."""
    skew: Chance = Chance(p=0.06, range=(-0.1, 0.3))
    """Slant: horizontal shift per px above the baseline (0.2 is about 11 degrees, positive leans right)."""

    @model_validator(mode="after")
    def _sane(self) -> StyleConfig:
        bounds = {"stroke": (self.stroke, 0, 0.1), "letter_spacing.range": (self.letter_spacing.range, 0, 1),
                  "width.range": (self.width.range, 0.5, 2), "skew.range": (self.skew.range, -0.5, 0.5)}
        for name, ((low, high), least, most) in bounds.items():
            if not least <= low <= high <= most:
                raise ValueError(f"style.{name} must be low <= high within [{least}, {most}]")
        return self


BACKGROUND_KINDS = ("plain", "gradient", "paper", "image")
FURNITURE_KINDS = ("underline", "leader", "rules", "box", "neighbours")


class BackgroundConfig(_Strict):
    """What lies behind the text; text and background lumas come from render.text_gray / background_gray."""

    kinds: dict[str, float] = Field(default_factory=lambda: {"plain": 8.0, "gradient": 1.0, "paper": 1.0})
    """Kind -> relative weight: plain, gradient, paper (procedural texture), image (from `images`)."""
    images: tuple[Path, ...] = ()
    """Folders (searched recursively) or files of background images (PNG, JPEG, WebP, BMP, TIFF)."""
    light_on_dark: float = Field(0.1, ge=0.0, le=1.0)
    """Share of lines with light text on a dark background (lumas mirrored: 255 - gray)."""
    color: float = Field(0.15, ge=0.0, le=1.0)
    """Share of lines whose text and background take a hue (same lumas, so the same contrast)."""

    @model_validator(mode="after")
    def _kinds_known(self) -> BackgroundConfig:
        _check_weights("kinds", self.kinds)
        unknown = sorted(set(self.kinds) - set(BACKGROUND_KINDS))
        if unknown:
            raise ValueError(f"unknown background kind '{unknown[0]}'; known: {', '.join(BACKGROUND_KINDS)}")
        if bool(self.images) != (self.kinds.get("image", 0) > 0):
            raise ValueError("kinds.image needs a positive weight exactly when images are given")
        return self


class FrameConfig(_Strict):
    """The crop around the text: margins from tight to generous, and form furniture in them."""

    recrop: float = Field(0.6, ge=0.0, le=1.0)
    """Share of lines cropped around their ink with the margins below (the rest keep the font's line box).
    0.6, measured (bench/meter.py): against 0.2, line accuracy on other engines' ink-cut lines 11.4 % -> 19.2 %,
    CER 29.3 % -> 20.3 %, every category up; a deployed recognizer reads what a detector cuts."""
    margin_y: tuple[float, float] = (0.04, 0.5)
    """Range of the margin above and below the ink, em (at least 2 px)."""
    margin_x: tuple[float, float] = (0.04, 0.6)
    """Range of the margin left and right of the ink, em (at least 2 px)."""
    furniture: dict[str, float] = Field(
        default_factory=lambda: {"underline": 0.1, "leader": 0.06, "rules": 0.06, "box": 0.05, "neighbours": 0.12}
    )
    """Furniture kind -> share of re-cropped lines that get it: underline, leader (dotted), rules (table),
    box, neighbours (cut-off ink of the lines above or below; never part of the label)."""

    @model_validator(mode="after")
    def _valid(self) -> FrameConfig:
        for name in ("margin_y", "margin_x"):
            low, high = getattr(self, name)
            if not 0 <= low <= high <= 4:
                raise ValueError(f"frame.{name} must be low <= high within [0, 4] em")
        unknown = sorted(set(self.furniture) - set(FURNITURE_KINDS))
        if unknown:
            raise ValueError(f"unknown furniture kind '{unknown[0]}'; known: {', '.join(FURNITURE_KINDS)}")
        if any(not 0 <= p <= 1 for p in self.furniture.values()):
            raise ValueError("frame.furniture: each share must lie within [0, 1]")
        return self


MIN_ROWS = 16
"""Rows of the largest body text every page must hold along its long side."""
LAYOUTS = ("document", "form", "receipt", "id_card", "sign")


class PageConfig(_Strict):
    """Detection pages (task: det): size, layouts, text sizes, and which boxes PaddleOCR must ignore."""

    long_side: tuple[int, int] = (960, 1600)
    """Range of the page image's long side, px (a phone photo or a 150-200 dpi scan); the short side follows the layout."""
    layouts: dict[str, float] = Field(
        default_factory=lambda: {"document": 3.0, "form": 2.0, "receipt": 1.0, "id_card": 1.0, "sign": 1.0}
    )
    """Layout -> relative weight: document (headings, 1-2 columns), form (labels, boxed, underlined and
    table fields, stamps), receipt (thermal columns of items and prices), id_card (card with a photo
    area), sign (a few large lines on a scene, some cut by the edge)."""
    text_px: tuple[int, int] = (24, 48)
    """Range of the body text's line box (ascent + descent), px; headings and titles are larger."""
    min_text_px: int = Field(8, ge=1, le=64)
    """A box whose axis-aligned width or height is under this is `###` (PaddleOCR's MakeShrinkMap min_text_size)."""
    fine_print: float = Field(0.15, ge=0.0, le=1.0)
    """Share of pages with a line of fine print under min_text_px of ink (drawn, labelled `###`)."""
    scene: float = Field(0.3, ge=0.0, le=1.0)
    """Share of document, form, receipt and card pages photographed on a scene (the page smaller than the image)."""
    box_margin: float = Field(0.06, ge=0.0, le=0.3)
    """Margin around each line's ink in its polygon, as a share of its line box (at least 1 px)."""
    crops: bool = False
    """Also write a recognition dataset (crops/) cut from the page lines as PaddleOCR's system cuts detector boxes."""
    kie: bool = False
    """Also write key-information labels (kie_train.txt, kie_val.txt, kie_class_list.txt): PaddleOCR's XFUND-style
    SER/RE labels, each line a header, question (a field's label), answer (its value, linked) or other."""

    @model_validator(mode="after")
    def _valid(self) -> PageConfig:
        low, high = self.long_side
        if not 320 <= low <= high <= 4096:
            raise ValueError("page.long_side must be low <= high within [320, 4096] px")
        low, high = self.text_px
        if not 10 <= low <= high <= 200:
            raise ValueError("page.text_px must be low <= high within [10, 200] px")
        if high * MIN_ROWS > self.long_side[0]:
            raise ValueError(
                f"page.text_px up to {high} px is too large for a {self.long_side[0]} px page (a layout needs"
                f" {MIN_ROWS} rows); keep text_px[1] <= {self.long_side[0] // MIN_ROWS} or raise long_side"
            )
        _check_weights("layouts", self.layouts)
        unknown = sorted(set(self.layouts) - set(LAYOUTS))
        if unknown:
            raise ValueError(f"unknown layout '{unknown[0]}'; known: {', '.join(LAYOUTS)}")
        return self


def _check_weights(name: str, weights: Mapping[str, float]) -> None:
    if any(w < 0 for w in weights.values()):
        raise ValueError(f"{name}: weights must be >= 0")
    if not weights or all(w <= 0 for w in weights.values()):
        raise ValueError(f"{name}: give at least one a positive weight")


class GenConfig(_Strict):
    """Everything that decides a dataset's bytes (worker count and output folder do not)."""

    recipe: str = DEFAULT_RECIPE
    task: Literal["rec", "det"] = "rec"
    """rec: one text line per image (recognition); det: pages with line polygons (detection)."""
    count: int = Field(1000, ge=1)
    seed: int = Field(0, ge=0)
    val_fraction: float = Field(0.1, ge=0.0, lt=1.0)
    sources: dict[str, float]
    """Text source name -> relative weight ('corpus' draws lines from corpus_files)."""
    corpus_files: tuple[Path, ...] = ()
    """Your own text files (UTF-8, one line per sample text, '#' comments) for the 'corpus' source."""
    dictionary: Path | None = None
    """A PaddleOCR dict file (e.g. the official ppocrv5_th_dict.txt, to fine-tune that model): only labels
    it encodes whole are made, and it is written unchanged as the dataset's dict.txt."""
    focus_characters: dict[str, float] = Field(default_factory=dict)
    """Character -> weight: the `focus` source writes lines around these (set by build --focus)."""
    focus_report: str | None = None
    """sha256 of the score report a --focus build was re-weighted from."""
    max_text_length: int = Field(25, ge=1, le=1000)
    """Longest label in code points (PaddleOCR's Global.max_text_length; longer labels are dropped there). At most
    1,000: a budget beyond any line a recognizer reads (a 90-code-point document line is long) that the running-text
    sources would spend minutes filling."""
    ctc_time_steps: int = Field(40, ge=1, le=2000)
    """CTC steps of the target model (PPLCNetV3 at width 320: 40); labels needing more are never made."""
    fonts: FontsConfig = Field(default_factory=FontsConfig)
    render: RenderConfig = Field(default_factory=RenderConfig)
    style: StyleConfig = Field(default_factory=StyleConfig)
    background: BackgroundConfig = Field(default_factory=BackgroundConfig)
    frame: FrameConfig = Field(default_factory=FrameConfig)
    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    page: PageConfig = Field(default_factory=PageConfig)
    char_boxes: bool = False
    """Also record each label's grapheme clusters with a box (4 corners, final image px) around each one's ink in
    samples.jsonl (`clusters`: of each line, and of each labelled line of a page); the images stay the same."""

    @model_validator(mode="after")
    def _sources_known(self) -> GenConfig:
        from thaigen.text.catalog import NAMES
        from thaigen.text.sources import USER_CORPUS

        known = sorted([*NAMES, USER_CORPUS])
        unknown = sorted(set(self.sources) - set(known))
        if unknown:
            raise ValueError(f"unknown text source '{unknown[0]}'; known: {', '.join(known)}")
        if bool(self.corpus_files) != (self.sources.get(USER_CORPUS, 0) > 0):
            raise ValueError(f"sources.{USER_CORPUS} needs a positive weight exactly when corpus_files are given")
        _check_weights("sources", self.sources)
        if any(len(ch) != 1 or not w > 0 for ch, w in self.focus_characters.items()):
            raise ValueError("focus_characters: each key must be one character with a weight > 0")
        if (self.sources.get("focus", 0) > 0) != bool(self.focus_characters):
            raise ValueError("sources.focus needs a positive weight exactly when focus_characters are given")
        if self.page.crops and self.task != "det":
            raise ValueError("page.crops (--crops) cuts recognition crops from det pages; it needs task: det")
        if self.page.kie and self.task != "det":
            raise ValueError("page.kie (--kie) labels the fields of det pages; it needs task: det")
        return self

    def digest(self) -> str:
        """Short sha256 of the canonical JSON form; equal configs give equal digests."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def canonical_json(self) -> str:
        """The config as sorted, compact JSON (paths as strings)."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
