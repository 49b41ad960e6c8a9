"""What thaigen created and no longer needs: find it (a dry run), then delete it.

Candidates, all older than the threshold (`older_than`) and nothing else:
- endpoints tagged `project=thaigen` with no invocations in that window (CloudWatch `Invocations`);
- tagged endpoint configs no remaining endpoint uses, and tagged models no remaining endpoint config names;
- S3 folders `<prefix>/<kind>/<run>/` (checkpoints, job and uploaded models, processing jobs' datasets, and dataset
  channels whose objects all carry thaigen's tag) that no recent or running job, and no remaining model,
  reads or writes.
Training and processing jobs themselves cannot be deleted in SageMaker; they cost nothing once ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from trainers.aws.calls import AwsError, call, pages
from trainers.aws.prices import hosting_usd_per_hour, storage_usd_per_month
from trainers.aws.tags import Kind, is_thaigen, key_prefix

RUNNING = ("InProgress", "Stopping")
DELETE_BATCH = 1000
"""Keys per DeleteObjects request (the API's maximum)."""


class ItemKind(StrEnum):
    """What a clean-up item is."""

    ENDPOINT = "endpoint"
    ENDPOINT_CONFIG = "endpoint-config"
    MODEL = "model"
    S3 = "s3"


@dataclass(frozen=True)
class Item:
    """One thing clean-up would delete, with what deleting it frees."""

    kind: ItemKind
    name: str
    """Resource name, or the s3:// URL of a run's folder (ending in /)."""
    age_days: float
    """Since creation (endpoints: since last change; S3: since the newest object's last change)."""
    reason: str
    usd_per_hour: float | None = None
    """Endpoints: what their instances cost (None: instance type not in the price table)."""
    usd_per_month: float = 0.0
    """S3: what the objects cost to store."""
    size_bytes: int = 0
    keys: tuple[str, ...] = ()
    """S3: the keys to delete."""

    def line(self) -> str:
        """One printed line: kind, name, age, reason, what it frees."""
        if self.kind is ItemKind.S3:
            frees = f"{len(self.keys)} objects, {_size(self.size_bytes)}, ${self.usd_per_month:.2f}/month"
        elif self.kind is ItemKind.ENDPOINT:
            frees = "unknown $/h" if self.usd_per_hour is None else f"${self.usd_per_hour:.3f}/h"
        else:
            frees = "no charge"
        return f"{self.kind.value:<16} {self.name}  age {self.age_days:.1f} d  ({self.reason}; frees {frees})"


@dataclass(frozen=True)
class Scope:
    """Where thaigen's things are and how old they must be to go."""

    bucket: str
    prefix: str
    older_than: timedelta
    now: datetime
    """Timezone-aware."""

    @property
    def cutoff(self) -> datetime:
        return self.now - self.older_than


def _size(size_bytes: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size_bytes < 1024 or unit == "GB":
            return f"{size_bytes:.0f} {unit}" if unit == "B" else f"{size_bytes:.1f} {unit}"
        size_bytes /= 1024  # type: ignore[assignment]
    raise AssertionError("unreachable")


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def _tagged(sagemaker: Any, arn: str) -> bool:
    tags = [tag for page in pages(sagemaker, "list_tags", arn, ResourceArn=arn) for tag in page.get("Tags", [])]
    return is_thaigen(tags)


def _invocations(cloudwatch: Any, endpoint: str, variants: Iterable[str], scope: Scope) -> float:
    """Sum of the endpoint's Invocations from the cutoff on, all variants (EndTime a period past now, so a
    datapoint stamped within the current second or minute still counts)."""
    period = 86400 if scope.older_than >= timedelta(days=1) else 60
    total = 0.0
    for variant in variants:
        stats = call(
            cloudwatch, "get_metric_statistics", f"AWS/SageMaker Invocations of {endpoint}/{variant}",
            Namespace="AWS/SageMaker", MetricName="Invocations",
            Dimensions=[{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}],
            StartTime=scope.cutoff, EndTime=scope.now + timedelta(seconds=period), Period=period, Statistics=["Sum"],
        )
        total += sum(point.get("Sum", 0.0) for point in stats.get("Datapoints", []))
    return total


def _endpoint_cost(config: dict[str, Any], described: dict[str, Any]) -> float | None:
    counts = {v["VariantName"]: v.get("CurrentInstanceCount") for v in described.get("ProductionVariants", [])}
    total = 0.0
    for variant in config.get("ProductionVariants", []):
        if "InstanceType" not in variant:  # serverless: billed per request
            continue
        count = counts.get(variant["VariantName"]) or variant.get("InitialInstanceCount", 1)
        price = hosting_usd_per_hour(variant["InstanceType"], int(count))
        if price is None:
            return None
        total += price
    return total


def _sagemaker_items(sagemaker: Any, cloudwatch: Any, scope: Scope) -> tuple[list[Item], set[str]]:
    """Idle endpoints, unused configs and models; and the S3 URLs the models that stay read."""
    endpoints = [e for page in pages(sagemaker, "list_endpoints", "endpoints") for e in page["Endpoints"]]
    configs = {
        c["EndpointConfigName"]: c
        for page in pages(sagemaker, "list_endpoint_configs", "endpoint configs")
        for c in page["EndpointConfigs"]
    }
    config_details = {
        name: call(sagemaker, "describe_endpoint_config", f"endpoint config {name}", EndpointConfigName=name)
        for name in configs
    }
    items: list[Item] = []
    used_configs: set[str] = set()
    for summary in endpoints:
        name = summary["EndpointName"]
        described = call(sagemaker, "describe_endpoint", f"endpoint {name}", EndpointName=name)
        config = config_details.get(described["EndpointConfigName"], {})
        changed = max(summary["CreationTime"], summary.get("LastModifiedTime", summary["CreationTime"]))
        variants = [v["VariantName"] for v in described.get("ProductionVariants", config.get("ProductionVariants", []))]
        idle = (
            changed < scope.cutoff
            and _tagged(sagemaker, summary["EndpointArn"])
            and _invocations(cloudwatch, name, variants, scope) == 0
        )
        if idle:
            items.append(Item(
                ItemKind.ENDPOINT, name, _days(scope.now - changed),
                f"no invocations in {_days(scope.older_than):g} d", usd_per_hour=_endpoint_cost(config, described),
            ))
        else:
            used_configs.add(described["EndpointConfigName"])
    used_models: set[str] = set()
    for name, summary in configs.items():
        old = summary["CreationTime"] < scope.cutoff
        if name not in used_configs and old and _tagged(sagemaker, summary["EndpointConfigArn"]):
            items.append(Item(ItemKind.ENDPOINT_CONFIG, name, _days(scope.now - summary["CreationTime"]), "no endpoint"))
        else:
            used_models.update(v["ModelName"] for v in config_details[name].get("ProductionVariants", []))
    model_urls: set[str] = set()
    for page in pages(sagemaker, "list_models", "models"):
        for summary in page["Models"]:
            name = summary["ModelName"]
            old = summary["CreationTime"] < scope.cutoff
            if name not in used_models and old and _tagged(sagemaker, summary["ModelArn"]):
                items.append(Item(ItemKind.MODEL, name, _days(scope.now - summary["CreationTime"]), "no endpoint"))
                continue
            described = call(sagemaker, "describe_model", f"model {name}", ModelName=name)
            containers = [described.get("PrimaryContainer", {}), *described.get("Containers", [])]
            model_urls.update(c["ModelDataUrl"] for c in containers if c.get("ModelDataUrl"))
    return items, model_urls


def _job_names(sagemaker: Any, kind: str, queries: list[dict[str, Any]]) -> list[str]:
    """Sorted names of the `kind` ("Training" or "Processing") jobs any of `queries` lists."""
    return sorted(
        {
            job[f"{kind}JobName"]
            for query in queries
            for page in pages(sagemaker, f"list_{kind.lower()}_jobs", f"{kind.lower()} jobs", **query)
            for job in page[f"{kind}JobSummaries"]
        }
    )


def _job_urls(sagemaker: Any, scope: Scope) -> set[str]:
    """S3 URLs that training and processing jobs created after the cutoff, or still running, read or write."""
    urls: set[str] = set()
    queries: list[dict[str, Any]] = [{"CreationTimeAfter": scope.cutoff}, *({"StatusEquals": s} for s in RUNNING)]
    for name in _job_names(sagemaker, "Training", queries):
        job = call(sagemaker, "describe_training_job", f"training job {name}", TrainingJobName=name)
        urls.update(c["DataSource"]["S3DataSource"]["S3Uri"] for c in job.get("InputDataConfig", [])
                    if "S3DataSource" in c.get("DataSource", {}))
        if job.get("CheckpointConfig", {}).get("S3Uri"):
            urls.add(job["CheckpointConfig"]["S3Uri"])
        if job.get("OutputDataConfig", {}).get("S3OutputPath"):  # SageMaker writes into OUTPUT/<job>/
            urls.add(f"{job['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{name}/")
    for name in _job_names(sagemaker, "Processing", queries):
        job = call(sagemaker, "describe_processing_job", f"processing job {name}", ProcessingJobName=name)
        urls.update(i["S3Input"]["S3Uri"] for i in job.get("ProcessingInputs", []) if "S3Input" in i)
        urls.update(o["S3Output"]["S3Uri"] for o in job.get("ProcessingOutputConfig", {}).get("Outputs", [])
                    if "S3Output" in o)
    return urls


def _all_tagged(s3: Any, bucket: str, keys: Iterable[str]) -> bool:
    for key in keys:
        tags = call(s3, "get_object_tagging", f"s3://{bucket}/{key}", Bucket=bucket, Key=key)["TagSet"]
        if not is_thaigen(tags):
            return False
    return True


def _s3_items(s3: Any, scope: Scope, in_use: set[str]) -> list[Item]:
    """Old run folders under each kind's prefix that nothing in use points into."""
    items = []
    for kind in Kind:
        base = key_prefix(scope.prefix, kind)
        groups: dict[str, list[dict[str, Any]]] = {}
        for page in pages(s3, "list_objects_v2", f"s3://{scope.bucket}/{base}", Bucket=scope.bucket, Prefix=base):
            for obj in page.get("Contents", []):
                run, slash, _ = obj["Key"][len(base):].partition("/")
                groups.setdefault(base + run + slash, []).append(obj)
        for folder, objects in sorted(groups.items()):
            url = f"s3://{scope.bucket}/{folder}"
            newest = max(obj["LastModified"] for obj in objects)
            used = any(ref.startswith(url) or url.startswith(ref) for ref in in_use)  # refs are S3 prefixes
            keys = tuple(obj["Key"] for obj in objects)
            if newest >= scope.cutoff or used:
                continue
            if kind is Kind.CHANNELS and not _all_tagged(s3, scope.bucket, keys):
                continue
            reason = "no recent job uses it" if kind is Kind.CHANNELS else f"{kind.value}, nothing uses it"
            items.append(Item(
                ItemKind.S3, url, _days(scope.now - newest), reason,
                usd_per_month=sum(storage_usd_per_month(o["Size"], o.get("StorageClass", "STANDARD")) for o in objects),
                size_bytes=sum(o["Size"] for o in objects), keys=keys,
            ))
    return items


def find(s3: Any, sagemaker: Any, cloudwatch: Any, scope: Scope) -> list[Item]:
    """Everything clean-up would delete, endpoints first, then configs, models and S3 folders (the order
    `delete` goes in). Reads only.

    Raises:
        AwsError: an AWS call failed.
    """
    items, model_urls = _sagemaker_items(sagemaker, cloudwatch, scope)
    return items + _s3_items(s3, scope, model_urls | _job_urls(sagemaker, scope))


def delete(s3: Any, sagemaker: Any, bucket: str, items: Iterable[Item]) -> list[Item]:
    """Delete `items` in order; returns them as deleted.

    Raises:
        AwsError: a deletion failed (those before it are done).
    """
    done = []
    for item in items:
        if item.kind is ItemKind.ENDPOINT:
            call(sagemaker, "delete_endpoint", f"endpoint {item.name}", EndpointName=item.name)
        elif item.kind is ItemKind.ENDPOINT_CONFIG:
            call(sagemaker, "delete_endpoint_config", f"endpoint config {item.name}", EndpointConfigName=item.name)
        elif item.kind is ItemKind.MODEL:
            call(sagemaker, "delete_model", f"model {item.name}", ModelName=item.name)
        else:
            for start in range(0, len(item.keys), DELETE_BATCH):
                batch = [{"Key": key} for key in item.keys[start:start + DELETE_BATCH]]
                response = call(s3, "delete_objects", item.name, Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
                if response.get("Errors"):
                    first = response["Errors"][0]
                    raise AwsError(f"DeleteObjects s3://{bucket}/{first['Key']}: {first['Code']}: {first['Message']}")
        done.append(item)
    return done


def summary(items: list[Item]) -> str:
    """The closing line: how many items and what they cost."""
    hourly = sum(item.usd_per_hour or 0.0 for item in items)
    monthly = sum(item.usd_per_month for item in items)
    unknown = " (+ endpoints of unpriced instance types)" if any(
        i.kind is ItemKind.ENDPOINT and i.usd_per_hour is None for i in items) else ""
    return f"{len(items)} item(s): ${hourly:.3f}/h of endpoints{unknown}, ${monthly:.2f}/month of S3 storage"
