"""Least-privilege IAM policies for thaigen's SageMaker roles, and a check of a role against them.

Each role gets exactly what its SageMaker job or endpoint does: training reads dataset channels (only objects
carrying thaigen's tag) and its checkpoints and writes checkpoints and the model; processing (dataset builds)
reads its request and writes its shards under datasets/; an endpoint reads models/. Each pulls from the named
ECR repository and writes its own CloudWatch logs and metrics. The check reads a role's attached and inline policies and names every
allowed (action, resource) pair that no statement here covers, or covers only with a condition the role lacks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import unquote

from thaigen.errors import ConfigError
from trainers.aws.calls import call, pages
from trainers.aws.tags import TAG_KEY, TAG_VALUE, Kind, key_prefix

VERSION = "2012-10-17"


class Role(StrEnum):
    """The roles SageMaker assumes for thaigen."""

    TRAINING = "training"
    PROCESSING = "processing"
    ENDPOINT = "endpoint"


LOG_GROUPS = {Role.TRAINING: "TrainingJobs", Role.PROCESSING: "ProcessingJobs", Role.ENDPOINT: "Endpoints"}


@dataclass(frozen=True)
class PolicyScope:
    """What the policies are scoped to."""

    bucket: str
    prefix: str
    repository: str
    """ECR repository of the training and processing image."""
    region: str
    account: str
    serve_repository: str = ""
    """ECR repository of the serving image (default: `repository`)."""


def _objects(scope: PolicyScope, kind: Kind) -> str:
    return f"arn:aws:s3:::{scope.bucket}/{key_prefix(scope.prefix, kind)}*"


def _statement(sid: str, actions: list[str], resources: list[str], condition: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def document(role: Role, scope: PolicyScope) -> dict[str, Any]:
    """The identity policy `role` needs (attach it inline or as a customer-managed policy)."""
    tagged = {"StringEquals": {f"s3:ExistingObjectTag/{TAG_KEY}": TAG_VALUE}}
    reads = {Role.TRAINING: [Kind.CHECKPOINTS], Role.PROCESSING: [Kind.DATASETS], Role.ENDPOINT: [Kind.MODELS]}[role]
    writes = {Role.TRAINING: [Kind.CHECKPOINTS, Kind.MODELS], Role.PROCESSING: [Kind.DATASETS], Role.ENDPOINT: []}[role]
    listed = {Role.TRAINING: [Kind.CHANNELS, *reads], Role.PROCESSING: reads, Role.ENDPOINT: []}[role]
    statements = []
    if role is Role.TRAINING:
        statements.append(_statement("ReadTaggedChannels", ["s3:GetObject"], [_objects(scope, Kind.CHANNELS)], tagged))
    statements.append(_statement("ReadArtefacts", ["s3:GetObject"], [_objects(scope, kind) for kind in reads]))
    if writes:
        statements.append(_statement("WriteArtefacts", ["s3:PutObject"], [_objects(scope, kind) for kind in writes]))
    if listed:
        statements.append(_statement(
            "ListPrefix", ["s3:ListBucket"], [f"arn:aws:s3:::{scope.bucket}"],
            {"StringLike": {"s3:prefix": [key_prefix(scope.prefix, kind) + "*" for kind in listed]}},
        ))
    repository = (scope.serve_repository or scope.repository) if role is Role.ENDPOINT else scope.repository
    statements += [
        _statement(
            "PullImage", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            [f"arn:aws:ecr:{scope.region}:{scope.account}:repository/{repository}"],
        ),
        _statement("EcrLogin", ["ecr:GetAuthorizationToken"], ["*"]),  # takes no resource-level scope
        _statement(
            "Logs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            [f"arn:aws:logs:{scope.region}:{scope.account}:log-group:/aws/sagemaker/{LOG_GROUPS[role]}*"],
        ),
        _statement(
            "Metrics", ["cloudwatch:PutMetricData"], ["*"],
            {"StringEquals": {"cloudwatch:namespace": f"/aws/sagemaker/{LOG_GROUPS[role]}"}},
        ),
    ]
    return {"Version": VERSION, "Statement": statements}


def documents(scope: PolicyScope) -> dict[Role, dict[str, Any]]:
    """The policy of every role."""
    return {role: document(role, scope) for role in Role}


@dataclass(frozen=True)
class Excess:
    """A right a role holds beyond what thaigen's policy grants."""

    source: str
    """Which policy: `attached ARN` or `inline NAME`."""
    action: str
    resource: str
    reason: str

    def line(self) -> str:
        return f"{self.source}: {self.action} on {self.resource} ({self.reason})"


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def _pattern(glob: str, case_insensitive: bool) -> re.Pattern[str]:
    """A glob as a regex over another glob's text: `*` spans anything, `?` any one character except `*`."""
    body = "".join(".*" if c == "*" else "[^*]" if c == "?" else re.escape(c) for c in glob)
    return re.compile(body, re.IGNORECASE if case_insensitive else 0)


def _covers(needed: str, held: str, case_insensitive: bool) -> bool:
    """Whether every name the glob `held` matches is matched by the glob `needed`."""
    return _pattern(needed, case_insensitive).fullmatch(held) is not None


def _condition_sets(condition: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    return {
        (operator, key.lower()): set(_strings(values))
        for operator, keys in (condition or {}).items()
        for key, values in keys.items()
    }


def _restricts(needed: dict[str, Any], held: dict[str, Any]) -> bool:
    """Whether `held` limits a statement at least as much as `needed`: each of its conditions present, with no
    value outside it (a held statement may add conditions of its own)."""
    held_sets = _condition_sets(held)
    return all(key in held_sets and held_sets[key] <= values for key, values in _condition_sets(needed).items())


def _decode(document: Any) -> dict[str, Any]:
    """A policy document as IAM returns it: a dict, or URL-encoded JSON text."""
    if isinstance(document, dict):
        return document
    return dict(json.loads(unquote(document)))


def excess(needed: dict[str, Any], held: Iterable[tuple[str, dict[str, Any]]]) -> list[Excess]:
    """Each allowed (action, resource) in the `held` (source, document) pairs that `needed` does not grant.

    Deny statements only take rights away and are skipped; Allow with NotAction or NotResource always counts.
    """
    grants = [s for s in needed["Statement"] if s.get("Effect") == "Allow"]
    found = []
    for source, document in held:
        statements = document.get("Statement", [])
        for statement in [statements] if isinstance(statements, dict) else statements:
            if statement.get("Effect") != "Allow":
                continue
            for negated in ("NotAction", "NotResource"):
                if negated in statement:
                    found.append(Excess(source, ",".join(_strings(statement.get("Action", statement.get(negated)))),
                                        ",".join(_strings(statement.get("Resource", statement.get(negated)))),
                                        f"{negated} allows everything it does not list"))
            if "NotAction" in statement or "NotResource" in statement:
                continue
            for action in _strings(statement.get("Action")):
                for resource in _strings(statement.get("Resource")):
                    scoped = [
                        grant for grant in grants
                        if any(_covers(a, action, True) for a in _strings(grant["Action"]))
                        and any(_covers(r, resource, False) for r in _strings(grant["Resource"]))
                    ]
                    if not scoped:
                        found.append(Excess(source, action, resource, "not needed"))
                    elif not any(_restricts(g.get("Condition", {}), statement.get("Condition", {})) for g in scoped):
                        conditions = json.dumps(scoped[0].get("Condition", {}), sort_keys=True)
                        found.append(Excess(source, action, resource, f"needed only with the condition {conditions}"))
    return found


def role_name(role_arn: str) -> str:
    """The role's name from its ARN (arn:aws:iam::ACCOUNT:role/path/NAME).

    Raises:
        ConfigError: not a role ARN.
    """
    name = role_arn.rsplit("/", 1)[-1]
    if ":role/" not in role_arn or not name:
        raise ConfigError(f"not an IAM role ARN: {role_arn}")
    return name


def role_documents(iam: Any, role_arn: str) -> list[tuple[str, dict[str, Any]]]:
    """The role's attached (default version) and inline policy documents, each with its source.

    Raises:
        ConfigError: `role_arn` is not a role ARN.
        AwsError: an IAM call failed.
    """
    name = role_name(role_arn)
    held = []
    for page in pages(iam, "list_attached_role_policies", f"role {name}", RoleName=name):
        for attached in page["AttachedPolicies"]:
            arn = attached["PolicyArn"]
            version = call(iam, "get_policy", f"policy {arn}", PolicyArn=arn)["Policy"]["DefaultVersionId"]
            text = call(iam, "get_policy_version", f"policy {arn}", PolicyArn=arn, VersionId=version)
            held.append((f"attached {arn}", _decode(text["PolicyVersion"]["Document"])))
    for page in pages(iam, "list_role_policies", f"role {name}", RoleName=name):
        for policy in page["PolicyNames"]:
            text = call(iam, "get_role_policy", f"role {name} inline policy {policy}", RoleName=name, PolicyName=policy)
            held.append((f"inline {policy}", _decode(text["PolicyDocument"])))
    return held
