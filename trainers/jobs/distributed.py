"""Training beyond one GPU: the job's hosts and GPUs, the scaled batch and learning rate, the launch command.

SageMaker writes /opt/ml/input/config/resourceconfig.json on every host of a training job (`current_host`,
`hosts`); each host runs the same entrypoint, which starts PaddleOCR's tools/train.py under
`python -m paddle.distributed.launch --ips <every host's IP> --gpus 0,..,G-1` (one process per GPU; the
launcher finds its own rank by its IP among `--ips`). One host with several GPUs needs no `--ips`.

Scaling rule: the batch per GPU stays as asked (`batch_size_per_card`), so the global batch is
batch x GPUs, and the peak learning rate grows linearly with the number of GPUs (lr x GPUs; the cosine
schedule and its warm-up are unchanged). Only the first host (rank 0) saves weights, so only it exports.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from thaigen.errors import DatasetError

RESOURCE_FILE = "resourceconfig.json"
"""Beside hyperparameters.json in /opt/ml/input/config/."""


@dataclass(frozen=True)
class Cluster:
    """The hosts of a training job, this host among them, and GPUs per host (0: CPU)."""

    hosts: tuple[str, ...] = ("localhost",)
    current: str = "localhost"
    gpus_per_host: int = 1

    @classmethod
    def read(cls, resource_config: Path, gpus_per_host: int) -> Cluster:
        """From SageMaker's resourceconfig.json; a single host when the file is absent (local runs).

        Raises:
            DatasetError: the file does not parse or does not list the current host.
        """
        if not resource_config.is_file():
            return cls(gpus_per_host=gpus_per_host)
        try:
            resources = json.loads(resource_config.read_text(encoding="utf-8"))
            hosts, current = tuple(resources["hosts"]), str(resources["current_host"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"cannot read the job's resource config {resource_config}: {exc}") from None
        if current not in hosts:
            raise DatasetError(f"{resource_config}: current_host {current!r} is not among hosts {list(hosts)}")
        return cls(hosts, current, gpus_per_host)

    @property
    def world_size(self) -> int:
        """Training processes in the whole job: one per GPU (one per host on CPU)."""
        return len(self.hosts) * max(1, self.gpus_per_host)

    @property
    def leader(self) -> bool:
        """Whether this host holds rank 0 (the one that saves weights, exports and writes the model)."""
        return self.current == self.hosts[0]


def scaled_learning_rate(learning_rate: float, cluster: Cluster) -> float:
    """The peak learning rate for the whole job: linear in the number of GPUs."""
    return learning_rate * cluster.world_size


def describe(cluster: Cluster, batch_per_gpu: int, base_rate: float) -> dict[str, object]:
    """What the model card and log state about the scaling."""
    return {
        "hosts": len(cluster.hosts),
        "gpus_per_host": cluster.gpus_per_host,
        "world_size": cluster.world_size,
        "batch_per_gpu": batch_per_gpu,
        "global_batch": batch_per_gpu * cluster.world_size,
        "base_learning_rate": base_rate,
        "learning_rate": scaled_learning_rate(base_rate, cluster),
        "rule": "batch per GPU fixed; learning rate linear in GPUs (lr x world_size)",
    }


def launch_prefix(cluster: Cluster, resolve: Callable[[str], str] = socket.gethostbyname) -> list[str]:
    """What goes before tools/train.py: nothing for one process, else paddle.distributed.launch with
    `--ips` (every host's IP, in `hosts` order; omitted on one host) and `--gpus`."""
    if cluster.world_size == 1:
        return [sys.executable]
    command = [sys.executable, "-m", "paddle.distributed.launch"]
    if len(cluster.hosts) > 1:
        command += ["--ips", ",".join(resolve(host) for host in cluster.hosts)]
    if cluster.gpus_per_host > 0:
        command += ["--gpus", ",".join(str(n) for n in range(cluster.gpus_per_host))]
    return command


def gpu_count() -> int:
    """GPUs paddle sees on this host."""
    from trainers.inference.paddle_backend import import_paddle

    return int(import_paddle().device.cuda.device_count())
