"""Command `thaigen aws cleanup|budget|lifecycle|policy` (entry point in pyproject.toml).

Credentials come only from the standard AWS chain (environment, profile, instance role) through a boto3
session; no command takes keys as options, prints them or writes anything to disk.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from thaigen.cli import Runner
from thaigen.errors import ConfigError

DEFAULT_PREFIX = "thaigen"
DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def duration(text: str) -> timedelta:
    """'14d', '36h', '90m', '2w', '30s' as a timedelta.

    Raises:
        ConfigError: not a positive number with one of those units.
    """
    match = DURATION.fullmatch(text.strip())
    if not match or float(match[1]) <= 0:
        raise ConfigError(f"--older-than {text!r}: expected a positive number and a unit, e.g. 14d, 36h, 90m")
    return timedelta(**{UNITS[match[2]]: float(match[1])})


def _session(args: argparse.Namespace) -> Any:
    import boto3

    return boto3.session.Session(profile_name=args.profile, region_name=args.region)


def _client(args: argparse.Namespace, session: Any, service: str) -> Any:
    from trainers.aws.calls import make_client

    return make_client(session, service, args.endpoint_url)


def _account(args: argparse.Namespace, session: Any) -> str:
    from trainers.aws.calls import call

    if args.account:
        return str(args.account)
    return str(call(_client(args, session, "sts"), "get_caller_identity", "caller")["Account"])


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", help="AWS region (default: your AWS config)")
    parser.add_argument("--profile", help="named profile from your AWS config (default: AWS_PROFILE or the chain)")
    parser.add_argument("--endpoint-url", help="AWS endpoint (testing against a local AWS-speaking server)")


def _bucket(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bucket", required=True, help="S3 bucket thaigen's jobs use")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"thaigen's key prefix (default {DEFAULT_PREFIX})")


def add_aws(parser: argparse.ArgumentParser) -> Runner:
    """clean up, budget, lifecycle rules and least-privilege IAM for what thaigen creates on AWS"""
    commands = parser.add_subparsers(dest="aws_command", required=True)
    runners: dict[str, Callable[[argparse.Namespace], int]] = {}

    cleanup = commands.add_parser("cleanup", help="list (and with --yes delete) what thaigen created and no longer needs")
    _bucket(cleanup)
    cleanup.add_argument("--older-than", type=str, default="14d", help="age and idle time threshold (default 14d)")
    cleanup.add_argument("--yes", action="store_true", help="delete the listed items (default: dry run)")
    runners["cleanup"] = _cleanup

    budget = commands.add_parser("budget", help="create or update a monthly cost budget on thaigen's tag")
    budget.add_argument("--monthly", type=float, required=True, help="limit in USD per month")
    budget.add_argument("--email", action="append", required=True, help="alert address (repeat for more)")
    budget.add_argument("--name", default="thaigen", help="budget name (default thaigen)")
    budget.add_argument("--account", help="AWS account id (default: the caller's)")
    runners["budget"] = _budget

    lifecycle = commands.add_parser("lifecycle", help="S3 lifecycle rules on thaigen's prefixes")
    _bucket(lifecycle)
    lifecycle.add_argument("--checkpoint-days", type=int, default=14, help="checkpoints expire after (default 14)")
    lifecycle.add_argument("--ia-days", type=int, default=30, help="channels and models to STANDARD_IA after (default 30)")
    lifecycle.add_argument("--abort-days", type=int, default=7, help="abort incomplete multipart uploads after (default 7)")
    runners["lifecycle"] = _lifecycle

    policy = commands.add_parser("policy", help="print least-privilege role policies, or --check a role against one")
    _bucket(policy)
    policy.add_argument("--repository", required=True, help="ECR repository of the training/processing image")
    policy.add_argument("--serve-repository", help="ECR repository of the serving image (default --repository)")
    policy.add_argument("--role", choices=("training", "processing", "endpoint"), help="only this role's policy"
                        " (with --check: the role to compare with, default training)")
    policy.add_argument("--check", metavar="ROLE_ARN", help="name every right this role holds beyond the policy")
    policy.add_argument("--account", help="AWS account id (default: the caller's)")
    runners["policy"] = _policy

    for name, sub in commands.choices.items():
        _common(sub)
        sub.set_defaults(aws_run=runners[name])
    return lambda args: int(args.aws_run(args))


def _cleanup(args: argparse.Namespace) -> int:
    from trainers.aws import cleanup

    scope = cleanup.Scope(args.bucket, args.prefix.strip("/"), duration(args.older_than), datetime.now(UTC))
    session = _session(args)
    s3, sagemaker = _client(args, session, "s3"), _client(args, session, "sagemaker")
    items = cleanup.find(s3, sagemaker, _client(args, session, "cloudwatch"), scope)
    for item in items:
        print(item.line())
    if not args.yes:
        print(f"dry run: {cleanup.summary(items)}" + ("; rerun with --yes to delete them" if items else ""))
        return 0
    deleted = cleanup.delete(s3, sagemaker, args.bucket, items)
    print(f"deleted {cleanup.summary(deleted)}")
    return 0


def _budget(args: argparse.Namespace) -> int:
    from trainers.aws import budget
    from trainers.aws.tags import cost_filter

    if args.monthly <= 0:
        raise ConfigError(f"--monthly {args.monthly:g}: the limit must be more than 0 USD")
    bad = [address for address in args.email if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address)]
    if bad:
        raise ConfigError(f"--email {bad[0]!r} is not an e-mail address")
    session = _session(args)
    state = budget.ensure_budget(
        _client(args, session, "budgets"), _account(args, session), args.monthly, args.email, args.name
    )
    alerts = ", ".join(f"{a.percent:g}% {a.kind.lower()}" for a in budget.ALERTS)
    print(f"budget {args.name} {state}: ${args.monthly:.2f}/month on tag {cost_filter()}; alerts at {alerts}"
          f" to {len(args.email)} address(es)")
    print("note: activate the cost allocation tag 'project' in the Billing console, or the budget sees no costs")
    return 0


def _lifecycle(args: argparse.Namespace) -> int:
    from trainers.aws import lifecycle

    for option in ("checkpoint_days", "ia_days", "abort_days"):
        if getattr(args, option) < 1:
            raise ConfigError(f"--{option.replace('_', '-')} must be at least 1")
    if args.ia_days < 30:
        raise ConfigError("--ia-days must be at least 30 (S3's minimum for STANDARD_IA)")
    ages = lifecycle.Ages(args.checkpoint_days, args.ia_days, args.abort_days)
    written = lifecycle.apply_rules(_client(args, _session(args), "s3"), args.bucket, args.prefix, ages)
    ours = [rule for rule in written if rule["ID"].startswith(lifecycle.RULE_PREFIX + args.prefix.strip("/") + ":")]
    for rule in ours:
        print(f"{rule['ID']}: {rule['Filter']['Prefix']}")
    print(f"s3://{args.bucket}: {len(ours)} thaigen rule(s), {len(written) - len(ours)} other rule(s) kept")
    return 0


def _policy(args: argparse.Namespace) -> int:
    from trainers.aws import policy
    from trainers.aws.calls import NO_REGION

    session = _session(args)
    region = session.region_name
    if not region:
        raise ConfigError(NO_REGION)
    scope = policy.PolicyScope(
        args.bucket, args.prefix.strip("/"), args.repository, region, _account(args, session),
        args.serve_repository or "",
    )
    if not args.check:
        if args.role:
            print(json.dumps(policy.document(policy.Role(args.role), scope), indent=2))
        else:
            print(json.dumps({role.value: doc for role, doc in policy.documents(scope).items()}, indent=2))
        return 0
    role = policy.Role(args.role or "training")
    found = policy.excess(policy.document(role, scope), policy.role_documents(_client(args, session, "iam"), args.check))
    for finding in found:
        print(finding.line())
    print(f"{args.check}: {len(found)} right(s) beyond thaigen's {role.value} policy")
    return 1 if found else 0
