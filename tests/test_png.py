"""thaigen.dataset.png: the bytes PaddleOCR decodes are the pixels thaigen drew, gray or colour."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import thaigen
from thaigen.dataset.png import encode_png, is_gray
from thaigen.pipeline.sample import compose_sample

pytestmark = pytest.mark.filterwarnings(
    "ignore:No ccache found:UserWarning",  # paddle's import-time notice about C++ extension builds
    "ignore:invalid escape sequence:DeprecationWarning",  # PaddleOCR v3.0.0 source regexes
)


def _pixels() -> list[np.ndarray]:
    """Real lines of the default recipe: some gray, some in colour."""
    config = thaigen.make_config(None, count=40)
    pool = thaigen.load_pool(config.fonts)
    return [compose_sample(config, pool, index).pixels for index in range(40)]


def test_gray_lines_are_grayscale_pngs_and_colour_lines_rgb() -> None:
    images = _pixels()
    gray = [is_gray(p) for p in images]
    assert any(gray) and not all(gray)
    for pixels, flat in zip(images, gray):
        with Image.open(io.BytesIO(encode_png(pixels))) as image:
            assert image.mode == ("L" if flat else "RGB")
            assert np.array_equal(np.asarray(image.convert("RGB")), pixels)


def test_paddleocr_decodes_the_drawn_pixels(ppocr: Path) -> None:
    """PaddleOCR's DecodeImage (BGR, as every rec and det config has it) gives back each image exactly."""
    from ppocr.data.imaug.operators import DecodeImage

    decode = DecodeImage(img_mode="BGR", channel_first=False)
    for pixels in _pixels():
        decoded = decode({"image": encode_png(pixels)})["image"]
        assert decoded.shape == pixels.shape
        assert np.array_equal(decoded[..., ::-1], pixels)


def test_equal_pixels_give_equal_bytes() -> None:
    pixels = _pixels()[3]
    assert encode_png(pixels) == encode_png(pixels.copy())
