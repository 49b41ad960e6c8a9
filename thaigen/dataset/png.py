"""The PNG files of every dataset (lines, pages, crops): OpenCV's libpng, the Up row filter, zlib level 1.

Gray images (all three channels equal: black text on white or gray paper, binarised scans) are written
as 8-bit grayscale, others as 8-bit RGB. PaddleOCR reads either with ``cv2.imdecode(..., IMREAD_COLOR)``
and gets the same pixels; Pillow readers get mode "L" or "RGB" (convert("RGB") gives the pixels back).
Against Pillow's adaptive filters at level 3 (before DRAWING_FORMAT 2): 600 default lines, 0.33 against 0.83 ms
a line, files 3 % smaller (9.6 against 9.9 KiB); 24 det pages, 24 against 61 ms a page, files 8 % larger (587
against 545 KiB). Choosing a filter per row costs 40 % of libpng's time and gains the noisy, textured lines
nothing; Up alone keeps most of its gain on pages. Equal pixels give equal bytes for the same OpenCV build.
"""

from __future__ import annotations

import cv2
import numpy as np

COMPRESSION = 1
"""zlib level: faster than 2 and 3 on these images, within a few percent of their size."""
_PARAMS = (cv2.IMWRITE_PNG_COMPRESSION, COMPRESSION, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP)


def gray_plane(pixels: np.ndarray) -> np.ndarray | None:
    """The one plane of an H x W x 3 image whose three channels are equal, else None.

    cv2.split and a bytes comparison: 17 against 43 us for numpy's array_equal on the strided channels.
    """
    red, green, blue = cv2.split(pixels)
    return red if red.tobytes() == green.tobytes() == blue.tobytes() else None


def is_gray(pixels: np.ndarray) -> bool:
    """True for an H x W x 3 image whose three channels are equal."""
    return gray_plane(pixels) is not None


def opencv_plane(pixels: np.ndarray) -> np.ndarray:
    """What OpenCV is given to encode an RGB image: its gray plane, or the image in BGR order."""
    gray = gray_plane(pixels)
    return gray if gray is not None else cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of an H x W x 3 RGB uint8 image: grayscale when its channels are equal, else RGB.

    Raises:
        ValueError: OpenCV could not encode the image (e.g. wider than libpng allows).
    """
    ok, encoded = cv2.imencode(".png", opencv_plane(pixels), _PARAMS)
    if not ok:
        raise ValueError(f"OpenCV could not encode a {pixels.shape[1]}x{pixels.shape[0]} image as PNG")
    return encoded.tobytes()


def decode_png(png: bytes) -> np.ndarray:
    """H x W x 3 RGB uint8 pixels of a sample's PNG (a grayscale PNG gives three equal channels)."""
    pixels = cv2.imdecode(np.frombuffer(png, dtype=np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)
