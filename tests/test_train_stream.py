"""`thaigen train --stream`: PaddleOCR training on samples drawn from a config as it trains, no dataset on disk.

The stream's items are checked against PaddleOCR's own SimpleDataSet reading the built files of the same config;
the CLI run is real PaddleOCR training on the CPU, resumed from its checkpoint.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import thaigen
from tests.ppocr_dataset import simple_dataset_items
from thaigen.cli import main as cli
from thaigen.config.loading import make_config
from thaigen.config.schema import GenConfig
from thaigen.dataset import paths
from thaigen.dataset.dictionary import write_dictionary
from thaigen.errors import ThaigenError
from trainers.jobs import streaming
from trainers.paddleocr.configs import STREAM_DATASET, Arch

pytestmark = pytest.mark.filterwarnings("ignore:No ccache found:UserWarning")

REC_OPS: list[dict[str, Any]] = [
    {"CTCLabelEncode": None},
    {"RecResizeImg": {"image_shape": [3, 32, 320]}},
    {"KeepKeys": {"keep_keys": ["image", "label", "length"]}},
]


def _stream_config(config: GenConfig, config_json: Path, ops: list[dict[str, Any]], dict_path: Path | None) -> dict[str, Any]:
    """A PaddleOCR config whose Train set is the stream of `config` from index 0, `config.count` per epoch."""
    config_json.write_text(config.model_dump_json(), encoding="utf-8")
    global_ = {"character_dict_path": str(dict_path), "max_text_length": 25, "use_space_char": True} if dict_path else {}
    lint = {"max_text_length": config.max_text_length, "time_steps": 80} if dict_path else None
    decode = {"DecodeImage": {"img_mode": "BGR", "channel_first": False}}
    dataset = {"name": STREAM_DATASET, "thaigen_config": str(config_json), "first_index": 0,
               "epoch_size": config.count, "lint": lint, "transforms": [decode, *ops]}
    return {"Global": global_, "Train": {"dataset": dataset}}  # fmt: skip


def _index_order(built: Path) -> Path:
    """train.txt and val.txt of a build as one label file in index order (the stream draws every index)."""
    lines = [line for name in (paths.TRAIN_LABELS, paths.VAL_LABELS)
             for line in (built / name).read_text(encoding="utf-8").splitlines()]  # fmt: skip
    ordered = built / "all.txt"
    ordered.write_text("".join(f"{line}\n" for line in sorted(lines)), encoding="utf-8")
    return ordered


def _same(streamed: list[Any], built: list[Any]) -> None:
    assert len(streamed) == len(built)
    for ours, theirs in zip(streamed, built, strict=True):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert np.array_equal(np.asarray(a), np.asarray(b))


def test_streamed_lines_and_pages_are_what_simple_dataset_makes_of_the_build(ppocr: Path, tmp_path: Path) -> None:
    """Each streamed item equals SimpleDataSet's item for the built file of the same index: the same PNG bytes, label
    and transforms (label encoding, resize, DB's maps)."""
    from trainers.paddleocr.stream_dataset import ThaigenStream

    logger = logging.getLogger("stream-test")
    lines = make_config(recipe="mixed", count=10, seed=4)
    thaigen.build(lines, tmp_path / "lines", workers=1, progress=False)
    dict_path = tmp_path / "lines" / paths.DICT
    stream = ThaigenStream(_stream_config(lines, tmp_path / "lines.json", REC_OPS, dict_path), "Train", logger, 1)
    built_ops = [{"CTCLabelEncode": {"character_dict_path": str(dict_path), "max_text_length": 25,
                                     "use_space_char": True}}, *REC_OPS[1:]]  # fmt: skip
    built = simple_dataset_items(tmp_path / "lines", _index_order(tmp_path / "lines"), built_ops, "BGR")
    _same([stream[i] for i in range(len(stream))], built)

    pages = make_config(task="det", count=2, seed=4)
    thaigen.build(pages, tmp_path / "pages", workers=1, progress=False)
    det_ops = [{"DetLabelEncode": None}, {"KeepKeys": {"keep_keys": ["image", "polys", "ignore_tags"]}}]
    stream = ThaigenStream(_stream_config(pages, tmp_path / "pages.json", det_ops, None), "Train", logger, 1)
    built = simple_dataset_items(tmp_path / "pages", _index_order(tmp_path / "pages"), det_ops, "BGR")
    _same([stream[i] for i in range(len(stream))], built)


def test_multi_scale_items_are_what_multi_scale_dataset_makes_of_the_build(ppocr: Path, tmp_path: Path) -> None:
    """ppocrv5-th's path: at each of MultiScaleSampler's scales, a streamed item equals MultiScaleDataSet's for the
    built file of the same index; RecConAug's extra samples are other samples of the epoch, the same every time."""
    from ppocr.data.simple_dataset import MultiScaleDataSet

    from trainers.paddleocr.stream_dataset import Extra, ThaigenMultiScaleStream

    lines = make_config(recipe="mixed", count=6, seed=8)
    thaigen.build(lines, tmp_path / "lines", workers=1, progress=False)
    dict_path = tmp_path / "lines" / paths.DICT
    keep = ["image", "label_ctc", "label_gtc", "length", "valid_ratio"]
    ops = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
           {"RecConAug": {"prob": 0.0, "ext_data_num": 2, "image_shape": [48, 320, 3], "max_text_length": 25}},
           {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}}, {"KeepKeys": {"keep_keys": keep}}]  # fmt: skip
    global_ = {"character_dict_path": str(dict_path), "max_text_length": 27, "use_space_char": True}
    ours = _stream_config(lines, tmp_path / "lines.json", [], dict_path) | {"Global": global_}
    ours["Train"]["dataset"]["transforms"] = ops
    theirs = {"Global": global_, "Eval": {
        "dataset": {"name": "MultiScaleDataSet", "data_dir": str(tmp_path / "lines"), "ds_width": False,
                    "label_file_list": [str(_index_order(tmp_path / "lines"))], "transforms": ops},
        "loader": {"shuffle": False}}}  # fmt: skip
    logger = logging.getLogger("stream-test")
    stream = ThaigenMultiScaleStream(ours, "Train", logger, 1)
    built = MultiScaleDataSet(theirs, "Eval", logger, seed=0)
    for width, height in ((320, 32), (320, 48), (320, 64)):
        _same([stream[(width, height, i)] for i in range(6)], [built[(width, height, i)] for i in range(6)])
    extra = list(Extra(stream, 3))
    assert len(extra) == 2 and [e["label"] for e in extra] == [e["label"] for e in Extra(stream, 3)]
    assert all(e["img_path"] in {f"thaigen sample {i}" for i in range(6)} for e in extra)
    assert all(e["image"].ndim == 3 for e in extra)  # decoded by the ops before RecConAug, as get_ext_data does


def test_each_epoch_draws_the_next_indices_and_a_label_outside_the_dict_stops_training(
    ppocr: Path, tmp_path: Path
) -> None:
    from trainers.paddleocr.stream_dataset import ThaigenStream

    logger = logging.getLogger("stream-test")
    config = make_config(recipe="digits", count=4, seed=1)
    dict_path = tmp_path / "dict.txt"
    write_dictionary(dict_path, thaigen.pipeline.stream.dictionary(config))
    paddle_config = _stream_config(config, tmp_path / "c.json", REC_OPS, dict_path)
    third = ThaigenStream(paddle_config, "Train", logger, seed=3)
    assert (len(third), third.first) == (4, 8)  # epoch 3: indices 8-11
    labels = [sample.label for sample in thaigen.samples(config, 8, 12)]
    assert [int(third[i][2]) for i in range(4)] == [len(label) for label in labels]  # CTCLabelEncode's length
    write_dictionary(dict_path, "0")  # a dictionary that cannot hold the labels
    narrow = ThaigenStream(paddle_config, "Train", logger, seed=1)
    with pytest.raises(ThaigenError, match=r"thaigen sample 0: label .* characters not in the dictionary"):
        narrow[0]


def test_stream_dictionary_holds_every_drawn_character() -> None:
    """What the stream's dict is written from: every character of 150 drawn labels of each line recipe."""
    for recipe in ("mixed", "documents", "thai", "digits"):
        config = make_config(recipe=recipe, count=150, seed=7)
        drawn = {ch for sample in thaigen.samples(config) for ch in sample.label} - {" "}
        assert drawn <= set(thaigen.pipeline.stream.dictionary(config)), recipe


def test_stream_configs_an_arch_cannot_train_are_refused_in_one_line(tmp_path: Path) -> None:
    cases = {
        "task: det\n": (Arch.CRNN, "makes task det samples; --arch crnn trains on task rec (train it with --arch db)"),
        "recipe: documents\n": (Arch.SVTR, "--arch svtr trains with 40 CTC steps at any width"),
        "recipe: documents\nseed: 1\n": (Arch.PPOCRV5_TH, "--arch ppocrv5-th trains with 40 CTC steps at any width"),
        "count: [1\n": (Arch.CRNN, "--stream config is not valid YAML"),
        "cuont: 5\n": (Arch.CRNN, "cuont"),
    }
    for text, (arch, message) in cases.items():
        with pytest.raises(thaigen.errors.ConfigError, match=re.escape(message)):
            streaming.prepare_run(text, tmp_path / "work", arch)
    assert not (tmp_path / "work").exists()


@pytest.mark.slow
def test_stream_cli_trains_resumes_where_the_stream_stopped_and_describes(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`thaigen train --stream CONFIG.yaml` as documented (relative paths, default --out): real CPU training from the
    stream, export and card; run again with more epochs it resumes from the checkpoint at the next epoch's indices."""
    monkeypatch.chdir(tmp_path)
    Path("digits.yaml").write_text("recipe: digits\ncount: 24\nval_fraction: 0.25\nseed: 5\n", encoding="utf-8")
    args = ["train", "--stream", "digits.yaml", "--arch", "crnn", "--device", "cpu", "--batch-size", "8"]
    assert cli([*args, "--epochs", "1", "--workers", "0"]) == 0
    run = tmp_path / "runs/digits-crnn"
    assert f"model: {run / 'model'}" in capsys.readouterr().out
    card = json.loads((run / "model/model_card.json").read_text(encoding="utf-8"))
    assert card["training"]["stream"]["first_index"] == 24 and card["training"]["stream"]["samples_per_epoch"] == 24
    assert card["dataset"]["name"] == "stream" and card["dataset"]["train"] == 24 and card["dataset"]["val"] > 0
    assert (run / "model/inference.onnx").is_file() and (run / "model" / streaming.CONFIG_JSON).is_file()
    config = yaml.safe_load((run / "model/train_config.yml").read_text(encoding="utf-8"))
    assert config["Train"]["dataset"]["name"] == STREAM_DATASET
    assert config["Eval"]["dataset"]["data_dir"] == str(run / "work" / streaming.FOLDER / streaming.VAL_DIR)

    assert cli([*args, "--epochs", "2", "--workers", "0"]) == 0
    log = (run / "model/train.log").read_text(encoding="utf-8")
    assert log.count("ThaigenStream: samples 24 to 47") == 1 and log.count("ThaigenStream: samples 48 to 71") == 1
    card = json.loads((run / "model/model_card.json").read_text(encoding="utf-8"))
    assert card["training"]["resumed_from_checkpoint"] and card["training"]["epochs"] == 2


@pytest.mark.slow
def test_the_container_trains_ppocrv5_th_from_the_config_hyperparameter_with_no_channel(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SageMaker's contract for a streamed job: hyperparameters.json holds the config's YAML, /opt/ml/input/data
    holds nothing; the entrypoint trains (ppocrv5-th: multi-scale batches, RecConAug drawing extra samples from the
    stream), exports and writes the model where SageMaker collects it."""
    from trainers.jobs import entrypoint

    ml = tmp_path / "ml"
    (ml / "input/config").mkdir(parents=True)
    text = "recipe: mixed\ncount: 16\nval_fraction: 0.25\nseed: 2\n"
    values = {"arch": "ppocrv5-th", "use_gpu": "false", "epochs": "1", "batch_size": "4", "num_workers": "0", "stream": text}
    (ml / "input/config/hyperparameters.json").write_text(json.dumps(values), encoding="utf-8")
    monkeypatch.setenv("SM_ROOT", str(ml))
    monkeypatch.setenv("THAIGEN_WORK_DIR", str(tmp_path / "work"))
    assert entrypoint.main() == 0
    assert not (ml / "output/failure").exists() and not (ml / "input/data").exists()
    card = json.loads((ml / "model/model_card.json").read_text(encoding="utf-8"))
    assert card["arch"] == "ppocrv5-th" and card["training"]["stream"]["first_index"] == 16
    config = yaml.safe_load((ml / "model/train_config.yml").read_text(encoding="utf-8"))
    assert config["Train"]["sampler"]["name"] == "MultiScaleSampler"  # over ThaigenMultiScaleStream
    assert (ml / "model/inference.onnx").is_file()
    resolved = GenConfig.model_validate_json((ml / "model" / streaming.CONFIG_JSON).read_text(encoding="utf-8"))
    assert resolved == streaming.read_config(text) and resolved.count == 16


def test_train_takes_a_dataset_or_a_stream_and_names_a_missing_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (["--arch", "crnn"], ["data", "--stream", "s.yaml", "--arch", "crnn"]):
        assert cli(["train", *args]) == 2
        err = capsys.readouterr().err.strip()
        assert err == "thaigen: error: train: give a dataset folder or --stream CONFIG.yaml (one of the two)"
    assert cli(["train", "--stream", "missing.yaml", "--arch", "crnn", "--device", "cpu"]) == 2
    assert capsys.readouterr().err.strip() == "thaigen: error: --stream config not found: missing.yaml"
    assert not Path("runs").exists()


def test_a_stream_config_names_its_files_from_where_the_command_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PaddleOCR's process runs in its source folder: the config it reads holds absolute paths, taken from the folder
    `thaigen train` ran in, as `build --config` takes them."""
    monkeypatch.chdir(tmp_path)
    config = streaming.read_config("corpus_files: [texts/mine.txt]\nsources: {corpus: 1}\nfonts:\n  dirs: [myfonts]\n")
    assert config.corpus_files == (tmp_path / "texts/mine.txt",) and config.fonts.dirs == (tmp_path / "myfonts",)
