"""`ThaigenStream`: a PaddleOCR training set drawn from a thaigen config as training asks for it, no files.

Runs inside PaddleOCR's training process (trainers/paddleocr/launch/stream_train.py puts `build_dataloader` in
place of PaddleOCR's). Each sample goes through what SimpleDataSet does with a file: its PNG bytes and label into
the config's transforms (DecodeImage, the label encoder, resize...), after lint's rules for the label (thaigen's
own labels always pass them: a finding stops training as the bug it is, where SimpleDataSet would swap in another
sample and PaddleOCR's encoder would drop characters silently).

Which samples: PaddleOCR rebuilds a training set whose `need_reset` is set at the start of every epoch, passing the
epoch number (from 1) as `seed`; epoch e draws sample indices first_index + (e - 1) * epoch_size + i, i in
[0, epoch_size). So every epoch draws new samples, a resumed run (which starts again at its checkpoint's epoch)
continues the stream where it stopped, and the val set (the val split of the indices below first_index) is never
trained on. The distributed batch sampler splits each epoch's positions over the ranks without overlap.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from paddle.io import DataLoader, Dataset, DistributedBatchSampler
from ppocr.data import build_dataloader as paddle_build_dataloader
from ppocr.data.imaug import create_operators, transform
from ppocr.data.multi_scale_sampler import MultiScaleSampler
from ppocr.data.simple_dataset import MultiScaleDataSet

from thaigen.config.schema import GenConfig
from thaigen.dataset.dictionary import read_dictionary
from thaigen.errors import ThaigenError
from thaigen.inspect.lint import LintRules, check_label
from thaigen.pipeline.stream import draw, label_of, prepare
from trainers.paddleocr.configs import STREAM_DATASET


class ThaigenStream(Dataset):  # type: ignore[misc]
    """One epoch of samples drawn from a thaigen config (`Train.dataset` as configs.build_config writes it)."""

    def __init__(self, config: dict[str, Any], mode: str, logger: Any, seed: int | None = None) -> None:
        section = config[mode]["dataset"]
        self.config = GenConfig.model_validate_json(Path(section["thaigen_config"]).read_text(encoding="utf-8"))
        self.size = int(section["epoch_size"])
        self.first = int(section["first_index"]) + ((seed or 1) - 1) * self.size
        self.ops = create_operators(section["transforms"], config["Global"])
        self.rules = _rules(config["Global"], section["lint"]) if section.get("lint") else None
        self.need_reset = True  # PaddleOCR rebuilds the set each epoch, passing the epoch as seed
        self.pool = prepare(self.config)  # fonts and sources once, in this process: forked loader workers inherit them
        logger.info(
            f"{STREAM_DATASET}: samples {self.first} to {self.first + self.size - 1} of {section['thaigen_config']}"
        )

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, position: int) -> list[Any]:
        return _transformed(self.draw(self.first + position), self.ops)

    def draw(self, index: int) -> dict[str, Any]:
        """Sample `index` as SimpleDataSet hands a file to the transforms (its label linted first).

        Raises:
            ThaigenError: the label breaks a lint rule (thaigen's labels never should: a bug).
        """
        sample = draw(self.config, self.pool, index)
        label = label_of(sample)
        problems = check_label(label, self.rules) if self.rules else []
        if problems:
            raise ThaigenError(f"thaigen sample {index}: label {label!r}: {problems[0]} (a bug: please report it)")
        where = f"thaigen sample {index}"
        return {"img_path": where, "label": label, "image": sample.png, "ext_data": [], "filename": where}


def _transformed(data: dict[str, Any], ops: list[Any]) -> Any:
    """`data` through `ops`; a sample they drop stops training (SimpleDataSet would swap in another).

    Raises:
        ThaigenError: naming the sample and its label.
    """
    done = transform(data, ops)
    if done is None:
        raise ThaigenError(f"{data['img_path']}: PaddleOCR's transforms dropped it (label {data['label']!r})")
    return done


class ThaigenMultiScaleStream(ThaigenStream):
    """The stream as MultiScaleDataSet reads a file (ppocrv5-th): MultiScaleSampler hands (width, height, position)
    and the image is resized to that scale after every transform but the last (KeepKeys). RecConAug's extra
    samples are other samples of the epoch (positions drawn from the sample's index), each drawn only when
    RecConAug reaches it."""

    def __init__(self, config: dict[str, Any], mode: str, logger: Any, seed: int | None = None) -> None:
        super().__init__(config, mode, logger, seed)
        self.data_idx_order_list = list(range(self.size))  # what MultiScaleSampler reads
        self.ds_width = False
        self.seed = seed
        self.load_ops = self.ops[: config[mode]["dataset"].get("ext_op_transform_idx", 1)]
        self.extra = next((int(op.ext_data_num) for op in self.ops if hasattr(op, "ext_data_num")), 0)

    def __getitem__(self, properties: Any) -> list[Any]:  # type: ignore[override]
        width, height, position = int(properties[0]), int(properties[1]), int(properties[2])
        index = self.first + position
        data = self.draw(index) | {"ext_data": Extra(self, index)}
        resized = MultiScaleDataSet.resize_norm_img(self, _transformed(data, self.ops[:-1]), width, height)
        return _transformed(resized, self.ops[-1:])


class Extra:
    """RecConAug's extra samples for sample `index`: other samples of its epoch, each drawn and decoded only when
    iteration reaches it (RecConAug stops at the first that does not fit, and skips them all half the time)."""

    def __init__(self, dataset: ThaigenMultiScaleStream, index: int) -> None:
        self.dataset = dataset
        rng = np.random.default_rng([dataset.config.seed, index])
        self.positions = [int(p) for p in rng.integers(dataset.size, size=dataset.extra)]

    def __len__(self) -> int:
        return len(self.positions)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for position in self.positions:
            yield _transformed(self.dataset.draw(self.dataset.first + position), self.dataset.load_ops)


def _rules(global_config: dict[str, Any], lint: dict[str, Any]) -> LintRules:
    """What a drawn label must satisfy: the run's dict and space setting, the data's length, the model's steps."""
    return LintRules(
        characters=frozenset(read_dictionary(Path(global_config["character_dict_path"]))),
        use_space_char=bool(global_config.get("use_space_char")),
        max_text_length=int(lint["max_text_length"]),
        time_steps=lint.get("time_steps"),
    )


def build_dataloader(config: dict[str, Any], mode: str, device: Any, logger: Any, seed: int | None = None) -> Any:
    """PaddleOCR's build_dataloader, which also knows `ThaigenStream`: batched as PaddleOCR batches a training set
    (DistributedBatchSampler, here in index order; MultiScaleSampler when the config names it, over
    ThaigenMultiScaleStream)."""
    if config[mode]["dataset"]["name"] != STREAM_DATASET:
        return paddle_build_dataloader(config, mode, device, logger, seed)
    loader = config[mode]["loader"]
    sampler = dict(config[mode].get("sampler") or {})
    if sampler and sampler.pop("name") != "MultiScaleSampler":
        raise ThaigenError(f"{STREAM_DATASET} is batched by MultiScaleSampler or PaddleOCR's default, not {sampler}")
    dataset = (ThaigenMultiScaleStream if sampler else ThaigenStream)(config, mode, logger, seed)
    batches = (
        MultiScaleSampler(dataset, **sampler)
        if sampler
        else DistributedBatchSampler(
            dataset=dataset, batch_size=loader["batch_size_per_card"], shuffle=False, drop_last=loader["drop_last"]
        )
    )
    return DataLoader(
        dataset=dataset,
        batch_sampler=batches,
        places=device,
        num_workers=loader["num_workers"],
        return_list=True,
        use_shared_memory=loader.get("use_shared_memory", True),
    )
