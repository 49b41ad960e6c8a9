"""build --focus SCORE_REPORT.json: a real score report of the tiny recognizer re-weights sources,
characters and presets; the focused build is deterministic and records its weights."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from model_fixtures import tiny_models_fixture  # noqa: F401
from tiny_model import TinyModels

import thaigen
from thaigen.cli import main
from thaigen.config.focus import focus, read_score_report
from thaigen.dataset.labels import read_labels
from thaigen.errors import ConfigError


@pytest.fixture(scope="module")
def report(tiny_models: TinyModels, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`thaigen score` of the tiny digits model on its own val set (a thaigen set: presets are known)."""
    out = tmp_path_factory.mktemp("score")
    assert main(["score", str(tiny_models.onnx), str(tiny_models.data), "--out", str(out)]) == 0
    return out / "report.json"


def test_findings_are_read_from_the_report(report: Path) -> None:
    findings = read_score_report(report)
    engine = json.loads(report.read_text(encoding="utf-8"))["engines"][0]
    assert findings.category_accuracy == {c: v["line_accuracy"] for c, v in engine["by_category"].items()}
    assert set(findings.preset_accuracy) == {"light"}  # the digits recipe's one preset, joined through samples.jsonl
    truths = Counter(ch for line in engine["lines"] for ch in line["truth"] if ch != " ")
    assert {ch: n for ch, (_, n) in findings.character_misses.items()} == dict(truths)
    wrong = {ch for line in engine["lines"] if line["truth"] != line["prediction"] for ch in line["truth"]}
    assert all(ch in wrong for ch, (misses, _) in findings.character_misses.items() if misses)


def test_focus_moves_weight_toward_the_weak_categories(report: Path) -> None:
    config = thaigen.load_config(recipe="digits", count=200)
    findings = read_score_report(report)
    focused = focus(config, findings)
    errors = {c: 1 - a for c, a in findings.category_accuracy.items()}
    worst, best = max(errors, key=errors.__getitem__), min(errors, key=errors.__getitem__)
    assert errors[worst] > errors[best]  # the tiny model is not equally good at everything
    gain = {s: focused.sources[s] / config.sources[s] for s in config.sources}
    assert gain[worst] > gain[best] and 0.5 <= min(gain.values()) and max(gain.values()) <= 2.0
    if any(m for m, _ in findings.character_misses.values()):
        assert focused.focus_characters and focused.sources["focus"] > 0
    assert focused.focus_report == findings.digest


def test_focused_build_is_deterministic_and_recorded(report: Path, tmp_path: Path) -> None:
    args = ["build", "--recipe", "digits", "--count", "96", "--focus", str(report), "--quiet"]
    assert main([*args, "--out", str(tmp_path / "a"), "--workers", "1"]) == 0
    assert main([*args, "--out", str(tmp_path / "b"), "--workers", "2"]) == 0
    for name in ("train.txt", "val.txt", "samples.jsonl", "manifest.json", "dict.txt"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    focused = focus(thaigen.load_config(recipe="digits", count=96), read_score_report(report))
    assert manifest["config"]["sources"] == focused.sources
    assert manifest["config"]["focus_characters"] == focused.focus_characters
    if focused.focus_characters:
        labels = [str(line.label) for line in read_labels(tmp_path / "a" / "train.txt")]
        assert "focus" in manifest["counts"]["by_category"]
        assert any(ch in label for label in labels for ch in focused.focus_characters)


def test_a_report_that_is_not_one_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "r.json"
    bad.write_text('{"engines": []}', encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a thaigen score report.json"):
        read_score_report(bad)
    with pytest.raises(ConfigError, match="score report not found"):
        read_score_report(tmp_path / "missing.json")
