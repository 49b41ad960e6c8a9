"""The Ray engine (`build --engine ray`): one Ray task per chunk on any Ray cluster, retried when it fails.

Each task renders its chunk with `build_chunk`, exactly as a local worker does, so the bytes are the same.
Two ways to get the files back:

- shared path (default): tasks write straight into `out`, which every node must see at the same path
  (NFS, a shared volume; on one machine any folder);
- gather (`--gather`): tasks render into a temporary folder on their node and return the chunk's files;
  the driver writes them into `out`, images first and the chunk's record last (so --resume stays exact).

Needs `pip install 'thaigen[ray]'`; the cluster's nodes need thaigen and the same fonts at the same paths.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from thaigen.config.schema import GenConfig
from thaigen.dataset import paths
from thaigen.dataset.atomic import atomic_bytes
from thaigen.errors import EnvironmentProblem
from thaigen.pipeline.build import Engine, build_chunk
from thaigen.typeset.fonts import FontPool

MAX_RETRIES = 3
"""Times Ray reruns a chunk whose task raised or whose worker died."""

ChunkRunner = Callable[[GenConfig, FontPool, Path, int], int]
"""What a task runs for one chunk (build_chunk; tests pass a flaky wrapper around it)."""


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise EnvironmentProblem("--engine ray needs Ray: pip install -e '.[ray]'") from None
    return ray


def _shared(runner: ChunkRunner, config: GenConfig, pool: FontPool, out: str, start: int) -> int:
    return runner(config, pool, Path(out), start)


def _gathered(runner: ChunkRunner, config: GenConfig, pool: FontPool, start: int) -> tuple[int, dict[str, bytes]]:
    with tempfile.TemporaryDirectory(prefix="thaigen-chunk-") as work:
        root = Path(work)
        (root / paths.PARTS).mkdir()
        count = runner(config, pool, root, start)
        files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    return count, files


def _write_gathered(out: Path, start: int, files: dict[str, bytes]) -> None:
    """Write a chunk's returned files into `out`, its record file last."""
    record = str(paths.part_path(Path("."), start))
    for name in sorted(files, key=lambda n: n == record):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        atomic_bytes(out / name, files[name])


def ray_engine(
    address: str | None = None,
    *,
    gather: bool = False,
    max_retries: int = MAX_RETRIES,
    runner: ChunkRunner = build_chunk,
) -> Engine:
    """An engine running one Ray task per chunk.

    Args:
        address: the cluster (`ray://host:10001`, `auto`); None: RAY_ADDRESS, else a new local Ray.
            A Ray already initialised in this process is used as it is.
        gather: return each chunk's files to the driver instead of writing to a shared `out`.
        max_retries: reruns of a failed chunk (an exception or a lost worker).
        runner: the per-chunk function (build_chunk).
    """

    def run(pending: list[int], config: GenConfig, pool: FontPool, out: Path) -> Iterator[int]:
        ray = _ray()
        started = not ray.is_initialized()
        if started:
            ray.init(address=address, log_to_driver=False)
        try:
            options = {"max_retries": max_retries, "retry_exceptions": True}
            config_ref, pool_ref = ray.put(config), ray.put(pool)
            if gather:
                task = ray.remote(_gathered).options(**options)
                futures = [task.remote(runner, config_ref, pool_ref, start) for start in pending]
            else:
                task = ray.remote(_shared).options(**options)
                futures = [task.remote(runner, config_ref, pool_ref, str(out.resolve()), start) for start in pending]
            starts = dict(zip(futures, pending))
            while futures:
                done, futures = ray.wait(futures, num_returns=1)
                result = ray.get(done[0])
                if gather:
                    count, files = result
                    _write_gathered(out, starts[done[0]], files)
                    yield count
                else:
                    yield result
        finally:
            if started:
                ray.shutdown()

    return run
