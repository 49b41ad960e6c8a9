"""The command line as a user runs it: exit codes and one-line errors that name the culprit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from thaigen.resources import data_dir


def _thaigen(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thaigen", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_build_then_lint(tmp_path: Path) -> None:
    built = _thaigen("build", "--recipe", "digits", "--count", "40", "--out", tmp_path / "d", "--workers", "1", "--quiet")
    assert built.returncode == 0, built.stderr
    assert "built:" in built.stdout and "dict" in built.stdout
    again = _thaigen("build", "--recipe", "digits", "--count", "40", "--out", tmp_path / "d", "--quiet")
    assert again.returncode == 0 and "already up to date" in again.stdout
    linted = _thaigen("lint", tmp_path / "d")
    assert linted.returncode == 0 and linted.stdout.strip().endswith(f"0 problem(s) in {tmp_path / 'd'}")


def test_default_build_goes_to_documented_folder(tmp_path: Path) -> None:
    result = _thaigen("build", "--count", "3", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "datasets" / "mixed" / "train.txt").is_file()


def test_user_corpus_lines_become_labels(tmp_path: Path) -> None:
    corpus = tmp_path / "lines.txt"
    corpus.write_text("# my lines\nใบเสร็จรับเงิน\nเลขประจำตัวผู้เสียภาษี\n", encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(f"sources: {{corpus: 1}}\ncorpus_files: [{corpus}]\ncount: 12\n", encoding="utf-8")
    result = _thaigen("build", "--config", config, "--out", tmp_path / "d", "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    labels = {line.split("\t")[1] for f in ("train.txt", "val.txt") for line in (tmp_path / "d" / f).read_text().splitlines()}
    assert labels == {"ใบเสร็จรับเงิน", "เลขประจำตัวผู้เสียภาษี"}


@pytest.mark.parametrize(
    ("config", "culprit"),
    [
        ("cuont: 3\n", "unknown config key 'cuont'"),
        ("fonts:\n  files: [/nonexistent/font.ttf]\n", "font file not found: /nonexistent/font.ttf"),
        ("fonts:\n  dirs: [/nonexistent]\n", "font folder not found: /nonexistent"),
        (f"fonts:\n  shipped: false\n  files: [{data_dir('fonts')}/noto/NotoSans-Regular.ttf]\n", "cannot draw Thai"),
        ("sources: {corpus: 1}\ncorpus_files: [EMPTY]\n", "has no items"),
        ("sources: {corpus: 1}\ncorpus_files: [/nonexistent.txt]\n", "cannot read corpus file /nonexistent.txt"),
        ("max_text_length: 2\nsources: {sentence: 1}\n", "text source 'sentence' made no text within 2"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path: Path, config: str, culprit: str) -> None:
    (tmp_path / "empty.txt").write_text("# nothing here\n\n", encoding="utf-8")
    path = tmp_path / "c.yaml"
    path.write_text(config.replace("EMPTY", str(tmp_path / "empty.txt")), encoding="utf-8")
    result = _thaigen("build", "--config", path, "--count", "5", "--out", tmp_path / "o", "--workers", "1", "--quiet")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and culprit in result.stderr, result.stderr
    assert result.stderr.startswith("thaigen: error: ")


def test_unknown_recipe_and_excluded_font_warning(tmp_path: Path) -> None:
    unknown = _thaigen("build", "--recipe", "nope")
    assert unknown.returncode == 2 and "invalid choice: 'nope'" in unknown.stderr
    from fontTools.ttLib import TTFont

    font = TTFont(str(data_dir("fonts") / "tlwg" / "Garuda.ttf"))
    del font["GPOS"]
    font.save(str(tmp_path / "NoMarks.ttf"))
    config = tmp_path / "c.yaml"
    config.write_text(f"fonts:\n  files: [{tmp_path / 'NoMarks.ttf'}]\n", encoding="utf-8")
    result = _thaigen("build", "--config", config, "--count", "3", "--out", tmp_path / "o", "--quiet")
    assert result.returncode == 0
    assert "thaigen: warning: font" in result.stderr and "NoMarks.ttf left out: no GPOS mark positioning" in result.stderr


def test_text_no_font_covers_is_one_line(tmp_path: Path) -> None:
    corpus = tmp_path / "cjk.txt"
    corpus.write_text("漢字\n", encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(f"sources: {{corpus: 1}}\ncorpus_files: [{corpus}]\n", encoding="utf-8")
    result = _thaigen("build", "--config", config, "--count", "2", "--out", tmp_path / "o", "--quiet")
    assert result.returncode == 2 and "no configured font (with fallbacks) covers" in result.stderr
    assert "'漢字'" in result.stderr and result.stderr.count("\n") == 1
