"""`build --engine sagemaker-processing`: one SageMaker Processing job of N instances builds N shards, then
the launcher downloads them and merges them into the output folder (the same bytes as a local build).

The build request goes to S3 as the job's one input; each instance runs trainers/jobs/build_shard.py
(same image as training, trainers/jobs/Dockerfile) and writes /opt/ml/processing/output/shard-K-of-N/,
uploaded by the job's one ProcessingOutput at the end. boto3 clients are passed in (trainers.jobs.sagemaker
Clients), so tests run the whole flow against a local AWS-speaking server; every AWS call goes through
trainers.aws.calls (a failure, no credentials included, is one line naming the call and the resource).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thaigen.cli import Launcher
from thaigen.config.schema import GenConfig
from thaigen.errors import ConfigError, DatasetError
from thaigen.pipeline.build import BuildResult, Mode, Storage, chunk_starts
from thaigen.pipeline.merge_shards import merge_shards
from thaigen.pipeline.shards import Shard
from trainers.aws.calls import call, pages
from trainers.aws.tags import Kind, object_tagging, resource_tags
from trainers.aws.tags import uri as s3_uri
from trainers.jobs import build_shard
from trainers.jobs.sagemaker import Clients, clients, job_stamp, split_uri, wait

DEFAULT_INSTANCE = "ml.c5.2xlarge"
"""8 vCPUs, no GPU: building is CPU work (one worker process per core)."""
REQUEST_DIR = "/opt/ml/processing/input/config"
OUTPUT_DIR = "/opt/ml/processing/output"
ENTRYPOINT = ["python", "-m", "trainers.jobs.build_shard"]


@dataclass(frozen=True)
class ProcessingSpec:
    """One Processing job: which image, how many instances of what, where in S3."""

    job_name: str
    image_uri: str
    role_arn: str
    bucket: str
    prefix: str
    instance_count: int
    instance_type: str = DEFAULT_INSTANCE
    volume_gb: int = 30
    max_run_s: int = 24 * 3600

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ProcessingSpec:
        """From `thaigen build --engine sagemaker-processing` options.

        Raises:
            ConfigError: a required option is missing or the instance count is below 1.
        """
        stamp = job_stamp(args, "--engine sagemaker-processing")
        return cls(
            job_name=f"thaigen-build-{stamp}",
            image_uri=args.image_uri,
            role_arn=args.role_arn,
            bucket=args.bucket,
            prefix=args.prefix.strip("/"),
            instance_count=args.instance_count,
            instance_type=args.instance_type,
            max_run_s=int(args.max_run_hours * 3600),
        )

    def uri(self, *parts: str) -> str:
        """s3://bucket/prefix/datasets/job_name/parts... (trainers/aws/tags.py's kind-first layout)."""
        return s3_uri(self.bucket, self.prefix, Kind.DATASETS, self.job_name, *parts)


def check_shippable(config: GenConfig, instances: int) -> None:
    """Refuse, before anything is uploaded, a config the instances could not rebuild or split.

    Raises:
        ConfigError: local files in the config (fonts, corpora, background images, a target dictionary), or more
            instances than chunks.
    """
    local = {
        "fonts.dirs": config.fonts.dirs, "fonts.files": config.fonts.files, "fonts.fallback": config.fonts.fallback,
        "corpus_files": config.corpus_files, "background.images": config.background.images,
        "dictionary": config.dictionary,
    }  # fmt: skip
    named = next((key for key, value in local.items() if value), None)
    if named:
        raise ConfigError(f"--engine sagemaker-processing builds from the image's own files; {named} names local files")
    chunk_starts(config, Shard(0, instances))


def processing_request(spec: ProcessingSpec, request_uri: str) -> dict[str, Any]:
    """CreateProcessingJob arguments: N instances, the build request in, every instance's shard folder out."""
    return {
        "ProcessingJobName": spec.job_name,
        "RoleArn": spec.role_arn,
        "AppSpecification": {"ImageUri": spec.image_uri, "ContainerEntrypoint": ENTRYPOINT},
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": spec.instance_count,
                "InstanceType": spec.instance_type,
                "VolumeSizeInGB": spec.volume_gb,
            }
        },
        "ProcessingInputs": [
            {
                "InputName": "request",
                "S3Input": {
                    "S3Uri": request_uri,
                    "LocalPath": REQUEST_DIR,
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                },
            }
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "shards",
                    "S3Output": {"S3Uri": spec.uri("output"), "LocalPath": OUTPUT_DIR, "S3UploadMode": "EndOfJob"},
                }
            ]
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": spec.max_run_s},
        "Environment": {"PYTHONUNBUFFERED": "1"},
        "Tags": resource_tags(spec.job_name),
    }


def launch(spec: ProcessingSpec, aws: Clients, config: GenConfig, storage: Storage) -> None:
    """Upload the build request and create the job."""
    check_shippable(config, spec.instance_count)
    request_uri = spec.uri("request") + "/"
    bucket, key = split_uri(request_uri + build_shard.REQUEST_FILE)
    body = json.dumps(build_shard.request(config, storage), sort_keys=True).encode("utf-8")
    tagging = object_tagging(spec.job_name)
    call(aws.s3, "put_object", f"s3://{bucket}/{key}", Bucket=bucket, Key=key, Body=body, Tagging=tagging)
    call(aws.sagemaker, "create_processing_job", spec.job_name, **processing_request(spec, request_uri))
    print(f"created {spec.job_name}: {spec.instance_count} x {spec.instance_type}")


def download_shards(s3: Any, spec: ProcessingSpec, work: Path) -> list[Path]:
    """Fetch every object the job wrote under its output prefix into `work`; returns the shard folders.

    Raises:
        DatasetError: the job left no shard folders.
    """
    bucket, prefix = split_uri(spec.uri("output") + "/")
    for page in pages(s3, "list_objects_v2", spec.uri("output") + "/", Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            target = work / item["Key"][len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            key = item["Key"]
            call(s3, "download_file", f"s3://{bucket}/{key}", Bucket=bucket, Key=key, Filename=str(target))
    folders = sorted(p for p in work.glob("shard-*") if p.is_dir())
    if not folders:
        raise DatasetError(f"processing job {spec.job_name} left no shard folders under {spec.uri('output')}")
    return folders


def collect(spec: ProcessingSpec, aws: Clients, out: Path, mode: Mode) -> BuildResult:
    """Download the finished job's shards and merge them into `out`."""
    with tempfile.TemporaryDirectory(prefix="thaigen-shards-") as work:
        return merge_shards(download_shards(aws.s3, spec, Path(work)), out, mode)


def run(
    spec: ProcessingSpec, aws: Clients, config: GenConfig, out: Path, mode: Mode, storage: Storage, poll_s: float = 30.0
) -> BuildResult:
    """Launch, wait, collect: the merged dataset in `out`.

    Raises:
        DatasetError: `out` is in use (checked before launching), or the job left no shards.
        AwsError: an AWS call failed (no credentials, permissions, a missing bucket).
        ThaigenError: the job failed or was stopped.
    """
    if mode is Mode.NEW and out.is_dir() and any(out.iterdir()):
        raise DatasetError(f"output folder {out} is not empty; pass --overwrite to replace it")
    launch(spec, aws, config, storage)
    wait(aws.sagemaker, spec.job_name, poll_s=poll_s, kind="processing")
    return collect(spec, aws, out, mode)


def add_engine(group: argparse._ArgumentGroup) -> Launcher:
    """sagemaker-processing: one Processing job of N instances builds N shards, merged here."""
    group.add_argument("--instance-count", type=int, default=2, help="sagemaker-processing: instances = shards (default 2)")
    group.add_argument("--instance-type", default=DEFAULT_INSTANCE, help=f"sagemaker-processing: default {DEFAULT_INSTANCE}")
    group.add_argument("--bucket", help="sagemaker-processing: S3 bucket for the request and the shards")
    group.add_argument("--prefix", default="thaigen", help="sagemaker-processing: S3 key prefix (default thaigen)")
    group.add_argument("--image-uri", help="sagemaker-processing: image built from trainers/jobs/Dockerfile, in ECR")
    group.add_argument("--role-arn", help="sagemaker-processing: IAM role SageMaker assumes")
    group.add_argument("--max-run-hours", type=float, default=24.0, help="sagemaker-processing: job time limit")
    group.add_argument("--region", help="sagemaker-processing: AWS region (default: your AWS config)")
    group.add_argument("--endpoint-url", help="sagemaker-processing: S3/SageMaker endpoint (a local AWS-speaking server)")

    def launch_from_args(args: argparse.Namespace, config: GenConfig, out: Path, mode: Mode, storage: Storage) -> BuildResult:
        spec = ProcessingSpec.from_args(args)
        return run(spec, clients(args.region, args.endpoint_url), config, out, mode, storage)

    return launch_from_args
