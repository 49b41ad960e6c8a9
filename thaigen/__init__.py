"""thaigen: synthetic, correctly shaped Thai text lines for PaddleOCR recognition training.

The public names below are imported from their modules on first use, so that `import thaigen` (and
`python -m thaigen`, which imports this package first) loads no numpy, OpenCV or albumentations before
the command line has set up their threads (thaigen.__main__).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from thaigen.errors import ConfigError, DatasetError, FontError, ThaigenError

if TYPE_CHECKING:
    from thaigen.config.loading import load_config, make_config
    from thaigen.config.schema import GenConfig
    from thaigen.inspect.lint import lint_dataset
    from thaigen.pipeline.build import BuildResult, Mode, build
    from thaigen.pipeline.sample import Sample, make_sample
    from thaigen.pipeline.stream import samples
    from thaigen.typeset.fonts import FontPool, load_pool

_HOMES = {
    "load_config": "thaigen.config.loading",
    "make_config": "thaigen.config.loading",
    "GenConfig": "thaigen.config.schema",
    "lint_dataset": "thaigen.inspect.lint",
    "BuildResult": "thaigen.pipeline.build",
    "Mode": "thaigen.pipeline.build",
    "build": "thaigen.pipeline.build",
    "Sample": "thaigen.pipeline.sample",
    "make_sample": "thaigen.pipeline.sample",
    "samples": "thaigen.pipeline.stream",
    "FontPool": "thaigen.typeset.fonts",
    "load_pool": "thaigen.typeset.fonts",
}
"""Public name -> the module it lives in."""

__all__ = [
    "BuildResult",
    "ConfigError",
    "DatasetError",
    "FontError",
    "FontPool",
    "GenConfig",
    "Mode",
    "Sample",
    "ThaigenError",
    "build",
    "lint_dataset",
    "load_config",
    "load_pool",
    "make_config",
    "make_sample",
    "samples",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (then it is an ordinary attribute)."""
    if name not in _HOMES:
        raise AttributeError(f"module 'thaigen' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the not yet imported public ones included."""
    return sorted({*globals(), *__all__})
