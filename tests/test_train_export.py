"""Export helpers that need no trained model: paddleocr 3.x compatibility, input batches, agreement rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from trainers.paddleocr import export
from trainers.paddleocr.configs import Arch


def test_crnn_inference_yml_is_rewritten_for_paddleocr3(tmp_path: Path) -> None:
    exported = {
        "Global": {"model_name": "PP-OCRv4_mobile_rec"},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {}},
                {"CTCLabelEncode": None},
                {"RecResizeImg": {"image_shape": [3, 32, 320]}},
                {"KeepKeys": {}},
            ]
        },
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": ["๑", "ก"]},
    }
    (tmp_path / "inference.yml").write_text(yaml.safe_dump(exported, allow_unicode=True), encoding="utf-8")
    export.make_loadable(tmp_path, Arch.CRNN)
    written = yaml.safe_load((tmp_path / "inference.yml").read_text(encoding="utf-8"))
    ops = written["PreProcess"]["transform_ops"]
    assert [next(iter(op)) for op in ops] == ["DecodeImage", "MultiLabelEncode", "RecResizeImg", "KeepKeys"]
    assert ops[2]["RecResizeImg"]["image_shape"] == [3, 32, 320]
    assert written["Global"] == exported["Global"] and written["PostProcess"] == exported["PostProcess"]


def test_agreement_tolerates_near_ties_only() -> None:
    reference = np.array([[[0.9, 0.1, 0.0], [0.5, 0.499, 0.001]]], dtype=np.float32)
    swapped_tie = np.array([[[0.9, 0.1, 0.0], [0.499, 0.5, 0.001]]], dtype=np.float32)
    assert export.same_best_class(reference, swapped_tie, margin=0.01).all()
    wrong = np.array([[[0.1, 0.9, 0.0], [0.5, 0.499, 0.001]]], dtype=np.float32)
    assert export.same_best_class(reference, wrong, margin=0.01).tolist() == [[False, True]]
