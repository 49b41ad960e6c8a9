"""Shared fixtures: the real shipped font pool and small real configs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from thaigen.config.loading import make_config
from thaigen.config.schema import FontsConfig, GenConfig
from thaigen.pipeline.build import build
from thaigen.typeset.fonts import FontPool, load_pool


@pytest.fixture(scope="session")
def pool() -> FontPool:
    """Every shipped font, scanned once for the session."""
    return load_pool(FontsConfig())


@pytest.fixture
def small_config() -> GenConfig:
    """The default recipe, 150 samples: enough for several chunks."""
    return make_config(count=150, seed=7)


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, int, int], Path]:
    """Build a real dataset for (recipe, count, seed) once per session and return its folder."""
    built: dict[tuple[str, int, int], Path] = {}

    def make(recipe: str, count: int, seed: int) -> Path:
        key = (recipe, count, seed)
        if key not in built:
            built[key] = tmp_path_factory.mktemp(recipe) / "dataset"
            build(make_config(recipe=recipe, count=count, seed=seed), built[key], workers=1, progress=False)
        return built[key]

    return make
