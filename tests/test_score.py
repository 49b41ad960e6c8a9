"""Scoring: metrics against hand-computed figures, label files, reports, Tesseract and `thaigen score`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image as PILImage
from PIL import ImageColor
import pytest
from fontTools.ttLib import TTFont
from model_fixtures import tiny_models_fixture  # noqa: F401 (the tiny_models fixture)
from tiny_model import TinyModels

from thaigen.cli import main
from thaigen.dataset import paths
from thaigen.errors import DatasetError
from thaigen.resources import data_dir
from trainers.evaluation.metrics import fold_sara_am, score_line, summarize
from trainers.evaluation.report import (
    DIFF_RGB,
    FONT,
    code_point_diff,
    look_alike,
    row_texts,
    visible,
    worst_lines_picture,
    write_report,
)
from trainers.evaluation.score import (
    DictionaryGapWarning,
    EngineScore,
    dictionary_gap,
    labelled_lines,
    lmdb_lines,
    load_images,
    score,
)
from trainers.inference.engine import Reading
from trainers.inference.image import Image

# (truth, prediction, confidence, category): each line tests one metric's edge.
CRAFTED = [
    ("ab c", "ab c", 0.9, "latin"),  # exact
    ("12 3", "123", 0.8, "digits"),  # only a space missing
    ("น้ำ", "น้ํา", 0.7, "thai"),  # SARA AM written as NIKHAHIT + SARA AA (Tesseract's habit)
    ("xyz", "", 0.0, "latin"),  # nothing read
    ("สวัสดีครับ", "สวัสดีคับ", 0.6, "thai"),  # one letter missing, one word wrong
]


class FixedEngine:
    """Returns canned readings, in the order of the crafted label file."""

    name = "fixed"

    def __init__(self, readings: Sequence[Reading]) -> None:
        self.readings = list(readings)

    def read(self, images: Sequence[Image]) -> list[Reading]:
        assert len(images) == len(self.readings)
        return self.readings


@pytest.fixture
def crafted(tmp_path: Path) -> Path:
    """A thaigen-style folder: one label file, blank images, samples.jsonl with categories."""
    records = []
    lines = []
    for index, (truth, _, _, category) in enumerate(CRAFTED):
        relative = paths.image_relpath(index)
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(tmp_path / relative), np.full((48, 100, 3), 255, np.uint8))
        lines.append(f"{relative}\t{truth}\n")
        records.append(json.dumps({"index": index, "category": category, "label": truth}, ensure_ascii=False) + "\n")
    (tmp_path / "val.txt").write_text("".join(lines), encoding="utf-8")
    (tmp_path / paths.SAMPLES).write_text("".join(records), encoding="utf-8")
    return tmp_path


def test_figures_match_hand_computed_ones(crafted: Path) -> None:
    lines = labelled_lines(crafted / "val.txt")
    engine = FixedEngine([Reading(prediction, confidence) for _, prediction, confidence, _ in CRAFTED])
    (result,) = score([engine], lines, load_images(lines))
    s = result.summary
    assert s.lines == 5
    assert s.line_accuracy == pytest.approx(1 / 5)
    assert s.line_accuracy_ignoring_space == pytest.approx(2 / 5)
    assert s.line_accuracy_sara_am_folded == pytest.approx(2 / 5)
    assert s.sara_am_only_lines == 1
    # edits 0 + 1 + 2 (ำ -> ํ, + า) + 3 + 1 over 4 + 4 + 3 + 3 + 10 code points
    assert s.cer == pytest.approx(7 / 24)
    # PaddleOCR RecMetric: spaces removed, ED / max(len): 0, 0, 2/4, 3/3, 1/10
    assert s.paddleocr_norm_edit_dis == pytest.approx(1 - (0 + 0 + 0.5 + 1 + 0.1) / 5)
    # words: [ab c] [12 3 | 123] [น้ำ | น้ํา] [xyz | -] [สวัสดี ครับ | สวัสดี คับ]: 0 + 2 + 1 + 1 + 1 edits over 8 words
    assert s.wer == pytest.approx(5 / 8)
    assert s.mean_confidence == pytest.approx(0.6)
    assert set(result.by_category) == {"latin", "digits", "thai"}
    assert result.by_category["latin"].line_accuracy == pytest.approx(1 / 2)
    assert result.by_category["thai"].sara_am_only_lines == 1
    edits = {(a, b): n for a, b, n in result.confusions}
    assert {(" ", ""), ("x", ""), ("y", ""), ("z", ""), ("ร", "")} <= set(edits)
    assert sum(edits.values()) == 7


def test_sara_am_is_never_normalized_away() -> None:
    line = score_line("ชะอำ", "ชะอํา", 1.0)
    assert not line.exact and line.sara_am_only and line.char_edits == 2
    assert fold_sara_am("ชะอํา") == "ชะอำ" and fold_sara_am("ำ") == "ำ"
    assert not score_line("ชะอำ", "ชะอา", 1.0).sara_am_only


def test_report_files(crafted: Path, tmp_path: Path) -> None:
    lines = labelled_lines(crafted / "val.txt")
    images = load_images(lines)
    scores = score([FixedEngine([Reading(p, c) for _, p, c, _ in CRAFTED])], lines, images)
    markdown = write_report(tmp_path / "report", "crafted", scores, lines, images)
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["engines"][0]["summary"]["cer"] == pytest.approx(7 / 24)
    assert report["engines"][0]["lines"][2] | {"image": None} == {
        "image": None, "category": "thai", "truth": "น้ำ", "prediction": "น้ํา",
        "confidence": 0.7, "char_edits": 2, "sara_am_only": True,
    }  # fmt: skip
    text = markdown.read_text(encoding="utf-8")
    assert "| fixed | 5 | 20.0% | 40.0% | 40.0% | 29.2% | 0.6800 | 62.5% | 1 |" in text
    picture = cv2.imread(str(tmp_path / "report" / "worst-fixed.png"))
    assert picture is not None and picture.shape[0] > 4 * 48


def test_dictionary_gap_names_what_the_model_cannot_write(crafted: Path) -> None:
    lines = [line.truth for line in labelled_lines(crafted / "val.txt")]
    truth = set("".join(lines))
    assert dictionary_gap(lines, truth) is None
    # without x, y, z and the space: lines 'ab c', '12 3' and 'xyz' cannot be read exactly
    gap = dictionary_gap(lines, truth - set("xyz "))
    assert gap == (
        f"its dictionary lacks 4 of the {len(truth)} characters in the truth (␣ U+0020, x U+0078, y U+0079, "
        "z U+007A): 3 of 5 lines (60%) hold one and cannot be read exactly"
    )


def test_score_warns_when_the_model_cannot_write_the_truth(
    tiny_models: TinyModels, crafted: Path, tmp_path: Path
) -> None:
    """The digits model on Thai and Latin lines: the warning says why it scores (near) 0."""
    gap = r"^onnx \(onnxruntime\): its dictionary lacks \d+ of the \d+ characters in the truth"
    with pytest.warns(DictionaryGapWarning, match=gap) as seen:
        assert main(["score", str(tiny_models.onnx), str(crafted), "--out", str(tmp_path / "out")]) == 0
    message = str(seen[0].message)
    assert len(seen) == 1 and "4 of 5 lines (80%) hold one" in message and "a U+0061" in message  # all but '12 3'


def test_label_file_without_tab_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "labels.txt").write_text("a.png\tok\nb.png ok\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"labels.txt:2: no TAB"):
        labelled_lines(tmp_path / "labels.txt")


def test_missing_image_names_the_line(crafted: Path) -> None:
    (crafted / paths.image_relpath(3)).unlink()
    with pytest.raises(DatasetError, match=r"val.txt:4: cannot read image"):
        load_images(labelled_lines(crafted / "val.txt"))


def test_score_command_on_the_tiny_model(
    tiny_models: TinyModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scores"
    argv = [
        "score",
        str(tiny_models.onnx),
        str(tiny_models.data),
        "--engine",
        str(tiny_models.paddle3),
        "--out",
        str(out),
    ]
    assert main([*argv, "--ensemble", "vote", "--ensemble", "confidence"]) == 0
    printed = capsys.readouterr().out
    assert "| onnx (onnxruntime) |" in printed and "| paddle3 (paddle) |" in printed
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    summaries = [engine["summary"] for engine in report["engines"]]
    confidences = [summary.pop("mean_confidence") for summary in summaries]
    onnx, paddle, vote, confidence = summaries
    assert onnx == paddle == vote == confidence  # same strings from both runtimes, so the ensembles agree too
    assert confidences[0] == pytest.approx(confidences[1], abs=1e-4) == pytest.approx(confidences[3], abs=1e-4)
    read = [bool(line["prediction"]) for line in report["engines"][2]["lines"]]
    assert confidences[2] == pytest.approx(sum(read) / len(read))  # unanimous votes: 1 per line read, 0 for empty
    assert 0.0 < onnx["line_accuracy"] < 1.0 and onnx["cer"] < 0.5
    assert set(report["engines"][0]["by_category"]) <= {"arabic_digits", "thai_digits", "phone", "national_id"}
    assert (out / "report.md").is_file() and (out / "worst-onnx-onnxruntime.png").is_file()


def test_score_refuses_a_lone_ensemble(tiny_models: TinyModels, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(tiny_models.onnx), str(tiny_models.data), "--ensemble", "vote"]) == 2
    assert "--ensemble needs at least two engines" in capsys.readouterr().err


@pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract-ocr not installed (scripts/setup.sh test installs it)"
)
def test_tesseract_reads_thai_and_writes_sara_am_its_own_way(pool: object, tmp_path: Path) -> None:
    from PIL import ImageDraw

    from thaigen.resources import data_dir
    from thaigen.typeset.faces import pil_font
    from trainers.inference.tesseract import TesseractEngine

    font = pil_font(str(data_dir("fonts") / "tlwg/Garuda.ttf"), 40)
    images = []
    for text in ("น้ำตาล 120 บาท", "ชะอำ"):
        canvas = PILImage.new("RGB", (60 + int(font.getlength(text)), 72), "white")
        ImageDraw.Draw(canvas).text((30, 10), text, font=font, fill="black")
        images.append(cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGB2BGR))
    readings = TesseractEngine().read(images)
    assert "120" in readings[0].text and 0.0 < readings[0].confidence <= 1.0
    assert fold_sara_am(readings[1].text) == "ชะอำ"


def test_an_lmdb_set_scores_as_its_folder_twin(
    tiny_models: TinyModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for storage in ("folder", "lmdb"):
        args = ["build", "--recipe", "digits", "--count", "24", "--workers", "1", "--quiet", "--format", storage]
        assert main([*args, "--out", str(tmp_path / storage)]) == 0
    folder, lmdb = labelled_lines(tmp_path / "folder" / "val.txt"), lmdb_lines(tmp_path / "lmdb" / "val")
    assert [(a.truth, a.category) for a in folder] == [(b.truth, b.category) for b in lmdb]
    assert all(b.category for b in lmdb) and str(lmdb[0].image).endswith("val/image-000000001")
    for a, b in zip(load_images(folder), load_images(lmdb), strict=True):
        assert np.array_equal(a, b)
    reports = {}
    for storage in ("folder", "lmdb"):
        out = tmp_path / f"scores-{storage}"
        assert main(["score", str(tiny_models.onnx), str(tmp_path / storage), "--out", str(out)]) == 0
        reports[storage] = json.loads((out / "report.json").read_text(encoding="utf-8"))["engines"][0]
    for key in ("summary", "by_category", "confusions"):
        assert reports["folder"][key] == reports["lmdb"][key]
    capsys.readouterr()
    train = ["score", str(tiny_models.onnx), str(tmp_path / "lmdb"), "--labels", "train", "--out", str(tmp_path / "t")]
    assert main(train) == 0
    assert f"| {len(lmdb_lines(tmp_path / 'lmdb' / 'train'))} |" in capsys.readouterr().out
    cases = [
        (["--labels", "test.txt"], "is an LMDB set: --labels names its split (train or val), not test.txt"),
        (["--data-dir", str(tmp_path)], "--data-dir is for label files"),
    ]
    for extra, message in cases:
        assert main(["score", str(tiny_models.onnx), str(tmp_path / "lmdb"), *extra]) == 2
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and message in error[0], error


# (truth, reading, truth as drawn, code-point line): pairs that draw alike unless whitespace and code points show
LOOK_ALIKE = [
    ("น้ำตาล", "น้ําตาล", "น้ำตาล", "U+0E33 vs U+0E4D U+0E32"),  # SARA AM against NIKHAHIT + SARA AA
    ("ราคา  50", "ราคา 50", "ราคา␣␣50", "U+0020 vs nothing"),  # a double space
    ("ชะอำ ", "ชะอำ", "ชะอำ␣", "U+0020 vs nothing"),  # a trailing space
    ("กรุงเทพ", "กรุง\u200bเทพ", "กรุงเทพ", "nothing vs U+200B"),  # a zero-width space
]


@pytest.mark.parametrize(("truth", "reading", "truth_drawn", "diff"), LOOK_ALIKE)
def test_worst_lines_show_what_draws_alike(truth: str, reading: str, truth_drawn: str, diff: str) -> None:
    assert look_alike(truth, reading)
    texts = [text for text, _ in row_texts(score_line(truth, reading, 0.5))]
    assert texts == [f"truth: {truth_drawn}", f"read:  {visible(reading)}  (0.50)", f"alike, but: {diff}"]


def test_a_plain_misreading_gets_no_code_point_line_and_marks_are_in_the_font() -> None:
    assert visible("a\tb\u200d c") == "a‹U+0009›b‹U+200D›␣c"
    assert not look_alike("สวัสดี", "สวัสดี") and not look_alike("สวัสดีครับ", "สวัสดีคับ")
    assert [t for t, _ in row_texts(score_line("ab c", "ab", 0.25))] == ["truth: ab␣c", "read:  ab  (0.25)"]
    assert code_point_diff("abcdef", "aXcdef") == "U+0062 vs U+0058"
    cmap = TTFont(str(data_dir("fonts") / FONT)).getBestCmap()
    assert all(ord(mark) in cmap for mark in "␣‹›+U") and ord("ก") in cmap


def test_worst_lines_picture_gives_a_look_alike_its_code_point_line() -> None:
    def picture(pairs: Sequence[tuple[str, str]]) -> PILImage.Image:
        lines = tuple(score_line(t, p, 0.5) for t, p in pairs)
        engine = EngineScore("fixed", summarize(lines), {}, [], lines, 1.0)
        drawn = worst_lines_picture(engine, [np.full((48, 100, 3), 255, np.uint8)] * len(pairs))
        assert drawn is not None
        return drawn

    alike, plain = picture([LOOK_ALIKE[0][:2]]), picture([("น้ำตาล", "น้ำตา")])
    assert alike.height > plain.height  # one more text line, drawn in its own colour
    blue = ImageColor.getrgb(DIFF_RGB)
    assert np.all(np.asarray(alike)[plain.height - 8 :] == blue, axis=2).any()
    assert not np.all(np.asarray(plain) == blue, axis=2).any()
