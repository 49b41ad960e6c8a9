"""The pixel budget of trainers/inference/image.py: sizes read from headers in every accepted format, bombs
refused before decoding (also by `thaigen read` and `score`), formats without a readable header refused,
first frames only, and OpenCV's own cap as it really behaves."""

from __future__ import annotations

import io
import resource
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from bombs import BOMBS, gif_bomb, png_bomb
from PIL import Image as PILImage

from trainers.inference import image as inference_image
from trainers.inference.image import LINE_MAX_PIXELS, BadImage, ImageTooLarge, Size

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("fmt", sorted(BOMBS))
def test_every_accepted_format_is_sized_from_its_header(fmt: str) -> None:
    assert inference_image.measure(BOMBS[fmt](3000, 2000), fmt) == Size(3000, 2000)
    assert fmt in inference_image.ACCEPTED_FORMATS


@pytest.mark.parametrize("fmt", sorted(BOMBS))
def test_a_bomb_is_refused_in_milliseconds_without_memory(fmt: str) -> None:
    bomb = BOMBS[fmt](16000, 16000)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(ImageTooLarge) as refused:
        inference_image.decode(bomb, "upload.bin", LINE_MAX_PIXELS)
    assert time.perf_counter() - start < 0.1
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 50 * 1024  # KiB
    assert str(refused.value) == (
        "upload.bin declares 16000 x 16000 px (256.0 Mpx); the limit is 10.24 Mpx (10240000 px)"
    )


def test_the_limit_itself_passes_and_one_more_row_does_not() -> None:
    assert inference_image.measure(png_bomb(3200, 3200), "line", LINE_MAX_PIXELS).pixels == LINE_MAX_PIXELS
    with pytest.raises(ImageTooLarge):
        inference_image.measure(png_bomb(3200, 3201), "line", LINE_MAX_PIXELS)


@pytest.mark.parametrize("fmt", sorted(BOMBS))
def test_a_bomb_under_the_limit_but_truncated_is_a_bad_image(fmt: str) -> None:
    """Within the budget it may be decoded; only libjpeg fills in the missing data (grey), at the declared size."""
    if fmt == "JPEG":
        assert inference_image.decode(BOMBS[fmt](2000, 1000), fmt).shape == (1000, 2000, 3)
        return
    with pytest.raises(BadImage, match="not a decodable image") as refused:
        inference_image.decode(BOMBS[fmt](2000, 1000), fmt)
    assert not isinstance(refused.value, ImageTooLarge)


def test_a_gif_frame_overflowing_its_screen_is_sized_by_the_frame() -> None:
    """Pillow sizes the union of screen and first frame; OpenCV refuses such a frame: never decoded larger."""
    lying = gif_bomb(30000, 30000, screen=(20, 10))
    with pytest.raises(ImageTooLarge, match="declares more than"):
        inference_image.measure(lying, "lying.gif")
    with pytest.raises(BadImage, match="not a decodable image"):
        inference_image.decode(gif_bomb(300, 200, screen=(20, 10)), "lying.gif")


def _written(kind: str) -> bytes:
    """A small image OpenCV decodes, written by OpenCV (by extension) or by Pillow (by format name)."""
    if kind.startswith("."):
        pixels = np.zeros((8, 16, 3), np.float32 if kind in (".hdr", ".pfm") else np.uint8)
        return cv2.imencode(kind, pixels)[1].tobytes()
    buffer = io.BytesIO()
    PILImage.new("RGB", (16, 8)).save(buffer, kind)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", [".hdr", ".ras", ".pam", ".pfm", "JPEG2000", "AVIF"])
def test_formats_opencv_reads_but_we_cannot_size_are_refused(kind: str) -> None:
    """Radiance HDR, Sun raster, PAM, three-channel PFM; JPEG 2000 and AVIF (Pillow reads their headers, but
    they are not in the accepted set): OpenCV would decode each, blind."""
    data = _written(kind)
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) is not None
    with pytest.raises(BadImage, match="not PNG, JPEG, TIFF, BMP, GIF, WebP, PBM/PGM/PPM or one-channel PFM"):
        inference_image.decode(data, f"line{kind}")


@pytest.mark.parametrize("fmt", ["GIF", "TIFF", "WEBP", "PNG"])
def test_multi_frame_files_decode_their_first_frame(fmt: str) -> None:
    first, second = PILImage.new("RGB", (40, 20), (255, 0, 0)), PILImage.new("RGB", (40, 20), (0, 0, 255))
    buffer = io.BytesIO()
    first.save(buffer, fmt, save_all=True, append_images=[second], lossless=True)
    image = inference_image.decode(buffer.getvalue(), fmt)
    assert image.shape == (20, 40, 3) and tuple(image[10, 20]) == (0, 0, 255)  # BGR red


CAP_PROBE = """
import os, sys
import numpy as np
if sys.argv[1] == "before":
    os.environ["OPENCV_IO_MAX_IMAGE_PIXELS"] = "1000"
import cv2
os.environ["OPENCV_IO_MAX_IMAGE_PIXELS"] = "1000"
png = bytes.fromhex(sys.argv[2])
try:
    print(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR).shape)
except cv2.error:
    print("refused")
"""


def test_opencvs_pixel_cap_is_read_when_cv2_is_imported_not_at_the_first_decode() -> None:
    """Why the Dockerfile sets OPENCV_IO_MAX_IMAGE_PIXELS in the environment: setting it in-process is too late."""
    png = cv2.imencode(".png", np.zeros((100, 100, 3), np.uint8))[1].tobytes().hex()
    answers = [
        subprocess.run([sys.executable, "-c", CAP_PROBE, when, png], capture_output=True, text=True, check=True)
        for when in ("before", "after")
    ]
    assert [a.stdout.strip() for a in answers] == ["refused", "(100, 100, 3)"]


def test_read_refuses_a_bomb_in_one_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb(32000, 32000, full=True))
    command = [sys.executable, "-m", "thaigen", "read", str(bomb), "--model", str(tmp_path / "no-model")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        f"thaigen: error: {bomb} declares 32000 x 32000 px (1024.0 Mpx); the limit is 10.24 Mpx (10240000 px)"
    )


def test_score_refuses_a_bomb_in_a_label_file_naming_its_line(tmp_path: Path) -> None:
    (tmp_path / "bomb.png").write_bytes(png_bomb(20000, 20000))
    labels = tmp_path / "val.txt"
    labels.write_text("bomb.png\t12\n", encoding="utf-8")
    command = [sys.executable, "-m", "thaigen", "score", "tesseract", str(labels), "--out", str(tmp_path / "out")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("thaigen: error:")]
    assert line.endswith(
        f"{tmp_path / 'bomb.png'} declares 20000 x 20000 px (400.0 Mpx); the limit is 10.24 Mpx (10240000 px)"
    )
    assert f"{labels}:1" in line
