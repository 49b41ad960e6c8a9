"""`thaigen aws lifecycle` against moto (server mode, loopback): thaigen's rules visible through the API, the
bucket's other rules kept, reruns idempotent."""

from __future__ import annotations

import pytest
from aws_account import BUCKET, Clients, clients, reset

from thaigen.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning")

THEIRS = {"ID": "their-logs-expire", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 90}}


@pytest.fixture
def aws(moto_url: str) -> Clients:
    reset(moto_url)
    return clients(moto_url)


def test_lifecycle_rules_on_thaigens_prefixes_keep_other_rules(
    aws: Clients, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.s3.create_bucket(Bucket=BUCKET)
    aws.s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [THEIRS]})
    argv = ["aws", "lifecycle", "--bucket", BUCKET, "--prefix", "runs", "--endpoint-url", moto_url]
    for _ in range(2):
        assert main(argv) == 0
        assert capsys.readouterr().out.splitlines()[-1] == f"s3://{BUCKET}: 4 thaigen rule(s), 1 other rule(s) kept"
    rules = {r["ID"]: r for r in aws.s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]}
    assert sorted(rules) == [
        "thaigen:runs:abort-incomplete-multipart",
        "thaigen:runs:channels-infrequent-access",
        "thaigen:runs:checkpoints-expire",
        "thaigen:runs:models-infrequent-access",
        "their-logs-expire",
    ]
    assert rules["their-logs-expire"]["Expiration"] == {"Days": 90}
    checkpoints = rules["thaigen:runs:checkpoints-expire"]
    assert checkpoints["Filter"] == {"Prefix": "runs/checkpoints/"} and checkpoints["Expiration"] == {"Days": 14}
    for kind in ("channels", "models"):
        rule = rules[f"thaigen:runs:{kind}-infrequent-access"]
        assert rule["Filter"] == {"Prefix": f"runs/{kind}/"}
        assert rule["Transitions"] == [{"Days": 30, "StorageClass": "STANDARD_IA"}]
    abort = rules["thaigen:runs:abort-incomplete-multipart"]
    assert abort["Filter"] == {"Prefix": "runs/"} and abort["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert all(rule["Status"] == "Enabled" for rule in rules.values())


def test_lifecycle_on_a_missing_bucket_is_one_line(moto_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["aws", "lifecycle", "--bucket", "nope-bucket", "--endpoint-url", moto_url]) == 2
    assert capsys.readouterr().err.startswith(
        "thaigen: error: GetBucketLifecycleConfiguration s3://nope-bucket: NoSuchBucket: "
    )


def test_lifecycle_refuses_days_s3_would_reject(moto_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["aws", "lifecycle", "--bucket", BUCKET, "--ia-days", "7", "--endpoint-url", moto_url]) == 2
    assert "--ia-days must be at least 30" in capsys.readouterr().err
