"""Shared fixtures: the real shipped font pool and small real configs."""

from __future__ import annotations

import pytest

from thaigen.config import FontsConfig, GenConfig, make_config
from thaigen.fonts import FontPool, load_pool


@pytest.fixture(scope="session")
def pool() -> FontPool:
    """Every shipped font, scanned once for the session."""
    return load_pool(FontsConfig())


@pytest.fixture
def small_config() -> GenConfig:
    """The default recipe, 150 samples: enough for several chunks."""
    return make_config(count=150, seed=7)
