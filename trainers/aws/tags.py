"""The tags thaigen puts on everything it creates, and the S3 layout under its prefix.

Training and processing jobs, models, endpoint configs and endpoints carry `project=thaigen` (the marker
clean-up and the budget select on) and `thaigen-run=<run id>`; objects thaigen uploads under its prefix
carry the same two tags. SageMaker writes checkpoints and job output itself, untagged, so S3 clean-up
and lifecycle rules are scoped by key prefix: `<prefix>/<kind>/<run>/...`.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlencode

TAG_KEY = "project"
TAG_VALUE = "thaigen"
RUN_KEY = "thaigen-run"


class Kind(StrEnum):
    """The folders under thaigen's S3 prefix, one per kind of artefact."""

    CHANNELS = "channels"
    """Uploaded dataset channels (one tar per split), tagged by thaigen."""
    CHECKPOINTS = "checkpoints"
    """Training checkpoints SageMaker syncs from /opt/ml/checkpoints."""
    MODELS = "models"
    """Training job output (model.tar.gz) and models uploaded for endpoints."""
    DATASETS = "datasets"
    """Processing jobs' folders: the build request in, the dataset shards out (`build --engine sagemaker-processing`)."""


def tag_map(run_id: str) -> dict[str, str]:
    """The thaigen marker and the run id as a dict."""
    return {TAG_KEY: TAG_VALUE, RUN_KEY: run_id}


def resource_tags(run_id: str, extra: dict[str, str] | None = None) -> list[dict[str, str]]:
    """SageMaker `Tags` for a resource of run `run_id`; `extra` tags cannot override the two of thaigen."""
    return [{"Key": key, "Value": value} for key, value in ((extra or {}) | tag_map(run_id)).items()]


def object_tagging(run_id: str) -> str:
    """The S3 `Tagging` header (URL-encoded) for an object thaigen uploads."""
    return urlencode(tag_map(run_id))


def is_thaigen(tags: list[dict[str, str]]) -> bool:
    """Whether a resource's tag list carries thaigen's marker."""
    return any(tag["Key"] == TAG_KEY and tag["Value"] == TAG_VALUE for tag in tags)


def cost_filter() -> str:
    """The Budgets `TagKeyValue` filter selecting thaigen's costs (the tag must be activated for cost allocation)."""
    return f"user:{TAG_KEY}${TAG_VALUE}"


def key_prefix(prefix: str, kind: Kind) -> str:
    """`<prefix>/<kind>/`: the key prefix of one kind of artefact."""
    return f"{prefix.strip('/')}/{kind.value}/"


def uri(bucket: str, prefix: str, kind: Kind, *parts: str) -> str:
    """s3://bucket/prefix/kind/parts..."""
    return "/".join([f"s3://{bucket}", key_prefix(prefix, kind).rstrip("/"), *parts])
