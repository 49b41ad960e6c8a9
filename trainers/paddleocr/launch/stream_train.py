"""PaddleOCR's tools/train.py, its training set drawn from thaigen (`Train.dataset.name: ThaigenStream`).

Run as tools/train.py is, with the PaddleOCR source as working folder and the same arguments:

    python /path/to/trainers/paddleocr/launch/stream_train.py -c train_config.yml

It loads PaddleOCR's own tools/train.py, puts trainers.paddleocr.stream_dataset.build_dataloader in place of
PaddleOCR's (which names its dataset classes in a fixed list) and runs what that script's __main__ runs.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def main() -> None:
    """Train as tools/train.py does."""
    spec = importlib.util.spec_from_file_location("tools.train", Path("tools/train.py").resolve())
    assert spec is not None and spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)  # puts the source on the import path, as it does when run

    from trainers.paddleocr.stream_dataset import build_dataloader

    train.build_dataloader = train.program.build_dataloader = build_dataloader
    config, device, logger, vdl_writer = train.program.preprocess(is_train=True)
    seed = config["Global"].get("seed", 1024)
    train.set_seed(seed)
    train.main(config, device, logger, vdl_writer, seed)


if __name__ == "__main__":
    main()
