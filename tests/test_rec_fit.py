"""The recogniser's training width fitted to the data: long lines train wider, short ones at PaddleOCR's 320 px."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from PIL import Image

import thaigen
from thaigen.cli import main
from thaigen.config.loading import load_config, make_config
from thaigen.errors import DatasetError
from thaigen.inspect.lint import width_note
from thaigen.inspect.rec_width import (
    MAX_WIDTH,
    REC_INPUTS,
    LineShapes,
    RecWidth,
    fit_width,
    line_shapes,
)
from thaigen.pipeline.build import Storage
from trainers.paddleocr import export
from trainers.paddleocr.configs import ARCHS, Arch, Layout, RecFit, TrainOptions, build_config, require_valid

pytestmark = pytest.mark.filterwarnings(
    "ignore:No ccache found:UserWarning",  # paddle's import-time notice about C++ extension builds
    "ignore:invalid escape sequence:DeprecationWarning",  # PaddleOCR v3.0.0 source regexes (ppocr/postprocess)
)

RECOGNISERS = (Arch.CRNN, Arch.SVTR, Arch.PPOCRV5_TH)
DEFAULT_NOTE = "train width: crnn 320 px (80 CTC steps); svtr, ppocrv5-th 320 px (40 CTC steps at any width)"


@pytest.fixture(scope="module")
def long_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 'mixed' build of document-length lines: labels up to 90 code points, 100 CTC steps."""
    out = tmp_path_factory.mktemp("long") / "dataset"
    config = load_config(None, "mixed", count=40).model_copy(update={"max_text_length": 90, "ctc_time_steps": 100})
    thaigen.build(config, out, workers=1, progress=False)
    return out


def _manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _aspect_95(folder: Path) -> float:
    """The 95th-percentile width / height of every image of a build, from its samples.jsonl."""
    records = [json.loads(line) for line in (folder / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    return float(np.percentile([r["width"] / r["height"] for r in records], 95))


def _resize_shapes(config: dict[str, Any]) -> list[list[int]]:
    return [
        op["RecResizeImg"]["image_shape"]
        for split in ("Train", "Eval")
        for op in config[split]["dataset"]["transforms"]
        if "RecResizeImg" in op
    ]


def test_the_fit_keeps_short_lines_at_320_and_widens_long_ones_for_crnn_only() -> None:
    crnn, svtr = REC_INPUTS[Arch.CRNN], REC_INPUTS[Arch.SVTR]
    short = LineShapes(most_steps=27, aspect=8.2)  # a default 25-code-point set
    assert fit_width(crnn, short) == fit_width(crnn, None) == RecWidth(320, 80, 320)
    assert fit_width(svtr, short) == RecWidth(320, 40, 320)
    long = LineShapes(most_steps=91, aspect=18.65)
    assert fit_width(crnn, long) == RecWidth(608, 152, 608)  # 32 px x 18.65 = 597 -> 608; 91 steps + 10 % = 404 px
    assert fit_width(crnn, LineShapes(most_steps=150, aspect=3.0)) == RecWidth(672, 168, 672)  # steps rule: 165 x 4
    assert fit_width(svtr, long) == RecWidth(320, 40, 320)  # 40 pooled training steps at any width
    capped = fit_width(crnn, LineShapes(most_steps=91, aspect=60.0))
    assert capped == RecWidth(MAX_WIDTH, MAX_WIDTH // 4, 1920) and capped.capped


def test_a_default_build_trains_at_320_as_before(
    small_dataset: Callable[[str, int, int], Path], tmp_path: Path
) -> None:
    built = small_dataset("mixed", 60, 5)
    for arch in RECOGNISERS:
        config = build_config(Layout.of(built), TrainOptions(arch, tmp_path))
        assert _resize_shapes(config) == [list(ARCHS[arch].image_shape)] * (1 if arch is Arch.PPOCRV5_TH else 2)
        assert ARCHS[arch].image_shape[2] == 320
    v5 = build_config(Layout.of(built), TrainOptions(Arch.PPOCRV5_TH, tmp_path))
    assert v5["Global"]["d2s_train_image_shape"] == [3, 48, 320]
    assert v5["Train"]["sampler"]["scales"] == [[320, 32], [320, 48], [320, 64]]
    assert width_note(built) == DEFAULT_NOTE


def test_a_long_line_build_trains_crnn_wide_enough(long_set: Path, tmp_path: Path) -> None:
    manifest = _manifest(long_set)
    most = manifest["most_ctc_steps"]
    assert manifest["longest_label_code_points"] > 60 and most > 80  # longer than the default 320 px holds
    fit = RecFit.of(Layout.of(long_set), Arch.CRNN)
    _, height, width = fit.image_shape
    assert height == 32 and width % 32 == 0 and 320 < width <= MAX_WIDTH
    assert fit.time_steps == width // 4 >= most * 1.1
    shapes = line_shapes(long_set)
    assert shapes is not None and shapes.most_steps == most and abs(shapes.aspect - _aspect_95(long_set)) < 0.5
    assert width >= height * shapes.aspect
    config = build_config(Layout.of(long_set), TrainOptions(Arch.CRNN, tmp_path))
    assert _resize_shapes(config) == [[3, 32, width]] * 2
    assert config["Global"]["max_text_length"] == 90
    require_valid(Layout.of(long_set), Arch.CRNN)
    assert f"train width: crnn {width} px ({width // 4} CTC steps); " in str(width_note(long_set))


def test_svtr_refuses_a_long_line_build_and_names_crnn(long_set: Path, tmp_path: Path) -> None:
    """PPLCNetV3 pools training to 40 steps at any width: widening svtr would not align 90-step labels."""
    for arch in (Arch.SVTR, Arch.PPOCRV5_TH):
        config = build_config(Layout.of(long_set), TrainOptions(arch, tmp_path))
        assert config["Global"]["max_text_length"] == 92  # NRTR's start and end tokens
        nrtr = config["Architecture"]["Head"]["head_list"][1]["NRTRHead"]
        assert nrtr["max_text_length"] == 92
        with pytest.raises(DatasetError, match=f"> the model's 40 .*--arch {arch} trains with 40 CTC steps at any "
                                               "width: train longer lines with --arch crnn"):  # fmt: skip
            require_valid(Layout.of(long_set), arch)
    most = _manifest(long_set)["most_ctc_steps"]
    assert f"svtr, ppocrv5-th 320 px (40 CTC steps at any width; labels need up to {most}" in str(width_note(long_set))


def test_paddleocr_loads_the_long_line_config_at_the_fitted_width(ppocr: Path, long_set: Path, tmp_path: Path) -> None:
    """PaddleOCR's own build_dataloader + RecResizeImg give batches of the fitted width, labels unclipped."""
    import paddle
    from ppocr.data import build_dataloader

    config = build_config(Layout.of(long_set), TrainOptions(Arch.CRNN, tmp_path, batch_size=4, use_gpu=False))
    width = RecFit.of(Layout.of(long_set), Arch.CRNN).image_shape[2]
    for mode in ("Train", "Eval"):
        config[mode]["loader"]["num_workers"] = 0
        loader = build_dataloader(config, mode, paddle.CPUPlace(), logging.getLogger("ppocr-test"), seed=0)
        images, labels, lengths = next(iter(loader))[:3]
        assert list(images.shape[1:]) == [3, 32, width]
        assert labels.shape[1] == 90 and int(lengths.max()) <= 90


def test_the_export_keeps_the_fitted_width(tmp_path: Path) -> None:
    """inference.yml gets the training config's Eval RecResizeImg; paddleocr 3.x's rewrite keeps its width."""
    exported = {"PreProcess": {"transform_ops": [{"DecodeImage": {}}, {"RecResizeImg": {"image_shape": [3, 32, 608]}}]}}
    (tmp_path / "inference.yml").write_text(yaml.safe_dump(exported), encoding="utf-8")
    written = export.make_loadable(tmp_path, Arch.CRNN)
    resize = [op["RecResizeImg"] for op in written["PreProcess"]["transform_ops"] if "RecResizeImg" in op]
    assert resize == [{"image_shape": [3, 32, 608]}]


def test_lint_flags_lines_the_cap_still_squeezes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "images").mkdir()
    lines = []
    for i in range(4):
        Image.new("L", (2000 + 100 * i, 32), 255).save(tmp_path / "images" / f"{i}.png")
        lines.append(f"images/{i}.png\t12\n")
    (tmp_path / "train.txt").write_text("".join(lines), encoding="utf-8")
    (tmp_path / "dict.txt").write_text("1\n2\n", encoding="utf-8")
    assert main(["lint", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    capped = "crnn 1600 px (400 CTC steps; capped: the lines need 2304 px, those over 50:1 are squeezed)"
    assert out == [
        f"train width: {capped}; svtr, ppocrv5-th 320 px (40 CTC steps at any width)",
        f"0 problem(s) in {tmp_path}",
    ]
    (tmp_path / "val.txt").write_text(lines[0], encoding="utf-8")
    manifest = {"paddleocr": {"max_text_length": 25, "use_space_char": False, "ctc_time_steps": 40}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.warns(UserWarning, match=r"its lines need 2304 px at 32 px high; --arch crnn trains at the cap, 1600"):
        build_config(Layout.of(tmp_path), TrainOptions(Arch.CRNN, tmp_path / "out"))


def test_an_lmdb_set_is_fitted_from_its_image_headers(tmp_path: Path) -> None:
    thaigen.build(make_config(recipe="digits", count=8), tmp_path, workers=1, progress=False, storage=Storage.LMDB)
    shapes = line_shapes(tmp_path)
    assert shapes is not None and shapes.most_steps == _manifest(tmp_path)["most_ctc_steps"] and shapes.aspect > 1
    assert RecFit.of(Layout.of(tmp_path), Arch.CRNN).image_shape == (3, 32, 320)
    assert width_note(tmp_path) == DEFAULT_NOTE
