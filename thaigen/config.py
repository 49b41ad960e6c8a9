"""Build configuration: one validated, frozen object, checked once at the edge."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from thaigen.errors import ConfigError
from thaigen.recipes import RECIPES

DEFAULT_RECIPE = "mixed"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FontsConfig(_Strict):
    """Which fonts draw the text."""

    shipped: bool = True
    """Use the Thai fonts shipped in thaigen's fonts/ folder."""
    dirs: tuple[Path, ...] = ()
    """Extra folders of Thai fonts (*.ttf, *.otf); every font in them must cover Thai."""
    files: tuple[Path, ...] = ()
    """Extra Thai font files."""
    fallback: tuple[Path, ...] = ()
    """Extra fallback fonts for characters a Thai font lacks (Latin, digits); shipped Noto Sans is always there."""


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
        if self.margin_x[0] < 1:
            raise ValueError("render.margin_x must be at least 1 px so ink never touches the border")
        if not 0.2 <= self.line_fill[0] <= self.line_fill[1] <= 1.0:
            raise ValueError("render.line_fill must lie within [0.2, 1.0]")
        if self.background_gray[0] - self.text_gray[1] < 80:
            raise ValueError("render: text and background gray ranges leave less than 80 levels of contrast")
        return self


class AugmentConfig(_Strict):
    """Which augmentation preset runs after rendering."""

    preset: Literal["none", "light"] = "light"


class GenConfig(_Strict):
    """Everything that decides a dataset's bytes (worker count and output folder do not)."""

    recipe: str = DEFAULT_RECIPE
    count: int = Field(1000, ge=1)
    seed: int = Field(0, ge=0)
    val_fraction: float = Field(0.1, ge=0.0, lt=1.0)
    sources: dict[str, float]
    """Text source name -> relative weight ('corpus' draws lines from corpus_files)."""
    corpus_files: tuple[Path, ...] = ()
    """Your own text files (UTF-8, one line per sample text, '#' comments) for the 'corpus' source."""
    max_text_length: int = Field(25, ge=1)
    """Longest label in code points (PaddleOCR's Global.max_text_length; longer labels are dropped there)."""
    ctc_time_steps: int = Field(40, ge=1)
    """CTC steps of the target model (PPLCNetV3 at width 320: 40); labels needing more are never made."""
    fonts: FontsConfig = Field(default_factory=FontsConfig)
    render: RenderConfig = Field(default_factory=RenderConfig)
    augment: AugmentConfig = Field(default_factory=AugmentConfig)

    @model_validator(mode="after")
    def _sources_known(self) -> GenConfig:
        from thaigen.text import SOURCES, USER_CORPUS

        known = sorted([*SOURCES, USER_CORPUS])
        unknown = sorted(set(self.sources) - set(known))
        if unknown:
            raise ValueError(f"unknown text source '{unknown[0]}'; known: {', '.join(known)}")
        if bool(self.corpus_files) != (self.sources.get(USER_CORPUS, 0) > 0):
            raise ValueError(f"sources.{USER_CORPUS} needs a positive weight exactly when corpus_files are given")
        if not self.sources or all(w <= 0 for w in self.sources.values()):
            raise ValueError("sources: give at least one source a positive weight")
        if any(w < 0 for w in self.sources.values()):
            raise ValueError("sources: weights must be >= 0")
        return self

    def digest(self) -> str:
        """Short sha256 of the canonical JSON form; equal configs give equal digests."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def canonical_json(self) -> str:
        """The config as sorted, compact JSON (paths as strings)."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `override` into a copy of `base` (mappings merge, everything else replaces)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "sources":
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"unknown config key '{where}'"
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML config file into a mapping, with one-line errors."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys, not {type(data).__name__}")
    return data


def make_config(
    recipe: str | None = None, file_values: dict[str, Any] | None = None, **overrides: Any
) -> GenConfig:
    """Build a GenConfig: recipe defaults, then the config file's values, then explicit overrides.

    Raises:
        ConfigError: unknown recipe, unknown key, or an invalid value (the message names it).
    """
    values = dict(file_values or {})
    name = recipe or values.get("recipe") or DEFAULT_RECIPE
    if name not in RECIPES:
        raise ConfigError(f"unknown recipe '{name}'; known: {', '.join(sorted(RECIPES))}")
    merged = _merge(_merge(RECIPES[name], values), {k: v for k, v in overrides.items() if v is not None})
    merged["recipe"] = name
    try:
        return GenConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def load_config(path: Path | None = None, recipe: str | None = None, **overrides: Any) -> GenConfig:
    """Load a YAML config (optional) over a recipe, with keyword overrides (None means unset)."""
    return make_config(recipe, read_yaml(path) if path else None, **overrides)
