"""Generated PaddleOCR configs: fitted to the data, accepted by PaddleOCR's own code, and validated up front.

PaddleOCR's code comes from $PADDLEOCR_SRC (full v3.0.0 source: config loader + model builders) or, for
the data pipeline only, the paddleocr 2.10.0 wheel unpacked with `pip install --no-deps --target` into
$THAIGEN_PPOCR_WHEEL (default ~/.cache/thaigen/paddleocr-2.10.0). Tests needing either skip without it.
"""

from __future__ import annotations

import gc
import json
import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from thaigen.errors import DatasetError
from trainers.paddleocr import source as paddle_source
from trainers.paddleocr.configs import (
    ARCHS,
    GUIDED_ARCHS,
    Arch,
    Layout,
    TrainOptions,
    build_config,
    require_valid,
    validate,
    write_config,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:No ccache found:UserWarning",  # paddle's import-time notice about C++ extension builds
    "ignore:invalid escape sequence:DeprecationWarning",  # PaddleOCR v3.0.0 source regexes (ppocr/postprocess)
)

@pytest.fixture(scope="module")
def built(small_dataset: Callable[[str, int, int], Path]) -> Path:
    """A real 'mixed' dataset: Thai, Latin, digits, spaces, labels up to the 25 code point limit."""
    return small_dataset("mixed", 60, 5)


def _config(folder: Path, arch: Arch, tmp_path: Path, **options: Any) -> dict[str, Any]:
    return build_config(Layout.of(folder), TrainOptions(arch, tmp_path / "out", **options))


def _handmade(tmp_path: Path, labels: list[str], dict_chars: str = "0123456789") -> Path:
    """A minimal recognition dataset with the given training labels (val.txt gets the first one)."""
    (tmp_path / "images").mkdir(parents=True)
    lines = []
    for i, label in enumerate(labels):
        Image.new("RGB", (120, 48), "white").save(tmp_path / "images" / f"{i}.png")
        lines.append(f"images/{i}.png\t{label}\n")
    (tmp_path / "train.txt").write_text("".join(lines), encoding="utf-8")
    (tmp_path / "val.txt").write_text(lines[0], encoding="utf-8")
    (tmp_path / "dict.txt").write_text("\n".join(dict_chars) + "\n", encoding="utf-8")
    manifest = {"paddleocr": {"max_text_length": 25, "use_space_char": True, "ctc_time_steps": 40}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return tmp_path


def test_rec_configs_are_fitted_to_the_data(built: Path, tmp_path: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    for arch, height in ((Arch.CRNN, 32), (Arch.SVTR, 48)):
        config = _config(built, arch, tmp_path)
        glob = config["Global"]
        assert glob["character_dict_path"] == str(built / "dict.txt")
        assert glob["use_space_char"] is manifest["paddleocr"]["use_space_char"] is True
        assert glob["use_gpu"] is True
        assert config["Metric"]["ignore_space"] is False
        assert glob["epoch_num"] == ARCHS[arch].epochs
        assert glob["eval_batch_step"] == [0, max(1, manifest["counts"]["train"] // ARCHS[arch].batch_size)]
        for split in ("Train", "Eval"):
            resize = next(op["RecResizeImg"] for op in config[split]["dataset"]["transforms"] if "RecResizeImg" in op)
            assert resize["image_shape"] == [3, height, 320]
            assert config[split]["dataset"]["data_dir"] == str(built)
    # NRTR's encoder drops labels longer than max_text_length - 2: SVTR leaves room for its tokens.
    assert _config(built, Arch.CRNN, tmp_path)["Global"]["max_text_length"] == 25
    svtr = _config(built, Arch.SVTR, tmp_path)
    assert (
        svtr["Global"]["max_text_length"]
        == 27
        == svtr["Architecture"]["Head"]["head_list"][1]["NRTRHead"]["max_text_length"]
    )


def test_options_override_the_defaults(built: Path, tmp_path: Path) -> None:
    config = _config(
        built,
        Arch.SVTR,
        tmp_path,
        use_gpu=False,
        epochs=3,
        learning_rate=0.01,
        batch_size=8,
        pretrained_model=tmp_path / "w" / "best_accuracy",
        eval_every=7,
    )
    assert config["Global"]["use_gpu"] is False
    assert config["Global"]["epoch_num"] == 3
    assert config["Optimizer"]["lr"]["learning_rate"] == 0.01
    assert config["Train"]["loader"]["batch_size_per_card"] == 8
    assert config["Global"]["pretrained_model"] == str(tmp_path / "w" / "best_accuracy")
    assert config["Global"]["eval_batch_step"] == [0, 7]


def test_written_config_round_trips_as_yaml(built: Path, tmp_path: Path) -> None:
    for arch in Arch:
        config = _config(built, arch, tmp_path)
        path = write_config(config, tmp_path / f"{arch}.yml")
        assert yaml.safe_load(path.read_text(encoding="utf-8")) == config


def test_configs_build_in_paddleocr(ppocr: Path, built: Path, tmp_path: Path) -> None:
    """PaddleOCR's loader reads each config, and its builders make the model, loss, metric and decoder."""
    if not paddle_source.is_source(ppocr):
        pytest.skip("needs the full PaddleOCR source (set PADDLEOCR_SRC): the 2.x wheel has no ppocr/modeling")
    import paddle
    from ppocr.losses import build_loss
    from ppocr.metrics import build_metric
    from ppocr.modeling.architectures import build_model
    from ppocr.postprocess import build_post_process
    from tools.program import load_config

    for arch in Arch:
        path = write_config(_config(built, arch, tmp_path), tmp_path / f"{arch}.yml")
        with warnings.catch_warnings():  # its loader leaves the YAML file open: `yaml.load(open(file_path, "rb"))`
            warnings.simplefilter("ignore", ResourceWarning)
            config = load_config(str(path))
            gc.collect()
        post = build_post_process(config["PostProcess"], config["Global"])
        if arch is not Arch.DB:
            classes = len(post.character)
            assert classes == len((built / "dict.txt").read_text(encoding="utf-8").splitlines()) + 2  # blank, space
            head = config["Architecture"]["Head"]
            if arch in GUIDED_ARCHS:
                head["out_channels_list"] = {"CTCLabelDecode": classes, "NRTRLabelDecode": classes + 1}
            else:
                head["out_channels"] = classes
        model = build_model(config["Architecture"])
        build_loss(config["Loss"])
        build_metric(config["Metric"])
        model.eval()
        shape = ARCHS[arch].image_shape
        output = model(paddle.zeros([1, *shape]))
        if arch is Arch.CRNN:  # CTC output: time steps x classes, as ARCHS claims
            assert list(output.shape) == [1, ARCHS[arch].time_steps, classes]
        if arch in GUIDED_ARCHS:
            assert list(output.shape) == [1, ARCHS[arch].time_steps, classes]


def _dropped(ppocr: Path, config: dict[str, Any], mode: str) -> list[str]:
    """Labels PaddleOCR's SimpleDataSet + label encoder turn into None (it would then silently swap them)."""
    from ppocr.data.imaug import transform
    from ppocr.data.simple_dataset import SimpleDataSet

    data = SimpleDataSet(config, mode, logging.getLogger("ppocr-test"), seed=0)
    dropped = []
    for raw in data.data_lines:
        path, label = raw.decode("utf-8").rstrip("\n").split("\t")
        sample = {
            "img_path": str(Path(data.data_dir) / path),
            "label": label,
            "image": (Path(data.data_dir) / path).read_bytes(),
            "ext_data": [],
        }
        # MultiScaleDataSet runs all ops but KeepKeys, resizes (adding valid_ratio), then KeepKeys
        ops = data.ops[:-1] if config[mode]["dataset"]["name"] == "MultiScaleDataSet" else data.ops
        if transform(sample, ops) is None:
            dropped.append(label)
    return dropped


@pytest.mark.parametrize("arch", [Arch.CRNN, Arch.SVTR, Arch.PPOCRV5_TH])
def test_paddleocr_drops_no_sample_of_a_built_dataset(ppocr: Path, built: Path, tmp_path: Path, arch: Arch) -> None:
    assert validate(Layout.of(built), arch) == []
    for mode in ("Train", "Eval"):
        assert _dropped(ppocr, _config(built, arch, tmp_path), mode) == []


def test_the_drop_check_sees_a_drop_validation_reports(ppocr: Path, tmp_path: Path) -> None:
    """Control: a 26-digit label is dropped by PaddleOCR, and validation names it before launch."""
    folder = _handmade(tmp_path / "data", ["123", "1" * 26])
    assert _dropped(ppocr, _config(folder, Arch.CRNN, tmp_path), "Train") == ["1" * 26]
    with pytest.raises(DatasetError, match=r"train\.txt:2: 26 code points > max_text_length 25"):
        require_valid(Layout.of(folder), Arch.CRNN)


def test_validation_names_a_character_missing_from_the_dict(tmp_path: Path) -> None:
    folder = _handmade(tmp_path, ["12", "1x2"])
    with pytest.raises(
        DatasetError, match=r"1 label problem.*train\.txt:2: characters not in the dictionary: 'x' U\+0078"
    ):
        require_valid(Layout.of(folder), Arch.SVTR)


def test_validation_checks_ctc_steps_against_each_architecture(tmp_path: Path) -> None:
    """25 repeated digits need 49 CTC steps: too many for SVTR's 40, fine for CRNN's 80."""
    folder = _handmade(tmp_path, ["12", "1" * 25])
    with pytest.raises(DatasetError, match=r"needs 49 CTC steps > the model's 40"):
        require_valid(Layout.of(folder), Arch.SVTR)
    require_valid(Layout.of(folder), Arch.CRNN)


def test_validation_reports_missing_images_and_label_files(tmp_path: Path) -> None:
    folder = _handmade(tmp_path, ["12", "34"])
    (folder / "images" / "1.png").unlink()
    with pytest.raises(DatasetError, match=r"image not found: images/1\.png"):
        require_valid(Layout.of(folder), Arch.CRNN)
    (folder / "val.txt").unlink()
    with pytest.raises(DatasetError, match=r"label file not found: .*val\.txt"):
        validate(Layout.of(folder), Arch.CRNN)



@pytest.mark.parametrize(("split", "fix"), [("train", "a larger --count"), ("val", "--val-fraction above 0")])
def test_an_empty_split_is_refused_before_training(tmp_path: Path, split: str, fix: str) -> None:
    """--val-fraction 0 used to train to the end, then fail in export (`need at least one array to stack`)."""
    folder = _handmade(tmp_path, ["12", "34"])
    (folder / f"{split}.txt").write_text("", encoding="utf-8")
    with pytest.raises(DatasetError, match=f"dataset {folder} has an empty {split} split .*; rebuild it with {fix}"):
        require_valid(Layout.of(folder), Arch.CRNN)


def test_an_lmdb_set_with_an_empty_val_split_or_for_db_is_refused(tmp_path: Path) -> None:
    import thaigen
    from thaigen.config.loading import make_config
    from thaigen.pipeline.build import Storage

    for name, val_fraction in (("lmdb", 0.25), ("no-val", 0.0)):
        config = make_config(recipe="digits", count=8, val_fraction=val_fraction)
        thaigen.build(config, tmp_path / name, workers=1, progress=False, storage=Storage.LMDB)
    with pytest.raises(DatasetError, match=f"dataset {tmp_path / 'no-val'} has an empty val split"):
        require_valid(Layout.of(tmp_path / "no-val"), Arch.CRNN)
    require_valid(Layout.of(tmp_path / "lmdb"), Arch.CRNN)
    with pytest.raises(DatasetError, match=r"--arch db trains on a detection set .*train it with --arch crnn, svtr"):
        require_valid(Layout.of(tmp_path / "lmdb"), Arch.DB)


def test_a_det_set_given_to_a_recogniser_says_to_use_db(tmp_path: Path) -> None:
    """It used to ask for the dict.txt a det set does not have."""
    folder = tmp_path / "pages"
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", (200, 100), "white").save(folder / "images/0.png")
    line = 'images/0.png\t[{"transcription": "12", "points": [[10, 10], [90, 10], [90, 40], [10, 40]]}]\n'
    for name in ("train.txt", "val.txt"):
        (folder / name).write_text(line, encoding="utf-8")
    with pytest.raises(
        DatasetError, match=r"train\.txt is not a recognition label file; --arch svtr trains on a recognition set "
        r"\(thaigen build --task rec\); this is a detection set: train it with --arch db$"
    ):
        require_valid(Layout.of(folder), Arch.SVTR)

FIXTURES = Path(__file__).parent / "fixtures"
OFFICIAL_YAML = "configs/rec/PP-OCRv5/multi_language/th_PP-OCRv5_mobile_rec.yaml"


def official_th_dataset(folder: Path) -> Path:
    """A one-line dataset whose dict.txt is the official ppocrv5_th_dict.txt (what `build --dict` makes)."""
    _handmade(folder, ["ภาษาไทย 12"])
    (folder / "dict.txt").write_bytes((FIXTURES / "ppocrv5_th_dict.txt").read_bytes())
    return folder


def _paddle_config(path: Path) -> dict[str, Any]:
    from tools.program import load_config

    with warnings.catch_warnings():  # its loader leaves the YAML file open
        warnings.simplefilter("ignore", ResourceWarning)
        config: dict[str, Any] = load_config(str(path))
        gc.collect()
    return config


def test_ppocrv5_th_is_the_official_thai_network_and_recipe(ppocr: Path, tmp_path: Path) -> None:
    """thaigen's --arch ppocrv5-th config builds, in PaddleOCR, the network of the official
    th_PP-OCRv5_mobile_rec.yaml tensor for tensor (names and shapes), and trains it the same way."""
    if not paddle_source.is_source(ppocr):
        pytest.skip("needs the full PaddleOCR source (set PADDLEOCR_SRC): the 2.x wheel has no ppocr/modeling")
    from ppocr.modeling.architectures import build_model
    from ppocr.postprocess import build_post_process

    from trainers.paddleocr.network import build_network, parameter_shapes

    source_yaml = ppocr / OFFICIAL_YAML  # absent from v3.0.0: then the fixture read from PaddleOCR's main branch
    official = _paddle_config(source_yaml if source_yaml.is_file() else FIXTURES / "th_PP-OCRv5_mobile_rec.yaml")
    official["Global"]["character_dict_path"] = str(FIXTURES / "ppocrv5_th_dict.txt")
    classes = len(build_post_process(official["PostProcess"], official["Global"]).character)  # as tools/train.py
    official["Architecture"]["Head"]["out_channels_list"] = {"CTCLabelDecode": classes, "NRTRLabelDecode": classes + 3}
    theirs = parameter_shapes(build_model(official["Architecture"]))

    folder = official_th_dataset(tmp_path / "data")
    ours_config = _paddle_config(write_config(_config(folder, Arch.PPOCRV5_TH, tmp_path), tmp_path / "v5.yml"))
    ours = parameter_shapes(build_network(ours_config))
    assert classes == 523 + 2 and len(theirs) > 300
    assert ours == theirs

    for key in ("Optimizer", "Loss", "PostProcess"):
        assert ours_config[key] == official[key]
    assert {k: v for k, v in ours_config["Metric"].items()} == official["Metric"]
    assert ours_config["Train"]["sampler"] == official["Train"]["sampler"]
    for key in ("name", "ds_width", "ext_op_transform_idx"):
        assert ours_config["Train"]["dataset"][key] == official["Train"]["dataset"][key]
    for split in ("Train", "Eval"):
        assert ours_config[split]["dataset"]["transforms"] == official[split]["dataset"]["transforms"]
    glob, theirs_global = ours_config["Global"], official["Global"]
    for key in ("model_name", "epoch_num", "use_space_char", "d2s_train_image_shape", "max_text_length"):
        expected = theirs_global[key] + 2 if key == "max_text_length" else theirs_global[key]  # NRTR's 2 tokens
        assert glob[key] == expected, key


def test_ppocrv5_th_multi_scale_loader_yields_batches(ppocr: Path, tmp_path: Path) -> None:
    """PaddleOCR's own build_dataloader runs the MultiScaleDataSet + MultiScaleSampler thaigen writes."""
    if not paddle_source.is_source(ppocr):
        pytest.skip("needs the full PaddleOCR source (set PADDLEOCR_SRC)")
    import paddle
    from ppocr.data import build_dataloader

    folder = _handmade(tmp_path / "data", ["12", "345", "6789", "0"], dict_chars="0123456789")
    config = _config(folder, Arch.PPOCRV5_TH, tmp_path, batch_size=2, use_gpu=False)
    config["Train"]["loader"]["num_workers"] = 0
    loader = build_dataloader(config, "Train", paddle.CPUPlace(), logging.getLogger("ppocr-test"), seed=0)
    images = next(iter(loader))[0]
    assert images.shape[1] == 3 and images.shape[2] in (32, 48, 64) and images.shape[3] == 320
