"""thaigen: synthetic, correctly shaped Thai text lines for PaddleOCR recognition training."""

from thaigen.build import BuildResult, Mode, build
from thaigen.config import GenConfig, load_config, make_config
from thaigen.errors import ConfigError, DatasetError, FontError, ThaigenError
from thaigen.fonts import FontPool, load_pool
from thaigen.lint import lint_dataset
from thaigen.pipeline import Sample, make_sample

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
]
