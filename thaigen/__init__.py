"""thaigen: synthetic, correctly shaped Thai text lines for PaddleOCR recognition training."""

from thaigen.config.loading import load_config, make_config
from thaigen.config.schema import GenConfig
from thaigen.errors import ConfigError, DatasetError, FontError, ThaigenError
from thaigen.inspect.lint import lint_dataset
from thaigen.pipeline.build import BuildResult, Mode, build
from thaigen.pipeline.sample import Sample, make_sample
from thaigen.typeset.fonts import FontPool, load_pool

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
