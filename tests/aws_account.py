"""A seeded AWS account on the session's moto server: thaigen's and other people's resources of every kind.

`seed` builds it in two phases, a few seconds apart: everything "old" first, then what is "recent" (a
training job still reading an old channel, a new endpoint, fresh checkpoints). A clean-up whose cutoff
lies between the phases (`Seeded.older_than`) must list exactly `Seeded.expected` and nothing else.
"""

from __future__ import annotations

import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from trainers.aws.tags import object_tagging, resource_tags
from trainers.jobs.sagemaker import JobSpec, training_request
from trainers.serving.endpoint import EndpointSpec, create_endpoint

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/thaigen-training"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/thaigen:latest"
BUCKET = "thaigen-runs"
OTHER_BUCKET = "someone-elses-data"
PREFIX = "thaigen"
GAP_S = 2.0
"""Seconds between the old and the recent phase; the cutoff goes in the middle."""


@dataclass(frozen=True)
class Clients:
    """boto3 clients of every service the `aws` commands use."""

    s3: Any
    sagemaker: Any
    cloudwatch: Any
    budgets: Any
    iam: Any


def clients(url: str) -> Clients:
    """Clients pointed at moto (credentials from the environment, as tests/conftest.py sets them)."""
    import boto3

    session = boto3.Session(region_name=REGION)
    return Clients(*(session.client(name, endpoint_url=url) for name in ("s3", "sagemaker", "cloudwatch", "budgets", "iam")))


def reset(url: str) -> None:
    """Forget everything the moto server holds."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=30).read()


@dataclass(frozen=True)
class Seeded:
    """What `seed` made and what a clean-up between its phases must find."""

    boundary: datetime
    expected: list[tuple[str, str]]
    """(kind, name) of every clean-up item, in the order clean-up lists them."""

    def older_than(self) -> timedelta:
        """A threshold that puts the cutoff at the gap between the phases, measured now."""
        return datetime.now(UTC) - self.boundary


def _put(s3: Any, bucket: str, key: str, size: int, run: str | None = None) -> None:
    extra = {"Tagging": object_tagging(run)} if run else {}
    s3.put_object(Bucket=bucket, Key=key, Body=b"x" * size, **extra)


def _job(sagemaker: Any, name: str, channel_run: str) -> None:
    spec = JobSpec(name, IMAGE, ROLE, BUCKET, PREFIX, {"arch": "svtr"})
    channel = f"s3://{BUCKET}/{PREFIX}/channels/{channel_run}/train/"
    sagemaker.create_training_job(**training_request(spec, {"train": channel}))


def _model(sagemaker: Any, name: str, data: str | None, tags: list[dict[str, str]]) -> None:
    container = {"Image": IMAGE} | ({"ModelDataUrl": data} if data else {})
    sagemaker.create_model(ModelName=name, PrimaryContainer=container, ExecutionRoleArn=ROLE, Tags=tags)


def _config(sagemaker: Any, name: str, model: str, tags: list[dict[str, str]]) -> None:
    sagemaker.create_endpoint_config(EndpointConfigName=name, Tags=tags, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.c5.large",
    }])


def _endpoint(sagemaker: Any, name: str, data: str) -> None:
    create_endpoint(sagemaker, EndpointSpec(name, IMAGE, data, ROLE, instance_type="ml.c5.large"))


def seed(aws: Clients) -> Seeded:
    """Fill the (freshly reset) account; see the module docstring."""
    s3, sm = aws.s3, aws.sagemaker
    models = f"s3://{BUCKET}/{PREFIX}/models"
    for bucket in (BUCKET, OTHER_BUCKET):
        s3.create_bucket(Bucket=bucket)
    # --- old: thaigen's
    _put(s3, BUCKET, f"{PREFIX}/channels/job-old/train/train.tar", 3000, "job-old")
    _put(s3, BUCKET, f"{PREFIX}/channels/job-old/validation/validation.tar", 1000, "job-old")
    _put(s3, BUCKET, f"{PREFIX}/channels/job-recent/train/train.tar", 500, "job-recent")  # a recent job reads it
    _put(s3, BUCKET, f"{PREFIX}/checkpoints/job-old/latest.pdparams", 2048)
    _put(s3, BUCKET, f"{PREFIX}/checkpoints/job-old/latest.pdopt", 1024)
    _put(s3, BUCKET, f"{PREFIX}/models/job-old/output/model.tar.gz", 4096)
    _put(s3, BUCKET, f"{PREFIX}/models/idle/model.tar.gz", 100, "idle")
    _put(s3, BUCKET, f"{PREFIX}/models/busy/model.tar.gz", 100, "busy")  # its endpoint is in use
    _put(s3, BUCKET, f"{PREFIX}/models/shared/model.tar.gz", 100, "shared")  # someone's untagged model reads it
    _job(sm, "job-old", "job-old")
    _endpoint(sm, "tg-idle", f"{models}/idle/model.tar.gz")
    _endpoint(sm, "tg-busy", f"{models}/busy/model.tar.gz")
    _model(sm, "tg-orphan-model", None, resource_tags("orphan"))
    _config(sm, "tg-orphan-config", "tg-orphan-model", resource_tags("orphan"))
    _model(sm, "tg-lonely", f"{models}/lonely/model.tar.gz", resource_tags("lonely"))
    # --- old: not thaigen's (untagged, or another project's tag, or outside thaigen's folders)
    _put(s3, OTHER_BUCKET, f"{PREFIX}/checkpoints/job-old/latest.pdparams", 100)
    _put(s3, BUCKET, "datasets/raw.zip", 100)
    _put(s3, BUCKET, f"{PREFIX}/notes.txt", 100)
    _put(s3, BUCKET, f"{PREFIX}/channels/manual/train.tar", 100)  # untagged: someone else's upload
    other = [{"Key": "project", "Value": "other"}]
    _model(sm, "other-model", f"{models}/shared/model.tar.gz", [])
    _config(sm, "other-config", "other-model", [])
    sm.create_endpoint(EndpointName="other-idle", EndpointConfigName="other-config")
    _model(sm, "other-orphan-model", None, other)
    _config(sm, "other-orphan-config", "other-orphan-model", other)
    old_done = datetime.now(UTC)
    time.sleep(GAP_S)
    # --- recent
    boundary = old_done + (datetime.now(UTC) - old_done) / 2
    _job(sm, "job-recent", "job-recent")
    _put(s3, BUCKET, f"{PREFIX}/checkpoints/job-recent/latest.pdparams", 100)
    _endpoint(sm, "tg-new", f"{models}/new/model.tar.gz")
    aws.cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=[{
        "MetricName": "Invocations", "Value": 5.0, "Timestamp": datetime.now(UTC),
        "Dimensions": [{"Name": "EndpointName", "Value": "tg-busy"}, {"Name": "VariantName", "Value": "AllTraffic"}],
    }])
    s3_url = f"s3://{BUCKET}/{PREFIX}"
    expected = [
        ("endpoint", "tg-idle"),
        ("endpoint-config", "tg-idle"),
        ("endpoint-config", "tg-orphan-config"),
        ("model", "tg-idle"),
        ("model", "tg-lonely"),
        ("model", "tg-orphan-model"),
        ("s3", f"{s3_url}/channels/job-old/"),
        ("s3", f"{s3_url}/checkpoints/job-old/"),
        ("s3", f"{s3_url}/models/idle/"),
        ("s3", f"{s3_url}/models/job-old/"),
    ]
    return Seeded(boundary, expected)


def inventory(aws: Clients) -> set[str]:
    """Every endpoint, endpoint config, model and S3 object in the account, as 'kind name' strings."""
    sm = aws.sagemaker
    found = {f"endpoint {e['EndpointName']}" for e in sm.list_endpoints()["Endpoints"]}
    found |= {f"endpoint-config {c['EndpointConfigName']}" for c in sm.list_endpoint_configs()["EndpointConfigs"]}
    found |= {f"model {m['ModelName']}" for m in sm.list_models()["Models"]}
    for bucket in aws.s3.list_buckets()["Buckets"]:
        objects = aws.s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
        found |= {f"s3 s3://{bucket['Name']}/{o['Key']}" for o in objects}
    return found
