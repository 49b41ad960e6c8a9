"""Pages as PaddleOCR's own SimpleDataSet reads them, for the tests that check our label files against it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any


def simple_dataset_items(root: Path, label_file: Path, ops: list[dict[str, Any]], img_mode: str) -> list[dict[str, Any]]:
    """Each line of `label_file` as SimpleDataSet and `ops` produce it (Eval mode: in order, none swapped).

    SimpleDataSet logs an error and swaps in another line when one fails; that fails here, naming the first.
    Needs PaddleOCR's source on sys.path (the tests' `ppocr` fixture).
    """
    from ppocr.data.simple_dataset import SimpleDataSet

    config = {
        "Global": {},
        "Eval": {
            "dataset": {"name": "SimpleDataSet", "data_dir": str(root), "label_file_list": [str(label_file)],
                        "transforms": [{"DecodeImage": {"img_mode": img_mode, "channel_first": False}}, *ops]},
            "loader": {"shuffle": False, "batch_size_per_card": 1, "drop_last": False, "num_workers": 0},
        },
    }  # fmt: skip
    logger = logging.getLogger("ppocr-simple-dataset-test")
    failures: list[str] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = lambda record: failures.append(record.getMessage().splitlines()[-1])  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        data = SimpleDataSet(config, "Eval", logger, seed=0)
        items = [data[i] for i in range(len(data))]
    finally:
        logger.removeHandler(handler)
    assert not failures, f"PaddleOCR swapped {len(failures)} page(s) for others, first: {failures[0]}"
    return items
