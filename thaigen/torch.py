"""PyTorch input over streamed samples (the torch extra; `import thaigen` never imports this module).

`Dataset(config)` is an IterableDataset of the samples `thaigen.samples` makes: index i goes to shard
i mod (world_size * num_workers), shard number rank * num_workers + worker id, each shard in index order, so
every index is drawn exactly once and a (config, world size, worker count) always gives the same batches.
`collate` batches variable-width lines, padded right.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from thaigen.config.schema import GenConfig
from thaigen.dataset.png import decode_png
from thaigen.errors import ConfigError, EnvironmentProblem
from thaigen.pipeline.stream import label_of, prepare, stream

try:
    import torch
    import torch.distributed
    import torch.nn.functional
    from torch.utils.data import IterableDataset, get_worker_info
except ImportError:
    raise EnvironmentProblem("thaigen.torch needs PyTorch: pip install -e '.[torch]'") from None

Item = dict[str, Any]
"""One sample as the dataset yields it: index, split, label, and image (decoded) or png (bytes)."""
Transform = Callable[[np.ndarray], Any]
"""Called with a sample's H x W x 3 RGB uint8 pixels; what it returns is the item's image."""


def to_float(pixels: np.ndarray) -> torch.Tensor:
    """A transform: 3 x H x W float32 tensor in [0, 1]."""
    return torch.from_numpy(pixels).permute(2, 0, 1).float().div_(255.0)


def _ranks(rank: int | None, world_size: int | None) -> tuple[int, int]:
    """(rank, world size): as given, else torch.distributed's when initialised, else (0, 1).

    Raises:
        ConfigError: only one of the two is given, or rank is not in [0, world_size).
    """
    if rank is None and world_size is None:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            return torch.distributed.get_rank(), torch.distributed.get_world_size()
        return 0, 1
    if rank is None or world_size is None or not 0 <= rank < world_size:
        raise ConfigError(
            f"Dataset: give rank and world_size together, 0 <= rank < world_size; got {rank}, {world_size}"
        )
    return rank, world_size


class Dataset(IterableDataset[Item]):
    """Samples of `config`, split without overlap over distributed ranks and DataLoader workers."""

    def __init__(
        self,
        config: GenConfig,
        *,
        endless: bool = False,
        decode: bool = True,
        transform: Transform | None = None,
        rank: int | None = None,
        world_size: int | None = None,
    ) -> None:
        """Check the config and load its fonts and sources now (forked workers inherit them).

        Args:
            endless: draw indices 0, 1, 2, ... with no end, instead of [0, config.count).
            decode: items carry `image` (the pixels, or what `transform` makes of them); else `png` (bytes).
            rank, world_size: this process's place among distributed ranks (default: torch.distributed's when
                initialised, else one rank).

        Raises:
            ConfigError: bad rank/world_size, or a transform without decode (and the errors of `stream.prepare`).
        """
        if transform is not None and not decode:
            raise ConfigError("Dataset: transform= works on decoded pixels; leave decode=True")
        _ranks(rank, world_size)
        prepare(config)
        self.config, self.endless, self.decode, self.transform = config, endless, decode, transform
        self.rank, self.world_size = rank, world_size

    def shard(self) -> tuple[int, int]:
        """(this shard's number, shard count) for the calling process: rank * num_workers + worker id."""
        rank, world_size = _ranks(self.rank, self.world_size)
        info = get_worker_info()
        workers, worker = (info.num_workers, info.id) if info else (1, 0)
        return rank * workers + worker, world_size * workers

    def indices(self) -> Iterable[int]:
        """The indices this shard draws, in order."""
        number, count = self.shard()
        return itertools.count(number, count) if self.endless else range(number, self.config.count, count)

    def __iter__(self) -> Iterator[Item]:
        for sample in stream(self.config, self.indices()):
            item: Item = {"index": sample.index, "split": sample.split, "label": label_of(sample)}
            if self.decode:
                pixels = decode_png(sample.png)
                item["image"] = self.transform(pixels) if self.transform else pixels
            else:
                item["png"] = sample.png
            yield item


def collate(items: Sequence[Item]) -> dict[str, Any]:
    """A batch of lines: `index` and `width` (px before padding) as int64 tensors, `image` B x C x H x W padded right
    with zeros to the batch's widest (an H x W x 3 numpy image becomes 3 x H x W uint8; a tensor from a transform
    is padded along its last axis), other keys (label, split, png) as lists.

    Raises:
        ConfigError: the images differ in anything but width (pages of several sizes: use batch_size=1).
    """
    batch: dict[str, Any] = {key: [item[key] for item in items] for key in items[0] if key != "image"}
    batch["index"] = torch.tensor(batch["index"], dtype=torch.int64)
    if "image" not in items[0]:
        return batch
    images = [
        torch.from_numpy(item["image"]).permute(2, 0, 1) if isinstance(item["image"], np.ndarray) else item["image"]
        for item in items
    ]
    if len({image.shape[:-1] for image in images}) > 1:
        shapes = sorted({tuple(image.shape) for image in images})
        raise ConfigError(f"collate: images of one batch must differ in width only, got shapes {shapes[:3]}")
    widest = max(image.shape[-1] for image in images)
    batch["image"] = torch.stack([torch.nn.functional.pad(image, (0, widest - image.shape[-1])) for image in images])
    batch["width"] = torch.tensor([image.shape[-1] for image in images], dtype=torch.int64)
    return batch
