"""A small real CTC recognizer, trained on CPU in seconds, exported like PaddleOCR: for tests and demos.

The network takes PaddleOCR's rec input (3 x 32 x W, BGR scaled to [-1, 1], padded right), runs four
strided conv blocks and a bidirectional LSTM, and ends in a CTC head whose output is
N x W/4 x (blank + dictionary + space) softmax probabilities, blank = 0: the layout of PaddleOCR's
own rec models, so every loader, scorer and server path runs on it unchanged.

    python -m tiny_model OUT [--count 1200] [--steps 800] [--seed 0]

builds a digits dataset in OUT/data, trains, and writes OUT/paddle3 (inference.json), OUT/paddle2
(inference.pdmodel) and OUT/onnx (inference.onnx).
"""

from __future__ import annotations

import argparse
import shutil
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

import thaigen
from thaigen.dataset import paths
from thaigen.dataset.dictionary import read_dictionary
from thaigen.dataset.labels import read_labels
from trainers.inference import image as inference_image
from trainers.inference.ctc import character_table
from trainers.inference.folder import CONFIG_FILE
from trainers.inference.image import Image, InputShape
from trainers.inference.paddle_backend import import_paddle
from trainers.paddleocr.onnx import convert_to_onnx

INPUT_SHAPE = InputShape(3, 32, 160)
MODEL_NAME = "thaigen_tiny_ctc"
CHANNELS = (16, 32, 64, 96)
MAX_LEARNING_RATE = 6e-3
BUCKET_BATCHES = 8
"""Batches drawn together and sorted by width, so a batch pads little."""


@dataclass(frozen=True)
class TinyModels:
    """Where the exported folders of one trained tiny model are."""

    data: Path
    paddle3: Path
    paddle2: Path
    onnx: Path


@dataclass(frozen=True)
class TrainingSet:
    """Decoded training lines and their labels as class indices."""

    images: tuple[Image, ...]
    targets: tuple[tuple[int, ...], ...]
    characters: tuple[str, ...]


def build_network(classes: int):  # type: ignore[no-untyped-def]  # returns a paddle.nn.Layer (paddle is imported lazily)
    """The tiny CTC network for `classes` output classes (blank included)."""
    paddle = import_paddle()
    nn = paddle.nn

    def block(inputs: int, outputs: int, stride: tuple[int, int]) -> Any:
        return nn.Sequential(
            nn.Conv2D(inputs, outputs, 3, stride=stride, padding=1, bias_attr=False), nn.BatchNorm2D(outputs), nn.ReLU()
        )

    class TinyCTC(nn.Layer):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            a, b, c, d = CHANNELS
            self.backbone = nn.Sequential(
                block(3, a, (2, 2)), block(a, b, (2, 1)), block(b, c, (2, 2)), block(c, d, (2, 1))
            )
            self.context = nn.LSTM(d, d // 2, direction="bidirect")
            self.head = nn.Linear(d, classes)

        def forward(self, x):  # type: ignore[no-untyped-def]
            features = self.backbone(x).mean(axis=2).transpose([0, 2, 1])
            context, _ = self.context(features)
            logits = self.head(features + context)
            return logits if self.training else nn.functional.softmax(logits, axis=2)

    return TinyCTC()


def load_training_set(folder: Path) -> TrainingSet:
    """Read a thaigen dataset's train.txt, images and dict.txt."""
    characters = read_dictionary(folder / paths.DICT)
    index = {ch: i for i, ch in enumerate(character_table(characters, use_space_char=True))}
    images, targets = [], []
    for line in read_labels(folder / paths.TRAIN_LABELS):
        images.append(inference_image.load(folder / line.path))
        targets.append(tuple(index[ch] for ch in str(line.label)))
    return TrainingSet(tuple(images), tuple(targets), characters)


def _batches(count: int, batch: int, rng: np.random.Generator, ratios: np.ndarray) -> Iterator[np.ndarray]:
    """Endless batches of indices: shuffled, then sorted by aspect ratio within buckets of BUCKET_BATCHES."""
    while True:
        order = rng.permutation(count)
        buckets = [order[i : i + batch * BUCKET_BATCHES] for i in range(0, count, batch * BUCKET_BATCHES)]
        batches = [
            bucket[np.argsort(ratios[bucket])][j : j + batch]
            for bucket in buckets
            for j in range(0, len(bucket), batch)
        ]
        for k in rng.permutation(len(batches)):
            yield batches[k]


def train(data: TrainingSet, steps: int, batch: int, seed: int):  # type: ignore[no-untyped-def]
    """Train the tiny network with CTC loss and Adam (one-cycle learning rate) on CPU; return it in eval mode."""
    paddle = import_paddle()
    paddle.seed(seed)
    model = build_network(len(data.characters) + 2)
    schedule = paddle.optimizer.lr.OneCycleLR(max_learning_rate=MAX_LEARNING_RATE, total_steps=steps)
    optimizer = paddle.optimizer.Adam(learning_rate=schedule, parameters=model.parameters())
    loss_fn = paddle.nn.CTCLoss(blank=0)
    ratios = np.array([image.shape[1] / image.shape[0] for image in data.images])
    batches = _batches(len(data.images), batch, np.random.default_rng(seed), ratios)
    model.train()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "When training, we now always track global mean and variance")
        for _ in range(steps):
            chosen = next(batches)
            x = inference_image.to_batch([data.images[i] for i in chosen], INPUT_SHAPE)
            labels = [data.targets[i] for i in chosen]
            width = max(len(label) for label in labels)
            padded = np.array([label + (0,) * (width - len(label)) for label in labels], dtype=np.int32)
            logits = model(paddle.to_tensor(x))
            loss = loss_fn(
                logits.transpose([1, 0, 2]),
                paddle.to_tensor(padded),
                paddle.full([len(chosen)], logits.shape[1], dtype="int64"),
                paddle.to_tensor([len(label) for label in labels], dtype="int64"),
            )
            loss.backward()
            optimizer.step()
            optimizer.clear_grad()
            schedule.step()
    model.eval()
    return model


def inference_config(characters: Sequence[str]) -> dict[str, object]:
    """inference.yml as PaddleOCR 3.x writes it for a CTC rec model (and as paddleocr 3.x accepts it)."""
    return {
        "Global": {"model_name": MODEL_NAME},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}},
                {"RecResizeImg": {"image_shape": [INPUT_SHAPE.channels, INPUT_SHAPE.height, INPUT_SHAPE.width]}},
                {"KeepKeys": {"keep_keys": ["image", "label_ctc", "label_gtc", "length", "valid_ratio"]}},
            ]
        },
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": list(characters)},
    }


def export(model, characters: Sequence[str], out: Path, *, legacy: bool) -> Path:  # type: ignore[no-untyped-def]
    """Save `model` with paddle.jit.save as PaddleOCR does: 3.x (inference.json) or, `legacy`, 2.x (inference.pdmodel).

    Paddle 3.x still writes the 2.x program format inside `paddle.pir_utils.OldIrGuard`.
    """
    paddle = import_paddle()
    out.mkdir(parents=True, exist_ok=True)
    spec = [paddle.static.InputSpec([None, INPUT_SHAPE.channels, INPUT_SHAPE.height, None], "float32", "x")]
    if legacy:
        # paddle 3.3.1 leaves an LSTM's _dropout_state buffer without a place, which the 2.x writer rejects.
        model.context._dropout_state = paddle.to_tensor(np.zeros([1], np.uint8))
        with paddle.pir_utils.OldIrGuard():
            paddle.jit.save(model, str(out / "inference"), input_spec=spec)
    else:
        paddle.jit.save(model, str(out / "inference"), input_spec=spec)
    (out / CONFIG_FILE).write_text(
        yaml.safe_dump(inference_config(characters), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return out


def build_tiny_models(out: Path, *, count: int = 1200, steps: int = 800, batch: int = 16, seed: int = 0) -> TinyModels:
    """Build a digits dataset, train the tiny recognizer on it and export it three ways under `out`."""
    data = out / "data"
    config = thaigen.load_config(recipe="digits", count=count, seed=seed)
    thaigen.build(config, data, workers=2, progress=False)
    training = load_training_set(data)
    model = train(training, steps, batch, seed)
    paddle3 = export(model, training.characters, out / "paddle3", legacy=False)
    paddle2 = export(model, training.characters, out / "paddle2", legacy=True)
    onnx = out / "onnx"
    shutil.copytree(paddle3, onnx, dirs_exist_ok=True)
    convert_to_onnx(onnx)
    return TinyModels(data=data, paddle3=paddle3, paddle2=paddle2, onnx=onnx)


def main() -> None:
    """`python -m tiny_model OUT`: build, train and export the tiny recognizer."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1200, help="digits lines to build (90%% train)")
    parser.add_argument("--steps", type=int, default=800, help="training steps of 16 lines")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    models = build_tiny_models(args.out, count=args.count, steps=args.steps, seed=args.seed)
    print(f"data {models.data}\npaddle 3.x {models.paddle3}\npaddle 2.x {models.paddle2}\nonnx {models.onnx}")


if __name__ == "__main__":
    main()
