"""No `thaigen aws` command writes a credential or secret to a file or to stdout/stderr: every command (dry
run, --yes, budget, lifecycle, policy print and check, an error) runs on moto (server mode, loopback) with
canary credentials in the environment, then its output and every file under its home, working and temporary
folders are searched for them."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from aws_account import BUCKET, Clients, clients, reset, seed

from thaigen.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning")

CANARIES = {
    "AWS_ACCESS_KEY_ID": "AKIACANARYTHAIGEN0001",
    "AWS_SECRET_ACCESS_KEY": "canary/Secret+Key=thaigen-must-never-print-this",
    "AWS_SESSION_TOKEN": "canary-session-token-thaigen-7f3a9c",
}


@pytest.fixture
def aws(moto_url: str) -> Clients:
    reset(moto_url)
    return clients(moto_url)


def test_no_command_writes_a_credential_anywhere(
    aws: Clients, moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = seed(aws)
    home, work, temp = (tmp_path / name for name in ("home", "work", "tmp"))
    for folder in (home, work, temp):
        folder.mkdir()
    for key, value in CANARIES.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.chdir(work)
    common = ["--endpoint-url", moto_url, "--region", "us-east-1"]
    aws.iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    policy = ["aws", "policy", "--bucket", BUCKET, "--repository", "thaigen-train", *common]
    commands = [
        ["aws", "cleanup", "--bucket", BUCKET, "--older-than", f"{seeded.older_than().total_seconds():.3f}s", *common],
        ["aws", "cleanup", "--bucket", BUCKET, "--older-than", f"{seeded.older_than().total_seconds():.3f}s", "--yes",
         *common],
        ["aws", "budget", "--monthly", "50", "--email", "ops@example.com", *common],
        ["aws", "lifecycle", "--bucket", BUCKET, *common],
        policy,
        [*policy, "--check", "arn:aws:iam::123456789012:role/r"],
        [*policy, "--check", "arn:aws:iam::123456789012:role/missing"],  # an AWS error
        ["aws", "cleanup", "--bucket", "missing-bucket", *common],  # another
    ]
    codes = [main(argv) for argv in commands]
    assert codes == [0, 0, 0, 0, 0, 0, 2, 2]
    captured = capsys.readouterr()
    assert "deleted" in captured.out and "error: ListAttachedRolePolicies" in captured.err  # the commands did run
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    for secret in CANARIES.values():
        assert secret not in captured.out and secret not in captured.err
        for path in files:
            assert secret.encode() not in path.read_bytes(), path
    assert files == [] and os.listdir(home) == []  # nothing written at all: no config, cache or temp file
