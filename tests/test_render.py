"""Clean renders: the line box from font metrics holds every mark; no ink touches the border."""

from __future__ import annotations

import numpy as np
import pytest

from thaigen.config.loading import make_config
from thaigen.config.schema import FontsConfig
from thaigen.pipeline.sample import choose_runs
from thaigen.rng import Stage, stage_rng
from thaigen.text.thai import STRESS_SET
from thaigen.typeset.fonts import FontPool, load_pool
from thaigen.typeset.render import LineStyle, draw_ink, sample_style
from thaigen.typeset.runs import split_runs

STRESS = (*STRESS_SET, "ฟื้นฟู ปั๋ง Ágý")


def _border_ink(ink: np.ndarray) -> int:
    return int(ink[0].max(initial=0)) | int(ink[-1].max(initial=0)) | int(ink[:, 0].max()) | int(ink[:, -1].max())


@pytest.fixture(scope="module")
def every_font() -> FontPool:
    """Every shipped Thai font (fonts.set: all: the core set and the extended one)."""
    return load_pool(FontsConfig(set="all"))


@pytest.mark.parametrize("height", [32, 48])
@pytest.mark.parametrize("position", [0.0, 1.0])
def test_tightest_styles_never_clip(every_font: FontPool, height: int, position: float) -> None:
    pool = every_font
    assert len(pool.thai) == 224
    style = LineStyle(line_fill=1.0, margin_left=1, margin_right=1, vertical_position=position, text_gray=0, background_gray=255)
    for font in pool.thai:
        for text in STRESS:
            runs = split_runs(text, font, pool.fallbacks_for(font))
            assert runs is not None
            ink, _ = draw_ink(runs, style, height)
            assert ink.shape[0] == height
            assert _border_ink(ink) == 0, (font.path.name, text, height, position)
            assert ink.max() > 120, (font.path.name, text)  # something was drawn (Thin faces at 32 px peak near 150)


def test_default_recipe_clean_renders_keep_margins(pool: FontPool) -> None:
    config = make_config(count=400)
    for index in range(400):
        _, runs = choose_runs(config, pool, index)
        style = sample_style(stage_rng(config.seed, index, Stage.RENDER), config.render)
        ink, _ = draw_ink(runs, style, config.render.height)
        columns = np.flatnonzero(ink.max(axis=0))
        assert _border_ink(ink) == 0
        assert columns[0] >= style.margin_left - 1 and ink.shape[1] - 1 - columns[-1] >= style.margin_right - 1


def test_same_style_same_pixels(pool: FontPool) -> None:
    runs = split_runs("สวัสดี 123", pool.thai[0], pool.fallbacks_for(pool.thai[0]))
    assert runs is not None
    style = sample_style(np.random.default_rng(1), make_config().render)
    assert np.array_equal(draw_ink(runs, style, 48)[0], draw_ink(runs, style, 48)[0])
