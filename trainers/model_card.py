"""The model card: what was trained on what, how well, with which versions; JSON plus a Markdown view."""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path
from typing import Any

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


def write_card(model_dir: Path, card: dict[str, Any]) -> Path:
    """Write model_card.json and MODEL_CARD.md into `model_dir`; returns the JSON path."""
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
