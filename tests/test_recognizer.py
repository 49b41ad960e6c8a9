"""Loading exported recognizers (2.x, 3.x, ONNX), reading lines, `thaigen read` and `thaigen doctor`."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from ink_detector import write_ink_detector
from model_fixtures import tiny_models_fixture  # noqa: F401 (the tiny_models fixture)
from rapidfuzz.distance import Levenshtein
from tiny_model import TinyModels

from thaigen.cli import main
from thaigen.errors import ConfigError
from trainers.inference import image as inference_image
from trainers.inference.ctc import character_table, greedy_decode
from trainers.inference.detector import Detector, NotADetector
from trainers.inference.doctor import diagnose
from trainers.inference.folder import CONFIG_FILE, read_folder
from trainers.inference.image import BadImage, InputShape
from trainers.inference.recognizer import Recognizer, Runtime, to_probabilities


def _val_lines(models: TinyModels) -> tuple[list[np.ndarray], list[str]]:
    rows = [line.split("\t") for line in (models.data / "val.txt").read_text(encoding="utf-8").splitlines()]
    return [inference_image.load(models.data / path) for path, _ in rows], [label for _, label in rows]


def test_greedy_decode_merges_repeats_and_drops_blanks() -> None:
    table = character_table(["a", "b"], use_space_char=True)
    steps = [0, 1, 1, 0, 1, 2, 2, 3, 0]  # blank a a blank a b b space blank
    probabilities = np.full((1, len(steps), 4), 0.1, dtype=np.float32)
    probabilities[0, np.arange(len(steps)), steps] = 0.7
    (reading,) = greedy_decode(probabilities, table)
    assert reading.text == "aab "
    assert reading.char_confidences == pytest.approx((0.7, 0.7, 0.7, 0.7))
    assert reading.confidence == pytest.approx(0.7)


def test_logits_get_a_softmax_and_probabilities_are_kept() -> None:
    logits = np.array([[[2.0, -1.0, 0.5]]], dtype=np.float32)
    probabilities = to_probabilities(logits)
    assert probabilities.sum() == pytest.approx(1.0) and probabilities.argmax() == 0
    assert to_probabilities(probabilities) is probabilities


def test_normalize_matches_paddleocr_resize_and_padding() -> None:
    image = np.full((48, 96, 3), 255, dtype=np.uint8)
    batch = inference_image.to_batch([image], InputShape(3, 32, 160))
    assert batch.shape == (1, 3, 32, 160)
    assert np.allclose(batch[0, :, :, :64], 1.0) and np.allclose(batch[0, :, :, 64:], 0.0)
    wide = inference_image.to_batch([image, np.zeros((10, 200, 3), np.uint8)], InputShape(3, 32, 160))
    assert wide.shape[3] == 640


def test_corrupt_bytes_are_a_bad_image() -> None:
    with pytest.raises(BadImage, match="not a decodable image"):
        inference_image.decode(b"\x89PNG\r\n\x1a\n not really", "upload")


def test_paddle_2x_3x_and_onnx_read_the_same_strings(tiny_models: TinyModels) -> None:
    images, labels = _val_lines(tiny_models)
    onnx = Recognizer.load(tiny_models.onnx, runtime=Runtime.ONNX).read(images)
    paddle3 = Recognizer.load(tiny_models.paddle3, runtime=Runtime.PADDLE).read(images)
    paddle2 = Recognizer.load(tiny_models.paddle2).read(images)
    assert [r.text for r in onnx] == [r.text for r in paddle3] == [r.text for r in paddle2]
    assert np.allclose([r.confidence for r in onnx], [r.confidence for r in paddle3], atol=1e-4)
    cer = sum(Levenshtein.distance(r.text, label) for r, label in zip(onnx, labels)) / sum(map(len, labels))
    assert cer < 0.5, f"the tiny model should have learnt something (CER {cer:.2f})"
    assert sum(r.text == label for r, label in zip(onnx, labels)) > len(labels) // 10


def test_auto_runtime_prefers_onnx(tiny_models: TinyModels) -> None:
    assert Recognizer.load(tiny_models.onnx).backend.name == "onnxruntime"
    assert Recognizer.load(tiny_models.paddle3).backend.name == "paddle"


def test_onnx_runtime_without_onnx_file_says_how_to_make_one(tiny_models: TinyModels) -> None:
    with pytest.raises(ConfigError, match="--to-onnx"):
        Recognizer.load(tiny_models.paddle3, runtime=Runtime.ONNX)


def test_dictionary_that_does_not_fit_the_output_layer_is_refused(tiny_models: TinyModels, tmp_path: Path) -> None:
    short = tmp_path / "dict.txt"
    short.write_text("0\n1\n2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="output layer has 40 classes but the dictionary gives 5"):
        Recognizer.load(tiny_models.onnx, dict_path=short)


def test_read_prints_text_and_confidence(tiny_models: TinyModels, capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = (tiny_models.data / "val.txt").read_text(encoding="utf-8").splitlines()[0].split("\t")
    assert main(["read", str(tiny_models.data / path), "--model", str(tiny_models.onnx)]) == 0
    image, text, confidence = capsys.readouterr().out.rstrip("\n").split("\t")
    assert image.endswith(path) and 0.0 <= float(confidence) <= 1.0
    expected = Recognizer.load(tiny_models.onnx).read([inference_image.load(tiny_models.data / path)])[0].text
    assert text == expected


def test_read_names_a_corrupt_image(
    tiny_models: TinyModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    assert main(["read", str(broken), "--model", str(tiny_models.onnx)]) == 2
    assert "broken.png is not a decodable image" in capsys.readouterr().err


def test_doctor_on_a_3x_folder(tiny_models: TinyModels, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", str(tiny_models.paddle3)]) == 0
    out = capsys.readouterr().out
    assert "inference.json: Paddle 3.x program" in out
    assert "paddlepaddle on inference.json: loads" in out
    assert "classes: blank + dictionary + space = 40" in out
    assert "paddleocr 3.x: would load it with model_name=thaigen_tiny_ctc" in out
    assert "problems: none" in out and "--to-onnx" in out


def test_doctor_on_a_2x_folder_without_inference_yml(tiny_models: TinyModels, tmp_path: Path) -> None:
    folder = tmp_path / "ppocr2"
    shutil.copytree(tiny_models.paddle2, folder)
    (folder / CONFIG_FILE).unlink()
    bare = diagnose(folder)
    assert any("no inference.yml" in p for p in bare.problems)
    assert any("no character dictionary" in p for p in bare.problems)
    assert "paddleocr 3.x: would not load it: needs inference.yml" in bare.render()
    given = diagnose(folder, tiny_models.data / "dict.txt")
    assert given.checks[0].ok and given.checks[0].detail.startswith("loads (paddlepaddle")
    assert given.problems == (bare.problems[0],) and "input assumed 3x48x320" in given.problems[0]


def test_doctor_explains_what_paddleocr_3_would_reject(tiny_models: TinyModels, tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    shutil.copytree(tiny_models.paddle2, folder)
    config = yaml.safe_load((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    del config["Global"]
    config["PreProcess"]["transform_ops"][1] = {"CTCLabelEncode": None}
    config["PostProcess"]["character_dict"] = config["PostProcess"]["character_dict"][:-3]
    (folder / CONFIG_FILE).write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    diagnosis = diagnose(folder)
    text = diagnosis.render()
    assert "no Global.model_name" in text
    assert "CTCLabelEncode makes paddleocr 3.x fail" in text
    assert "output layer has 40 classes but the dictionary gives 37" in text
    assert not diagnosis.checks[0].ok


def test_doctor_to_onnx_converts_a_2x_folder(
    tiny_models: TinyModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "convert"
    shutil.copytree(tiny_models.paddle2, folder)
    assert main(["doctor", str(folder), "--to-onnx"]) == 0
    assert "onnxruntime on inference.onnx: loads" in capsys.readouterr().out
    assert read_folder(folder).formats[0].value == "inference.onnx"


def test_doctor_on_a_missing_folder_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", str(tmp_path / "nowhere")]) == 2
    assert "model folder not found" in capsys.readouterr().err


def test_a_recognizer_given_as_a_detector_is_named(
    tiny_models: TinyModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tiny_models.data / (tiny_models.data / "val.txt").read_text(encoding="utf-8").split("\t")[0]
    assert main(["read", str(page), "--det", str(tiny_models.onnx), "--rec", str(tiny_models.onnx)]) == 2
    told = f"{tiny_models.onnx} is a text recognizer (CTCLabelDecode), not a detector: pass it as --rec"
    assert capsys.readouterr().err.splitlines() == [f"thaigen: error: {told}"]
    bare = tmp_path / "no-yml"
    shutil.copytree(tiny_models.paddle2, bare)
    (bare / CONFIG_FILE).unlink()
    with pytest.raises(
        NotADetector, match=r"output has shape \[1, 8, 40\] .* a text recognizer's output: pass it as --rec"
    ):
        Detector.load(bare)


def test_a_detector_without_inference_yml_given_as_a_recognizer_is_named(tmp_path: Path) -> None:
    """A DB-shaped network (1 x 1 x H x W out) and no inference.yml to say so: its output tells, before any dictionary."""
    folder = write_ink_detector(tmp_path / "det")
    with pytest.raises(
        ConfigError, match=r"\[1, 1, 48, 320\], a probability map: a text detector, not a recognizer: pass it as --det"
    ):
        Recognizer.load(folder)
    diagnosis = diagnose(folder)
    assert not diagnosis.checks[0].ok and "a text detector, not a recognizer" in diagnosis.checks[0].detail
