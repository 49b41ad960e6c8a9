"""DB configs: fitted to a built det set, read by PaddleOCR's own data pipeline, and bad det sets refused up front."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import thaigen
from thaigen.config.loading import make_config
from thaigen.dataset.detection import IGNORE, DetBox, format_det_line
from thaigen.errors import DatasetError
from trainers.paddleocr.configs import (
    DET_EVAL_SIDE,
    Arch,
    Layout,
    TrainOptions,
    build_config,
    require_valid,
    validate,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:No ccache found:UserWarning",  # paddle's import-time notice about C++ extension builds
    "ignore:invalid escape sequence:DeprecationWarning",  # PaddleOCR v3.0.0 source regexes (ppocr/postprocess)
    # EastRandomCropData's int() of a 1-element array: deprecated in NumPy 2.3, an error in 2.4 (hence numpy<2.4)
    "ignore:Conversion of an array with ndim > 0 to a scalar is deprecated:DeprecationWarning",
)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real det set from thaigen's `pages` recipe (960-1600 px pages, curled lines, ### boxes)."""
    out = tmp_path_factory.mktemp("pages") / "dataset"
    thaigen.build(make_config(recipe="pages", count=8, seed=1), out, workers=1, progress=False)
    return out


def _config(folder: Path, tmp_path: Path) -> dict[str, Any]:
    return build_config(Layout.of(folder), TrainOptions(Arch.DB, tmp_path / "out", use_gpu=False, batch_size=2))


def _ops(config: dict[str, Any], split: str) -> dict[str, Any]:
    return {name: args for op in config[split]["dataset"]["transforms"] for name, args in op.items()}


def det_set(root: Path, pages: list[list[DetBox]], size: tuple[int, int] = (400, 300)) -> Path:
    """A handmade det set: one white image per page, all pages in train.txt, the first also in val.txt."""
    (root / "images").mkdir(parents=True)
    lines = []
    for i, boxes in enumerate(pages):
        Image.new("RGB", size, "white").save(root / f"images/{i}.png")
        lines.append(format_det_line(f"images/{i}.png", boxes))
    (root / "train.txt").write_text("".join(lines), encoding="utf-8")
    (root / "val.txt").write_text(lines[0], encoding="utf-8")
    return root


TEXT = DetBox("ข้อความ", ((10, 10), (200, 10), (200, 40), (10, 40)))


def test_db_config_is_fitted_to_the_pages(pages: Path, tmp_path: Path) -> None:
    manifest = json.loads((pages / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "paddleocr-det" and manifest["paddleocr"]["long_side_px"] == [960, 1600]
    config = _config(pages, tmp_path)
    assert config["Architecture"]["model_type"] == "det" and config["Architecture"]["algorithm"] == "DB"
    assert "character_dict_path" not in config["Global"] and "max_text_length" not in config["Global"]
    train = _ops(config, "Train")
    assert list(train)[:2] == ["DecodeImage", "DetLabelEncode"]
    assert train["EastRandomCropData"]["size"] == [640, 640]
    assert train["MakeBorderMap"] == {"shrink_ratio": 0.4, "thresh_min": 0.3, "thresh_max": 0.7}
    assert train["MakeShrinkMap"]["min_text_size"] == manifest["paddleocr"]["min_text_size"]
    assert _ops(config, "Eval")["DetResizeForTest"] == {"limit_side_len": 1600, "limit_type": "max"}
    assert config["PostProcess"]["name"] == "DBPostProcess" and config["PostProcess"]["box_thresh"] == 0.6
    assert config["Eval"]["loader"]["batch_size_per_card"] == 1
    assert validate(Layout.of(pages), Arch.DB) == []


def test_db_config_needs_no_manifest(tmp_path: Path) -> None:
    folder = det_set(tmp_path / "data", [[TEXT]])
    config = _config(folder, tmp_path)
    assert _ops(config, "Eval")["DetResizeForTest"]["limit_side_len"] == DET_EVAL_SIDE
    assert _ops(config, "Train")["MakeShrinkMap"]["min_text_size"] == 8
    require_valid(Layout.of(folder), Arch.DB)


def test_paddleocr_drops_no_page_of_a_built_det_set(ppocr: Path, pages: Path, tmp_path: Path) -> None:
    """PaddleOCR's SimpleDataSet + the generated transforms turn every page into training maps and eval polygons."""
    from ppocr.data.imaug import transform
    from ppocr.data.simple_dataset import SimpleDataSet

    config = _config(pages, tmp_path)
    for mode, keys in (("Train", {"shrink_map", "threshold_map"}), ("Eval", {"polys", "ignore_tags"})):
        data = SimpleDataSet(config, mode, logging.getLogger("ppocr-test"), seed=0)
        assert len(data.data_lines) > 0
        for raw in data.data_lines:
            path, label = raw.decode("utf-8").rstrip("\n").split("\t")
            image = Path(data.data_dir) / path
            sample = {"img_path": str(image), "label": label, "image": image.read_bytes(), "ext_data": []}
            out = transform(sample, data.ops)
            assert out is not None, path
            if mode == "Train":
                image_t, threshold_map, _, shrink_map, _ = out
                assert image_t.shape == (3, 640, 640) and shrink_map.shape == threshold_map.shape == (640, 640)
            else:
                assert out[0].shape[1] <= 1600 and out[0].shape[2] <= 1600 and len(out[2]) > 0


def test_page_with_only_ignored_boxes_is_refused(tmp_path: Path) -> None:
    ignored = DetBox(IGNORE, TEXT.points)
    folder = det_set(tmp_path, [[TEXT], [ignored, ignored]])
    with pytest.raises(DatasetError, match=r"1 label problem.*train\.txt:2: no box to learn: every box is ###"):
        require_valid(Layout.of(folder), Arch.DB)


def test_empty_page_is_refused(tmp_path: Path) -> None:
    folder = det_set(tmp_path, [[TEXT], []])
    with pytest.raises(DatasetError, match=r"train\.txt:2: no box to learn"):
        require_valid(Layout.of(folder), Arch.DB)


def test_point_outside_the_image_is_refused(tmp_path: Path) -> None:
    edge = DetBox("ขอบ", ((0, 0), (400, 0), (400, 300), (0, 300)))  # on the border: fine
    outside = DetBox("นอก", ((300, 250), (401, 250), (401, 290), (300, 290)))
    folder = det_set(tmp_path, [[TEXT], [edge], [TEXT, outside]])
    findings = validate(Layout.of(folder), Arch.DB)
    assert [(f.file.name, f.line) for f in findings] == [("train.txt", 3)]
    assert "point [401, 250] of box 'นอก' lies outside the 400x300 image" in str(findings[0])


def test_missing_and_broken_images_are_named(tmp_path: Path) -> None:
    folder = det_set(tmp_path, [[TEXT], [TEXT], [TEXT]])
    (folder / "images/1.png").unlink()
    (folder / "images/2.png").write_bytes(b"not a png")
    problems = [str(f) for f in validate(Layout.of(folder), Arch.DB)]
    assert len(problems) == 2
    assert problems[0].endswith(f"train.txt:2: image not found: {folder / 'images/1.png'}")
    assert f"train.txt:3: image not readable: {folder / 'images/2.png'}" in problems[1]


def test_unparsable_labels_are_one_line_naming_the_line(tmp_path: Path) -> None:
    folder = det_set(tmp_path, [[TEXT]])
    with (folder / "train.txt").open("a", encoding="utf-8") as handle:
        handle.write('images/0.png\t[{"transcription": "x", "points": [[1, 2]]}]\n')
    with pytest.raises(DatasetError, match=r"train\.txt:2: a box needs at least 3 points") as error:
        require_valid(Layout.of(folder), Arch.DB)
    assert "\n" not in str(error.value)


def test_a_recognition_set_is_not_a_det_set(tmp_path: Path) -> None:
    folder = det_set(tmp_path, [[TEXT]])
    (folder / "val.txt").write_text("images/0.png\tข้อความ\n", encoding="utf-8")
    with pytest.raises(
        DatasetError, match=r"val\.txt is not a detection label file; --arch db trains on a detection set \(thaigen "
        r"build --task det\); this is a recognition set: train it with --arch crnn, svtr, ppocrv5-th$"
    ):
        validate(Layout.of(folder), Arch.DB)
    (folder / "val.txt").write_text("images/0.png\t[{]\n", encoding="utf-8")
    assert "boxes are not JSON" in str(validate(Layout.of(folder), Arch.DB)[0])


def test_an_empty_det_split_is_refused_before_training(tmp_path: Path) -> None:
    """A 2-page build put both pages in val: an empty train.txt, once called 'not a detection label file'."""
    folder = det_set(tmp_path, [[TEXT]])
    (folder / "train.txt").write_text("", encoding="utf-8")
    with pytest.raises(DatasetError, match=f"dataset {folder} has an empty train split .*a larger --count"):
        require_valid(Layout.of(folder), Arch.DB)
    (folder / "train.txt").write_text((folder / "val.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "val.txt").write_text("", encoding="utf-8")
    with pytest.raises(DatasetError, match=f"dataset {folder} has an empty val split .*--val-fraction above 0"):
        require_valid(Layout.of(folder), Arch.DB)
