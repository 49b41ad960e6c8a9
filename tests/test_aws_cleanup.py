"""`thaigen aws cleanup` against a seeded account on moto (server mode, loopback): exactly thaigen's unneeded
things are listed, `--yes` deletes those and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aws_account import BUCKET, PREFIX, Clients, Seeded, clients, inventory, reset, seed

from thaigen.cli import main
from thaigen.errors import ConfigError
from trainers.aws import cleanup
from trainers.aws.cli import duration

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning",  # botocore/moto datetime and werkzeug notices
    "ignore::ResourceWarning",  # moto's threaded werkzeug server leaves sockets to the GC
)


@pytest.fixture
def aws(moto_url: str) -> Clients:
    reset(moto_url)
    return clients(moto_url)


@pytest.fixture
def seeded(aws: Clients) -> Seeded:
    return seed(aws)


def _scope(seeded: Seeded) -> cleanup.Scope:
    return cleanup.Scope(BUCKET, PREFIX, seeded.older_than(), datetime.now(UTC))


def test_find_lists_exactly_thaigens_unneeded_things_in_deletion_order(aws: Clients, seeded: Seeded) -> None:
    items = cleanup.find(aws.s3, aws.sagemaker, aws.cloudwatch, _scope(seeded))
    assert sorted((i.kind.value, i.name) for i in items) == sorted(seeded.expected)
    order = [cleanup.ItemKind.ENDPOINT, cleanup.ItemKind.ENDPOINT_CONFIG, cleanup.ItemKind.MODEL, cleanup.ItemKind.S3]
    assert [i.kind for i in items] == sorted((i.kind for i in items), key=order.index)
    by_name = {(i.kind.value, i.name): i for i in items}
    assert by_name["endpoint", "tg-idle"].usd_per_hour == pytest.approx(0.102)  # one ml.c5.large
    channels = by_name["s3", f"s3://{BUCKET}/{PREFIX}/channels/job-old/"]
    assert channels.size_bytes == 4000 and len(channels.keys) == 2 and channels.reason == "no recent job uses it"
    assert channels.usd_per_month == pytest.approx(4000 / 2**30 * 0.023)
    assert all(i.age_days > 0 for i in items)


def test_nothing_is_old_enough_with_a_long_threshold(aws: Clients, seeded: Seeded) -> None:
    scope = cleanup.Scope(BUCKET, PREFIX, timedelta(days=14), datetime.now(UTC))
    assert cleanup.find(aws.s3, aws.sagemaker, aws.cloudwatch, scope) == []


def test_dry_run_prints_each_item_and_deletes_nothing_then_yes_deletes_only_those(
    aws: Clients, seeded: Seeded, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = inventory(aws)
    base = ["aws", "cleanup", "--bucket", BUCKET, "--endpoint-url", moto_url, "--region", "us-east-1"]
    threshold = f"{seeded.older_than().total_seconds():.3f}s"
    assert main([*base, "--older-than", threshold]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(tuple(line.split()[:2]) for line in lines[:-1]) == sorted(seeded.expected)
    assert all(" age " in line and "frees" in line for line in lines[:-1])
    assert lines[-1].startswith(f"dry run: {len(seeded.expected)} item(s): $0.102/h of endpoints")
    assert lines[-1].endswith("rerun with --yes to delete them")
    assert inventory(aws) == before

    threshold = f"{seeded.older_than().total_seconds():.3f}s"
    assert main([*base, "--older-than", threshold, "--yes"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"deleted {len(seeded.expected)} item(s)")
    after = inventory(aws)
    gone = before - after
    assert after <= before
    s3_gone = {name for kind, name in seeded.expected if kind == "s3"}
    assert {g for g in gone if not g.startswith("s3 ")} == {f"{k} {n}" for k, n in seeded.expected if k != "s3"}
    assert {g.removeprefix("s3 ") for g in gone if g.startswith("s3 ")} == {
        f"s3://{BUCKET}/{key}"
        for key in (
            f"{PREFIX}/channels/job-old/train/train.tar", f"{PREFIX}/channels/job-old/validation/validation.tar",
            f"{PREFIX}/checkpoints/job-old/latest.pdparams", f"{PREFIX}/checkpoints/job-old/latest.pdopt",
            f"{PREFIX}/models/job-old/output/model.tar.gz", f"{PREFIX}/models/idle/model.tar.gz",
        )
    }
    assert all(any(g.removeprefix("s3 ").startswith(folder) for folder in s3_gone) for g in gone if g.startswith("s3 "))
    kept_others = {r for r in after if "other" in r or "someone-elses" in r or "datasets/" in r or "notes" in r}
    assert len(kept_others) == 8 and {r for r in before if r in kept_others} == kept_others

    threshold = f"{seeded.older_than().total_seconds():.3f}s"
    assert main([*base, "--older-than", threshold]) == 0
    assert capsys.readouterr().out.splitlines() == ["dry run: 0 item(s): $0.000/h of endpoints, $0.00/month of S3 storage"]


def test_older_than_takes_a_positive_number_and_a_unit() -> None:
    assert duration("14d") == timedelta(days=14) and duration("36h") == timedelta(hours=36)
    assert duration("90m") == timedelta(minutes=90) and duration("1.5s") == timedelta(seconds=1.5)
    for bad in ("14", "0d", "-1d", "2 weeks", "d"):
        with pytest.raises(ConfigError, match="--older-than"):
            duration(bad)


def test_an_aws_error_is_one_line_naming_the_call_and_the_resource(
    aws: Clients, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["aws", "cleanup", "--bucket", "no-such-bucket", "--endpoint-url", moto_url, "--region", "us-east-1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == "thaigen: error: ListObjectsV2 s3://no-such-bucket/thaigen/channels/: NoSuchBucket: " \
        "The specified bucket does not exist\n"
