"""LMDB sets (`build --format lmdb`): read back through PaddleOCR's own LMDBDataSet, equal to the folder format."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lmdb as lmdb_package
import numpy as np
import pytest

from thaigen.config.loading import make_config
from thaigen.dataset import lmdb, paths
from thaigen.errors import ConfigError
from thaigen.pipeline.build import Storage, build
from thaigen.pipeline.merge_shards import merge_shards
from thaigen.pipeline.shards import Shard

pytestmark = pytest.mark.filterwarnings(
    "ignore:No ccache found:UserWarning",  # paddle's import-time notice about C++ extension builds
    "ignore:invalid escape sequence:DeprecationWarning",  # PaddleOCR v3.0.0 source regexes
)

KEEP = [{"DecodeImage": {"img_mode": "BGR", "channel_first": False}}, {"KeepKeys": {"keep_keys": ["image", "label"]}}]


@pytest.fixture(scope="module")
def lmdb_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lmdb") / "mixed"
    build(make_config(count=150, seed=7), out, workers=1, progress=False, storage=Storage.LMDB)
    return out


def _paddleocr(dataset: str, data_dir: Path, label_file: Path | None = None) -> list[tuple[np.ndarray, str]]:
    """Every sample as PaddleOCR's own dataset class yields it (Eval mode, in order); fails on any swap."""
    from ppocr.data.lmdb_dataset import LMDBDataSet
    from ppocr.data.simple_dataset import SimpleDataSet

    spec: dict[str, Any] = {"name": dataset, "data_dir": str(data_dir), "transforms": KEEP}
    if label_file:
        spec["label_file_list"] = [str(label_file)]
    config = {"Global": {}, "Eval": {"dataset": spec, "loader": {"shuffle": False, "batch_size_per_card": 1,
                                                                  "drop_last": False, "num_workers": 0}}}
    logger = logging.getLogger("ppocr-lmdb-test")
    data = (LMDBDataSet if dataset == "LMDBDataSet" else SimpleDataSet)(config, "Eval", logger, seed=0)
    try:
        return [tuple(data[i]) for i in range(len(data))]  # type: ignore[misc]
    finally:
        for entry in getattr(data, "lmdb_sets", {}).values():
            entry["env"].close()


def test_layout_and_manifest_match_the_folder_build(
    lmdb_set: Path, small_dataset: Callable[[str, int, int], Path]
) -> None:
    folder = small_dataset("mixed", 150, 7)
    assert {p.name for p in lmdb_set.iterdir()} == {"train", "val", "dict.txt", "manifest.json", "samples.jsonl",
                                                   "build.json"}
    for name in (paths.DICT, paths.MANIFEST, paths.SAMPLES):
        assert (lmdb_set / name).read_bytes() == (folder / name).read_bytes()


def test_first_and_last_keys_are_one_based(lmdb_set: Path, small_dataset: Callable[[str, int, int], Path]) -> None:
    folder = small_dataset("mixed", 150, 7)
    for split, labels in ((lmdb.TRAIN, paths.TRAIN_LABELS), (lmdb.VAL, paths.VAL_LABELS)):
        lines = (folder / labels).read_text(encoding="utf-8").splitlines()
        env = lmdb_package.open(str(lmdb_set / split), readonly=True, lock=False)
        with env.begin() as txn:
            assert int(txn.get(b"num-samples")) == len(lines)
            assert txn.get(b"image-000000000") is None and txn.get(b"label-000000000") is None
            for number in (1, len(lines)):
                path, label = lines[number - 1].split("\t")
                assert txn.get(b"label-%09d" % number).decode() == label
                assert txn.get(b"image-%09d" % number) == (folder / path).read_bytes()
            assert txn.get(b"label-%09d" % (len(lines) + 1)) is None
            assert txn.stat()["entries"] == 2 * len(lines) + 1
        env.close()


def test_paddleocr_lmdbdataset_reads_what_simpledataset_reads(
    ppocr: Path, lmdb_set: Path, small_dataset: Callable[[str, int, int], Path]
) -> None:
    folder = small_dataset("mixed", 150, 7)
    for split, labels in ((lmdb.TRAIN, paths.TRAIN_LABELS), (lmdb.VAL, paths.VAL_LABELS)):
        ours = _paddleocr("LMDBDataSet", lmdb_set / split)
        theirs = _paddleocr("SimpleDataSet", folder, folder / labels)
        assert len(ours) == len(theirs) > 0
        for (image, label), (expected_image, expected_label) in zip(ours, theirs):
            assert label == expected_label
            assert np.array_equal(image, expected_image)


def test_small_transactions_and_map_growth_keep_every_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lmdb, "TXN_SAMPLES", 7)
    monkeypatch.setattr(lmdb, "MAP_SIZE", 64 << 10)
    samples = [(bytes([n % 256]) * (5000 + n), f"ก{n}") for n in range(60)]
    with lmdb.LmdbWriter(tmp_path / "db") as writer:
        for png, label in samples:
            writer.add(png, label)
    assert list(lmdb.read_lmdb(tmp_path / "db")) == samples
    assert lmdb.count_samples(tmp_path / "db") == 60


def test_lmdb_shards_merge_to_the_single_lmdb_build(lmdb_set: Path, tmp_path: Path) -> None:
    config = make_config(count=150, seed=7)
    folders = [tmp_path / f"s{k}" for k in range(2)]
    for k, folder in enumerate(folders):
        build(config, folder, workers=1, progress=False, shard=Shard(k, 2), storage=Storage.LMDB)
    merge_shards(folders, tmp_path / "merged")
    for name in (paths.DICT, paths.MANIFEST, paths.SAMPLES, paths.STATE):
        assert (tmp_path / "merged" / name).read_bytes() == (lmdb_set / name).read_bytes()
    for split in lmdb.SPLITS:
        assert list(lmdb.read_lmdb(tmp_path / "merged" / split)) == list(lmdb.read_lmdb(lmdb_set / split))


def test_det_sets_are_not_written_as_lmdb(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="recognition sets"):
        build(make_config(task="det", count=2), tmp_path / "d", progress=False, storage=Storage.LMDB)


def test_training_config_reads_an_lmdb_set_with_lmdbdataset(ppocr: Path, lmdb_set: Path, tmp_path: Path) -> None:
    from ppocr.data.lmdb_dataset import LMDBDataSet

    from trainers.paddleocr.configs import Arch, Layout, TrainOptions, build_config, require_valid

    layout = Layout.of(lmdb_set)
    require_valid(layout, Arch.SVTR)
    config = build_config(layout, TrainOptions(Arch.SVTR, tmp_path / "run", use_gpu=False, batch_size=16))
    for mode, split in (("Train", lmdb.TRAIN), ("Eval", lmdb.VAL)):
        dataset = config[mode]["dataset"]
        assert dataset["name"] == "LMDBDataSet" and dataset["data_dir"] == str(lmdb_set / split)
        assert "label_file_list" not in dataset
    assert config["Global"]["eval_batch_step"][1] == lmdb.count_samples(lmdb_set / lmdb.TRAIN) // 16
    config["Eval"]["loader"]["shuffle"] = False
    first_label = next(lmdb.read_lmdb(lmdb_set / lmdb.VAL))[1]
    data = LMDBDataSet(config, "Eval", logging.getLogger("ppocr-lmdb-test"), seed=0)
    try:
        image, _ctc, _gtc, length, _ratio = data[0]  # through the config's own transforms
        assert image.shape == (3, 48, 320) and length == len(first_label)
    finally:
        for entry in data.lmdb_sets.values():
            entry["env"].close()


def test_an_lmdb_set_travels_as_channels_and_feeds_the_onnx_check(lmdb_set: Path, tmp_path: Path) -> None:
    from trainers.jobs import channels
    from trainers.jobs.entrypoint import sample_batch
    from trainers.paddleocr.configs import Arch, Layout, TrainOptions, build_config

    assert channels.unpack(lmdb_set, tmp_path / "unused") == lmdb_set  # a local run reads the folder itself
    tars = channels.pack(lmdb_set, tmp_path / "tars")
    dirs = {}
    for name, tar in tars.items():  # each channel arrives in its own folder
        (tmp_path / "in" / name).mkdir(parents=True)
        dirs[name] = channels.unpack(tar.rename(tmp_path / "in" / name / tar.name).parent, tmp_path / "work" / name)
    layout = Layout.of(dirs[channels.TRAIN], dirs[channels.VALIDATION])
    for split in lmdb.SPLITS:
        folder = (layout.train_dir if split == lmdb.TRAIN else layout.val_dir) / split
        assert list(lmdb.read_lmdb(folder)) == list(lmdb.read_lmdb(lmdb_set / split))
    config = build_config(layout, TrainOptions(Arch.CRNN, tmp_path / "run", use_gpu=False))
    assert config["Eval"]["dataset"]["data_dir"] == str(layout.val_dir / lmdb.VAL)
    batch = sample_batch(layout, Arch.CRNN, config)
    assert batch.shape[:3] == (8, 3, 32)


def test_lint_and_report_read_an_lmdb_set(lmdb_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from thaigen.cli import main

    assert main(["lint", str(lmdb_set)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"0 problem(s) in {lmdb_set}"
    assert main(["report", str(lmdb_set), "--out", str(tmp_path / "r"), "--samples", "8"]) == 0
    assert "(150 images" in capsys.readouterr().out
    page = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "mixed" in page and "light" in page  # samples.jsonl's records, matched to the LMDB samples
    from PIL import Image

    with Image.open(tmp_path / "r" / "contact_sheet.png") as sheet:
        row = np.asarray(sheet.convert("RGB"))[6:54].astype(int)
    placeholder = (row[..., 0] > 200) & (row[..., 1] < 60) & (row[..., 2] < 60)
    assert placeholder.mean() < 0.01 and (row.max(axis=-1) < 128).mean() > 0.01  # the LMDB's images, not red squares
    samples = list(lmdb.read_lmdb_set(lmdb_set))
    assert [(s.split, s.number) for s in samples[:1]] == [("train", 1)] and samples[0].key == "label-000000001"
    assert [(s.png, s.label) for s in samples if s.split == "val"] == list(lmdb.read_lmdb(lmdb_set / lmdb.VAL))


def test_lint_names_an_lmdb_sample_by_its_key(lmdb_set: Path, tmp_path: Path) -> None:
    from thaigen.inspect.lint import lint_dataset

    bad = tmp_path / "bad"
    png = next(lmdb.read_lmdb(lmdb_set / lmdb.TRAIN))[0]
    with lmdb.LmdbWriter(bad / lmdb.TRAIN) as writer:
        for image, label in ((png, "ก"), (png, " กZ"), (b"not a png", "ข")):
            writer.add(image, label)
    (bad / paths.DICT).write_text("ก\nข\n", encoding="utf-8")
    found = [(f.file.relative_to(bad).as_posix(), f.problem.split(":")[0]) for f in lint_dataset(bad)]
    assert found == [
        ("train/label-000000002", "label starts or ends with a space"),
        ("train/label-000000002", "characters not in the dictionary"),
        ("train/label-000000003", "image not readable (PaddleOCR substitutes a random sample)"),
    ]


def test_reading_lmdb_without_the_package_is_one_line(lmdb_set: Path) -> None:
    import subprocess
    import sys

    code = "import sys; sys.modules['lmdb'] = None; from thaigen.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run([sys.executable, "-c", code, "lint", str(lmdb_set)], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "LMDB" in result.stderr and "pip install -e '.[train]'" in result.stderr
