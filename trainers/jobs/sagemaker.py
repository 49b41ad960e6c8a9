"""SageMaker backend: channels to S3, a managed-spot training job with S3 checkpoints, then the model back.

boto3 clients are passed in (endpoint_url configurable), so tests run the whole flow against a local
AWS-speaking server. Every AWS call goes through trainers.aws.calls: a failure (no credentials included) is one
line naming the call and the resource. The job runs trainers/jobs/entrypoint.py inside the image built from
trainers/jobs/Dockerfile.
"""

from __future__ import annotations

import argparse
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from thaigen.errors import ConfigError, ThaigenError
from trainers.aws.calls import call, make_client
from trainers.aws.tags import Kind, object_tagging, resource_tags
from trainers.aws.tags import uri as s3_uri
from trainers.jobs import channels

DEFAULT_INSTANCE = "ml.g4dn.xlarge"
CHECKPOINT_LOCAL_PATH = "/opt/ml/checkpoints"
TERMINAL = ("Completed", "Failed", "Stopped")


@dataclass(frozen=True)
class Clients:
    """The two AWS APIs the backend talks to (boto3 clients)."""

    s3: Any
    sagemaker: Any


def clients(region: str | None, endpoint_url: str | None = None) -> Clients:
    """boto3 clients for S3 and SageMaker; `endpoint_url` points both at another server (tests)."""
    import boto3

    session = boto3.session.Session(region_name=region)
    return Clients(make_client(session, "s3", endpoint_url), make_client(session, "sagemaker", endpoint_url))


@dataclass(frozen=True)
class JobSpec:
    """One training job: where its data goes, what runs it, on which instance, for how long."""

    job_name: str
    image_uri: str
    role_arn: str
    bucket: str
    prefix: str
    hyperparameters: dict[str, str]
    instance_type: str = DEFAULT_INSTANCE
    instance_count: int = 1
    """Hosts; with several (or multi-GPU instance types) the entrypoint trains with paddle.distributed.launch."""
    spot: bool = True
    max_run_s: int = 8 * 3600
    volume_gb: int = 30
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: argparse.Namespace, hyperparameters: dict[str, str]) -> JobSpec:
        """From `thaigen train --backend sagemaker` options.

        Raises:
            ConfigError: a required option is missing.
        """
        stamp = job_stamp(args, "--backend sagemaker")
        return cls(
            job_name=f"thaigen-{args.arch}-{stamp}",
            image_uri=args.image_uri,
            role_arn=args.role_arn,
            bucket=args.bucket,
            prefix=args.prefix.strip("/"),
            hyperparameters=hyperparameters | {"use_gpu": "true"},
            instance_type=args.instance_type,
            instance_count=args.instance_count,
            spot=not args.on_demand,
            max_run_s=int(args.max_run_hours * 3600),
        )

    def uri(self, kind: Kind, *parts: str) -> str:
        """s3://bucket/prefix/kind/job_name/parts... (kind first, so lifecycle rules can select by prefix)."""
        return s3_uri(self.bucket, self.prefix, kind, self.job_name, *parts)


def job_stamp(args: argparse.Namespace, launcher: str) -> str:
    """A UTC time stamp for a job name, once the options every SageMaker job needs are checked.

    Raises:
        ConfigError: --bucket, --image-uri or --role-arn is missing, or --instance-count is below 1.
    """
    for option in ("bucket", "image_uri", "role_arn"):
        if not getattr(args, option):
            raise ConfigError(f"--{option.replace('_', '-')} is required for {launcher}")
    if args.instance_count < 1:
        raise ConfigError(f"--instance-count must be at least 1, not {args.instance_count}")
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of an s3:// URI."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def upload_channels(s3: Any, spec: JobSpec, dataset_dir: Path, work: Path) -> dict[str, str]:
    """Pack the dataset into one tar per channel and upload each, tagged with thaigen's tags and the job's
    name as run id; returns channel -> S3 prefix."""
    uris = {}
    for channel, tar in channels.pack(dataset_dir, work).items():
        uris[channel] = spec.uri(Kind.CHANNELS, channel) + "/"
        bucket, key = split_uri(uris[channel] + tar.name)
        tagging = {"Tagging": object_tagging(spec.job_name)}
        call(s3, "upload_file", uris[channel] + tar.name, Filename=str(tar), Bucket=bucket, Key=key, ExtraArgs=tagging)
    return uris


def training_request(spec: JobSpec, channel_uris: dict[str, str]) -> dict[str, Any]:
    """CreateTrainingJob arguments: File-mode tar channels (none for a streamed job), managed spot with S3
    checkpoints, time limits, thaigen's tags with the job's name as run id (the model lands in
    prefix/models/job/output/)."""
    stopping = {"MaxRuntimeInSeconds": spec.max_run_s}
    request: dict[str, Any] = {
        "TrainingJobName": spec.job_name,
        "AlgorithmSpecification": {"TrainingImage": spec.image_uri, "TrainingInputMode": "File"},
        "RoleArn": spec.role_arn,
        "HyperParameters": spec.hyperparameters,
        "OutputDataConfig": {"S3OutputPath": s3_uri(spec.bucket, spec.prefix, Kind.MODELS)},
        "ResourceConfig": {
            "InstanceType": spec.instance_type,
            "InstanceCount": spec.instance_count,
            "VolumeSizeInGB": spec.volume_gb,
        },
        "StoppingCondition": stopping,
        "EnableManagedSpotTraining": spec.spot,
        "CheckpointConfig": {"S3Uri": spec.uri(Kind.CHECKPOINTS) + "/", "LocalPath": CHECKPOINT_LOCAL_PATH},
        "Tags": resource_tags(spec.job_name, spec.tags),
    }
    if channel_uris:  # a streamed job has none (its samples are drawn in the container; at least 1 when given)
        request["InputDataConfig"] = [
            {
                "ChannelName": channel,
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": uri,
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "ContentType": "application/x-tar",
                "CompressionType": "None",
            }
            for channel, uri in channel_uris.items()
        ]
    if spec.spot:  # time spent waiting for spot capacity counts here; interrupted jobs resume from checkpoints
        stopping["MaxWaitTimeInSeconds"] = 2 * spec.max_run_s
    return request


JOB_KINDS = {"training": "TrainingJob", "processing": "ProcessingJob"}
"""Kinds of job `wait` follows -> their API noun (describe_<kind>_job, <Noun>Name, <Noun>Status)."""


def wait(
    sagemaker: Any, job_name: str, report: Callable[[str], None] = print, poll_s: float = 30.0, kind: str = "training"
) -> dict[str, Any]:
    """Poll until the job (a training or processing job) ends, reporting each status change; returns the final
    description.

    Raises:
        ThaigenError: the job failed or was stopped (with SageMaker's failure reason).
        AwsError: a describe call failed.
    """
    seen, noun = "", JOB_KINDS[kind]
    while True:
        description = call(sagemaker, f"describe_{kind}_job", job_name, **{f"{noun}Name": job_name})
        status = f"{description[f'{noun}Status']} / {description.get('SecondaryStatus', '')}"
        if status != seen:
            report(f"{job_name}: {status}")
            seen = status
        if description[f"{noun}Status"] in TERMINAL:
            break
        time.sleep(poll_s)
    if description[f"{noun}Status"] != "Completed":
        reason = description.get("FailureReason", "no reason given")
        raise ThaigenError(f"{kind} job {job_name} {description[f'{noun}Status'].lower()}: {reason}")
    return description


def download_model(s3: Any, description: dict[str, Any], out: Path) -> Path:
    """Fetch the job's model.tar.gz and unpack it into `out`/model; returns that folder."""
    uri = description["ModelArtifacts"]["S3ModelArtifacts"]
    bucket, key = split_uri(uri)
    model_dir = out / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    archive = out / "model.tar.gz"
    call(s3, "download_file", uri, Bucket=bucket, Key=key, Filename=str(archive))
    with tarfile.open(archive) as tar:
        tar.extractall(model_dir, filter="data")
    return model_dir


def run(spec: JobSpec, aws: Clients, dataset_dir: Path | None, out: Path, poll_s: float = 30.0) -> Path:
    """Upload, create, wait, download: the model folder of a finished job (a streamed job, `dataset_dir` None,
    uploads no channels: its config is a hyperparameter).

    Raises:
        AwsError: an AWS call failed (no credentials, permissions, a missing bucket).
        ThaigenError: the job failed or was stopped.
    """
    uris: dict[str, str] = {}
    if dataset_dir is not None:
        with tempfile.TemporaryDirectory(prefix="thaigen-channels-") as work:
            uris = upload_channels(aws.s3, spec, dataset_dir, Path(work))
    call(aws.sagemaker, "create_training_job", spec.job_name, **training_request(spec, uris))
    print(
        f"created {spec.job_name} on {spec.instance_count} x {spec.instance_type} ({'spot' if spec.spot else 'on-demand'})"
    )
    return download_model(aws.s3, wait(aws.sagemaker, spec.job_name, poll_s=poll_s), out)
