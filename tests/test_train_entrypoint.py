"""The training entrypoint: SageMaker's contract, hyperparameters, PaddleOCR source, and a real CPU smoke run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

import thaigen
from thaigen.cli import main as cli
from thaigen.config.loading import make_config
from thaigen.errors import ConfigError, EnvironmentProblem
from trainers.inference.image import InputShape, load, to_batch
from trainers.inference.onnx_backend import OnnxBackend
from trainers.jobs import entrypoint
from trainers.paddleocr import export
from trainers.paddleocr import source as paddle_source
from trainers.paddleocr.configs import Arch

pytestmark = pytest.mark.filterwarnings("ignore:No ccache found:UserWarning")


def test_paths_follow_sagemaker_and_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = entrypoint.ContractPaths.from_env({})
    assert default.hyperparameters == Path("/opt/ml/input/config/hyperparameters.json")
    assert default.train_channel == Path("/opt/ml/input/data/train")
    assert default.validation_channel == Path("/opt/ml/input/data/validation")
    assert default.model_dir == Path("/opt/ml/model")
    assert default.checkpoint_dir == Path("/opt/ml/checkpoints")
    env = {"SM_ROOT": str(tmp_path), "SM_CHANNEL_TRAIN": "/data/t", "SM_MODEL_DIR": "/m"}
    paths = entrypoint.ContractPaths.from_env(env)
    assert paths.train_channel == Path("/data/t") and paths.model_dir == Path("/m")
    assert paths.validation_channel == tmp_path / "input/data/validation"
    assert paths.output_dir == tmp_path / "output"
    monkeypatch.chdir(tmp_path)  # relative overrides are made absolute: PaddleOCR's tools run in their own folder
    assert entrypoint.ContractPaths.from_env({"SM_MODEL_DIR": "m"}).model_dir == tmp_path / "m"
    assert entrypoint.ContractPaths.local(Path("data"), Path("run")).checkpoint_dir == tmp_path / "run/checkpoints"


def test_hyperparameters_are_typed_and_checked(tmp_path: Path) -> None:
    run = entrypoint.parse_hyperparameters(
        {"arch": "svtr", "epochs": "3", "use_gpu": "false", "learning_rate": "0.01", "max_minutes": "1.5"}, tmp_path
    )
    assert run.options.arch is Arch.SVTR and run.options.epochs == 3 and run.options.use_gpu is False
    assert run.options.learning_rate == 0.01 and run.max_minutes == 1.5
    with pytest.raises(ConfigError, match="unknown hyperparameter 'epoch'"):
        entrypoint.parse_hyperparameters({"arch": "crnn", "epoch": "3"}, tmp_path)
    with pytest.raises(ConfigError, match="use_gpu='maybe' is not a valid use_gpu"):
        entrypoint.parse_hyperparameters({"arch": "crnn", "use_gpu": "maybe"}, tmp_path)
    with pytest.raises(ConfigError, match="arch='rnn' is not a valid arch"):
        entrypoint.parse_hyperparameters({"arch": "rnn"}, tmp_path)
    with pytest.raises(ConfigError, match="'arch' is required"):
        entrypoint.parse_hyperparameters({}, tmp_path)


def test_container_failure_reason_goes_to_output_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "input/config").mkdir(parents=True)
    (tmp_path / "input/config/hyperparameters.json").write_text(json.dumps({"arch": "crnn", "epochz": "1"}))
    monkeypatch.setenv("SM_ROOT", str(tmp_path))
    assert entrypoint.main() == 1
    assert (tmp_path / "output/failure").read_text().startswith("unknown hyperparameter 'epochz'")


def test_gpu_run_on_cpu_paddle_is_refused() -> None:
    """The seed team's job crawled on the CPU for 25 hours; a GPU request without CUDA now fails at once."""
    import paddle

    if paddle.is_compiled_with_cuda():
        pytest.skip("this paddlepaddle has CUDA")
    with pytest.raises(EnvironmentProblem, match="use_gpu is on but paddlepaddle .* has no CUDA"):
        entrypoint.require_device(True)
    assert entrypoint.require_device(False) == "cpu"


def test_paddleocr_source_is_located_or_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PADDLEOCR_SRC", str(tmp_path))
    with pytest.raises(EnvironmentProblem, match=f"PADDLEOCR_SRC={tmp_path} has no tools/train.py"):
        paddle_source.locate()
    monkeypatch.delenv("PADDLEOCR_SRC")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(EnvironmentProblem, match="run `python -m thaigen paddleocr-source`"):
        paddle_source.locate()
    assert paddle_source.cache_dir() == tmp_path / "cache/thaigen/PaddleOCR-v3.0.0"


def test_failed_clone_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentProblem, match="could not clone .* at v3.0.0 .*set PADDLEOCR_SRC") as error:
        paddle_source.clone(tmp_path / "src", url=str(tmp_path / "no-such-repo"))
    assert "\n" not in str(error.value)


def test_cli_reports_missing_source_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PADDLEOCR_SRC", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cli(["train", str(tmp_path), "--arch", "crnn", "--device", "cpu", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("thaigen: error: PaddleOCR training source not found") and "\n" not in err


@pytest.mark.slow
def test_cpu_smoke_run_trains_exports_converts_and_describes(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CRNN, a few CPU iterations on a built dataset, through the real CLI, down to ONNX and the card."""
    data = tmp_path / "digits"
    thaigen.build(make_config(recipe="digits", count=72, seed=2), data, workers=1, progress=False)
    out = tmp_path / "run"
    args = [
        "train",
        str(data),
        "--arch",
        "crnn",
        "--device",
        "cpu",
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "--workers",
        "0",
        "--out",
        str(out),
    ]
    assert cli(args) == 0
    model = out / "model"
    assert f"model: {model}" in capsys.readouterr().out
    for name in (
        "inference.json",
        "inference.pdiparams",
        "inference.yml",
        "inference.onnx",
        "dict.txt",
        "train_config.yml",
        "model_card.json",
        "MODEL_CARD.md",
        "train.log",
    ):
        assert (model / name).is_file(), name
    infer = yaml.safe_load((model / "inference.yml").read_text(encoding="utf-8"))
    assert infer["Global"]["model_name"] == "PP-OCRv4_mobile_rec"
    assert [next(iter(op)) for op in infer["PreProcess"]["transform_ops"]] == [
        "DecodeImage",
        "MultiLabelEncode",
        "RecResizeImg",
        "KeepKeys",
    ]
    assert infer["PostProcess"]["name"] == "CTCLabelDecode"
    assert infer["PostProcess"]["character_dict"] == (data / "dict.txt").read_text(encoding="utf-8").splitlines()
    card = json.loads((model / "model_card.json").read_text(encoding="utf-8"))
    assert card["onnx"]["max_abs_diff_vs_paddle"] <= export.ONNX_TOLERANCE
    assert card["training"]["device"] == "cpu" and card["training"]["train_images_per_s"] > 0
    assert set(card["training"]["best_metrics"]) >= {"acc", "norm_edit_dis"}
    assert card["versions"]["paddlepaddle"] and card["dataset"]["train"] == 72 - card["dataset"]["val"]
    # The exported model reads a 32 px line and gives 80 CTC steps over blank + dict + space.
    batch = to_batch([load(data / "images/00000/00000000.png")], InputShape(3, 32, 320))
    probs = OnnxBackend(model / "inference.onnx", threads=2).run(batch)
    assert probs.shape == (1, 80, card["dict"]["size"] + 2)
    assert np.allclose(probs.sum(axis=-1), 1.0, atol=1e-4)


@pytest.mark.slow
def test_train_with_relative_paths_from_another_working_folder(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A relative DATASET and the default (relative) --out, as every documented command has them: PaddleOCR's tools
    run with the source as working folder, so each path handed to them must be absolute."""
    monkeypatch.chdir(tmp_path)
    thaigen.build(make_config(recipe="digits", count=24, seed=3), Path("datasets/digits"), workers=1, progress=False)
    args = ["train", "datasets/digits", "--arch", "crnn", "--device", "cpu", "--epochs", "1", "--batch-size", "8"]
    assert cli([*args, "--workers", "0"]) == 0
    model = tmp_path / "runs/digits-crnn/model"
    assert f"model: {model}" in capsys.readouterr().out
    assert (model / "inference.onnx").is_file() and (model / "model_card.json").is_file()
    config = yaml.safe_load((model / "train_config.yml").read_text(encoding="utf-8"))
    assert config["Global"]["save_model_dir"] == str(tmp_path / "runs/digits-crnn/checkpoints")
    assert config["Train"]["dataset"]["data_dir"] == str(tmp_path / "datasets/digits")


def test_a_dataset_without_val_samples_is_refused_before_training(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`build --val-fraction 0` used to train to the end and fail in export; now nothing starts or is written."""
    data = tmp_path / "no-val"
    thaigen.build(make_config(recipe="digits", count=8, val_fraction=0), data, workers=1, progress=False)
    out = tmp_path / "run"
    assert cli(["train", str(data), "--arch", "crnn", "--device", "cpu", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"thaigen: error: dataset {data} has an empty val split") and "\n" not in err
    assert not out.exists()


def test_paddleocr_source_command_reports_a_configured_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools/train.py").write_text("", encoding="utf-8")
    (tmp_path / "ppocr/modeling").mkdir(parents=True)
    monkeypatch.setenv("PADDLEOCR_SRC", str(tmp_path))
    assert cli(["paddleocr-source"]) == 0
    assert capsys.readouterr().out.strip() == f"PaddleOCR source: {tmp_path}"

