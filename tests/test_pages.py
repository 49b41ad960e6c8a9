"""Detection pages: polygons hold their line's ink and no other's, labels are what PaddleOCR's det pipeline
reads (its ignores equal our ###), crops are what PaddleOCR's system would cut, bad input is one line."""

from __future__ import annotations

import io
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image
from ppocr_dataset import simple_dataset_items

from thaigen.compose.layouts import SUMMARY_WORDS, baht, vat_of
from thaigen.compose.quad import crop_quad
from thaigen.config.loading import make_config
from thaigen.config.schema import GenConfig
from thaigen.dataset import paths
from thaigen.dataset.detection import IGNORE, read_det_labels
from thaigen.dataset.labels import read_labels
from thaigen.dataset.samples import read_records
from thaigen.errors import ConfigError
from thaigen.inspect.lint import lint_dataset
from thaigen.pipeline.build import build
from thaigen.pipeline.page import ComposedPage, compose_page, make_page
from thaigen.text.thai import is_valid_thai
from thaigen.typeset.fonts import FontPool

pytestmark = pytest.mark.filterwarnings(
    "ignore:No ccache found:UserWarning",
    "ignore:invalid escape sequence:DeprecationWarning",
    # EastRandomCropData's int() of a 1-element array: deprecated in NumPy 2.3, an error in 2.4 (hence numpy<2.4)
    "ignore:Conversion of an array with ndim > 0 to a scalar is deprecated:DeprecationWarning",
)

TOLERANCE_PX = {"clean": 1, "tilted": 2, "curled": 2}
"""How far outside its polygon a line's ink may reach: rounding to integer points (clean), plus
nearest-neighbour warping of the id mask and chords between sampled points (tilted, curled)."""


def _config(preset: str, **values: Any) -> GenConfig:
    return make_config("pages", {"augment": {"presets": {preset: 1}}, "page": {"fine_print": 0.5}, **values}, seed=3)


def _polygon_mask(shape: tuple[int, int], points: Any, grow: int) -> np.ndarray:
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.fillPoly(mask, [np.array(points, dtype=np.int32)], 1)
    if grow:
        mask = cv2.dilate(mask, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    return mask.astype(bool)


def _assert_polygons_hold_their_ink(page: ComposedPage, preset: str) -> None:
    """Each labelled line's ink lies inside its polygon (grown by the preset's tolerance), and no other line's does."""
    index = page.sample.index
    for number, label in enumerate(page.sample.labels, start=1):
        ink = page.ids == number
        if label.ignore == "cut":
            continue
        # fine print (###) may be drawn too faint for any pixel to reach INK_LEVEL; labelled lines may not
        assert ink.any() or label.ignore == "illegible", f"page {index} line {number} {label.line.text!r}: no ink left"
        grown = _polygon_mask(ink.shape, label.points, TOLERANCE_PX[preset])
        outside = int((ink & ~grown).sum())
        assert outside == 0, f"page {index} ({page.sample.layout}) line {label.line.text!r}: {outside} ink px outside"
        exact = _polygon_mask(ink.shape, label.points, 0)
        others = (page.ids != 0) & (page.ids != number) & exact
        assert not others.any(), f"page {index} line {label.line.text!r} holds {int(others.sum())} px of another line"


@pytest.mark.parametrize("preset", ["clean", "tilted", "curled"])
def test_each_polygon_holds_all_its_ink_and_no_other_lines(pool: FontPool, preset: str) -> None:
    config = _config(preset)
    layouts = set()
    for index in range(10):
        page = compose_page(config, pool, index)
        layouts.add(page.sample.layout)
        _assert_polygons_hold_their_ink(page, preset)
    assert len(layouts) >= 3


def test_curled_pages_get_bent_polygons_and_straight_ones_stay_quads(pool: FontPool) -> None:
    curled = [len(label.points) for i in range(6) for label in make_page(_config("curled"), pool, i).labels]
    clean = {len(label.points) for i in range(6) for label in make_page(_config("clean"), pool, i).labels}
    assert clean == {4}
    assert max(curled) > 4 and 4 in curled


def test_labels_are_nfc_text_or_ignored_and_points_lie_inside(pool: FontPool) -> None:
    reasons = set()
    for index in range(12):
        page = make_page(_config("tilted"), pool, index)
        for label in page.labels:
            box = label.box
            xs, ys = [p[0] for p in box.points], [p[1] for p in box.points]
            assert 0 <= min(xs) and max(xs) < page.width and 0 <= min(ys) and max(ys) < page.height
            if label.ignore:
                reasons.add(label.ignore)
                assert box.transcription == IGNORE
            else:
                assert box.transcription == label.line.text == unicodedata.normalize("NFC", label.line.text)
                assert min(max(xs) - min(xs), max(ys) - min(ys)) >= 8
    assert "illegible" in reasons


def test_a_page_is_a_pure_function_of_its_index(pool: FontPool, tmp_path: Path) -> None:
    config = _config("tilted", count=12)  # two chunks (PAGE_CHUNK_SIZE 8), one per worker
    build(config, tmp_path / "set", workers=2, progress=False)
    for index in (11, 1):
        assert (tmp_path / "set" / paths.image_relpath(index)).read_bytes() == make_page(config, pool, index).png


@pytest.fixture(scope="module")
def det_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("det") / "pages"
    config = make_config("pages", {"page": {"crops": True, "fine_print": 0.6, "layouts": {"form": 1, "receipt": 1, "sign": 1}}},
                         count=10, seed=11, val_fraction=0.3)
    build(config, out, workers=1, progress=False)
    return out


def test_paddleocr_det_pipeline_ignores_exactly_our_hash_boxes(ppocr: Path, det_set: Path) -> None:
    ours = list(read_det_labels(det_set / paths.TRAIN_LABELS)) + list(read_det_labels(det_set / paths.VAL_LABELS))
    hashes = sum(box.ignored for page in ours for box in page.boxes)
    assert hashes > 0
    ignored = 0
    for split in (paths.TRAIN_LABELS, paths.VAL_LABELS):
        items = simple_dataset_items(det_set, det_set / split,
                                     [{"DetLabelEncode": None}, {"MakeShrinkMap": {"shrink_ratio": 0.4, "min_text_size": 8}}],
                                     "BGR")
        for item in items:
            ignored += int(np.sum(item["ignore_tags"]))
    assert ignored == hashes
    trained = simple_dataset_items(det_set, det_set / paths.TRAIN_LABELS, [
        {"DetLabelEncode": None},
        {"EastRandomCropData": {"size": [640, 640], "max_tries": 50, "keep_ratio": True}},
        {"MakeBorderMap": {"shrink_ratio": 0.4, "thresh_min": 0.3, "thresh_max": 0.7}},
        {"MakeShrinkMap": {"shrink_ratio": 0.4, "min_text_size": 8}},
    ], "BGR")  # fmt: skip
    assert trained and all(item["image"].shape[:2] == (640, 640) and item["shrink_map"].any() for item in trained)


def test_crops_match_their_lines_and_pass_lint(det_set: Path) -> None:
    crops = det_set / paths.CROPS
    assert lint_dataset(crops) == []
    lines = {}
    for record in read_records(det_set / paths.SAMPLES):
        with Image.open(det_set / paths.image_relpath(record["index"])) as image:
            page = np.asarray(image.convert("RGB"))
        for line in record["lines"]:
            assert ("crop" in line) == (line["ignore"] is None)
            if "crop" in line:
                lines[line["crop"]] = line["text"]
                expected = crop_quad(page, np.array(line["points"], dtype=np.float32))
                with Image.open(crops / line["crop"]) as crop:
                    assert np.array_equal(np.asarray(crop.convert("RGB")), expected)
    read = {line.path: line.label for name in (paths.TRAIN_LABELS, paths.VAL_LABELS) for line in read_labels(crops / name)}
    assert read == lines and len(read) > 50


def test_cli_builds_det_pages_and_rejects_crops_for_rec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from thaigen.cli import main

    with pytest.warns(UserWarning, match="the train split is empty .0 pages.; `thaigen train` will refuse it"):
        assert main(["build", "--task", "det", "--count", "2", "--out", str(tmp_path / "d"), "--quiet"]) == 0
    assert "(0 train, 2 val pages" in capsys.readouterr().out  # two pages both fall in val: warned above
    assert main(["build", "--crops", "--count", "2", "--out", str(tmp_path / "r"), "--quiet"]) == 2
    assert "needs task: det" in capsys.readouterr().err
    assert main(["build", "--task", "rec", "--recipe", "receipts", "--out", str(tmp_path / "x")]) == 2
    assert "recipe 'receipts' makes det data, not rec" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"page": {"text_px": [70, 80], "long_side": [960, 1000]}}, "page.text_px up to 80 px is too large"),
        ({"page": {"layouts": {}}}, "layouts: give at least one a positive weight"),
        ({"page": {"layouts": {"poster": 1}}}, "unknown layout 'poster'"),
    ],
)
def test_bad_page_configs_are_one_line_errors(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_config("pages", values)


def test_a_layout_that_fits_no_line_fails_before_writing(tmp_path: Path) -> None:
    corpus = tmp_path / "long.txt"
    corpus.write_text("ก" * 300 + "\n", encoding="utf-8")
    config = make_config("pages", {"sources": {"corpus": 1}, "corpus_files": [str(corpus)], "max_text_length": 300,
                                   "ctc_time_steps": 700, "page": {"fine_print": 0, "layouts": {"sign": 1}}})  # fmt: skip
    with pytest.raises(ConfigError, match="fitted no text line"):
        build(config, tmp_path / "out", workers=1, progress=False)
    assert not (tmp_path / "out").exists()


def test_a_background_image_smaller_than_the_page_is_named(tmp_path: Path) -> None:
    small = tmp_path / "small.png"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 200, 190)).save(buffer, format="PNG")
    small.write_bytes(buffer.getvalue())
    config = make_config("pages", {"background": {"kinds": {"image": 1}, "images": [str(small)]}}, count=2)
    with pytest.raises(ConfigError, match=r"small\.png is 800x600 px, smaller than the largest page"):
        build(config, tmp_path / "out", workers=1, progress=False)
    assert not (tmp_path / "out").exists()


def test_lint_and_report_take_a_det_set(det_set: Path, tmp_path: Path) -> None:
    from thaigen.inspect.page_report import write_page_report

    assert lint_dataset(det_set) == []
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / paths.TRAIN_LABELS).write_text(
        'a.png\t[{"transcription":"###","points":[[0,0],[4,0],[4,4]]}]\n'
        f'{det_set / paths.image_relpath(0)}\t[{{"transcription":"x","points":[[0,0],[99999,0],[5,5]]}}]\n',
        encoding="utf-8",
    )
    problems = [f.problem for f in lint_dataset(broken)]
    assert problems[0].startswith("no box to learn") and "lies outside the" in problems[1]
    report = write_page_report(det_set, tmp_path / "report", samples=4)
    html = report.html.read_text(encoding="utf-8")
    assert "10 pages" in html and "Why ###" in html and "illegible" in html
    with Image.open(report.sheet) as sheet:
        assert sheet.size[0] > 1000


def test_photometric_presets_leave_polygons_alone_without_warnings(pool: FontPool) -> None:
    clean, fax = make_page(_config("clean"), pool, 2), make_page(_config("fax"), pool, 2)  # filterwarnings=error
    assert [label.points for label in fax.labels] == [label.points for label in clean.labels]
    assert fax.png != clean.png


def test_document_body_lines_are_prose_as_wide_as_their_column(pool: FontPool) -> None:
    config = _config("curled", page={"layouts": {"document": 1}, "text_px": [24, 30], "fine_print": 0.5})
    long_lines = body_lines = 0
    for index in range(4):
        page = compose_page(config, pool, index)
        _assert_polygons_hold_their_ink(page, "curled")
        body = [label.line for label in page.sample.labels if label.line.element == "body"]
        widths = [float(np.ptp(line.points[:, 0])) for line in body]
        column = max(widths)
        # a paragraph's last line ends short; the others fill the column to within a word
        assert sum(width >= 0.8 * column for width in widths) >= 0.6 * len(body), f"page {index}: ragged body"
        for line in body:
            assert "".join(run.text for run in line.runs) == line.text == line.text.strip()
            assert is_valid_thai(line.text) and "  " not in line.text
        if column >= 16 * body[0].box_px:
            body_lines += len(body)
            long_lines += sum(len(line.text) > 30 for line in body)
        assert max(map(len, (line.text for line in body))) > config.max_text_length
    assert body_lines and long_lines >= 0.7 * body_lines


def test_crops_leave_out_lines_past_the_rec_limits(tmp_path: Path) -> None:
    config = make_config("pages", {"page": {"crops": True, "layouts": {"document": 1}}}, count=2, seed=5)
    build(config, tmp_path / "set", workers=1, progress=False)
    lines = [line for record in read_records(tmp_path / "set" / paths.SAMPLES) for line in record["lines"]]
    assert any(len(line["text"]) > config.max_text_length for line in lines)
    for line in lines:
        fits = line["ignore"] is None and len(line["text"]) <= config.max_text_length
        assert ("crop" in line) == fits, line["text"]
    assert any("crop" in line for line in lines)
    assert lint_dataset(tmp_path / "set" / paths.CROPS) == []


def _satang(text: str) -> int:
    assert re.fullmatch(r"\d{1,3}(,\d{3})*\.\d{2}", text), f"{text!r} is not an amount as receipts print it"
    return round(Decimal(text.replace(",", "")) * 100)


def _vat(satang: int, share: Decimal) -> int:
    return int((satang * share).quantize(Decimal(1), ROUND_HALF_UP))


def test_receipts_add_up(pool: FontPool) -> None:
    assert (baht(123456789), baht(5), vat_of(10000, included=True)) == ("1,234,567.89", "0.05", 654)
    config = make_config("receipts", seed=4)
    modes = set()
    for index in range(8):
        lines = [label.line for label in make_page(config, pool, index).labels]
        prices = [_satang(line.text) for line in lines if line.element == "price"]
        for before, line in pairwise(lines):
            if line.element == "quantity":
                quantity, _, unit = line.text.split(" ")
                assert before.element == "price" and int(quantity) * _satang(unit) == _satang(before.text), line.text
        sums = {line.element: _satang(line.text) for line in lines if line.element in SUMMARY_WORDS}
        assert prices and "total" in sums, f"receipt {index}: {sums}"
        if "subtotal" in sums:
            modes.add("added")
            assert sums["subtotal"] == sum(prices)
            assert sums["vat"] == _vat(sum(prices), Decimal("0.07")) and sums["total"] == sum(prices) + sums["vat"]
        elif "net" in sums:
            modes.add("included")
            assert sums["total"] == sum(prices) and sums["vat"] == _vat(sum(prices), Decimal(7) / Decimal(107))
            assert sums["net"] + sums["vat"] == sums["total"]
        else:
            assert sums["total"] == sum(prices) and "vat" not in sums
        if "cash" in sums:
            modes.add("cash")
            assert sums["cash"] >= sums["total"] and sums["change"] == sums["cash"] - sums["total"]
    assert modes == {"added", "included", "cash"}
