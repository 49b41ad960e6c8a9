"""Whole builds: PaddleOCR layout, determinism across workers, resume after kill -9, refusals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import cv2
import pytest
from threadpoolctl import threadpool_info

from thaigen.config.loading import make_config
from thaigen.config.schema import GenConfig
from thaigen.dataset import paths
from thaigen.errors import DatasetError
from thaigen.inspect.lint import lint_dataset
from thaigen.pipeline.build import CHUNK_SIZE, Mode, build, one_thread
from thaigen.typeset.fonts import FontPool


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built") / "mixed"
    build(make_config(count=150, seed=7), out, workers=1, progress=False)
    return out


def test_layout_is_what_paddleocr_reads(built: Path) -> None:
    names = {p.name for p in built.iterdir()}
    assert names == {"images", "train.txt", "val.txt", "dict.txt", "manifest.json", "samples.jsonl", "build.json"}
    lines = (built / "train.txt").read_text(encoding="utf-8").splitlines()
    lines += (built / "val.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 150
    for line in lines:
        path, label = line.split("\t")
        assert (built / path).is_file() and label == label.strip() and label
        assert unicodedata.normalize("NFC", label) == label
    dictionary = (built / "dict.txt").read_text(encoding="utf-8").splitlines()
    assert dictionary == sorted(set(dictionary)) and " " not in dictionary
    assert set("".join(line.split("\t")[1] for line in lines)) - {" "} == set(dictionary)


def test_manifest_describes_the_data(built: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    samples = [json.loads(x) for x in (built / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    assert manifest["counts"]["samples"] == 150 == manifest["counts"]["train"] + manifest["counts"]["val"]
    assert manifest["seed"] == 7 and manifest["config"]["count"] == 150
    assert all(len(f["sha256"]) == 64 for f in manifest["fonts"])
    assert manifest["longest_label_code_points"] == max(len(s["label"]) for s in samples) <= 25
    assert sum(manifest["character_histogram"].values()) == sum(len(s["label"]) for s in samples)
    assert manifest["versions"]["raqm"] and manifest["paddleocr"]["use_space_char"] is True
    for key, field in (("by_preset", "preset"), ("by_background", "background"), ("by_category", "category")):
        assert sum(manifest["counts"][key].values()) == 150
        assert set(manifest["counts"][key]) == {s[field] for s in samples}


def test_no_tofu_every_run_drawn_by_a_covering_font(built: Path, pool: FontPool) -> None:
    fonts = {f.path.name: f for f in pool.thai + pool.fallbacks}
    for line in (built / "samples.jsonl").read_text(encoding="utf-8").splitlines():
        sample = json.loads(line)
        assert "".join(r["text"] for r in sample["runs"]) == sample["label"]
        for run in sample["runs"]:
            assert fonts[run["font"]].covers(run["text"]), (sample["index"], run)
            assert sample["label"][run["start"] : run["end"]] == run["text"]


def test_lint_finds_nothing_in_a_build(built: Path) -> None:
    assert lint_dataset(built) == []


@pytest.mark.slow
def test_same_bytes_with_one_or_two_workers(tmp_path: Path, small_config: GenConfig) -> None:
    build(small_config, tmp_path / "one", workers=1, progress=False)
    build(small_config, tmp_path / "two", workers=2, progress=False)
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")


def test_refuses_non_empty_folder_and_strangers(tmp_path: Path, small_config: GenConfig) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(DatasetError, match="not empty; pass --resume .* or --overwrite"):
        build(small_config, tmp_path, workers=1, progress=False)
    with pytest.raises(DatasetError, match="not a thaigen dataset folder"):
        build(small_config, tmp_path, workers=1, mode=Mode.OVERWRITE, progress=False)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_rebuild_is_up_to_date_and_overwrite_replaces(tmp_path: Path) -> None:
    small = make_config(count=10, seed=3)
    out = tmp_path / "d"
    assert not build(small, out, workers=1, progress=False).up_to_date
    assert build(small, out, workers=1, progress=False).up_to_date
    with pytest.raises(DatasetError, match="not empty"):
        build(make_config(count=12, seed=3), out, workers=1, progress=False)
    with pytest.raises(DatasetError, match=r"different config \(count: 10 -> 12\); rerun with --resume and no config options"):
        build(make_config(count=12, seed=3), out, workers=1, mode=Mode.RESUME, progress=False)
    with pytest.raises(DatasetError, match=r"\(recipe: \"mixed\" -> \"thai\"; .* [0-9]+ more\)"):
        build(make_config(recipe="thai", count=10, seed=3), out, workers=1, mode=Mode.RESUME, progress=False)
    build(make_config(count=12, seed=3), out, workers=1, mode=Mode.OVERWRITE, progress=False)
    assert len((out / "train.txt").read_text(encoding="utf-8").splitlines()) + len(
        (out / "val.txt").read_text(encoding="utf-8").splitlines()
    ) == 12


def test_a_folder_of_another_drawing_format_is_never_resumed(tmp_path: Path) -> None:
    """A half-built folder from a thaigen that drew other bytes (format 1 wrote no drawing_format) is not mixed in."""
    from thaigen.pipeline.sample import DRAWING_FORMAT

    small = make_config(count=10, seed=3)
    out = tmp_path / "d"
    manifest = build(small, out, workers=1, progress=False).manifest
    assert manifest["drawing_format"] == DRAWING_FORMAT == json.loads((out / paths.STATE).read_bytes())["drawing_format"]
    state = json.loads((out / paths.STATE).read_bytes())
    del state["drawing_format"]
    (out / paths.STATE).write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
    with pytest.raises(DatasetError, match=f"drawn in drawing format 1 and this thaigen draws format {DRAWING_FORMAT}"):
        build(small, out, workers=1, mode=Mode.RESUME, progress=False)
    assert not build(small, out, workers=1, mode=Mode.OVERWRITE, progress=False).up_to_date


@pytest.mark.slow
def test_resume_after_kill_gives_identical_bytes(tmp_path: Path) -> None:
    count = CHUNK_SIZE * 30
    reference = tmp_path / "reference"
    build(make_config(count=count, seed=11), reference, workers=2, progress=False)
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "thaigen", "build", "--count", str(count), "--seed", "11"]
    process = subprocess.Popen([*command, "--out", str(out), "--workers", "2", "--quiet"], start_new_session=True)
    parts = out / paths.PARTS
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not parts.is_dir() or len(list(parts.glob("*.jsonl"))) < 4):
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = len(list(parts.glob("*.jsonl")))
    assert 4 <= finished < 30, "the build must be killed mid-run for this test to mean anything"
    assert not (out / "manifest.json").exists()
    refused = subprocess.run([*command, "--out", str(out)], capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "--resume" in refused.stderr
    resumed = subprocess.run(
        [*command, "--out", str(out), "--resume", "--quiet"], capture_output=True, text=True, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    assert _tree(out) == _tree(reference)


def test_images_are_never_written_through_a_hard_link(tmp_path: Path) -> None:
    """Redrawing an image of a resumed chunk replaces the file; a merged dataset linking the old one keeps it."""
    from thaigen.dataset.atomic import write_in_place

    shard_image, merged_image = tmp_path / "shard.png", tmp_path / "merged.png"
    shard_image.write_bytes(b"drawn once")
    os.link(shard_image, merged_image)
    write_in_place(shard_image, b"drawn again")
    assert shard_image.read_bytes() == b"drawn again" and merged_image.read_bytes() == b"drawn once"
    write_in_place(tmp_path / "new.png", b"first")
    assert (tmp_path / "new.png").read_bytes() == b"first"


def _blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_samples_render_on_one_thread_and_the_caller_gets_its_threads_back() -> None:
    cv2.setNumThreads(2)
    blas = _blas_threads()
    with one_thread():
        assert cv2.getNumThreads() == 1
        assert _blas_threads() <= {1}
    assert cv2.getNumThreads() == 2 and _blas_threads() == blas


def test_an_empty_split_is_warned_at_build_time(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "thaigen", "build", "--count", "8", "--workers", "1", "--quiet"]
    result = subprocess.run([*command, "--val-fraction", "0", "--out", str(tmp_path / "d")], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0 and "(8 train, 0 val" in result.stdout
    assert result.stderr == (f"thaigen: warning: {tmp_path / 'd'}: the val split is empty (0 samples); `thaigen train` "
                             "will refuse it (change --count or --val-fraction)\n")
    both = subprocess.run([*command, "--out", str(tmp_path / "e")], capture_output=True, text=True, timeout=120,
                          check=False)
    assert both.returncode == 0 and both.stderr == ""
