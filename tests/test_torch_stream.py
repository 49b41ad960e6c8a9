"""thaigen.torch: every index drawn exactly once over DataLoader workers and ranks, collate, the example loop."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch.utils.data import DataLoader

from thaigen.config.loading import make_config
from thaigen.config.schema import GenConfig
from thaigen.dataset.png import decode_png
from thaigen.errors import ConfigError
from thaigen.pipeline.stream import samples
from thaigen.torch import Dataset, collate, to_float

ROOT = Path(__file__).resolve().parents[1]
COUNT = 22


@pytest.fixture(scope="module")
def config() -> GenConfig:
    return make_config(count=COUNT, seed=3)


@pytest.fixture(scope="module")
def pngs(config: GenConfig) -> dict[int, bytes]:
    return {sample.index: sample.png for sample in samples(config)}


def _drawn(config: GenConfig, rank: int, world_size: int, workers: int) -> list[tuple[int, bytes]]:
    dataset = Dataset(config, decode=False, rank=rank, world_size=world_size)
    loader = DataLoader(dataset, batch_size=None, num_workers=workers, multiprocessing_context="fork")
    return [(item["index"], item["png"]) for item in loader]


@pytest.mark.parametrize(("world_size", "workers"), [(1, 1), (1, 4), (2, 2)])
@pytest.mark.filterwarnings("ignore:This DataLoader will create:UserWarning")  # more workers than this machine's cores
def test_every_index_is_drawn_once_in_a_fixed_order(
    config: GenConfig, pngs: dict[int, bytes], world_size: int, workers: int
) -> None:
    everything = []
    for rank in range(world_size):
        drawn = _drawn(config, rank, world_size, workers)
        shards = [range(rank * workers + w, COUNT, world_size * workers) for w in range(workers)]
        in_turn = [i for row in itertools.zip_longest(*shards) for i in row if i is not None]
        assert [index for index, _ in drawn] == in_turn  # the DataLoader takes one item from each worker in turn
        assert all(png == pngs[index] for index, png in drawn)  # a worker draws the bytes the build writes
        everything += [index for index, _ in drawn]
    assert sorted(everything) == list(range(COUNT))


def test_endless_runs_past_count_on_its_shard(config: GenConfig) -> None:
    dataset = Dataset(config, endless=True, decode=False, rank=1, world_size=2)
    assert [item["index"] for item in itertools.islice(dataset, COUNT)] == list(range(1, 2 * COUNT, 2))


def test_collate_pads_right_and_keeps_labels(config: GenConfig) -> None:
    items = list(itertools.islice(Dataset(config), 6))
    batch = collate(items)
    widths = [item["image"].shape[1] for item in items]
    assert len(set(widths)) > 1
    assert batch["image"].shape == (6, 3, config.render.height, max(widths)) and batch["image"].dtype == torch.uint8
    assert batch["width"].tolist() == widths and batch["index"].tolist() == list(range(6))
    assert batch["label"] == [item["label"] for item in items] and all(batch["label"])
    for row, item in zip(batch["image"], items):
        width = item["image"].shape[1]
        assert np.array_equal(row[:, :, :width].permute(1, 2, 0).numpy(), item["image"])
        assert not row[:, :, width:].any()
    floats = collate(list(itertools.islice(Dataset(config, transform=to_float), 2)))
    assert floats["image"].dtype == torch.float32 and float(floats["image"].max()) <= 1.0


def test_decoded_pixels_are_the_png_in_rgb(config: GenConfig, pngs: dict[int, bytes]) -> None:
    item = next(iter(Dataset(config)))
    assert np.array_equal(item["image"], decode_png(pngs[0])) and item["image"].shape[2] == 3


def test_bad_input_is_refused_in_one_line(config: GenConfig) -> None:
    with pytest.raises(ConfigError, match="rank and world_size together"):
        Dataset(config, rank=2, world_size=2)
    with pytest.raises(ConfigError, match="leave decode=True"):
        Dataset(config, decode=False, transform=to_float)
    tall, short = np.zeros((48, 10, 3), np.uint8), np.zeros((32, 10, 3), np.uint8)
    with pytest.raises(ConfigError, match="differ in width only"):
        collate([{"index": 0, "image": tall}, {"index": 1, "image": short}])


def test_import_thaigen_leaves_this_module_out() -> None:
    code = "import sys, thaigen\nthaigen.samples\nprint('thaigen.torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "False"


def test_the_example_trains_a_few_steps() -> None:
    command = [sys.executable, "examples/torch_stream.py", "--steps", "3", "--batch", "4", "--workers", "1"]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT, timeout=300)
    losses = [float(x) for x in re.findall(r"^step \d+ loss (\S+)$", done.stdout, re.MULTILINE)]
    assert len(losses) == 3 and all(np.isfinite(losses)), done.stdout
