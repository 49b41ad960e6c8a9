"""What lies behind the text: plain, gradient, paper texture or a user's image, with a guaranteed contrast.

Text and background lumas (Rec. 601 Y) come from render.text_gray and render.background_gray, whose
ranges the config keeps at least 80 levels apart; light-on-dark lines mirror both (255 - Y). Hue is
added at constant luma and every background pixel's luma is kept inside the background range, so the
contrast holds for every pixel.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from thaigen.config.schema import BackgroundConfig, RenderConfig
from thaigen.errors import ConfigError
from thaigen.rng import pick

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_SHORT_SIDE_PX = 256
"""User images are kept with their short side at most this long (lines are small crops of them)."""


@dataclass(frozen=True)
class Backdrop:
    """Sampled background and text colours of one line."""

    kind: str
    light_on_dark: bool
    text_rgb: tuple[int, int, int]
    colors: tuple[tuple[int, int, int], tuple[int, int, int]]
    """Background colour at both ends of a gradient (equal for plain); the base of paper and images."""
    luma_range: tuple[int, int]
    """Lumas the background must stay in."""
    seed: int
    """Draws for textures, gradient direction and image crops."""


@functools.cache
def image_files(paths: tuple[Path, ...]) -> tuple[Path, ...]:
    """Background image files under the configured folders and files, sorted (searched once per process)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            files.append(path)
    return tuple(files)


def check_images(paths: Sequence[Path], min_size: tuple[int, int] | None = None) -> None:
    """Check that every configured background image exists and decodes (nothing to check when none are).

    With `min_size` (short side, long side, px: the largest page), each image must be at least that large
    in one orientation: pages are cut from their images, never tiled.

    Raises:
        ConfigError: naming the first missing, unreadable, empty or too small folder or file.
    """
    for path in paths:
        if not path.exists():
            raise ConfigError(f"background image folder or file not found: {path}")
    files = image_files(tuple(paths))
    if paths and not files:
        raise ConfigError(f"no background images ({', '.join(IMAGE_SUFFIXES)}) in {', '.join(map(str, paths))}")
    for file in files:
        try:
            with Image.open(file) as image:
                image.load()
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
            raise ConfigError(f"cannot read background image {file}: {exc}") from None
        if min_size and (min(image.size) < min_size[0] or max(image.size) < min_size[1]):
            raise ConfigError(
                f"background image {file} is {image.size[0]}x{image.size[1]} px, smaller than the largest page"
                f" ({min_size[0]}x{min_size[1]} px in either orientation); use larger images or lower page.long_side"
            )


@functools.lru_cache(maxsize=8)
def _load_full(path: Path) -> np.ndarray:
    """A background image as RGB at full size (for pages; few kept, they are large)."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@functools.lru_cache(maxsize=256)
def _load(path: Path) -> np.ndarray:
    """A background image as RGB, its short side shrunk to _SHORT_SIDE_PX (lines are small crops of it)."""
    rgb = _load_full(path)
    scale = _SHORT_SIDE_PX / min(rgb.shape[:2])
    if scale < 1:
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return rgb


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32) @ LUMA


def _tinted(luma: float, chroma: float, hue: np.ndarray) -> tuple[int, int, int]:
    """A colour of the given luma, `hue` (3 normal draws) giving its direction (gray when it cannot fit 0-255)."""
    if not chroma:
        gray = round(luma)
        return (gray, gray, gray)
    direction = hue.astype(np.float32) - float(hue @ LUMA)
    direction *= chroma / max(float(np.abs(direction).max()), 1e-6)
    for scale in (1.0, 0.5, 0.25):
        rgb = np.rint(luma + direction * scale)
        if rgb.min() >= 0 and rgb.max() <= 255:
            return (int(rgb[0]), int(rgb[1]), int(rgb[2]))
    gray = round(luma)
    return (gray, gray, gray)


def sample_backdrop(rng: np.random.Generator, config: BackgroundConfig, render: RenderConfig) -> Backdrop:
    """Draw the background kind, polarity and colours of one line (always the same draws)."""
    u = rng.random(6)
    hues = rng.standard_normal((3, 3))
    kinds = sorted(config.kinds)
    kind = kinds[pick(u[0], [config.kinds[k] for k in kinds])]
    light_on_dark, colored = bool(u[1] < config.light_on_dark), bool(u[2] < config.color)
    text_low, text_high = render.text_gray
    low, high = render.background_gray
    text_luma = text_low + u[3] * (text_high - text_low)
    luma_a, luma_b = low + u[4] * (high - low), low + u[5] * (high - low)
    if light_on_dark:
        text_luma, luma_a, luma_b, low, high = 255 - text_luma, 255 - luma_a, 255 - luma_b, 255 - high, 255 - low
    text_chroma, background_chroma = (80.0, 30.0) if colored else (0.0, 6.0 if kind == "paper" else 0.0)
    text = _tinted(text_luma, text_chroma, hues[0])
    first = _tinted(luma_a, background_chroma, hues[1])
    second = _tinted(luma_b if kind == "gradient" else luma_a, background_chroma, hues[2 if kind == "gradient" else 1])
    return Backdrop(kind, light_on_dark, text, (first, second), (low, high), int(rng.integers(0, 2**31 - 1)))


def _solid(rgb: tuple[int, int, int], height: int, width: int) -> np.ndarray:
    return cv2.merge([np.full((height, width), value, dtype=np.uint8) for value in rgb])


def _gradient(backdrop: Backdrop, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A linear blend of the two colours along a random direction (both ends hold the contrast, so all do)."""
    angle = rng.uniform(0, 2 * np.pi)
    rows = np.arange(height, dtype=np.float32) * np.float32(np.sin(angle))
    along = np.add.outer(rows, np.arange(width, dtype=np.float32) * np.float32(np.cos(angle)))
    share = (along - along.min()) / max(float(along.max() - along.min()), 1.0)
    first, second = (_solid(c, height, width) for c in backdrop.colors)
    return cv2.blendLinear(first, second, 1 - share, share)


def _paper(backdrop: Backdrop, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Base colour plus blotches (smooth low-frequency noise) and grain (fine noise), as gray offsets.

    The offsets are clipped so that luma stays in range and no channel leaves 0-255 (the hue is constant).
    """
    coarse = rng.standard_normal((max(2, height // 12), max(2, width // 12)), dtype=np.float32)
    blotches = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC) * np.float32(rng.uniform(2, 9))
    grain = rng.standard_normal((height, width), dtype=np.float32) * np.float32(rng.uniform(1, 4))
    base = np.array(backdrop.colors[0], dtype=np.float32)
    luma = float(base @ LUMA)
    low = max(backdrop.luma_range[0], luma - float(base.min()))
    high = min(backdrop.luma_range[1], 255 - float(base.max()) + luma)
    offsets = np.clip(blotches + grain + np.float32(luma), low, high) - np.float32(luma)
    return cv2.merge([cv2.convertScaleAbs(offsets + np.float32(channel)) for channel in base])


def _image(backdrop: Backdrop, files: Sequence[Path], height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A random crop of a user image (tiled when small), its lumas stretched over the background range.

    Pages (larger than _SHORT_SIDE_PX on both sides) are cut from the image at full size, turned to the
    page's orientation; check_images made sure every image covers the largest page.
    """
    page = min(height, width) > _SHORT_SIDE_PX
    file = files[int(rng.integers(len(files)))]
    source = _load_full(file) if page else _load(file)
    if page and (source.shape[0] > source.shape[1]) != (height > width):
        source = np.rot90(source)
    reps = (-(-height // source.shape[0]) + 1, -(-width // source.shape[1]) + 1, 1)
    tiled = np.tile(source, reps) if reps[:2] != (1, 1) else source
    top = int(rng.integers(0, tiled.shape[0] - height + 1))
    left = int(rng.integers(0, tiled.shape[1] - width + 1))
    crop = tiled[top : top + height, left : left + width].astype(np.float32)
    luma = _luma(crop)
    low, high = backdrop.luma_range
    target = low + (luma - float(luma.min())) * ((high - low) / max(float(np.ptp(luma)), 1.0))
    return crop + (target - luma)[:, :, None]


def _paint(backdrop: Backdrop, height: int, width: int, images: Sequence[Path]) -> np.ndarray:
    """A textured background as uint8 RGB, every pixel's luma inside the backdrop's luma range."""
    rng = np.random.default_rng(backdrop.seed)
    if backdrop.kind == "gradient":
        return _gradient(backdrop, height, width, rng)
    if backdrop.kind == "paper":
        return _paper(backdrop, height, width, rng)
    canvas = _keep_luma(_image(backdrop, image_files(tuple(images)), height, width, rng), backdrop.luma_range)
    return np.rint(canvas).astype(np.uint8)


def _keep_luma(canvas: np.ndarray, luma_range: tuple[int, int]) -> np.ndarray:
    """Clip each pixel's luma into the range, then scale its hue down until all channels fit 0-255.

    Hue (pixel minus its luma, on every channel) has zero luma, so scaling it keeps the luma exact.
    """
    luma = _luma(canvas)
    target = np.clip(luma, *luma_range)[:, :, None]
    hue = canvas - luma[:, :, None]
    over, under = hue.max(axis=2, keepdims=True), -hue.min(axis=2, keepdims=True)
    room = np.minimum((255 - target) / np.maximum(over, 1e-3), target / np.maximum(under, 1e-3))
    return np.clip(target + hue * np.minimum(room, 1.0), 0, 255)


def draw_on(backdrop: Backdrop, coverage: np.ndarray, images: Sequence[Path]) -> np.ndarray:
    """Text colour over the backdrop by coverage (uint8, 255 = ink), as uint8 RGB."""
    height, width = coverage.shape
    if backdrop.kind == "plain":
        ground, text = (np.array(c, dtype=np.float32) for c in (backdrop.colors[0], backdrop.text_rgb))
        table = np.rint(ground + (text - ground) * (np.arange(256, dtype=np.float32)[:, None] / 255))
        return cv2.LUT(cv2.cvtColor(coverage, cv2.COLOR_GRAY2RGB), table.astype(np.uint8).reshape(256, 1, 3))
    alpha = coverage.astype(np.float32) * np.float32(1 / 255)
    background = _paint(backdrop, height, width, images)
    return cv2.blendLinear(background, _solid(backdrop.text_rgb, height, width), 1 - alpha, alpha)
