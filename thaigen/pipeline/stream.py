"""Finished samples streamed straight from a config, no files: the sample at index i is, byte for byte, the one
`build` writes at index i (lines for task rec, pages for task det), whatever order or process asks for it.

Fonts and text sources are loaded and checked once per process and config (keyed by the config's digest); a
process forked after that (DataLoader workers) inherits them. Each sample is drawn with the BLAS library on one
thread, as a build's workers draw it. OpenCV's thread count is left as it is: changing it in a forked child whose
parent started OpenCV's thread pool deadlocks, and its row-parallel operations give the same pixels on any count.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Iterable, Iterator

from threadpoolctl import ThreadpoolController

from thaigen.compose.backgrounds import check_images
from thaigen.config.schema import GenConfig
from thaigen.dataset.detection import format_boxes
from thaigen.dataset.dictionary import read_dictionary
from thaigen.errors import ConfigError
from thaigen.pipeline.page import PageSample, largest_page, make_page
from thaigen.pipeline.sample import Sample, load_text_sources, make_sample, warn_corpus_drops
from thaigen.text.sources import load_corpus
from thaigen.text.thai import THAI_BLOCK
from thaigen.typeset.fonts import FontPool, load_pool
from thaigen.typeset.render import require_raqm

Streamed = Sample | PageSample
"""What a stream yields: a line (task rec) or a page (task det)."""

_POOLS: dict[str, FontPool] = {}
"""Config digest -> its checked font pool: what this process has prepared."""


def prepare(config: GenConfig) -> FontPool:
    """The config's font pool, with its fonts, background images and text sources loaded and checked once per
    process (later calls with an equal config return the same pool).

    Raises:
        ThaigenError subclasses: raqm missing, bad fonts, background images or corpus files.
    """
    key = config.digest()
    if key not in _POOLS:
        require_raqm()
        pool = load_pool(config.fonts)
        check_images(config.background.images, largest_page(config) if config.task == "det" else None)
        load_text_sources(config)
        warn_corpus_drops(config, pool)
        _POOLS[key] = pool
    return _POOLS[key]


@functools.cache
def _blas() -> ThreadpoolController:
    """The process's thread pools, found once (limiting through it costs microseconds, finding them milliseconds)."""
    return ThreadpoolController()


def stream(config: GenConfig, indices: Iterable[int]) -> Iterator[Streamed]:
    """The samples at `indices`, in their order (any order, gaps and repeats allowed; may be endless).

    Raises:
        ConfigError: an index is negative (and the errors of `prepare`, `make_sample` and `make_page`).
    """
    pool = prepare(config)
    for index in indices:
        yield draw(config, pool, index)


def draw(config: GenConfig, pool: FontPool, index: int) -> Streamed:
    """The sample at `index`, drawn with `pool` (what `prepare(config)` returned), the BLAS library on one thread.

    Raises:
        ConfigError: the index is negative (and the errors of `make_sample` and `make_page`).
    """
    if index < 0:
        raise ConfigError(f"sample index {index} is negative; samples are numbered from 0")
    make: Callable[[GenConfig, FontPool, int], Streamed] = make_sample if config.task == "rec" else make_page
    with _blas().limit(limits=1, user_api="blas"):
        return make(config, pool, index)


def label_of(sample: Streamed) -> str:
    """A line's label, or a page's boxes as its det label file holds them (PaddleOCR's JSON field)."""
    return sample.label if isinstance(sample, Sample) else format_boxes([line.box for line in sample.labels])


PRINTABLE_ASCII = string.digits + string.ascii_letters + string.punctuation
"""ASCII's printable characters but the space (PaddleOCR's use_space_char adds it)."""


def dictionary(config: GenConfig) -> list[str]:
    """A character dictionary holding every character a label of `config` can hold, at any index: the config's
    target dictionary when it has one (labels are drawn within it), else the Thai block, printable ASCII and the
    characters of its corpus files, by code point (what thaigen's own sources write is Thai and ASCII).

    Raises:
        CorpusError, DatasetError: a corpus file or the target dictionary cannot be read.
    """
    if config.dictionary:
        return list(read_dictionary(config.dictionary))
    characters = set(THAI_BLOCK) | set(PRINTABLE_ASCII)
    for path in config.corpus_files:
        characters.update(*load_corpus(path))
    return sorted(characters - {" "})


def samples(config: GenConfig, start: int = 0, stop: int | None = None, step: int = 1) -> Iterator[Streamed]:
    """Samples start, start + step, ... before `stop` (default: config.count), each as `build` writes it; indices
    past config.count are those a build with a larger count writes.

    Raises:
        ConfigError: step is under 1 (and the errors of `stream`).
    """
    if step < 1:
        raise ConfigError(f"samples: step must be 1 or more, not {step}")
    return stream(config, range(start, config.count if stop is None else stop, step))
