"""build --engine sagemaker-processing: the job request against moto in server mode on loopback, two container
entrypoints run side by side with two resource configs, their shards uploaded, collected and merged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from thaigen.cli import main
from thaigen.config.loading import make_config
from thaigen.errors import ConfigError, DatasetError
from thaigen.pipeline.build import Mode, Storage
from trainers.jobs import build_shard, processing
from trainers.jobs import sagemaker as sagemaker_job

ROLE = "arn:aws:iam::123456789012:role/thaigen-processing"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/thaigen-train:latest"
HOSTS = ["algo-1", "algo-2"]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def aws(moto_url: str) -> sagemaker_job.Clients:
    return sagemaker_job.clients("us-east-1", moto_url)


def _spec(bucket: str, name: str, count: int = 2) -> processing.ProcessingSpec:
    return processing.ProcessingSpec(name, IMAGE, ROLE, bucket, "runs", instance_count=count)


def _run_instances(request: Path, root: Path) -> list[Path]:
    """Each host's entrypoint as its own process, side by side; returns each host's output folder."""
    runs = []
    for host in HOSTS:
        (root / host).mkdir(parents=True)
        resources = root / host / "resourceconfig.json"
        resources.write_text(json.dumps({"current_host": host, "hosts": HOSTS}), encoding="utf-8")
        env = os.environ | {
            "THAIGEN_RESOURCE_CONFIG": str(resources),
            "THAIGEN_BUILD_REQUEST": str(request),
            "THAIGEN_PROCESSING_OUTPUT": str(root / host / "output"),
        }
        runs.append(subprocess.Popen([sys.executable, "-m", "trainers.jobs.build_shard"], env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT))  # fmt: skip
    for process in runs:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output
    return [root / host / "output" for host in HOSTS]


def test_launch_two_instances_build_collect_equals_a_local_build(
    aws: sagemaker_job.Clients, small_dataset: Callable[[str, int, int], Path], tmp_path: Path
) -> None:
    aws.s3.create_bucket(Bucket="shards")
    config, spec = make_config(count=150, seed=7), _spec("shards", "thaigen-build-1")
    processing.launch(spec, aws, config, Storage.FOLDER)
    request = processing.processing_request(spec, spec.uri("request") + "/")
    assert request["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 2
    job = aws.sagemaker.describe_processing_job(ProcessingJobName="thaigen-build-1")
    assert job["AppSpecification"]["ContainerEntrypoint"] == processing.ENTRYPOINT
    assert job["ProcessingInputs"][0]["S3Input"]["LocalPath"] == processing.REQUEST_DIR
    assert job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"] == {
        "S3Uri": "s3://shards/runs/datasets/thaigen-build-1/output", "LocalPath": processing.OUTPUT_DIR,
        "S3UploadMode": "EndOfJob",
    }  # fmt: skip
    tags = aws.sagemaker.list_tags(ResourceArn=job["ProcessingJobArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"project": "thaigen", "thaigen-run": "thaigen-build-1"}
    # What SageMaker does: the request object into each instance's input folder ...
    bucket, key = sagemaker_job.split_uri(spec.uri("request", build_shard.REQUEST_FILE))
    request_file = tmp_path / "input" / build_shard.REQUEST_FILE
    request_file.parent.mkdir()
    aws.s3.download_file(bucket, key, str(request_file))
    outputs = _run_instances(request_file, tmp_path / "hosts")
    assert [sorted(p.name for p in out.iterdir()) for out in outputs] == [["shard-00000-of-00002"], ["shard-00001-of-00002"]]
    # ... and each instance's output folder to the output prefix at the end of the job.
    bucket, prefix = sagemaker_job.split_uri(spec.uri("output"))
    for out in outputs:
        for path in (p for p in out.rglob("*") if p.is_file()):
            aws.s3.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(out)}")
    reports: list[str] = []
    sagemaker_job.wait(aws.sagemaker, spec.job_name, reports.append, poll_s=0, kind="processing")
    assert reports == ["thaigen-build-1: Completed / "]
    result = processing.collect(spec, aws, tmp_path / "merged", Mode.NEW)
    assert _tree(tmp_path / "merged") == _tree(small_dataset("mixed", 150, 7))
    assert result.manifest["counts"]["samples"] == 150


def test_a_host_reads_its_shard_from_the_resource_config(tmp_path: Path) -> None:
    config = tmp_path / "resourceconfig.json"
    config.write_text(json.dumps({"current_host": "algo-10", "hosts": [f"algo-{n}" for n in range(1, 11)]}))
    assert build_shard.host_shard(config).index == 9 and build_shard.host_shard(config).count == 10
    config.write_text(json.dumps({"current_host": "algo-3", "hosts": HOSTS}))
    with pytest.raises(DatasetError, match="not among hosts"):
        build_shard.host_shard(config)


def test_run_refuses_local_files_and_collects_nothing_from_an_empty_job(
    aws: sagemaker_job.Clients, tmp_path: Path
) -> None:
    aws.s3.create_bucket(Bucket="empty")
    corpus = tmp_path / "lines.txt"
    corpus.write_text("สวัสดี\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="corpus_files names local files"):
        processing.check_shippable(make_config(recipe="thai", sources={"corpus": 1}, corpus_files=[corpus]), 2)
    with pytest.raises(ConfigError, match="3 shards for a build of 2"):
        processing.check_shippable(make_config(count=100), 3)
    with pytest.raises(DatasetError, match="left no shard folders"):  # moto completes jobs at once, with no output
        processing.run(_spec("empty", "thaigen-build-2"), aws, make_config(count=100), tmp_path / "out", Mode.NEW,
                       Storage.FOLDER, poll_s=0)  # fmt: skip


def test_cli_needs_bucket_image_and_role(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["build", "--engine", "sagemaker-processing", "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.strip() == "thaigen: error: --bucket is required for --engine sagemaker-processing"
    assert main(["build", "--engine", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "unknown --engine 'nope'; known: local, ray, sagemaker-processing" in capsys.readouterr().err
