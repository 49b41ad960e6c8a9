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

from pathlib import Path
from typing import Any

from paddle.io import DataLoader, Dataset, DistributedBatchSampler
from ppocr.data import build_dataloader as paddle_build_dataloader
from ppocr.data.imaug import create_operators, transform

from thaigen.config.schema import GenConfig
from thaigen.dataset.dictionary import read_dictionary
from thaigen.errors import ThaigenError
from thaigen.inspect.lint import LintRules, check_label
from thaigen.pipeline.stream import label_of, prepare, stream
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
        prepare(self.config)  # fonts and sources once, in this process: forked loader workers inherit them
        logger.info(f"{STREAM_DATASET}: samples {self.first} to {self.first + self.size - 1} of {section['thaigen_config']}")

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, position: int) -> list[Any]:
        index = self.first + position
        sample = next(stream(self.config, [index]))
        label = label_of(sample)
        problems = check_label(label, self.rules) if self.rules else []
        if problems:
            raise ThaigenError(f"thaigen sample {index}: label {label!r}: {problems[0]} (a bug: please report it)")
        where = f"thaigen sample {index}"
        data = {"img_path": where, "label": label, "image": sample.png, "ext_data": [], "filename": where}
        drawn = transform(data, self.ops)
        if drawn is None:
            raise ThaigenError(f"thaigen sample {index}: PaddleOCR's transforms dropped it (label {label!r})")
        return drawn


def _rules(global_config: dict[str, Any], lint: dict[str, Any]) -> LintRules:
    """What a drawn label must satisfy: the run's dict and space setting, the data's length, the model's steps."""
    return LintRules(
        characters=frozenset(read_dictionary(Path(global_config["character_dict_path"]))),
        use_space_char=bool(global_config.get("use_space_char")),
        max_text_length=int(lint["max_text_length"]),
        time_steps=lint.get("time_steps"),
    )


def build_dataloader(config: dict[str, Any], mode: str, device: Any, logger: Any, seed: int | None = None) -> Any:
    """PaddleOCR's build_dataloader, which also knows `ThaigenStream` (batched as PaddleOCR batches a training
    set without a sampler: DistributedBatchSampler, here in index order)."""
    if config[mode]["dataset"]["name"] != STREAM_DATASET:
        return paddle_build_dataloader(config, mode, device, logger, seed)
    loader = config[mode]["loader"]
    dataset = ThaigenStream(config, mode, logger, seed)
    batches = DistributedBatchSampler(
        dataset=dataset, batch_size=loader["batch_size_per_card"], shuffle=False, drop_last=loader["drop_last"]
    )
    return DataLoader(
        dataset=dataset,
        batch_sampler=batches,
        places=device,
        num_workers=loader["num_workers"],
        return_list=True,
        use_shared_memory=loader.get("use_shared_memory", True),
    )
