"""Images in, model input out: size check, decode, resize to the model's height and pad, as PaddleOCR's rec models expect.

PaddleOCR reads images with OpenCV (BGR), resizes each line to the model's height keeping its aspect
ratio (bilinear, at most the batch width), scales pixels to [-1, 1] with (x / 255 - 0.5) / 0.5 and pads
on the right with 0. A batch is as wide as its widest line, never narrower than the model's own width.

Before any decoding, the image's header is read (Pillow's plugins, which parse the header only) and its
declared width x height checked against a pixel budget: a 124 KB PNG can declare 32,000 x 32,000 px, 3 GB
once decoded. Only formats whose header Pillow reads are decoded (ACCEPTED_FORMATS); OpenCV would decode
more, blind. Multi-frame files (GIF, TIFF, animated WebP and PNG) decode to their first frame.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import (
    BmpImagePlugin,
    GifImagePlugin,
    JpegImagePlugin,
    PngImagePlugin,
    PpmImagePlugin,
    TiffImagePlugin,
)
from PIL import Image as PILImage

from thaigen.errors import DatasetError

Image = np.ndarray
"""An image as OpenCV holds it: uint8, H x W x 3, BGR."""

_PLUGINS = (
    PngImagePlugin,
    JpegImagePlugin,
    TiffImagePlugin,
    BmpImagePlugin,
    GifImagePlugin,
    PpmImagePlugin,
)
"""Imported for what importing does: each registers its format's header parser in PIL.Image.OPEN."""
ACCEPTED_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "GIF", "WEBP", "PPM")
"""Pillow's names of the formats decoded (PPM: also PBM, PGM and one-channel PFM). OpenCV reads more (JPEG 2000,
AVIF, Radiance HDR, Sun raster, PAM, three-channel PFM, ...): those are refused, as Pillow cannot size them."""
ACCEPTED_NAMES = "PNG, JPEG, TIFF, BMP, GIF, WebP, PBM/PGM/PPM or one-channel PFM"

LINE_MAX_PIXELS = 100 * 320 * 320
"""Largest text line, px (10.24 Mpx, 31 MB decoded): a 100:1 line (the widest a server takes) 320 px high, a
line scanned at 600 dpi from 13 mm tall type. Lines are read at the model's height (32 or 48 px)."""
PAGE_MAX_PIXELS = 40_000_000
"""Largest page, px (120 MB decoded): an A4 page at 600 dpi is 4961 x 7016 = 34.8 Mpx, US Letter 33.7 Mpx. The
detector works at 960 px a side (det_limit_side_len), so a larger photo loses nothing by being downscaled first."""
PIXEL_BYTES = 3
"""Bytes per decoded pixel (8-bit BGR)."""
DECODE_PEAK_BYTES = 13
"""Resident memory per pixel while OpenCV decodes, at most: measured (RSS sampled every 0.5 ms, 10 Mpx images)
6.1-6.5 bytes for PNG, JPEG, BMP, PPM and WebP, 7.4 lossless WebP, 8.4 GIF, 9.3-12.3 TIFF (RGBA the most); the
decoded image keeps 3.6."""

_PARSE_ERRORS = (SyntaxError, OSError, ValueError, IndexError, TypeError, struct.error, EOFError)
"""What Pillow's header parsers raise on a header they cannot read."""


class BadImage(DatasetError):
    """Bytes that are not an image OpenCV can decode."""


class ImageTooLarge(BadImage):
    """An image whose header declares more pixels than the budget: refused before it is decoded."""

    def __init__(self, name: str, declared: str, limit: int) -> None:
        super().__init__(f"{name} declares {declared}; the limit is {limit / 1e6:.2f} Mpx ({limit} px)")
        self.limit = limit


@dataclass(frozen=True)
class Size:
    """An image's size as its header declares it, px."""

    width: int
    height: int

    @property
    def pixels(self) -> int:
        """Width x height."""
        return self.width * self.height

    @property
    def decoded_bytes(self) -> int:
        """Bytes of the decoded 8-bit BGR image."""
        return self.pixels * PIXEL_BYTES


@dataclass(frozen=True)
class InputShape:
    """The model's input: channels, height and (minimum) width in px."""

    channels: int
    height: int
    width: int

    @property
    def ratio(self) -> float:
        """Width over height of the model's own input."""
        return self.width / self.height


def _webp_size(data: bytes) -> Size | None:
    """A WebP's canvas size from its first chunk (VP8X canvas, VP8 frame or VP8L bitstream header), as
    libwebp reads it. Not Pillow's WebP plugin: opening a file, it builds libwebp's decoder, which
    allocates the whole canvas (4 bytes a pixel)."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        return Size(int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1)
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", data, 26)
        return Size(width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and data[20] == 0x2F:
        (bits,) = struct.unpack_from("<I", data, 21)
        return Size((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    return None


def _header_size(data: bytes, name: str, max_pixels: int) -> Size | None:
    """The size the header declares, read by the first accepted format's parser that takes it; None if none does.

    Pillow's plugin classes are used directly: PIL.Image.open would also apply Pillow's own bomb check (a
    warning from 89 Mpx, an error without the size from 179 Mpx). Its GIF plugin still applies it to a first
    frame that overflows the logical screen (which OpenCV refuses to decode).

    Raises:
        ImageTooLarge: Pillow's GIF plugin found a frame over its own limit.
    """
    for fmt in ACCEPTED_FORMATS:
        if fmt == "WEBP":
            size = _webp_size(data)
            if size is not None:
                return size
            continue
        factory, accept = PILImage.OPEN[fmt]
        if accept is not None and not accept(data[:16]):
            continue
        try:
            with factory(io.BytesIO(data)) as header:  # type: ignore[arg-type]
                width, height = header.size
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
            raise ImageTooLarge(name, f"more than {PILImage.MAX_IMAGE_PIXELS} px", max_pixels) from None
        except _PARSE_ERRORS:
            continue
        return Size(width, height)
    return None


def measure(data: bytes, name: str = "image", max_pixels: int = PAGE_MAX_PIXELS) -> Size:
    """The size `data`'s header declares, checked against `max_pixels`, without decoding any pixel.

    Raises:
        ImageTooLarge: the header declares more than `max_pixels`.
        BadImage: empty, or not a format in ACCEPTED_FORMATS with a readable header.
    """
    if not data:
        raise BadImage(f"{name} is empty")
    size = _header_size(data, name, max_pixels)
    if size is None:
        raise BadImage(
            f"{name} is not a decodable image ({len(data)} bytes): not {ACCEPTED_NAMES} with a readable header"
        )
    if size.width < 1 or size.height < 1:
        raise BadImage(f"{name} declares {size.width} x {size.height} px")
    if size.pixels > max_pixels:
        raise ImageTooLarge(name, f"{size.width} x {size.height} px ({size.pixels / 1e6:.1f} Mpx)", max_pixels)
    return size


def decode(data: bytes, name: str = "image", max_pixels: int = PAGE_MAX_PIXELS) -> Image:
    """Decode encoded image bytes (ACCEPTED_FORMATS; any bit depth, palette, alpha, CMYK) to 8-bit BGR.

    The header is checked first (measure); the decoded image must then have the pixels it declared.

    Raises:
        ImageTooLarge: the header declares more than `max_pixels` (nothing is decoded).
        BadImage: the bytes are empty, not a decodable image, or decode to another size than declared.
    """
    size = measure(data, name, max_pixels)
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as exc:  # a header declaring more pixels than OpenCV's OPENCV_IO_MAX_IMAGE_PIXELS
        reason = str(exc).split("error: ", 1)[-1].strip()
        raise BadImage(f"{name} is not a decodable image ({len(data)} bytes): {reason}") from None
    if image is None or image.size == 0:
        raise BadImage(f"{name} is not a decodable image ({len(data)} bytes)")
    if image.shape[0] * image.shape[1] != size.pixels:  # EXIF orientation may swap width and height
        raise BadImage(
            f"{name} declares {size.width} x {size.height} px but decodes to {image.shape[1]} x {image.shape[0]}"
        )
    if image.ndim == 2:  # OpenCV's PFM reader ignores IMREAD_COLOR for one-channel files
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise BadImage(f"{name} decodes to {image.dtype} {'x'.join(map(str, image.shape))}, not 8-bit BGR")
    return image


def load(path: Path, max_pixels: int = PAGE_MAX_PIXELS) -> Image:
    """Read and decode an image file, refused when its header declares more than `max_pixels`.

    Raises:
        ImageTooLarge: over `max_pixels`.
        BadImage: the file is missing or not a decodable image.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadImage(f"cannot read image {path}: {exc.strerror or exc}") from None
    return decode(data, str(path), max_pixels)


def batch_width(images: Sequence[Image], shape: InputShape) -> int:
    """Width in px of a batch: the widest line at the model's height, at least the model's width."""
    ratio = max([shape.ratio] + [image.shape[1] / image.shape[0] for image in images])
    return int(shape.height * ratio)


def normalize(image: Image, shape: InputShape, width: int) -> np.ndarray:
    """One line as a C x H x `width` float32 array: resized to the model's height, scaled, padded right with 0."""
    height, original_width = image.shape[:2]
    resized_width = min(width, math.ceil(shape.height * original_width / height))
    resized = cv2.resize(image, (resized_width, shape.height), interpolation=cv2.INTER_LINEAR)
    scaled = (resized.astype(np.float32) / 255.0 - 0.5) / 0.5
    padded = np.zeros((shape.channels, shape.height, width), dtype=np.float32)
    padded[:, :, :resized_width] = scaled.transpose(2, 0, 1)
    return padded


def to_batch(images: Sequence[Image], shape: InputShape) -> np.ndarray:
    """Stack lines into one N x C x H x W float32 batch, as wide as its widest line."""
    width = batch_width(images, shape)
    return np.stack([normalize(image, shape, width) for image in images])
