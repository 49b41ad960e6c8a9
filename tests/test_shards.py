"""Shards (`build --shard K/N`) and their merge: the same bytes as one build, rec and det; resume per shard."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from thaigen.cli import main
from thaigen.config.loading import make_config
from thaigen.config.schema import GenConfig
from thaigen.dataset import paths
from thaigen.errors import ConfigError, DatasetError
from thaigen.pipeline.build import Mode, build, build_chunk, chunk_starts
from thaigen.pipeline.merge_shards import merge_shards
from thaigen.pipeline.shards import Shard
from thaigen.typeset.fonts import FontPool


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _shards(config: GenConfig, root: Path, count: int) -> list[Path]:
    folders = [root / Shard(k, count).folder_name() for k in range(count)]
    for k, folder in enumerate(folders):
        build(config, folder, workers=1, progress=False, shard=Shard(k, count))
    return folders


def test_shards_are_contiguous_runs_of_whole_chunks() -> None:
    config = make_config(count=1000)
    starts = chunk_starts(config)
    for n in (1, 2, 3, 7, len(starts)):
        runs = [chunk_starts(config, Shard(k, n)) for k in range(n)]
        assert [s for run in runs for s in run] == starts
        assert max(map(len, runs)) - min(map(len, runs)) <= 1
    assert Shard.parse("2/5") == Shard(2, 5)
    for bad in ("5/5", "-1/2", "1", "a/b", "0/0"):
        with pytest.raises(ConfigError, match="K/N"):
            Shard.parse(bad)
    with pytest.raises(ConfigError, match="17 shards"):
        chunk_starts(config, Shard(0, 17))


def test_rec_shards_merge_to_the_single_build(small_dataset: Callable[[str, int, int], Path], tmp_path: Path) -> None:
    single = small_dataset("mixed", 150, 7)
    folders = _shards(make_config(count=150, seed=7), tmp_path, 3)
    manifests = [json.loads((f / paths.MANIFEST).read_text(encoding="utf-8")) for f in folders]
    assert [m["shard"] for m in manifests] == [
        {"index": 0, "count": 3, "first": 0, "end": 64},
        {"index": 1, "count": 3, "first": 64, "end": 128},
        {"index": 2, "count": 3, "first": 128, "end": 150},
    ]
    assert sum(m["counts"]["samples"] for m in manifests) == 150
    result = merge_shards(folders[::-1], tmp_path / "merged")  # any order given
    assert _tree(tmp_path / "merged") == _tree(single)  # labels, dict, images, samples.jsonl, manifest, build.json
    assert "shard" not in result.manifest and not result.up_to_date
    assert merge_shards(folders, tmp_path / "merged").up_to_date


def test_det_shards_with_crops_merge_to_the_single_build(tmp_path: Path) -> None:
    config = make_config(task="det", count=20, seed=3, page={"crops": True})
    build(config, tmp_path / "single", workers=2, progress=False)
    folders = _shards(config, tmp_path / "shards", 2)
    assert main(["merge", *map(str, folders), "--out", str(tmp_path / "merged")]) == 0
    merged, single = _tree(tmp_path / "merged"), _tree(tmp_path / "single")
    assert any(name.startswith("crops/images/") for name in single)
    assert merged == single


def test_an_interrupted_shard_resumes_to_the_same_bytes(tmp_path: Path, pool: FontPool) -> None:
    config, shard = make_config(count=200, seed=5), Shard(1, 2)

    def first_chunk_then_kill(pending: list[int], cfg: GenConfig, fonts: FontPool, out: Path) -> Iterator[int]:
        yield build_chunk(cfg, fonts, out, pending[0])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build(config, tmp_path / "killed", progress=False, shard=shard, engine=first_chunk_then_kill)
    assert len(list((tmp_path / "killed" / paths.PARTS).iterdir())) == 1
    with pytest.raises(DatasetError, match="not empty"):
        build(config, tmp_path / "killed", progress=False, shard=shard)
    with pytest.raises(DatasetError, match="different config"):
        build(config, tmp_path / "killed", progress=False, shard=Shard(0, 2), mode=Mode.RESUME)
    build(config, tmp_path / "killed", workers=1, progress=False, shard=shard, mode=Mode.RESUME)
    build(config, tmp_path / "clean", workers=1, progress=False, shard=shard)
    assert _tree(tmp_path / "killed") == _tree(tmp_path / "clean")


def test_merge_refuses_what_is_not_one_whole_set_of_shards(
    small_dataset: Callable[[str, int, int], Path], tmp_path: Path
) -> None:
    config = make_config(count=130, seed=1)
    a, b, c = _shards(config, tmp_path, 3)
    with pytest.raises(DatasetError, match=r"missing shard\(s\) \[1\]"):
        merge_shards([a, c], tmp_path / "out")
    with pytest.raises(DatasetError, match="given twice"):
        merge_shards([a, b, b, c], tmp_path / "out")
    other = tmp_path / "other"
    build(make_config(count=130, seed=2), other, workers=1, progress=False, shard=Shard(1, 3))
    with pytest.raises(DatasetError, match="different builds"):
        merge_shards([a, other, c], tmp_path / "out")
    with pytest.raises(DatasetError, match="whole build, not a shard"):
        merge_shards([small_dataset("mixed", 150, 7)], tmp_path / "out")
    (c / paths.MANIFEST).unlink()
    with pytest.raises(DatasetError, match="not finished"):
        merge_shards([a, b, c], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_builds_a_shard_and_says_which(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s"
    assert main(["build", "--count", "70", "--shard", "1/2", "--out", str(out), "--quiet", "--workers", "1"]) == 0
    assert "shard 1/2 (samples 64-69)" in capsys.readouterr().out
    assert main(["build", "--count", "70", "--shard", "2/2", "--out", str(out), "--quiet"]) == 2
    assert "--shard must be K/N" in capsys.readouterr().err
