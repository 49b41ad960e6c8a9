"""Images in, model input out: decode, resize to the model's height and pad, as PaddleOCR's rec models expect.

PaddleOCR reads images with OpenCV (BGR), resizes each line to the model's height keeping its aspect
ratio (bilinear, at most the batch width), scales pixels to [-1, 1] with (x / 255 - 0.5) / 0.5 and pads
on the right with 0. A batch is as wide as its widest line, never narrower than the model's own width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from thaigen.errors import DatasetError

Image = np.ndarray
"""An image as OpenCV holds it: uint8, H x W x 3, BGR."""


class BadImage(DatasetError):
    """Bytes that are not an image OpenCV can decode."""


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


def decode(data: bytes, name: str = "image") -> Image:
    """Decode encoded image bytes (PNG, JPEG, TIFF, ...; any bit depth, palette, alpha, CMYK) to 8-bit BGR.

    Raises:
        BadImage: the bytes are empty, not a decodable image, or one over OpenCV's pixel limit.
    """
    if not data:
        raise BadImage(f"{name} is empty")
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as exc:  # a header declaring more pixels than OpenCV's CV_IO_MAX_IMAGE_PIXELS
        reason = str(exc).split("error: ", 1)[-1].strip()
        raise BadImage(f"{name} is not a decodable image ({len(data)} bytes): {reason}") from None
    if image is None or image.size == 0:
        raise BadImage(f"{name} is not a decodable image ({len(data)} bytes)")
    if image.ndim == 2:  # OpenCV's PFM reader ignores IMREAD_COLOR for one-channel files
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise BadImage(f"{name} decodes to {image.dtype} {'x'.join(map(str, image.shape))}, not 8-bit BGR")
    return image


def load(path: Path) -> Image:
    """Read and decode an image file.

    Raises:
        BadImage: the file is missing or not a decodable image.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadImage(f"cannot read image {path}: {exc.strerror or exc}") from None
    return decode(data, str(path))


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
