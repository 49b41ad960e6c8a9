"""The converted storages (`build --format webdataset|hf|tesstrain|doctr`), built as a user runs them (relative --out)
and read back by each format's own reader: the same labels, images and records as the folder build of the config."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import tarfile
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from thaigen.dataset import hf, paths
from thaigen.dataset.formats import line_format
from thaigen.dataset.labels import read_labels
from thaigen.dataset.lines import read_line_samples
from thaigen.dataset.webdataset import read_webdataset_labels, shard_files, write_webdataset
from thaigen.inspect.lint import lint_dataset

COUNT, SEED = 40, 3
FORMATS = ["webdataset", "hf", "tesstrain"]
"""The converted formats, in the order they were added."""


def thaigen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m thaigen ARGS` in `cwd` (default: the current folder), as a user runs it."""
    command = [sys.executable, "-m", "thaigen", *args]
    return subprocess.run(command, check=False, cwd=cwd, capture_output=True, text=True, timeout=600)


def build(fmt: str, out: str, *extra: str) -> Path:
    """Build the test config in format `fmt` into the relative folder `out` (in the current folder)."""
    done = thaigen(
        "build", "--format", fmt, "--count", str(COUNT), "--seed", str(SEED), "--out", out, "--quiet", *extra
    )
    assert done.returncode == 0, done.stderr
    return Path(out)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder build of the test config: what every format must hold."""
    root = tmp_path_factory.mktemp("formats")
    done = thaigen("build", "--count", str(COUNT), "--seed", str(SEED), "--out", "folder", "--quiet", cwd=root)
    assert done.returncode == 0, done.stderr
    return root / "folder"


def folder_samples(folder: Path) -> dict[str, list[tuple[str, str, bytes]]]:
    """split -> [(8-digit key, label, PNG bytes)] of the folder build, in label-file order."""
    found: dict[str, list[tuple[str, str, bytes]]] = {}
    for split, name in (("train", paths.TRAIN_LABELS), ("val", paths.VAL_LABELS)):
        found[split] = [
            (Path(line.path).stem, str(line.label), (folder / line.path).read_bytes())
            for line in read_labels(folder / name)
        ]
    return found


def folder_records(folder: Path) -> dict[str, str]:
    """8-digit key -> the sample's samples.jsonl line (no newline)."""
    lines = (folder / paths.SAMPLES).read_text(encoding="utf-8").splitlines()
    return {f"{json.loads(line)['index']:08d}": line for line in lines}


# webdataset 1.0.2 leaves each shard's file for the garbage collector to close, even when read to the end
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <_io.FileIO name=.*tar:pytest.PytestUnraisableExceptionWarning"
)
def test_webdataset_reads_back_with_webdataset(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wds = pytest.importorskip("webdataset")
    monkeypatch.chdir(tmp_path)
    out = build("webdataset", "rel/path/wds")
    assert [p.name for p in shard_files(out)] == ["train-000000.tar", "val-000000.tar"]
    assert not (out / paths.IMAGES).exists() and not (out / paths.TRAIN_LABELS).exists()
    records = folder_records(folder)
    for split, expected in folder_samples(folder).items():
        read = list(wds.WebDataset([str(p) for p in out.glob(f"{split}-*.tar")], shardshuffle=False))
        assert [(s["__key__"], s["txt"].decode("utf-8"), s["png"]) for s in read] == expected
        assert all(s["json"].decode("utf-8") == records[s["__key__"]] for s in read)
    with tarfile.open(out / "train-000000.tar") as tar:
        assert {(m.mtime, m.uid, m.gid, m.uname, m.mode) for m in tar} == {(0, 0, 0, "", 0o644)}
    assert json.loads((out / paths.MANIFEST).read_text())["storage"]["shards"]["val"] == ["val-000000.tar"]


def test_webdataset_shards_stay_within_their_bound(folder: Path, tmp_path: Path) -> None:
    bound = 64 << 10
    written = write_webdataset(tmp_path, read_line_samples(folder), max_bytes=bound)
    shards = shard_files(tmp_path)
    assert len(written["shards"]["train"]) > 2 and [p.name for p in shards] == [
        *written["shards"]["train"],
        *written["shards"]["val"],
    ]
    assert all(p.stat().st_size <= bound for p in shards)
    labels = [label for _, label in read_webdataset_labels(tmp_path)]
    assert labels == [label for split in folder_samples(folder).values() for _, label, _ in split]


@pytest.fixture
def offline_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """`datasets`, offline and caching under tmp_path (skips when the hf extra is not installed)."""
    for name, value in (("HF_DATASETS_OFFLINE", "1"), ("HF_HUB_OFFLINE", "1"), ("HF_HOME", str(tmp_path / "hf"))):
        monkeypatch.setenv(name, value)
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)  # in case it was imported before
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    datasets.disable_progress_bars()
    return datasets


def test_hf_loads_with_datasets(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline_datasets: object
) -> None:
    datasets: Any = offline_datasets
    monkeypatch.chdir(tmp_path)
    out = build("hf", "rel/path/hf")
    assert [p.name for p in hf.shard_files(out)] == [
        "train-00000-of-00001.parquet",
        "validation-00000-of-00001.parquet",
    ]
    expected = folder_samples(folder)
    for loaded in (
        datasets.load_dataset("parquet", data_dir=str(out), cache_dir=str(tmp_path / "cache1")),
        datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache2")),  # through the card's configs
    ):
        assert sorted(loaded) == ["train", "validation"]
        assert isinstance(loaded["train"].features["image"], datasets.Image)
        for split, name in (("train", "train"), ("val", "validation")):
            raw = loaded[name].cast_column("image", datasets.Image(decode=False))
            got = [(f"{r['index']:08d}", r["text"], r["image"]["bytes"]) for r in raw]
            assert got == expected[split]
        assert loaded["validation"][0]["image"].size[1] == 48  # decodes as a PIL image
    card = (out / hf.CARD).read_text(encoding="utf-8")
    manifest = json.loads((out / paths.MANIFEST).read_text(encoding="utf-8"))
    assert card.startswith("---\nconfigs:") and f'"config_digest": "{manifest["config_digest"]}"' in card
    assert manifest["storage"]["files"]["validation"] == ["data/validation-00000-of-00001.parquet"]


def test_hf_shards_stay_within_their_bound(folder: Path, tmp_path: Path) -> None:
    bound = 64 << 10
    written = hf.write_hf(tmp_path, read_line_samples(folder), {}, max_bytes=bound)
    shards = hf.shard_files(tmp_path)
    assert len(written["files"]["train"]) > 2
    assert [f"data/{p.name}" for p in shards] == [*written["files"]["train"], *written["files"]["validation"]]
    assert all(
        p.stat().st_size <= bound + (8 << 10) for p in shards
    )  # the bound is on the payload; Parquet adds < 8 kB
    labels = [label for _, label in hf.read_hf_labels(tmp_path)]
    assert labels == [label for split in folder_samples(folder).values() for _, label, _ in split]


def tesseract_tha() -> str | None:
    """Why Debian's tesseract with its Thai model cannot run here (None: it can)."""
    if shutil.which("tesseract") is None:
        return "tesseract is not installed (bash scripts/setup.sh test installs tesseract-ocr + tesseract-ocr-tha)"
    langs = subprocess.run(["tesseract", "--list-langs"], check=False, capture_output=True, text=True).stdout.split()
    return None if "tha" in langs else "tesseract has no tha model (apt-get install tesseract-ocr-tha)"


def test_tesstrain_ground_truth_makes_lstmf_files(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = build("tesstrain", "rel/path/tt")
    for split, expected in folder_samples(folder).items():
        truth = sorted((out / split).glob("*.gt.txt"))
        assert [p.name.removesuffix(".gt.txt") for p in truth] == [key for key, _, _ in expected]
        assert [p.read_bytes() for p in truth] == [f"{label}\n".encode() for _, label, _ in expected]
        assert [(out / split / f"{key}.png").read_bytes() for key, _, _ in expected] == [png for _, _, png in expected]
    assert not (out / paths.IMAGES).exists() and not (out / paths.TRAIN_LABELS).exists()
    if problem := tesseract_tha():
        pytest.skip(problem)
    for gt in sorted((out / "train").glob("*.gt.txt"))[:3]:
        image, base = gt.with_name(gt.name.replace(".gt.txt", ".png")), gt.with_name(gt.name.removesuffix(".gt.txt"))
        with Image.open(image) as opened:
            width, height = opened.size
        label = unicodedata.normalize("NFC", gt.read_text(encoding="utf-8").strip())
        # the WordStr box tesstrain's generate_wordstr_box.py writes for a line (what its Makefile feeds tesseract)
        base.with_suffix(".box").write_text(f"WordStr 0 0 {width} {height} 0 #{label}\n\t 0 0 {width} {height} 0\n")
        done = subprocess.run(
            ["tesseract", str(image), str(base), "-l", "tha", "--psm", "13", "lstm.train"],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert base.with_suffix(".lstmf").stat().st_size > 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_bytes_for_any_worker_count(fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two chunks built by one worker and by two: every file the same bytes (written after the merge)."""
    monkeypatch.chdir(tmp_path)
    one = build(fmt, "one", "--count", "70", "--workers", "1")
    two = build(fmt, "two", "--count", "70", "--workers", "2")
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert [(one / f).read_bytes() == (two / f).read_bytes() for f in files] == [True] * len(files)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_det_set_in_a_line_format_is_one_line_naming_it(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    done = thaigen("build", "--task", "det", "--format", fmt, "--count", "2", "--out", "pages", "--quiet")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and f"--format {fmt} writes recognition sets" in done.stderr
    assert "--task rec" in done.stderr and not Path("pages").exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_shard_in_a_whole_build_format_is_one_line_naming_it(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    done = thaigen("build", "--format", fmt, "--shard", "0/2", "--count", "2", "--out", "half", "--quiet")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert f"--format {fmt} is written from a whole build; leave out --shard" in done.stderr


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One set of the test config per converted format, for lint and report (built on first use)."""
    root = tmp_path_factory.mktemp("converted")
    return {
        fmt: root / fmt
        for fmt in FORMATS
        if thaigen(
            "build", "--format", fmt, "--count", str(COUNT), "--seed", str(SEED), "--out", fmt, "--quiet", cwd=root
        ).returncode
        == 0
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_lint_reads_each_formats_labels_back(fmt: str, converted: dict[str, Path], folder: Path) -> None:
    target = converted[fmt]
    kind = line_format(target)
    assert kind is not None and kind.name == fmt
    assert [label for _, label in kind.labels(target)] == [
        label for split in folder_samples(folder).values() for _, label, _ in split
    ]
    assert lint_dataset(target) == lint_dataset(folder) == []
    done = thaigen("lint", str(target))
    assert done.returncode == 0, done.stderr
    assert f"a build --format {fmt} set" in done.stdout and "0 problem(s)" in done.stdout


@pytest.fixture(scope="module")
def folder_report(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`thaigen report` of the folder build (what each converted set's report is held to)."""
    out = tmp_path_factory.mktemp("folder-report")
    done = thaigen("report", str(folder), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def _sections(report: Path) -> str:
    """report.html after its first line of text (which names the dataset's path)."""
    return report.read_text(encoding="utf-8").split("</p>", 1)[1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_draws_each_format_as_it_draws_the_folder_build(
    fmt: str, converted: dict[str, Path], folder_report: Path, tmp_path: Path
) -> None:
    """The same samples in the same order, read back from the shards, rows or files: the same contact sheet, byte
    for byte (each image re-read from its shard member or row), and the same counts, fonts, presets and sizes."""
    done = thaigen("report", str(converted[fmt]), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"({COUNT} images" in done.stdout
    assert (tmp_path / "contact_sheet.png").read_bytes() == (folder_report / "contact_sheet.png").read_bytes()
    assert _sections(tmp_path / "report.html") == _sections(folder_report / "report.html")
    assert "Augmentation preset" in _sections(tmp_path / "report.html")


def test_lint_finds_a_bad_label_in_a_converted_set(folder: Path, tmp_path: Path) -> None:
    """A label with a trailing space, written into shards: lint names its shard member."""
    lines = list(read_line_samples(folder))
    short = min(range(len(lines)), key=lambda i: len(lines[i].label))  # room for one more code point
    lines[short] = dataclasses.replace(lines[short], label=lines[short].label + " ")
    write_webdataset(tmp_path, lines)
    for name in (paths.DICT, paths.MANIFEST):
        shutil.copy(folder / name, tmp_path / name)
    findings = lint_dataset(tmp_path)
    assert [(f.file.name, f.problem) for f in findings] == [
        (f"{lines[short].key}.txt", "label starts or ends with a space: PaddleOCR keeps it")
    ]
