"""Decompression bombs: small files whose headers declare huge images, in every format the server decodes.

Each is a real small image written by Pillow (or by hand) with its size fields patched, so the file stays
a few hundred bytes while its header declares `width` x `height` px; the pixel data is the small image's
(or, with `png_bomb(full=True)`, a real zlib stream of zeros as large as declared). Used by the serving tests
and bench/serve_load.py (with PYTHONPATH=tests).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image as PILImage

SMALL = (16, 8)
"""Size, px, of the small image whose header is patched."""


def _small(fmt: str, mode: str = "L", **options: object) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, SMALL[::-1], np.uint8)
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).convert(mode).save(buffer, fmt, **options)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int, *, full: bool = False) -> bytes:
    """A 1-bit grey PNG: IHDR declaring width x height, then a zlib stream of zeros (every row, with `full`:
    32,000 x 32,000 px take about 124 KB; else only the first row, a truncated image)."""
    row = bytes(1 + -(-width // 8))
    stream = zlib.compressobj(9)
    rows = height if full else 1
    data = b"".join(stream.compress(row) for _ in range(rows)) + stream.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def jpeg_bomb(width: int, height: int) -> bytes:
    """A baseline JPEG whose SOF0 declares width x height (at most 65,535 a side)."""
    data = bytearray(_small("JPEG"))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def bmp_bomb(width: int, height: int) -> bytes:
    """An 8-bit BMP whose info header declares width x height."""
    data = bytearray(_small("BMP"))
    struct.pack_into("<ii", data, 18, width, height)
    return bytes(data)


def tiff_bomb(width: int, height: int) -> bytes:
    """A little-endian TIFF whose first IFD's ImageWidth and ImageLength (as LONG) declare width x height."""
    data = bytearray(_small("TIFF"))
    (ifd,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, ifd)
    for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
        (tag,) = struct.unpack_from("<H", data, entry)
        if tag in (256, 257):
            struct.pack_into("<HHII", data, entry, tag, 4, 1, width if tag == 256 else height)
    return bytes(data)


def gif_bomb(width: int, height: int, *, screen: tuple[int, int] | None = None) -> bytes:
    """A GIF whose first image declares width x height (at most 65,535 a side), as does its logical screen
    unless `screen` gives another (a lying header: a small screen, a huge frame)."""
    data = bytearray(_small("GIF"))
    struct.pack_into("<HH", data, 6, *(screen or (width, height)))
    flags = data[10]
    at = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while data[at] == 0x21:  # extension blocks before the image descriptor
        at += 2
        while data[at]:
            at += data[at] + 1
        at += 1
    assert data[at] == 0x2C, "no image descriptor"
    struct.pack_into("<HH", data, at + 5, width, height)
    return bytes(data)


def webp_bomb(width: int, height: int) -> bytes:
    """A lossless (VP8L) WebP whose bitstream header declares width x height (at most 16,384 a side)."""
    data = bytearray(_small("WEBP", "RGB", lossless=True))
    at = data.index(b"VP8L") + 8
    assert data[at] == 0x2F, "not a VP8L bitstream"
    (bits,) = struct.unpack_from("<I", data, at + 1)
    bits = (bits & ~0x0FFFFFFF) | (width - 1) | (height - 1) << 14
    struct.pack_into("<I", data, at + 1, bits)
    return bytes(data)


def pgm_bomb(width: int, height: int) -> bytes:
    """A binary PGM (P5) declaring width x height, with one row of pixels."""
    return b"P5\n%d %d\n255\n" % (width, height) + bytes(min(width, 1 << 16))


BOMBS: dict[str, Callable[[int, int], bytes]] = {
    "PNG": png_bomb,
    "JPEG": jpeg_bomb,
    "BMP": bmp_bomb,
    "TIFF": tiff_bomb,
    "GIF": gif_bomb,
    "WEBP": webp_bomb,
    "PPM": pgm_bomb,
}
"""A bomb writer for every format in trainers.inference.image.ACCEPTED_FORMATS."""
MAX_SIDE = {"PNG": 2**31 - 1, "JPEG": 65535, "BMP": 2**31 - 1, "TIFF": 2**32 - 1, "GIF": 65535, "WEBP": 16384}
"""The largest side each format's header can declare (PPM: any)."""
