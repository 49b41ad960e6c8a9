"""A training run that draws its samples from a thaigen config as it trains (`thaigen train --stream CONFIG.yaml`).

The config arrives as its YAML text (locally read from the file; on SageMaker a hyperparameter, so the job needs
no data channel). Before PaddleOCR starts, this writes into the run's work folder what the run needs besides the
stream itself: the val set (the val split of indices [0, count), as a build writes it: PaddleOCR evaluates on it
and the export is checked on it), a dictionary holding every character the config can draw, and the config as
JSON with absolute paths for PaddleOCR's process. Training then draws indices from count on, count per epoch
(trainers/paddleocr/stream_dataset.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from thaigen.config.loading import make_config, resolve_paths
from thaigen.config.schema import GenConfig
from thaigen.dataset import paths
from thaigen.dataset.atomic import atomic_text
from thaigen.dataset.dictionary import write_dictionary
from thaigen.dataset.labels import count_lines
from thaigen.errors import ConfigError, DatasetError
from thaigen.inspect.lint import lint_file, rules_for
from thaigen.inspect.rec_width import REC_INPUTS
from thaigen.pipeline.build import build_split
from thaigen.pipeline.stream import dictionary, prepare
from trainers.paddleocr.configs import ARCHS, Arch, Layout, RecFit, Stream

FOLDER = "stream"
"""The work folder's subfolder a streamed run prepares."""
CONFIG_JSON = "thaigen_config.json"
"""The run's thaigen config, resolved (recipe, overrides, absolute paths), in the work folder and the model folder."""
VAL_DIR = "val"
DICT_FILE = "dict.txt"


def read_config(text: str) -> GenConfig:
    """A thaigen config from its YAML text (a config file's contents).

    Raises:
        ConfigError: not YAML, not a mapping, or not a valid config (the message names the key).
    """
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"--stream config is not valid YAML: {str(exc).splitlines()[0]}") from None
    if values is not None and not isinstance(values, dict):
        raise ConfigError(f"--stream config must hold a mapping of keys, not {type(values).__name__}")
    return resolve_paths(make_config(None, values))


def _require_fits(config: GenConfig, arch: Arch) -> None:
    """Refuse a config whose kind or label bounds the architecture cannot train on, before anything is drawn.

    Raises:
        ConfigError: naming the arch, the config's task or ctc_time_steps, and what fits.
    """
    wanted = ARCHS[arch].model_type
    if config.task != wanted:
        fitting = ", ".join(a.value for a in Arch if ARCHS[a].model_type == config.task)
        raise ConfigError(f"--stream config makes task {config.task} samples; --arch {arch} trains on task {wanted} "
                          f"(train it with --arch {fitting})")
    pooled = REC_INPUTS[arch].pooled_steps if arch in REC_INPUTS else None
    if pooled and config.ctc_time_steps > pooled:
        raise ConfigError(f"--arch {arch} trains with {pooled} CTC steps at any width; the --stream config's labels "
                          f"may need up to {config.ctc_time_steps} (ctc_time_steps): train them with --arch crnn")


def prepare_run(text: str, work_dir: Path, arch: Arch) -> tuple[Layout, Stream]:
    """The val set, dictionary and resolved config of a streamed run in `work_dir` (kept when already there), and
    the Stream the training config points at.

    Raises:
        ConfigError: a bad config, or one `arch` cannot train on.
        DatasetError: the config's val split is empty, or a val label breaks lint's rules.
    """
    config = read_config(text)
    _require_fits(config, arch)
    pool = prepare(config)
    val_dir = work_dir / VAL_DIR
    build_split(config, pool, val_dir, "val")
    if count_lines(val_dir / paths.VAL_LABELS) == 0:
        raise DatasetError(f"the --stream config's val split is empty (count {config.count}, val_fraction "
                           f"{config.val_fraction}): raise val_fraction or count (PaddleOCR evaluates on it)")
    dict_path = val_dir / paths.DICT
    if config.task == "rec":
        dict_path = work_dir / DICT_FILE
        write_dictionary(dict_path, dictionary(config))
    config_path = work_dir / CONFIG_JSON
    with atomic_text(config_path) as handle:
        handle.write(config.model_dump_json(indent=2))
    layout = Layout(val_dir, val_dir, dict_path, val_dir / paths.MANIFEST)
    stream = Stream(config_path, config.count, config.count, config.ctc_time_steps)
    if config.task == "rec":
        steps = RecFit.of(layout, arch, stream.most_steps).time_steps
        rules = rules_for(val_dir, None, steps, dict_path)
        finding = next(lint_file(layout.val_labels, val_dir, rules), None)
        if finding:
            raise DatasetError(f"--stream val set: {finding}")
    return layout, stream


def describe(stream: Stream) -> dict[str, Any]:
    """The model card's note on a streamed run: which config (its digest) and which indices an epoch draws."""
    config = GenConfig.model_validate_json(stream.config.read_text(encoding="utf-8"))
    return {
        "config_digest": config.digest(),
        "config_file": CONFIG_JSON,
        "first_index": stream.first_index,
        "samples_per_epoch": stream.epoch_size,
        "val_indices": f"the val split of [0, {stream.first_index})",
    }
