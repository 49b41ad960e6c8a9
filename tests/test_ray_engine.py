"""The Ray engine on a local Ray (2 CPUs): the same bytes as a local build, shared path or gathered, retried."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from thaigen.config.loading import make_config
from thaigen.config.schema import GenConfig
from thaigen.pipeline.build import build, build_chunk
from thaigen.typeset.fonts import FontPool

ray = pytest.importorskip("ray")


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
    yield
    ray.shutdown()


def flaky_chunk(config: GenConfig, pool: FontPool, out: Path, start: int) -> int:
    """build_chunk that fails the first time it sees each chunk (a marker file in the shared tmp folder)."""
    marker = Path(config.corpus_files[0]).parent / f"failed-{start}" if config.corpus_files else None
    assert marker is not None
    if not marker.exists():
        marker.touch()
        raise RuntimeError(f"injected failure in chunk {start}")
    return build_chunk(config, pool, out, start)


def test_ray_build_equals_local_build(
    local_ray: None, small_dataset: Callable[[str, int, int], Path], tmp_path: Path
) -> None:
    from thaigen.pipeline.ray_engine import ray_engine

    build(make_config(count=150, seed=7), tmp_path / "ray", progress=False, engine=ray_engine())
    assert _tree(tmp_path / "ray") == _tree(small_dataset("mixed", 150, 7))


def test_gathered_and_retried_chunks_give_the_same_bytes(local_ray: None, tmp_path: Path) -> None:
    from thaigen.pipeline.ray_engine import ray_engine

    corpus = tmp_path / "flags" / "lines.txt"
    corpus.parent.mkdir()
    corpus.write_text("สวัสดีครับ\nราคา 120 บาท\nกรุงเทพมหานคร\n", encoding="utf-8")
    config = make_config(recipe="thai", count=100, seed=3, sources={"corpus": 1}, corpus_files=[corpus])
    build(config, tmp_path / "local", workers=1, progress=False)
    build(config, tmp_path / "gathered", progress=False, engine=ray_engine(gather=True, runner=flaky_chunk))
    assert sorted(p.name for p in corpus.parent.iterdir()) == ["failed-0", "failed-64", "lines.txt"]  # each failed once
    assert _tree(tmp_path / "gathered") == _tree(tmp_path / "local")
