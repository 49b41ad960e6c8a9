"""The model card: what was trained on what, how well, with which versions; JSON plus a Markdown view."""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path
from typing import Any

from thaigen.dataset.dictionary import read_dictionary
from thaigen.dataset.manifest import read_manifest
from trainers.paddleocr import source as paddle_source
from trainers.paddleocr.configs import ARCHS, STREAM_DATASET, Arch, Layout
from trainers.paddleocr.export import OnnxResult

CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"
VERSIONED = ("thaigen", "paddlepaddle", "paddlepaddle-gpu", "paddle2onnx", "onnxruntime", "onnx")

_BEST = re.compile(r"best metric, (.*)$")
_IPS = re.compile(r"ips: ([0-9.]+) samples/s")
_PAIR = re.compile(r"(\w+): ([-+0-9.eE]+|True|False)")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a trained model depends on (absent ones left out)."""
    found = {}
    for name in VERSIONED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def _number(text: str) -> float | bool:
    return text == "True" if text in ("True", "False") else float(text)


def training_figures(log: Path) -> dict[str, Any]:
    """Best evaluation metrics and mean training throughput, read from PaddleOCR's training log."""
    best: dict[str, float | bool] = {}
    rates: list[float] = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if match := _BEST.search(line):
            best = {key: _number(value) for key, value in _PAIR.findall(match.group(1))}
        rates.extend(float(rate) for rate in _IPS.findall(line))
    return {
        "best_metrics": best,
        "train_images_per_s": round(sum(rates) / len(rates), 2) if rates else None,
    }


def input_shape(arch: Arch, config: dict[str, Any]) -> list[int]:
    """C, H, W the model was trained at: the config's RecResizeImg (fitted to the data's lines), else the arch's."""
    for op in config.get("Eval", {}).get("dataset", {}).get("transforms", []):
        if isinstance(op, dict) and "RecResizeImg" in op:
            return [int(v) for v in op["RecResizeImg"]["image_shape"]]
    return list(ARCHS[arch].image_shape)


def describe(
    arch: Arch, config: dict[str, Any], layout: Layout, training: dict[str, Any], onnx: OnnxResult, source: Path
) -> dict[str, Any]:
    """The card's fields: model, data, dictionary, training figures, ONNX check, versions, full config."""
    manifest = read_manifest(layout.manifest_path) if layout.manifest_path.is_file() else {}
    counts = manifest.get("counts", {})
    streamed = config["Train"]["dataset"]["name"] == STREAM_DATASET
    dict_lines = read_dictionary(layout.dict_path) if layout.dict_path.is_file() else ()
    return {
        "arch": arch.value,
        "algorithm": ARCHS[arch].algorithm,
        "model_name": config["Global"]["model_name"],
        "image_shape": input_shape(arch, config),
        "dataset": {
            "name": "stream" if streamed else layout.train_dir.name,
            "config_digest": manifest.get("config_digest"),
            "seed": manifest.get("seed"),
            "train": config["Train"]["dataset"]["epoch_size"] * config["Global"]["epoch_num"] if streamed
            else counts.get("train"),
            "val": counts.get("val"),
        },
        "dict": {"file": "dict.txt", "size": len(dict_lines), "use_space_char": config["Global"].get("use_space_char")},
        "training": training,
        "onnx": {
            "file": onnx.path.name if onnx.path else None,
            "max_abs_diff_vs_paddle": onnx.max_abs_diff,
            "skipped": onnx.skipped,
        },
        "versions": package_versions()
        | {"paddleocr_source": paddle_source.commit(source) or f"{paddle_source.PINNED_TAG} (commit not recorded)"},
        "config": config,
    }


def write_card(model_dir: Path, card: dict[str, Any]) -> Path:
    """Write model_card.json and MODEL_CARD.md into `model_dir` (listing its files); returns the JSON path."""
    card = card | {"files": sorted({p.name for p in model_dir.iterdir()} | {CARD_JSON, CARD_MD})}
    path = model_dir / CARD_JSON
    path.write_text(json.dumps(card, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (model_dir / CARD_MD).write_text(render_markdown(card), encoding="utf-8")
    return path


def render_markdown(card: dict[str, Any]) -> str:
    """A short human-readable card: headline figures, then every field as JSON."""
    metrics = card.get("training", {}).get("best_metrics", {})
    headline = ", ".join(f"{key} {value:.4f}" for key, value in metrics.items() if isinstance(value, float))
    lines = [
        f"# {card['arch']} trained on {card['dataset']['name']}",
        "",
        f"- best validation: {headline or 'no evaluation ran'}",
        f"- images: {card['dataset'].get('train')} train, {card['dataset'].get('val')} val; dict {card['dict']['size']} characters",
        (
            f"- wall time {card['training']['wall_s']:.0f} s on {card['training']['device']}, "
            f"{card['training'].get('train_images_per_s')} img/s"
        ),
        f"- files: {', '.join(card['files'])}",
        "",
        "```json",
        json.dumps(card, ensure_ascii=False, indent=2, sort_keys=True),
        "```",
        "",
    ]
    return "\n".join(lines)
