"""`thaigen aws policy`: the printed least-privilege policies, and --check of roles held by moto's IAM
(server mode, loopback): an over-broad role is flagged right by right, the printed policy passes."""

from __future__ import annotations

import json

import pytest
from aws_account import Clients, clients, reset

from thaigen.cli import main
from trainers.aws.policy import PolicyScope, Role, document, excess

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning")

ACCOUNT = "123456789012"  # moto's caller
SCOPE = PolicyScope("thaigen-runs", "thaigen", "thaigen-train", "us-east-1", ACCOUNT, "thaigen-serve")
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
]}


@pytest.fixture
def aws(moto_url: str) -> Clients:
    reset(moto_url)
    return clients(moto_url)


def _role(aws: Clients, name: str, inline: dict[str, dict[str, object]], attached: dict[str, dict[str, object]]) -> str:
    arn = str(aws.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"])
    for policy, doc in inline.items():
        aws.iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(doc))
    for policy, doc in attached.items():
        policy_arn = aws.iam.create_policy(PolicyName=policy, PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
        aws.iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    return arn


def _args(moto_url: str, *extra: str) -> list[str]:
    return ["aws", "policy", "--bucket", "thaigen-runs", "--repository", "thaigen-train",
            "--serve-repository", "thaigen-serve", "--region", "us-east-1", "--endpoint-url", moto_url, *extra]


def test_printed_policies_are_scoped_to_prefix_tag_and_repository(
    aws: Clients, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(moto_url)) == 0
    printed = json.loads(capsys.readouterr().out)
    assert sorted(printed) == ["endpoint", "processing", "training"]
    assert printed == {role.value: document(role, SCOPE) for role in Role}  # account from STS GetCallerIdentity
    for role, doc in printed.items():
        for statement in doc["Statement"]:
            for resource in statement["Resource"]:
                assert resource == "*" and statement["Sid"] in ("EcrLogin", "Metrics") or (
                    resource.startswith(("arn:aws:s3:::thaigen-runs/thaigen/", "arn:aws:logs:us-east-1:123456789012:"))
                    or resource in ("arn:aws:s3:::thaigen-runs",
                                    f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/thaigen-"
                                    + ("serve" if role == "endpoint" else "train"))
                ), (role, statement)
    channels = printed["training"]["Statement"][0]
    assert channels["Condition"] == {"StringEquals": {"s3:ExistingObjectTag/project": "thaigen"}}
    actions = {a for doc in printed.values() for s in doc["Statement"] for a in s["Action"]}
    assert not any("*" in a for a in actions) and not any(a.startswith("iam:") for a in actions)


def test_check_flags_every_excess_right_of_an_over_broad_role(
    aws: Clients, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    broad = _role(aws, "thaigen-broad",
                  inline={"pass": {"Version": "2012-10-17", "Statement": [
                      {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
                      {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
                  ]}},
                  attached={"s3-everything": {"Version": "2012-10-17", "Statement": [
                      {"Effect": "Allow", "Action": ["s3:*", "ecr:GetAuthorizationToken"], "Resource": "*"},
                      {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::thaigen-runs"},
                  ]}})
    assert main(_args(moto_url, "--check", broad)) == 1
    lines = capsys.readouterr().out.splitlines()
    policy_arn = f"arn:aws:iam::{ACCOUNT}:policy/s3-everything"
    assert lines == [
        f"attached {policy_arn}: s3:* on * (not needed)",
        (
            f"attached {policy_arn}: s3:ListBucket on arn:aws:s3:::thaigen-runs (needed only with the condition"
            ' {"StringLike": {"s3:prefix": ["thaigen/channels/*", "thaigen/checkpoints/*"]}})'
        ),
        "inline pass: iam:PassRole on * (not needed)",
        f"{broad}: 3 right(s) beyond thaigen's training policy",
    ]


def test_the_printed_policy_passes_its_own_check_for_each_role(
    aws: Clients, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for role in Role:
        assert main(_args(moto_url, "--role", role.value)) == 0
        printed = json.loads(capsys.readouterr().out)
        arn = _role(aws, f"thaigen-{role.value}", inline={"thaigen": printed}, attached={})
        assert main(_args(moto_url, "--role", role.value, "--check", arn)) == 0
        assert capsys.readouterr().out == f"{arn}: 0 right(s) beyond thaigen's {role.value} policy\n"


def test_wildcards_and_conditions_are_compared_soundly() -> None:
    needed = document(Role.TRAINING, SCOPE)

    def held(*statements: dict[str, object]) -> list[tuple[str, dict[str, object]]]:
        return [("inline p", {"Version": "2012-10-17", "Statement": list(statements)})]

    narrower = {"Effect": "Allow", "Action": "S3:GETOBJECT",  # actions are case-insensitive
                "Resource": "arn:aws:s3:::thaigen-runs/thaigen/checkpoints/job-1/*"}
    assert excess(needed, held(narrower)) == []
    wider = [
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::thaigen-runs/thaigen/checkpoints/*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::thaigen-runs/thaigen/*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::thaigen-runs/thaigen/channels/*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
    ]
    found = excess(needed, held(*wider))
    assert [(f.action, f.reason.split(" ")[0]) for f in found] == [
        ("s3:Get*", "not"), ("s3:GetObject", "not"), ("s3:GetObject", "needed"), ("iam:*", "NotAction"),
    ]
    tag_scoped = {**wider[2], "Condition": {"StringEquals": {"s3:ExistingObjectTag/project": ["thaigen"]}}}
    assert excess(needed, held(tag_scoped)) == []
    other_tag = {**wider[2], "Condition": {"StringEquals": {"s3:ExistingObjectTag/project": ["thaigen", "x"]}}}
    assert len(excess(needed, held(other_tag))) == 1


def test_check_of_a_missing_role_is_one_line(aws: Clients, moto_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:role/nobody"
    assert main(_args(moto_url, "--check", arn)) == 2
    assert capsys.readouterr().err.startswith("thaigen: error: ListAttachedRolePolicies role nobody: NoSuchEntity: ")
    assert main(_args(moto_url, "--check", "arn:aws:iam::1:user/x")) == 2
    assert capsys.readouterr().err == "thaigen: error: not an IAM role ARN: arn:aws:iam::1:user/x\n"
