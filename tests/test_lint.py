"""Label lint: every way PaddleOCR's SimpleDataSet + CTC label encoder would drop or mangle a label."""

from pathlib import Path

import pytest
from PIL import Image

from thaigen.errors import DatasetError
from thaigen.inspect.lint import lint_dataset


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
