"""Starting a run from given weights (`--pretrained`): which file, and how much of it the network takes.

PaddleOCR's `load_pretrained_params` loads every tensor whose name and shape match the network and skips
the rest with a log line each; `check` counts the same before training starts, so a head sized for another
dictionary is reported up front instead of in the middle of the log.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from thaigen.dataset.dictionary import read_dictionary
from thaigen.errors import ConfigError, ThaigenError

SUFFIX = ".pdparams"
WEIGHT_NAMES = ("best_accuracy", "latest")
"""Weights a training run's folder holds, best first (PaddleOCR's save names)."""
CTC_BIAS = "head.ctc_head.fc.bias"
"""The CTC head's output bias in a MultiHead recogniser: one value per class."""
SHOWN_MISMATCHES = 6


def resolve_weights(path: Path) -> Path:
    """The .pdparams file `path` names: that file, its path without .pdparams, or a folder holding
    best_accuracy.pdparams, latest.pdparams or exactly one .pdparams (e.g. th_PP-OCRv5_mobile_rec_pretrained).

    Raises:
        ConfigError: nothing to load there, or only an inference model (its parameters lack the training
            network's names and the NRTR head).
    """
    if path.is_file() and path.suffix == SUFFIX:
        return path.resolve()
    if path.with_name(path.name + SUFFIX).is_file():
        return path.with_name(path.name + SUFFIX).resolve()
    if not path.is_dir():
        raise ConfigError(f"pretrained weights not found: {path} (a .pdparams file, or a folder holding one)")
    for name in WEIGHT_NAMES:
        if (path / f"{name}{SUFFIX}").is_file():
            return (path / f"{name}{SUFFIX}").resolve()
    found = sorted(path.glob(f"*{SUFFIX}"))
    if len(found) == 1:
        return found[0].resolve()
    if found:
        raise ConfigError(f"{path} holds {len(found)} .pdparams files; name one with --pretrained")
    if any((path / f"inference{ext}").is_file() for ext in (".pdiparams", ".json", ".pdmodel")):
        raise ConfigError(
            f"{path} holds an inference model only; fine-tuning needs its training weights (.pdparams), "
            "e.g. th_PP-OCRv5_mobile_rec_pretrained.pdparams for the official Thai model"
        )
    raise ConfigError(f"no .pdparams in {path}")


@dataclass(frozen=True)
class LoadReport:
    """What PaddleOCR's load_pretrained_params will do with a weights file on a network.

    Attributes:
        network_tensors: tensors in the network's state dict.
        loaded: names in both with the same shape (loaded).
        mismatched: (name, network shape, file shape) of names in both with different shapes (skipped).
        unused: names in the file that the network lacks (skipped).
    """

    network_tensors: int
    loaded: int
    mismatched: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...]
    unused: tuple[str, ...]

    @property
    def initialised(self) -> int:
        """Network tensors the file does not set (they keep their random initialisation)."""
        return self.network_tensors - self.loaded

    def lines(self, weights: Path, dict_path: Path | None = None) -> list[str]:
        """The report printed before training: counts, then what was skipped and why."""
        counts = (f"{self.loaded} of {self.network_tensors} tensors load, {len(self.mismatched)} skipped for shape "
                  f"mismatch, {len(self.unused)} not in the network")
        lines = [f"pretrained {weights}: {counts}"]
        for name, ours, theirs in self.mismatched[:SHOWN_MISMATCHES]:
            lines.append(f"  skipped {name}: network {list(ours)}, weights {list(theirs)}")
        if len(self.mismatched) > SHOWN_MISMATCHES:
            lines.append(f"  ... and {len(self.mismatched) - SHOWN_MISMATCHES} more")
        classes = next(((ours[0], theirs[0]) for name, ours, theirs in self.mismatched if name == CTC_BIAS), None)
        entries = f"dict.txt's {len(read_dictionary(dict_path))} entries" if dict_path and dict_path.is_file() else "dict.txt"
        if classes is not None:
            lines.append(
                f"  the head has {classes[0]} classes here ({entries} + space + blank), {classes[1]} in the weights: "
                "the dataset's dictionary is not the one these weights were trained with, so the head starts from "
                "scratch (to fine-tune th_PP-OCRv5_mobile_rec, build with its ppocrv5_th_dict.txt)"
            )
        elif not self.mismatched:
            lines.append(
                f"  the head's classes follow the dataset's {entries} in order: it must be the dictionary the weights "
                "were trained with (ppocrv5_th_dict.txt for th_PP-OCRv5_mobile_rec), or characters are relabelled"
            )
        return lines


def compare(network: Mapping[str, Sequence[int]], weights: Mapping[str, Sequence[int]]) -> LoadReport:
    """What load_pretrained_params loads of `weights` into `network` (both name -> shape)."""
    mismatched = tuple(
        (name, tuple(network[name]), tuple(shape))
        for name, shape in weights.items()
        if name in network and list(network[name]) != list(shape)
    )
    loaded = sum(1 for name, shape in weights.items() if name in network and list(network[name]) == list(shape))
    unused = tuple(name for name in weights if name not in network)
    return LoadReport(len(network), loaded, mismatched, unused)


def weight_shapes(path: Path) -> dict[str, list[int]]:
    """name -> shape of every tensor in a .pdparams file."""
    from trainers.inference.paddle_backend import import_paddle

    state = import_paddle().load(str(path), return_numpy=True)
    return {str(name): [int(n) for n in value.shape] for name, value in state.items() if hasattr(value, "shape")}


def model_shapes(source: Path, config_path: Path) -> dict[str, list[int]]:
    """name -> shape of the network PaddleOCR builds for a written config (its own builder, in a subprocess
    with the source as working folder, as tools/train.py runs).

    Raises:
        ThaigenError: PaddleOCR could not build the network.
    """
    done = subprocess.run(
        [sys.executable, "-m", "trainers.paddleocr.network", str(config_path.resolve())],
        cwd=source, capture_output=True, text=True, check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ThaigenError(f"PaddleOCR could not build the network for {config_path}: {last}")
    shapes: dict[str, list[int]] = json.loads(lines[-1])
    return shapes


def check(source: Path, config_path: Path, weights: Path) -> LoadReport:
    """How much of `weights` the network of `config_path` takes, counted as PaddleOCR loads it."""
    return compare(model_shapes(source, config_path), weight_shapes(weights))
