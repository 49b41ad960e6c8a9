"""build --dict FILE: only labels the target dictionary encodes whole, and FILE written as dict.txt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thaigen.cli import main
from thaigen.dataset.dictionary import encodable_characters, read_dictionary
from thaigen.dataset.labels import read_labels
from thaigen.inspect.lint import DictionaryDefectWarning, lint_dictionary

FIXTURES = Path(__file__).parent / "fixtures"
OFFICIAL = FIXTURES / "ppocrv5_th_dict.txt"


def test_build_under_the_official_dict_keeps_every_label_whole(tmp_path: Path) -> None:
    out = tmp_path / "set"
    with pytest.warns(DictionaryDefectWarning) as warned:  # its defects, in lint --dict's words
        assert main(["build", "--count", "120", "--dict", str(OFFICIAL), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert [str(w.message) for w in warned] == [str(f) for f in lint_dictionary(OFFICIAL).defects]
    assert any("'ωก'" in str(w.message) for w in warned) and any("'ก' (U+0E01)" in str(w.message) for w in warned)
    assert (out / "dict.txt").read_bytes() == OFFICIAL.read_bytes()  # the model's classes, in its order
    allowed = encodable_characters(OFFICIAL)
    labels = [str(line.label) for name in ("train.txt", "val.txt") for line in read_labels(out / name)]
    assert len(labels) == 120 and all(allowed.issuperset(label) for label in labels)
    assert "ก" not in allowed and not any("ก" in label for label in labels)  # ก sits only inside the 'ωก' line
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["paddleocr"]["dict_size"] == len(read_dictionary(OFFICIAL))
    assert len(manifest["paddleocr"]["target_dictionary_sha256"]) == 64
    assert main(["lint", str(out)]) == 0


def test_a_clean_target_dict_builds_without_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    own = tmp_path / "dict.txt"
    own.write_bytes(OFFICIAL.read_bytes().replace("ωก\n".encode(), "ω\nก\n".encode()).replace("\uf8ff\n".encode(), b""))
    own.write_text("".join(f"{e}\n" for e in read_dictionary(own) if e not in ("\u212b", "\u2126")), encoding="utf-8")
    assert lint_dictionary(own).defects == []
    assert main(["build", "--count", "8", "--dict", str(own), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"]) == 0
    assert capsys.readouterr().err == ""  # filterwarnings=error: any warning would have failed the build above


def test_a_dict_the_sources_cannot_write_in_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    letters = tmp_path / "letters.txt"
    letters.write_text("".join(f"{c}\n" for c in "abc"), encoding="utf-8")
    out = tmp_path / "o"
    assert main(["build", "--recipe", "digits", "--count", "4", "--dict", str(letters), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "target dictionary's characters" in err and not out.exists()
    assert main(["build", "--count", "4", "--dict", str(tmp_path / "nope.txt"), "--out", str(out), "--quiet"]) == 2
    assert "character dictionary not found" in capsys.readouterr().err and not out.exists()
