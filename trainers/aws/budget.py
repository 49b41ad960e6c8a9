"""An AWS Budgets cost budget on thaigen's tag, with e-mail alerts at 80 % and 100 % actual and 100 % forecast."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from trainers.aws.calls import AwsError, call, error_code
from trainers.aws.tags import cost_filter

DEFAULT_NAME = "thaigen"


@dataclass(frozen=True)
class Alert:
    """One budget notification: a share of the limit, on actual or forecast spend."""

    kind: str
    """ACTUAL or FORECASTED."""
    percent: float

    def notification(self) -> dict[str, Any]:
        """The Budgets `Notification` structure."""
        return {
            "NotificationType": self.kind,
            "ComparisonOperator": "GREATER_THAN",
            "Threshold": self.percent,
            "ThresholdType": "PERCENTAGE",
        }


ALERTS = (Alert("ACTUAL", 80.0), Alert("ACTUAL", 100.0), Alert("FORECASTED", 100.0))


def budget_request(name: str, monthly_usd: float) -> dict[str, Any]:
    """The `Budget` structure: a monthly cost budget filtered to thaigen's tag."""
    return {
        "BudgetName": name,
        "BudgetLimit": {"Amount": f"{monthly_usd:.2f}", "Unit": "USD"},
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
        "CostFilters": {"TagKeyValue": [cost_filter()]},
    }


def _same(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return (
        Decimal(existing["BudgetLimit"]["Amount"]) == Decimal(wanted["BudgetLimit"]["Amount"])
        and existing["BudgetLimit"]["Unit"] == wanted["BudgetLimit"]["Unit"]
        and existing.get("TimeUnit") == wanted["TimeUnit"]
        and existing.get("CostFilters") == wanted["CostFilters"]
    )


def _key(notification: dict[str, Any]) -> tuple[str, str, float, str]:
    return (
        notification["NotificationType"],
        notification["ComparisonOperator"],
        float(notification["Threshold"]),
        notification.get("ThresholdType", "PERCENTAGE"),
    )


def ensure_budget(budgets: Any, account_id: str, monthly_usd: float, emails: list[str], name: str = DEFAULT_NAME) -> str:
    """Create the budget, or bring an existing one to this limit, filter and these alerts; returns 'created',
    'updated' or 'unchanged' (the alerts are always rewritten with `emails` as their subscribers).

    Raises:
        AwsError: an AWS call failed.
    """
    wanted = budget_request(name, monthly_usd)
    subscribers = [{"SubscriptionType": "EMAIL", "Address": address} for address in emails]
    resource = f"budget {name}"
    try:
        existing = call(budgets, "describe_budget", resource, AccountId=account_id, BudgetName=name)["Budget"]
    except AwsError as exc:
        if error_code(exc) != "NotFoundException":
            raise
        call(budgets, "create_budget", resource, AccountId=account_id, Budget=wanted, NotificationsWithSubscribers=[
            {"Notification": alert.notification(), "Subscribers": subscribers} for alert in ALERTS
        ])
        return "created"
    state = "unchanged"
    if not _same(existing, wanted):
        call(budgets, "update_budget", resource, AccountId=account_id, NewBudget=wanted)
        state = "updated"
    present = {
        _key(n): n
        for n in call(budgets, "describe_notifications_for_budget", resource, AccountId=account_id, BudgetName=name)
        .get("Notifications", [])
    }
    for alert in ALERTS:
        notification = alert.notification()
        if _key(notification) in present:  # replaced, so its subscribers are exactly `emails`
            call(budgets, "delete_notification", f"{resource} alert {alert.kind} {alert.percent:g}%",
                 AccountId=account_id, BudgetName=name, Notification=present[_key(notification)])
        call(budgets, "create_notification", f"{resource} alert {alert.kind} {alert.percent:g}%",
             AccountId=account_id, BudgetName=name, Notification=notification, Subscribers=subscribers)
    return state
