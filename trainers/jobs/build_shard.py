"""Container side of `build --engine sagemaker-processing`: build this instance's shard of the dataset.

Each instance of the Processing job finds itself in /opt/ml/config/resourceconfig.json (`current_host`'s
place in `hosts` is its shard index, `len(hosts)` the shard count), reads the build request the launcher
uploaded to /opt/ml/processing/input/config/, and builds its shard into
/opt/ml/processing/output/shard-K-of-N/, which SageMaker uploads to S3 when the job ends. Paths can be
overridden by environment variables (tests run two of these side by side in temporary folders).

    python -m trainers.jobs.build_shard        # what the Processing container runs
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thaigen.config.schema import GenConfig
from thaigen.errors import ConfigError, DatasetError, ThaigenError
from thaigen.pipeline.build import BuildResult, Mode, Storage, build
from thaigen.pipeline.shards import Shard

REQUEST_FILE = "build-request.json"
"""The launcher's build request: {"config": GenConfig as JSON, "storage": "folder" | "lmdb"}."""


@dataclass(frozen=True)
class ProcessingPaths:
    """SageMaker Processing's paths, each overridable by its environment variable."""

    resource_config: Path
    request: Path
    output_dir: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ProcessingPaths:
        """THAIGEN_RESOURCE_CONFIG, THAIGEN_BUILD_REQUEST, THAIGEN_PROCESSING_OUTPUT, else SageMaker's paths."""
        return cls(
            Path(env.get("THAIGEN_RESOURCE_CONFIG", "/opt/ml/config/resourceconfig.json")),
            Path(env.get("THAIGEN_BUILD_REQUEST", f"/opt/ml/processing/input/config/{REQUEST_FILE}")),
            Path(env.get("THAIGEN_PROCESSING_OUTPUT", "/opt/ml/processing/output")),
        )


def request(config: GenConfig, storage: Storage) -> dict[str, Any]:
    """The build request the launcher uploads (what `read_request` reads back)."""
    return {"config": config.model_dump(mode="json"), "storage": storage.value}


def read_request(path: Path) -> tuple[GenConfig, Storage]:
    """The config and storage of a build request.

    Raises:
        ConfigError: the file is missing or not a valid request.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return GenConfig.model_validate(data["config"]), Storage(data["storage"])
    except FileNotFoundError:
        raise ConfigError(f"build request not found: {path}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"build request {path} is not valid: {str(exc).splitlines()[0]}") from None


def host_shard(resource_config: Path) -> Shard:
    """This instance's shard: `current_host`'s index in `hosts` of SageMaker's resourceconfig.json.

    Raises:
        DatasetError: the file is missing or does not list the current host.
    """
    try:
        resources = json.loads(resource_config.read_text(encoding="utf-8"))
        hosts, current = list(resources["hosts"]), resources["current_host"]
    except (OSError, ValueError, KeyError) as exc:
        raise DatasetError(f"cannot read the instance's resource config {resource_config}: {exc}") from None
    if current not in hosts:
        raise DatasetError(f"{resource_config}: current_host {current!r} is not among hosts {hosts}")
    return Shard(hosts.index(current), len(hosts))


def build_shard(paths: ProcessingPaths, workers: int | None = None) -> BuildResult:
    """Build this instance's shard into the output folder (resuming what a previous attempt left there)."""
    config, storage = read_request(paths.request)
    shard = host_shard(paths.resource_config)
    out = paths.output_dir / shard.folder_name()
    return build(config, out, workers=workers, mode=Mode.RESUME, progress=False, shard=shard, storage=storage)


def main() -> int:
    """Container entry: build the shard; on failure print one line and exit 1 (SageMaker shows the log)."""
    try:
        result = build_shard(ProcessingPaths.from_env())
    except ThaigenError as problem:
        print(f"thaigen: error: {problem}", file=sys.stderr)
        return 1
    shard = result.manifest["shard"]
    print(f"built shard {shard['index']}/{shard['count']} (samples {shard['first']}-{shard['end'] - 1}) in {result.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
