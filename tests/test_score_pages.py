"""`thaigen score --task det|e2e` on det sets: a hand-made one with known figures, and one built by thaigen."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from ink_detector import draw_page, write_ink_detector
from model_fixtures import tiny_models_fixture  # noqa: F401 (the tiny_models fixture)
from tiny_model import TinyModels

import thaigen
from thaigen.cli import main as cli
from thaigen.config.loading import make_config
from thaigen.dataset.detection import IGNORE, DetBox, format_det_line
from thaigen.dataset.manifest import write_manifest
from thaigen.dataset.paths import image_relpath
from thaigen.dataset.samples import format_record, read_records
from trainers.evaluation.det_metrics import match_page
from trainers.inference.detector import Detector
from trainers.inference.pages import PageReader
from trainers.inference.recognizer import Recognizer

FORM = [("0812345678", (40, 40)), ("12,345.00", (520, 40)), ("3-4", (40, 140)), ("799.6", (520, 140))]
GHOST = DetBox("2566", ((40, 400), (200, 400), (200, 430), (40, 430)))
"""A true line with nothing drawn there: no box can find it."""
RECEIPT = [("44/12", (40, 40)), ("090-111-2222", (40, 140))]


def _write_set(root: Path) -> list[tuple[np.ndarray, list[DetBox]]]:
    """Page 0 (form): four lines and a missed one; page 1 (receipt): a line and a drawn line marked ###."""
    form, form_boxes = draw_page(FORM)
    receipt, receipt_boxes = draw_page(RECEIPT)
    receipt_boxes[1] = DetBox(IGNORE, receipt_boxes[1].points)
    pages = [
        (form, [*form_boxes, GHOST], "form", ["value"] * 4 + ["label"]),
        (receipt, receipt_boxes, "receipt", ["price", "cell"]),
    ]
    labels, records = [], []
    for index, (image, boxes, layout, elements) in enumerate(pages):
        path = root / image_relpath(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), image)
        labels.append(format_det_line(image_relpath(index), boxes))
        lines = [
            {
                "text": b.transcription,
                "points": [list(p) for p in b.points],
                "element": e,
                "ignore": "rule" if b.ignored else None,
            }
            for b, e in zip(boxes, elements, strict=True)
        ]
        records.append(format_record({"index": index, "split": "val", "layout": layout, "lines": lines}))
    (root / "val.txt").write_text("".join(labels), encoding="utf-8")
    (root / "samples.jsonl").write_text("".join(records), encoding="utf-8")
    write_manifest(root / "manifest.json", {"format": "paddleocr-det", "config": {"recipe": "handmade"}})
    return [(image, boxes) for image, boxes, _, _ in pages]


@pytest.fixture(scope="module")
def detector_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ink_detector(tmp_path_factory.mktemp("ink") / "det")


def test_det_figures_breakdowns_drawings_and_report(
    detector_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_set(tmp_path / "set")
    out = tmp_path / "scores"
    assert cli(["score", "--task", "det", str(tmp_path / "set"), "--det", str(detector_dir), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    # 6 counted true lines (### left out), 5 counted predictions (the one on ### discarded), 5 matched
    assert "overall: P 1.000  R 0.833  H 0.909  (5/6 true, 5 predicted)" in printed
    assert "layout form: P 1.000  R 0.800" in printed and "recipe handmade:" in printed
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["overall"]["det"] == report["by_recipe"]["handmade"]["det"]
    assert report["overall"]["e2e"] is None
    assert report["by_element"]["label"] == {"lines": 1, "matched": 0, "recall": 0.0, "e2e": None}
    assert report["by_element"]["value"]["recall"] == 1.0 and "cell" not in report["by_element"]
    assert report["by_layout"]["receipt"]["det"]["hmean"] == 1.0
    ghost = report["page_results"][0]["truth"][4]
    assert ghost["transcription"] == "2566" and ghost["matched_prediction"] is None and ghost["element"] == "label"
    drawn = sorted((out / "pages").glob("*.png"))
    assert [p.name for p in drawn] == ["001-00000000.png", "002-00000001.png"]  # the page with a miss first
    image = cv2.imread(str(drawn[1]))
    for bgr in ((0, 170, 0), (0, 140, 255), (255, 0, 200)):  # true, ###, predicted
        assert np.any(np.all(image == bgr, axis=2)), bgr


def test_e2e_reads_matched_lines(
    detector_dir: Path, tiny_models: TinyModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = _write_set(tmp_path / "set")
    out = tmp_path / "scores"
    command = ["score", "--task", "e2e", str(tmp_path / "set"), "--det", str(detector_dir)]
    assert cli([*command, "--rec", str(tiny_models.onnx), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    e2e = report["overall"]["e2e"]
    reader = PageReader(Detector.load(detector_dir), Recognizer.load(tiny_models.onnx))
    read = 0
    for image, boxes in pages:  # independently: the reading of each true line's matched box
        lines = reader.read_page(image)
        match = match_page([b.points for b in boxes], [b.ignored for b in boxes], [line.points for line in lines])
        read += sum(lines[p].text == boxes[t].transcription for t, p in match.pairs)
    assert (e2e["lines"], e2e["missed"], e2e["read"]) == (6, 1, read)
    assert e2e["missed_share"] == pytest.approx(1 / 6) and e2e["accuracy"] == pytest.approx(read / 6)
    assert 0 <= e2e["cer"] <= 1 and report["models"]["recognizer"].startswith("onnx")
    printed = capsys.readouterr().out
    assert f"e2e acc {read / 6:.3f}" in printed
    # the 'label' element is the ghost line alone: no line matched, so its CER is undefined, not 0
    assert report["by_element"]["label"]["e2e"] | {"cer": "?"} == {
        "lines": 1, "read": 0, "missed": 1, "accuracy": 0.0, "cer": "?", "missed_share": 1.0,
    }  # fmt: skip
    assert report["by_element"]["label"]["e2e"]["cer"] is None
    assert "element label: R 0.000 (0/1)  |  e2e acc 0.000  CER n/a (no line matched)  missed 1.000" in printed


def test_score_pages_refuses_bad_input_in_one_line(
    detector_dir: Path, tiny_models: TinyModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_set(tmp_path / "set")
    lmdb_set = ["build", "--recipe", "digits", "--count", "8", "--format", "lmdb", "--workers", "1", "--quiet"]
    assert cli([*lmdb_set, "--out", str(tmp_path / "lmdb")]) == 0
    cases = [
        (["--task", "det", str(tmp_path / "set")], "--task det needs a detector: --det MODEL"),
        (
            ["--task", "det", str(tmp_path / "lmdb"), "--det", str(detector_dir)],
            "is an LMDB set of recognition lines, not det pages: score it with --task rec",
        ),
        (["--task", "e2e", str(tmp_path / "set"), "--det", str(detector_dir)], "--task e2e needs a recognizer"),
        (
            ["--task", "det", str(tiny_models.data), "--det", str(detector_dir)],
            "holds recognition labels, not det boxes: score it with --task rec",
        ),
        ([str(tiny_models.onnx), str(tmp_path / "set")], "holds det boxes, not line labels: score it with --task det"),
    ]
    for args, message in cases:
        assert cli(["score", *args, "--out", str(tmp_path / "out")]) == 2
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and message in error[0], error


def test_a_built_det_set_is_broken_down_by_its_layouts_and_elements(
    detector_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "pages"
    thaigen.build(make_config(recipe="pages", count=4, seed=3), data, workers=1, progress=False)
    out = tmp_path / "scores"
    assert (
        cli(
            [
                "score",
                "--task",
                "det",
                str(data),
                "--labels",
                "train.txt",
                "--det",
                str(detector_dir),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    records = [r for r in read_records(data / "samples.jsonl") if r["split"] == "train"]
    assert set(report["by_layout"]) == {r["layout"] for r in records} and list(report["by_recipe"]) == ["pages"]
    counted = [line for r in records for line in r["lines"] if not line["ignore"]]
    assert set(report["by_element"]) == {line["element"] for line in counted}
    assert report["overall"]["det"]["truth"] == len(counted)
    assert 0 <= report["overall"]["det"]["hmean"] <= 1 and report["pages"] == len(records)
