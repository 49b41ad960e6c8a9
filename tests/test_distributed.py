"""Training beyond one GPU: the job request (InstanceCount, against moto), the hosts from resourceconfig.json,
the scaled learning rate and the paddle.distributed.launch command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

from thaigen.errors import ConfigError, DatasetError
from trainers.jobs import distributed
from trainers.jobs import sagemaker as sagemaker_job
from trainers.jobs.entrypoint import train_command

ROLE = "arn:aws:iam::123456789012:role/thaigen-training"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/thaigen-train:latest"
IPS = {"algo-1": "10.0.0.11", "algo-2": "10.0.0.12", "algo-3": "10.0.0.13"}


def _resources(tmp_path: Path, current: str, hosts: list[str]) -> Path:
    path = tmp_path / distributed.RESOURCE_FILE
    path.write_text(json.dumps({"current_host": current, "hosts": hosts, "network_interface_name": "eth0"}))
    return path


def test_create_training_job_asks_for_every_instance(moto_url: str) -> None:
    aws = sagemaker_job.clients("us-east-1", moto_url)
    args = argparse.Namespace(arch="svtr", bucket="b", image_uri=IMAGE, role_arn=ROLE, prefix="runs",
                              instance_type="ml.g5.12xlarge", instance_count=3, on_demand=True, max_run_hours=1.0)
    spec = sagemaker_job.JobSpec.from_args(args, {"arch": "svtr"})
    uris = {"train": "s3://b/runs/channels/x/train/", "validation": "s3://b/runs/channels/x/validation/"}
    aws.sagemaker.create_training_job(**sagemaker_job.training_request(spec, uris))
    described = aws.sagemaker.describe_training_job(TrainingJobName=spec.job_name)
    assert described["ResourceConfig"]["InstanceCount"] == 3
    assert described["ResourceConfig"]["InstanceType"] == "ml.g5.12xlarge"
    assert {c["DataSource"]["S3DataSource"]["S3DataDistributionType"] for c in described["InputDataConfig"]} == {
        "FullyReplicated"  # every host reads the whole set; PaddleOCR's DistributedBatchSampler splits it
    }
    with pytest.raises(ConfigError, match="--instance-count must be at least 1"):
        sagemaker_job.JobSpec.from_args(argparse.Namespace(**(vars(args) | {"instance_count": 0})), {})


def test_three_hosts_of_four_gpus_launch_on_every_ip(tmp_path: Path) -> None:
    cluster = distributed.Cluster.read(_resources(tmp_path, "algo-2", ["algo-1", "algo-2", "algo-3"]), 4)
    assert cluster.world_size == 12 and not cluster.leader
    source, config = tmp_path / "PaddleOCR", tmp_path / "train_config.yml"
    assert train_command(source, config, cluster, IPS.__getitem__) == [
        sys.executable, "-m", "paddle.distributed.launch", "--ips", "10.0.0.11,10.0.0.12,10.0.0.13",
        "--gpus", "0,1,2,3", str(source / "tools" / "train.py"), "-c", str(config),
    ]  # fmt: skip
    assert distributed.scaled_learning_rate(0.0005, cluster) == pytest.approx(0.006)
    stated = distributed.describe(cluster, 128, 0.0005)
    assert stated["global_batch"] == 1536 and stated["batch_per_gpu"] == 128
    assert stated["learning_rate"] == pytest.approx(0.006) and "linear" in str(stated["rule"])


def test_one_host_runs_plain_or_on_its_gpus(tmp_path: Path) -> None:
    source, config = tmp_path / "PaddleOCR", tmp_path / "c.yml"
    single = distributed.Cluster.read(tmp_path / "absent.json", 1)  # local runs: no resource config
    assert single.leader and single.world_size == 1
    assert train_command(source, config, single) == [sys.executable, str(source / "tools/train.py"), "-c", str(config)]
    assert distributed.scaled_learning_rate(0.001, single) == 0.001
    eight = distributed.Cluster.read(_resources(tmp_path, "algo-1", ["algo-1"]), 8)
    assert eight.leader and train_command(source, config, eight)[1:6] == [
        "-m", "paddle.distributed.launch", "--gpus", "0,1,2,3,4,5,6,7", str(source / "tools/train.py")
    ]
    with pytest.raises(DatasetError, match="not among hosts"):
        distributed.Cluster.read(_resources(tmp_path, "algo-9", ["algo-1"]), 1)
