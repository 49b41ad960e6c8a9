"""Label lint: every way PaddleOCR's SimpleDataSet + CTC label encoder would drop or mangle a label; dictionary lint."""

import hashlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from thaigen.config.loading import make_config
from thaigen.config.schema import GenConfig
from thaigen.dataset.dictionary import read_dictionary, write_dictionary
from thaigen.dataset.lmdb import read_lmdb_set
from thaigen.errors import DatasetError
from thaigen.inspect.lint import THAI_BLOCK, DictionaryLint, lint_dataset, lint_dictionary
from thaigen.pipeline.build import Storage, build, build_chunk
from thaigen.text.thai import DIGITS, SYMBOLS, THAI_LETTERS
from thaigen.typeset.fonts import FontPool


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    """A hand-made PaddleOCR dataset (not ours): images, labels and a dict."""
    Image.new("RGB", (40, 48), "white").save(tmp_path / "a.png")
    (tmp_path / "dict.txt").write_text("\n".join("กขคนาำ้01") + "\n", encoding="utf-8")
    lines = [
        "a.png\tน้ำ",  # fine
        "a.png\tกขZ",  # Z not in dict
        "a.png\t" + "กข" * 13,  # longer than 25
        "a.png\t" + "0" * 16,  # 16 chars but 31 CTC steps
        "missing.png\tก",  # no image
        "a.png ก",  # no tab
        "a.png\tก\tข",  # two tabs
    ]
    (tmp_path / "labels.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path / "labels.txt"


def test_each_problem_is_reported_with_its_line(foreign: Path) -> None:
    findings = lint_dataset(foreign, time_steps=30)
    by_line = {(f.line, f.problem.split(" ")[0]) for f in findings}
    assert all(f.file == foreign for f in findings)
    assert [f.line for f in findings] == [2, 3, 4, 5, 6, 7]
    assert (2, "characters") in by_line and "'Z' U+005A" in findings[0].problem
    assert (3, "26") in by_line and "max_text_length 25" in findings[1].problem
    assert (4, "needs") in by_line and "31 CTC steps > the model's 30" in findings[2].problem
    assert (5, "image") in by_line and (6, "no") in by_line and (7, "more") in by_line


def test_limits_can_be_set(foreign: Path) -> None:
    problems = [f.problem for f in lint_dataset(foreign, max_text_length=30)]
    assert not any("max_text_length" in p for p in problems)
    assert not any("CTC" in p for p in problems)  # unchecked without time steps or a manifest


def test_missing_inputs(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="dataset not found"):
        lint_dataset(tmp_path / "nope")
    with pytest.raises(DatasetError, match="no train.txt or val.txt"):
        lint_dataset(tmp_path)
    (tmp_path / "l.txt").write_text("a.png\tก\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="character dictionary not found"):
        lint_dataset(tmp_path / "l.txt")


def test_the_wrong_kind_of_input_is_named(tmp_path: Path, small_dataset: Callable[[str, int, int], Path]) -> None:
    folder = small_dataset("mixed", 150, 7)
    image = next((folder / "images").rglob("*.png"))
    with pytest.raises(DatasetError, match=f"^{image} is an image; give a dataset folder or a label file"):
        lint_dataset(image)
    with pytest.raises(DatasetError, match=r"is a character dictionary; check it with `thaigen lint --dict .*dict.txt`"):
        lint_dataset(folder / "dict.txt")
    pages = tmp_path / "pages"
    build(make_config(task="det", count=2), pages, workers=1, progress=False)
    assert lint_dataset(pages) == []
    with pytest.raises(DatasetError, match=f"is a det set .* are for rec sets .*lint {pages / 'crops'}"):
        lint_dataset(pages, dict_path=folder / "dict.txt")


def test_an_unfinished_build_is_pointed_to_resume(tmp_path: Path) -> None:
    def first_chunk_then_interrupt(pending: list[int], config: GenConfig, pool: FontPool, out: Path) -> Iterator[int]:
        yield build_chunk(config, pool, out, pending[0])
        raise KeyboardInterrupt

    half = tmp_path / "half"
    with pytest.raises(KeyboardInterrupt):
        build(make_config(count=150, seed=1), half, progress=False, storage=Storage.LMDB, engine=first_chunk_then_interrupt)
    resume = f"finish it with `thaigen build --out {half} --resume` (its options are in {half / 'build.json'})"
    for command in ("lint", "report"):
        result = subprocess.run([sys.executable, "-m", "thaigen", command, str(half)], capture_output=True, text=True,
                                timeout=120, check=False)
        assert result.returncode == 2 and result.stderr.count("\n") == 1
        assert f"{half} is an unfinished build" in result.stderr and resume in result.stderr
    finished = subprocess.run([sys.executable, "-m", "thaigen", "build", "--out", str(half), "--resume", "--quiet"],
                              capture_output=True, text=True, timeout=300, check=False)  # the command as named
    assert finished.returncode == 0, finished.stderr
    whole = tmp_path / "whole"
    build(make_config(count=150, seed=1), whole, workers=1, progress=False, storage=Storage.LMDB)
    assert [(s.key, s.png, s.label) for s in read_lmdb_set(half)] == [(s.key, s.png, s.label) for s in read_lmdb_set(whole)]
    for name in ("dict.txt", "samples.jsonl", "build.json"):
        assert (half / name).read_bytes() == (whole / name).read_bytes()


# --- dictionaries (`thaigen lint --dict FILE`) -------------------------------------------------------------

OFFICIAL_TH_DICT = Path(__file__).parent / "fixtures" / "ppocrv5_th_dict.txt"
"""PaddleOCR's ppocrv5_th_dict.txt at commit 9b0493f (see fixtures/README.md)."""


def test_the_official_fixture_is_the_file_read() -> None:
    data = OFFICIAL_TH_DICT.read_bytes()
    assert hashlib.sha256(data).hexdigest() == "beef8bb05d9803325a14d49f3bbe1bf00dbf2617730685b377f7a2e3f4428c0b"
    split = data.replace("ωก\n".encode(), "ω\nก\n".encode())  # the later version, as published with its hash
    assert hashlib.sha256(split).hexdigest() == "57f5406f94bb6688fb7077f7be65f08bbd71cecf48c01ea26c522cb5c4836b7a"


def test_lint_names_exactly_the_official_dictionarys_defects() -> None:
    linted = lint_dictionary(OFFICIAL_TH_DICT)
    findings = linted.defects
    assert [(f.line, f.problem.split(":")[0]) for f in findings] == [
        (151, "'\u212b' (U+212B) is not NFC"),
        (240, "'\\uf8ff' (U+F8FF) is a private-use character"),
        (379, "'\u2126' (U+2126) is not NFC"),
        (441, "'ωก' (U+03C9 U+0E01) holds 2 characters"),
        (None, "Thai character missing"),  # ก: lost inside line 441, a defect
    ]
    assert findings[4].problem.split("'")[1] == "ก" and "only inside line 441 'ωก'" in findings[4].problem
    assert "ω, ก have no class of their own" in findings[3].problem
    assert str(findings[0]).startswith(f"{OFFICIAL_TH_DICT}:151: ") and str(findings[4]).startswith(f"{OFFICIAL_TH_DICT}: ")
    assert linted.absent == "ฃ๎๏๛"  # in no entry at all: coverage, not a defect
    assert linted.coverage_note() == (
        "note: 4 Thai character(s) have no class, so a model with this dictionary cannot read them (coverage, not a "
        "defect): ฃ U+0E03 KHO KHUAT, ๎ U+0E4E YAMAKKAN, ๏ U+0E4F FONGMAN, ๛ U+0E5B KHOMUT"
    )


def test_a_clean_dictionary_has_no_defects(tmp_path: Path) -> None:
    write_dictionary(tmp_path / "dict.txt", [*THAI_BLOCK, *"0123456789ABCabc.,-%฿"[:-1]])
    assert lint_dictionary(tmp_path / "dict.txt") == DictionaryLint([], "")
    assert lint_dictionary(tmp_path / "dict.txt").coverage_note() is None
    assert set(THAI_LETTERS + DIGITS + SYMBOLS) < set(THAI_BLOCK) and len(THAI_BLOCK) == 87


def test_thaigens_own_dictionary_lints_clean(small_dataset: Callable[[str, int, int], Path]) -> None:
    """A dict built from labels lacks what was never drawn (here the Pali signs thaigen leaves out, and more in so
    small a build): a note on coverage, no defect."""
    linted = lint_dictionary(small_dataset("mixed", 150, 7) / "dict.txt")
    assert linted.defects == [] and set("ฺํ๎") <= set(linted.absent)


def test_each_dictionary_defect_is_named_on_its_line(tmp_path: Path) -> None:
    entries = ["\ufeffก", "ข", " ", "", "ค ", "\t", "ข", "e\u0301", "ฃ\r", "ง\u200b", *THAI_BLOCK[4:]]
    (tmp_path / "d.txt").write_bytes(("\r\n".join(entries) + "\r\n").encode())  # CRLF: PaddleOCR strips the \r
    linted = lint_dictionary(tmp_path / "d.txt")
    found = {f.line: f.problem for f in linted.defects if f.line is not None}
    assert sorted(found) == [1, 3, 4, 5, 6, 7, 8, 10]  # "ฃ\r" (9) is ฃ to PaddleOCR; lone marks (in THAI_BLOCK) are right
    assert "byte order mark" in found[1] and "ก has no class of its own" in found[1]
    assert found[3].startswith("a space entry") and found[4].startswith("empty entry")
    assert "starts or ends with whitespace" in found[5] and found[6].startswith("whitespace '\\t' (U+0009) entry")
    assert found[7].startswith("duplicate of line 2 'ข'")
    assert "holds 2 characters" in found[8] and "holds 2 characters" in found[10]
    missing = [f.problem for f in linted.defects if f.line is None]
    assert [m.split("'")[1] for m in missing] == ["ก", "ค"] and "only inside line 5 'ค '" in missing[1]
    assert linted.absent == ""


@pytest.mark.filterwarnings("ignore:No ccache found:UserWarning")
def test_read_dictionary_is_paddleocrs_view(ppocr: Path, tmp_path: Path) -> None:
    """The entries, in order, of PaddleOCR's own BaseRecLabelEncode (its character_str before the space)."""
    from ppocr.data.imaug.label_ops import BaseRecLabelEncode

    odd = tmp_path / "odd.txt"
    odd.write_bytes("\ufeffa\r\n b \n\n\tc\r\r\nd\u2028e\x85\n๐".encode())
    for path in (OFFICIAL_TH_DICT, odd):
        encoder = BaseRecLabelEncode(max_text_length=25, character_dict_path=str(path), use_space_char=False)
        assert list(read_dictionary(path)) == encoder.character_str
