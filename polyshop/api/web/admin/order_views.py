"""What the order page shows, worked out before the template: the audit trail's lines in
words, who acted (an email rather than an account id), and the time-travel slider's moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from polyshop.api.web.storefront.pages import money
from polyshop.eventstore.events import RecordedEvent
from polyshop.orders.audit import Audit


@dataclass(frozen=True, slots=True)
class TrailLine:
    """One event of the order: its number, what happened, when, by whom, and details."""

    number: int
    event: RecordedEvent
    actor: str
    details: str

    @property
    def at(self) -> str:
        return self.event.recorded_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    @property
    def as_of(self) -> str:
        """The moment for `?as_of=`: to the microsecond, so this event is included."""
        return self.event.recorded_at.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class TimeTravel:
    """The slider: at event `number` of `count`, and the order as it stood then."""

    number: int
    count: int
    then: dict[str, Any]

    @property
    def is_now(self) -> bool:
        return self.number == self.count


def _money(data: dict[str, Any], key: str = "amount") -> str:
    amount = data.get(key)
    return money(amount, data.get("currency", "USD")) if amount not in (None, "None") else ""


def details(event: RecordedEvent) -> str:
    """The facts of an event a person wants in the trail, in a few words."""
    data = event.data
    match event.type:
        case "OrderPlaced":
            units = sum(int(item["quantity"]) for item in data["items"])
            return f"{units} item{'s' if units != 1 else ''}, total {_money(data, 'total')}"
        case "OrderPaid":
            return f"payment {data['payment_id']}, {_money(data)}"
        case "PaymentFailed" | "PaymentRefundDue":
            return f"payment {data['payment_id']}, {_money(data)}: {data.get('reason', '')}"
        case "OrderShipped":
            return f"tracking number {data['tracking_number']}"
        case "OrderCancelled":
            kept = "stock released" if data.get("stock") == "release" else "stock put back"
            return f"{data.get('reason', '')} ({kept})"
        case "OrderRefunded":
            back = ", stock put back" if data.get("restock") else ""
            return f"{_money(data)}: {data.get('reason', '')}{back}"
        case "OrderClaimed":
            return "joined the account that signed up with its email"
    return ""


def actor_name(actor: str | None, emails: dict[str, str]) -> str:
    """`user:<id>` as the user's email; the operator, provider and system as named."""
    if actor is None:
        return "system"
    if actor.startswith("user:"):
        user_id = actor.removeprefix("user:")
        return emails.get(user_id, user_id)
    return {"operator": "operator token", "payment-provider": "payment provider"}.get(actor, actor)


def user_ids(events: list[RecordedEvent]) -> list[str]:
    """The accounts that acted on the order, to look their emails up at once."""
    actors = {e.metadata.actor or "" for e in events}
    return sorted(a.removeprefix("user:") for a in actors if a.startswith("user:"))


def trail(audit: Audit, emails: dict[str, str]) -> list[TrailLine]:
    return [
        TrailLine(number, event, actor_name(event.metadata.actor, emails), details(event))
        for number, event in enumerate(audit.events, start=1)
    ]


def travel(audit: Audit, at: int | None, as_of: datetime | None) -> TimeTravel:
    """Where the slider stands: at event `at`, else at the last event by `as_of`, else now.
    A moment before the order was placed shows it as placed (the slider's first stop)."""
    count = len(audit.events)
    if at is None and as_of is not None:
        at = sum(1 for event in audit.events if event.recorded_at <= as_of)
    number = max(1, min(at if at is not None else count, count))
    return TimeTravel(number, count, audit.at_event(number))
