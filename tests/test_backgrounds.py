"""Backgrounds: every pixel keeps the configured text/background contrast; user images are checked up front."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from thaigen.compose.backgrounds import LUMA, check_images, draw_on, sample_backdrop
from thaigen.config.loading import make_config
from thaigen.errors import ConfigError
from thaigen.pipeline.build import build


def _images(folder: Path) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (90, 70, 3), dtype=np.uint8)).save(folder / "noise.png")
    Image.fromarray(np.full((400, 600, 3), (20, 200, 90), np.uint8)).save(folder / "green.jpg")
    return folder


@pytest.mark.parametrize("kind", ["plain", "gradient", "paper", "image"])
def test_every_background_pixel_keeps_the_contrast(tmp_path: Path, kind: str) -> None:
    images = [_images(tmp_path / "bg")] if kind == "image" else []
    config = make_config(background={"kinds": {kind: 1}, "images": images, "light_on_dark": 0.5, "color": 0.5})
    floor = config.render.background_gray[0] - config.render.text_gray[1] - 1  # 1 level for rounding
    polarities = set()
    for seed in range(60):
        backdrop = sample_backdrop(np.random.default_rng(seed), config.background, config.render)
        background = draw_on(backdrop, np.zeros((48, 150), np.uint8), config.background.images)
        text = draw_on(backdrop, np.full((2, 2), 255, np.uint8), config.background.images)[0, 0]
        contrast = np.abs(background.astype(np.float32) @ LUMA - float(text.astype(np.float32) @ LUMA))
        assert backdrop.kind == kind and contrast.min() >= floor, (seed, backdrop)
        polarities.add(backdrop.light_on_dark)
    assert polarities == {True, False}


def test_bad_background_image_is_one_error_naming_it(tmp_path: Path) -> None:
    folder = _images(tmp_path / "bg")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ConfigError, match=f"cannot read background image {folder / 'broken.png'}"):
        check_images([folder])
    config = tmp_path / "c.yaml"
    config.write_text(f"background:\n  kinds: {{image: 1}}\n  images: [{folder}]\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "thaigen", "build", "--config", str(config), "--out", str(tmp_path / "o"), "--quiet"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "broken.png" in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (["/nonexistent"], "background image folder or file not found: /nonexistent"),
        (["EMPTY"], "no background images .* in .*empty"),
        (["EMPTY/notes.txt"], "cannot read background image .*notes.txt"),
    ],
)
def test_background_images_are_checked_at_build_start(tmp_path: Path, images: list[str], message: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not an image", encoding="utf-8")
    paths = [item.replace("EMPTY", str(tmp_path / "empty")) for item in images]
    config = make_config(count=2, background={"kinds": {"image": 1}, "images": paths})  # validation reads no file
    with pytest.raises(ConfigError, match=message):
        build(config, tmp_path / "out", workers=1, progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("background", "message"),
    [
        ({"kinds": {"image": 1}}, "kinds.image needs a positive weight exactly when images are given"),
        ({"kinds": {"marble": 1}}, "unknown background kind 'marble'"),
    ],
)
def test_bad_background_config(background: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_config(background=background)
