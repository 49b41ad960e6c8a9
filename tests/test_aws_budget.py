"""`thaigen aws budget` against moto (server mode, loopback): the budget and its three alerts through the API."""

from __future__ import annotations

import pytest
from aws_account import Clients, clients, reset

from thaigen.cli import main
from trainers.aws.budget import ensure_budget
from trainers.aws.calls import AwsError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning")

ACCOUNT = "123456789012"  # moto's


@pytest.fixture
def aws(moto_url: str) -> Clients:
    reset(moto_url)
    return clients(moto_url)


def _alerts(aws: Clients, name: str = "thaigen") -> list[tuple[str, str, float, str]]:
    found = aws.budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=name)["Notifications"]
    return sorted((n["NotificationType"], n["ComparisonOperator"], n["Threshold"], n["ThresholdType"]) for n in found)


EXPECTED_ALERTS = [
    ("ACTUAL", "GREATER_THAN", 80.0, "PERCENTAGE"),
    ("ACTUAL", "GREATER_THAN", 100.0, "PERCENTAGE"),
    ("FORECASTED", "GREATER_THAN", 100.0, "PERCENTAGE"),
]


def test_budget_command_creates_a_tag_filtered_monthly_budget_with_three_alerts(
    aws: Clients, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["aws", "budget", "--monthly", "50", "--email", "ops@example.com", "--endpoint-url", moto_url]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("budget thaigen created: $50.00/month on tag user:project$thaigen")
    budget = aws.budgets.describe_budget(AccountId=ACCOUNT, BudgetName="thaigen")["Budget"]
    assert budget["BudgetLimit"] == {"Amount": "50.00", "Unit": "USD"}
    assert (budget["TimeUnit"], budget["BudgetType"]) == ("MONTHLY", "COST")
    assert budget["CostFilters"] == {"TagKeyValue": ["user:project$thaigen"]}
    assert _alerts(aws) == EXPECTED_ALERTS

    assert main([*argv, "--email", "lead@example.com"]) == 0  # same limit: the alerts are rewritten, not doubled
    assert capsys.readouterr().out.startswith("budget thaigen unchanged:")
    assert _alerts(aws) == EXPECTED_ALERTS


@pytest.mark.xfail(strict=True, raises=AwsError, reason="moto 5.2.5 has no UpdateBudget (HTTP 500)")
def test_a_new_limit_updates_the_budget(aws: Clients) -> None:
    assert ensure_budget(aws.budgets, ACCOUNT, 50, ["ops@example.com"]) == "created"
    assert ensure_budget(aws.budgets, ACCOUNT, 80, ["ops@example.com"]) == "updated"
    budget = aws.budgets.describe_budget(AccountId=ACCOUNT, BudgetName="thaigen")["Budget"]
    assert budget["BudgetLimit"]["Amount"] in ("80", "80.00")


def test_budget_refuses_bad_input_in_one_line(moto_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["aws", "budget", "--monthly", "0", "--email", "a@b.co", "--endpoint-url", moto_url]) == 2
    assert capsys.readouterr().err == "thaigen: error: --monthly 0: the limit must be more than 0 USD\n"
    assert main(["aws", "budget", "--monthly", "5", "--email", "nobody", "--endpoint-url", moto_url]) == 2
    assert capsys.readouterr().err == "thaigen: error: --email 'nobody' is not an e-mail address\n"
