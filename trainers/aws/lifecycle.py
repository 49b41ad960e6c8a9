"""S3 lifecycle rules on thaigen's prefixes, merged into the bucket's other rules (which stay as they are)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainers.aws.calls import AwsError, call, error_code
from trainers.aws.tags import Kind, key_prefix

RULE_PREFIX = "thaigen:"
"""Rule IDs thaigen owns start with this, then the prefix: `thaigen:<prefix>:<what>`."""


@dataclass(frozen=True)
class Ages:
    """Days after which each rule acts."""

    checkpoints_expire: int = 14
    infrequent_access: int = 30
    """Channels and models move to STANDARD_IA (S3 requires at least 30 days)."""
    abort_multipart: int = 7


def rules(prefix: str, ages: Ages = Ages()) -> list[dict[str, Any]]:
    """thaigen's lifecycle rules for `prefix`."""
    base = f"{RULE_PREFIX}{prefix.strip('/')}:"
    rules: list[dict[str, Any]] = [
        {
            "ID": base + "checkpoints-expire",
            "Filter": {"Prefix": key_prefix(prefix, Kind.CHECKPOINTS)},
            "Status": "Enabled",
            "Expiration": {"Days": ages.checkpoints_expire},
        },
        *(
            {
                "ID": base + f"{kind.value}-infrequent-access",
                "Filter": {"Prefix": key_prefix(prefix, kind)},
                "Status": "Enabled",
                "Transitions": [{"Days": ages.infrequent_access, "StorageClass": "STANDARD_IA"}],
            }
            for kind in (Kind.CHANNELS, Kind.MODELS)
        ),
        {
            "ID": base + "abort-incomplete-multipart",
            "Filter": {"Prefix": prefix.strip("/") + "/"},
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ages.abort_multipart},
        },
    ]
    return rules


def apply_rules(s3: Any, bucket: str, prefix: str, ages: Ages = Ages()) -> list[dict[str, Any]]:
    """Put thaigen's rules for `prefix` on `bucket`, replacing earlier ones of that prefix and keeping all
    other rules; returns the bucket's rules as written.

    Raises:
        AwsError: an AWS call failed.
    """
    resource = f"s3://{bucket}"
    try:
        current = call(s3, "get_bucket_lifecycle_configuration", resource, Bucket=bucket).get("Rules", [])
    except AwsError as exc:
        if error_code(exc) != "NoSuchLifecycleConfiguration":
            raise
        current = []
    ours = rules(prefix, ages)
    ids = {rule["ID"] for rule in ours}
    merged = [rule for rule in current if rule.get("ID") not in ids] + ours
    call(s3, "put_bucket_lifecycle_configuration", resource, Bucket=bucket, LifecycleConfiguration={"Rules": merged})
    return merged
