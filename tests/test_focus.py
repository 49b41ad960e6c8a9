"""build --focus SCORE_REPORT.json: a real score report of the tiny recognizer re-weights sources,
characters and presets; the focused build is deterministic and records its weights."""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from pathlib import Path

import pytest
from ink_detector import write_ink_detector
from model_fixtures import tiny_models_fixture  # noqa: F401
from tiny_model import TinyModels

import thaigen
from thaigen.cli import main
from thaigen.config.focus import FocusWarning, describe_focus, focus, read_score_report
from thaigen.config.loading import make_config
from thaigen.dataset.labels import read_labels
from thaigen.errors import ConfigError
from trainers.evaluation.score import DictionaryGapWarning


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


def _two_engines(report: Path, out: Path) -> Path:
    """The report with a second engine: the first one again, every line read wrong ('tesseract (tha)')."""
    data = json.loads(report.read_text(encoding="utf-8"))
    first = data["engines"][0]
    second = first | {"engine": "tesseract (tha)", "lines": [line | {"prediction": ""} for line in first["lines"]]}
    data["engines"] = [first, second]
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out


def test_a_report_of_several_engines_says_which_it_takes(
    report: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    both = _two_engines(report, tmp_path / "both.json")
    first = "onnx (onnxruntime)"
    said = f"scores 2 engines; re-weighting toward the first, '{first}' (score's MODEL), not 'tesseract (tha)'"
    with pytest.warns(FocusWarning, match=re.escape(said)):
        taken = read_score_report(both)
    assert taken.engine == first and taken.character_misses == read_score_report(report).character_misses
    chosen = read_score_report(both, "tesseract")  # the part before ' (' is enough; no warning when named
    assert chosen.engine == "tesseract (tha)" and all(m == n for m, n in chosen.character_misses.values())
    assert read_score_report(both, "tesseract (tha)") == chosen
    listed = "scores no engine 'paddle'; it scores 'onnx (onnxruntime)', 'tesseract (tha)'"
    with pytest.raises(ConfigError, match=re.escape(listed) + "$"):
        read_score_report(both, "paddle")
    args = ["build", "--recipe", "digits", "--count", "16", "--focus", str(both), "--quiet"]
    with pytest.warns(FocusWarning, match=re.escape(first) + r".*\(choose another with --focus-engine NAME\)"):
        assert main([*args, "--out", str(tmp_path / "a")]) == 0
    capsys.readouterr()
    assert main([*args, "--focus-engine", "tesseract", "--out", str(tmp_path / "t")]) == 0  # no warning: chosen
    assert "focus: toward the errors of 'tesseract (tha)'" in capsys.readouterr().out
    assert main(["build", "--recipe", "digits", "--focus-engine", "tesseract", "--out", str(tmp_path / "n")]) == 2
    assert capsys.readouterr().err.strip() == "thaigen: error: --focus-engine needs --focus SCORE_REPORT"


def test_the_summary_names_the_engine_and_every_change(report: Path) -> None:
    config = thaigen.load_config(recipe="digits", count=200)
    findings = read_score_report(report)
    focused = focus(config, findings)
    head, sources, characters, presets = describe_focus(config, focused, findings).splitlines()
    assert head == f"focus: toward the errors of 'onnx (onnxruntime)' (report sha256 {findings.digest[:12]})"
    changed = {s for s in focused.sources if focused.sources[s] != config.sources.get(s, 0)}
    assert changed and all(f"{s} {config.sources.get(s, 0):g} -> {focused.sources[s]:g}" in sources for s in changed)
    assert all(f"{ch} U+{ord(ch):04X} {w:g}" in characters for ch, w in focused.focus_characters.items())
    assert presets.startswith("  presets: ") and ("unchanged" in presets or "light" in presets)
    assert describe_focus(config, config, findings).splitlines()[1] == "  sources: unchanged"


@pytest.mark.parametrize("task", ["det", "e2e"])
def test_a_report_of_pages_is_refused_in_one_line(
    task: str, tiny_models: TinyModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages, out = tmp_path / "pages", tmp_path / "scores"
    thaigen.build(make_config(recipe="pages", count=2, seed=1, val_fraction=0.5), pages, workers=1, progress=False)
    score = ["score", "--task", task, str(pages), "--det", str(write_ink_detector(tmp_path / "det")), "--out", str(out)]
    with warnings.catch_warnings():  # the digits model cannot write the Thai of the pages: score says so
        warnings.simplefilter("ignore", DictionaryGapWarning)
        assert main(score + (["--rec", str(tiny_models.onnx)] if task == "e2e" else [])) == 0
    refused = f"is a `score --task {task}` report of pages; --focus needs a report of recognized lines"
    with pytest.raises(ConfigError, match=re.escape(refused)):
        read_score_report(out / "report.json")
    capsys.readouterr()
    build = ["build", "--recipe", "digits", "--count", "8", "--focus", str(out / "report.json")]
    assert main([*build, "--out", str(tmp_path / "b")]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("thaigen: error: --focus: ") and "KeyError" not in error[0]
