"""Label files: our one reader agrees with PaddleOCR's own SimpleDataSet line for line, and lint names every
place where PaddleOCR's reading differs from what the file's author meant.

PaddleOCR's code comes from the `ppocr` fixture (conftest: $PADDLEOCR_SRC or the paddleocr 2.10 wheel's copy).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from thaigen.dataset.labels import format_line, read_label_lines, read_labels
from thaigen.errors import DatasetError
from thaigen.inspect.lint import lint_dataset

pytestmark = pytest.mark.filterwarnings(
    "ignore:No ccache found:UserWarning",  # paddle's import-time notice about C++ extension builds
    "ignore:invalid escape sequence:DeprecationWarning",  # PaddleOCR v3.0.0 source regexes
)

TRICKY: list[bytes] = [
    b"img/00.png\tok\n",  # fine
    b"img/01.png\tfirst\tsecond\n",  # a second TAB: PaddleOCR keeps "first"
    "img/02.png\tก\u2028ข\n".encode(),  # LINE SEPARATOR inside a label: str.splitlines() would split here
    "img/03.png\tก\u0085ข\n".encode(),  # NEXT LINE inside a label
    b"img/04.png\tcrlf\r\n",  # CRLF: PaddleOCR keeps the \r
    b"\n",  # blank line
    b"img/06.png\ttrailing  \n",  # trailing spaces are kept
    b"img/07.png\tmissing\n",  # no such image
    b"img/08.png no tab\n",  # no TAB
    b"img/09.png\t\x1c\x0b\x0clabel\n",  # more characters str.splitlines() breaks on
    b"img/10.png\t\xff\xfebad\n",  # not UTF-8
    b"img/11.png\tlast",  # no final newline
]
BOM_FILE = b"\xef\xbb\xbfimg/00.png\tbom\nimg/01.png\tafter\n"
FINE = {1, 12}
"""Lines (1-based) of TRICKY that lint must pass; every other line must get a finding."""


def _dataset(root: Path, content: bytes, name: str = "train.txt") -> Path:
    (root / "img").mkdir(parents=True, exist_ok=True)
    for i in range(12):
        if i != 7:
            Image.new("RGB", (8, 8), "white").save(root / "img" / f"{i:02d}.png")
    (root / "dict.txt").write_text("\n".join(sorted(set("abcdefghijklmnopqrstuvwxyzกข"))) + "\n", encoding="utf-8")
    (root / name).write_bytes(content)
    return root / name


def _paddleocr_reading(ppocr: Path, labels: Path) -> list[tuple[str, str] | None]:
    """(image path, label) PaddleOCR's SimpleDataSet yields for each line, or None where it substitutes another.

    Eval mode, so it neither samples nor shuffles; a substitution shows as a second, nested __getitem__ call.
    """
    from ppocr.data.simple_dataset import SimpleDataSet

    class Probe(SimpleDataSet):  # type: ignore[misc]
        calls: list[int]

        def __getitem__(self, idx: int) -> dict[str, Any]:
            self.calls.append(idx)
            return dict(super().__getitem__(idx))

    config: dict[str, Any] = {
        "Global": {},
        "Eval": {
            "dataset": {"name": "SimpleDataSet", "data_dir": str(labels.parent), "label_file_list": [str(labels)],
                        "transforms": []},
            "loader": {"shuffle": False, "batch_size_per_card": 1, "drop_last": False, "num_workers": 0},
        },
    }  # fmt: skip
    logger = logging.getLogger("ppocr-labels-test")
    logger.disabled = True  # it logs a traceback for every unusable line
    data = Probe(config, "Eval", logger, seed=0)
    readings: list[tuple[str, str] | None] = []
    for i in range(len(data)):
        data.calls = []
        item = data[i]
        readings.append((item["img_path"], item["label"]) if data.calls == [i] else None)
    return readings


def _assert_agree(ppocr: Path, labels: Path) -> None:
    ours = list(read_label_lines(labels))
    theirs = _paddleocr_reading(ppocr, labels)
    assert len(theirs) == len(ours)
    for line, reading in zip(ours, theirs, strict=True):
        image = str(labels.parent / line.path)
        usable = line.label is not None and Path(image).is_file()
        assert reading == ((image, line.label) if usable else None), line.where


def test_reader_agrees_with_paddleocr_on_tricky_lines(ppocr: Path, tmp_path: Path) -> None:
    _assert_agree(ppocr, _dataset(tmp_path, b"".join(TRICKY)))
    labels = {line.number: line.label for line in read_label_lines(tmp_path / "train.txt")}
    assert labels[2] == "first" and labels[3] == "ก\u2028ข" and labels[5] == "crlf\r" and labels[7] == "trailing  "
    assert labels[6] is None and labels[9] is None and labels[11] is None and labels[12] == "last"


def test_reader_agrees_with_paddleocr_on_a_byte_order_mark(ppocr: Path, tmp_path: Path) -> None:
    _assert_agree(ppocr, _dataset(tmp_path, BOM_FILE))


LINE_PARTS = st.sampled_from(["img/00.png", "img/07.png", "\ufeffimg/01.png", "\t", "\r", "\u2028", "\x85", " ", "ก้", "x"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.lists(LINE_PARTS, max_size=6).map("".join), min_size=1, max_size=6))
def test_reader_agrees_with_paddleocr_on_drawn_files(ppocr: Path, tmp_path: Path, lines: list[str]) -> None:
    content = "".join(f"{line}\n" for line in ["img/00.png\tanchor", *lines]).encode()  # one usable line at least
    _assert_agree(ppocr, _dataset(tmp_path, content))


def test_lint_names_every_difference(tmp_path: Path) -> None:
    labels = _dataset(tmp_path, b"".join(TRICKY))
    findings = lint_dataset(labels)
    flagged = {f.line for f in findings}
    assert flagged == set(range(1, len(TRICKY) + 1)) - FINE
    text = "\n".join(map(str, findings))
    for expected in ("more than one TAB", "U+2028", "U+0085", "ends in \\r", "empty line", "starts or ends with a space",
                     "image not found: img/07.png", "no TAB", "U+001C", "not UTF-8"):  # fmt: skip
        assert expected in text
    bom = lint_dataset(_dataset(tmp_path / "bom", BOM_FILE))
    assert {f.line for f in bom} == {1} and "byte order mark" in str(bom[0])


def test_read_labels_stops_at_an_unusable_line_naming_it(tmp_path: Path) -> None:
    labels = _dataset(tmp_path, b"img/00.png\tok\n\nimg/01.png\tok\n")
    with pytest.raises(DatasetError, match=r"train.txt:2: empty line"):
        list(read_labels(labels))


@pytest.mark.parametrize("path, label", [("a.png", "x\ty"), ("a.png", "x\ny"), ("a\tb.png", "x"), ("a.png", "x\r")])
def test_writer_refuses_what_would_split_differently(path: str, label: str) -> None:
    with pytest.raises(ValueError, match="TAB or line break"):
        format_line(path, label)


def test_written_lines_read_back_exactly(tmp_path: Path) -> None:
    entries = [("img/00.png", "น้ำ\u2028 ก๋วยเตี๋ยว "), ("img/01.png", "\x85x\x1c")]
    (tmp_path / "l.txt").write_text("".join(format_line(*e) for e in entries), encoding="utf-8", newline="\n")
    assert [(line.path, line.label) for line in read_labels(tmp_path / "l.txt")] == entries
