"""Prices clean-up reports what it frees with: SageMaker real-time hosting per instance hour, S3 per GB-month.

us-east-1 list prices, dated; verify on the AWS pricing pages. Training instance prices live in
trainers/jobs/cost.py.
"""

from __future__ import annotations

PRICES_DATE = "2026-11"

HOSTING_USD_PER_HOUR = {
    "ml.t2.medium": 0.056,
    "ml.c5.large": 0.102,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.g4dn.xlarge": 0.7364,
    "ml.g5.xlarge": 1.408,
}
"""SageMaker real-time inference, on-demand, $ per instance hour."""

S3_USD_PER_GB_MONTH = {
    "STANDARD": 0.023,
    "INTELLIGENT_TIERING": 0.023,
    "STANDARD_IA": 0.0125,
    "ONEZONE_IA": 0.01,
    "GLACIER_IR": 0.004,
    "GLACIER": 0.0036,
    "DEEP_ARCHIVE": 0.00099,
}
"""S3 storage, first 50 TB tier, $ per GB-month (GB = 2**30 bytes)."""


def hosting_usd_per_hour(instance_type: str, count: int) -> float | None:
    """Hourly cost of `count` instances of `instance_type`; None when the type is not in the table."""
    price = HOSTING_USD_PER_HOUR.get(instance_type)
    return None if price is None else price * count


def storage_usd_per_month(size_bytes: int, storage_class: str) -> float:
    """Monthly storage cost of `size_bytes` in `storage_class` (unknown classes priced as STANDARD)."""
    return size_bytes / 2**30 * S3_USD_PER_GB_MONTH.get(storage_class, S3_USD_PER_GB_MONTH["STANDARD"])
