"""Model card figures read from PaddleOCR's training log."""

from __future__ import annotations

from pathlib import Path

from trainers.jobs import model_card
from trainers.paddleocr.configs import Arch

LOG = """\
[2026/11/24 23:02:58] ppocr INFO: epoch: [1/2], global_step: 5, lr: 0.000655, acc: 0.000000, loss: 225.0, ips: 12.0 samples/s, eta: 0:00:00
[2026/11/24 23:02:58] ppocr INFO: best metric, acc: 0.25, is_float16: False, norm_edit_dis: 0.5, fps: 66.6, best_epoch: 1
[2026/11/24 23:03:09] ppocr INFO: epoch: [2/2], global_step: 10, lr: 0.000300, acc: 0.500000, loss: 20.0, ips: 14.0 samples/s, eta: 0:00:00
[2026/11/24 23:03:10] ppocr INFO: best metric, acc: 0.75, is_float16: False, norm_edit_dis: 0.9, fps: 70.0, best_epoch: 2
"""


def test_best_metrics_are_the_last_reported_and_throughput_the_mean(tmp_path: Path) -> None:
    (tmp_path / "train.log").write_text(LOG, encoding="utf-8")
    figures = model_card.training_figures(tmp_path / "train.log")
    assert figures["best_metrics"] == {
        "acc": 0.75,
        "is_float16": False,
        "norm_edit_dis": 0.9,
        "fps": 70.0,
        "best_epoch": 2.0,
    }
    assert figures["train_images_per_s"] == 13.0


def test_a_log_without_evaluation_gives_empty_metrics(tmp_path: Path) -> None:
    (tmp_path / "train.log").write_text("Traceback (most recent call last):\n", encoding="utf-8")
    assert model_card.training_figures(tmp_path / "train.log") == {"best_metrics": {}, "train_images_per_s": None}


def test_card_files_list_includes_the_card_itself(tmp_path: Path) -> None:
    (tmp_path / "inference.json").write_text("{}", encoding="utf-8")
    card = {
        "arch": "crnn",
        "dataset": {"name": "digits", "train": 9, "val": 1},
        "dict": {"size": 10},
        "training": {"wall_s": 12.3, "device": "cpu", "train_images_per_s": 13.0, "best_metrics": {"acc": 0.75}},
    }
    model_card.write_card(tmp_path, card)
    markdown = (tmp_path / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "# crnn trained on digits" in markdown and "acc 0.7500" in markdown
    assert "files: MODEL_CARD.md, inference.json, model_card.json" in markdown


def test_the_card_records_the_width_the_config_was_fitted_to() -> None:
    config = {"Eval": {"dataset": {"transforms": [{"DecodeImage": {}}, {"RecResizeImg": {"image_shape": [3, 32, 608]}}]}}}
    assert model_card.input_shape(Arch.CRNN, config) == [3, 32, 608]
    assert model_card.input_shape(Arch.DB, {"Eval": {"dataset": {"transforms": [{"DetResizeForTest": {}}]}}}) == [3, 640, 640]
