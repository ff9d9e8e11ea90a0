"""`licensebot simulate`: replay a timeline on a fresh in-memory database.

The real services handle each step and the real scheduler runs every job that falls
due as the simulated clock moves, so a what-if costs exactly what the real thing will.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from billing.actors import TIMELINE
from billing.calendar import to_pacific
from billing.errors import BillingError
from billing.history import AlertRecord
from billing.model import AlertKind
from billing.money import fmt
from bot.timeline import Step, Timeline, TimelineError
from payments.sandbox import SandboxGateway
from scheduler.runner import Runner
from services.billing import Billing
from services.charging import Charger
from storage.charges import SqlChargeQueue
from storage.db import MEMORY_URL, make_engine
from storage.models import Base
from storage.store import SqlStore


def instant(at: datetime) -> str:
    return to_pacific(at).isoformat()


class SimulatedClock:
    """The instant the timeline has reached: the charge worker and the sandbox processor
    read it, so a charge is sent and answered at its step's or job's own instant."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def settling(self, charger: Charger) -> Callable[[datetime], int]:
        def settle(at: datetime) -> int:
            self.at = at
            return charger.run(at)

        return settle


def _apply(billing: Billing, customer_id: int, step: Step) -> None:
    billing.order(customer_id, step.order, at=step.at, actor=TIMELINE, key=f"step-{step.index}")


def simulate(
    timeline: Timeline, engine: Engine | None = None, retry_days: tuple[int, ...] = ()
) -> dict[str, Any]:
    """Replay `timeline` on `engine` (an empty database), by default a fresh in-memory one;
    `retry_days` as LICENSEBOT_RETRY_DAYS says (the CLI reads it)."""
    own = engine is None
    engine = engine or make_engine(MEMORY_URL)
    Base.metadata.create_all(engine)
    store = SqlStore(engine)
    origin = timeline.steps[0].at if timeline.steps else timeline.until
    clock = SimulatedClock(origin)
    charger = Charger(store, SqlChargeQueue(store), SandboxGateway(engine, clock), clock)
    billing = Billing(store, charges=charger, retry_days=retry_days)
    customer = billing.open_account(timeline.domain, origin)
    runner = Runner(store, origin, settle=clock.settling(charger), retry_days=retry_days)
    for step in timeline.steps:
        runner.run_until(step.at)
        clock.at = step.at
        try:
            _apply(billing, customer.id, step)
        except BillingError as error:
            field = f"{error.field}: " if error.field else ""
            raise TimelineError(
                f"step {step.index} ({step.action}): {field}{error.message}"
            ) from None
    runner.run_until(timeline.until)
    try:
        return report(store, billing, customer.id, timeline.until)
    finally:
        if own:
            engine.dispose()


def report(store: SqlStore, billing: Billing, customer_id: int, at: datetime) -> dict[str, Any]:
    overview = billing.overview(customer_id, at)
    balance = overview.balance
    return {
        "invoices": [
            {
                "number": inv.number,
                "issued_at": instant(inv.issued_at),
                "period": inv.period,
                "lines": [
                    {
                        "subscription": line.subscription_key,
                        "description": line.description,
                        "quantity_days": line.quantity_days,
                        "amount": fmt(line.amount),
                    }
                    for line in inv.lines
                ],
                "total": fmt(inv.total),
                "status": "paid" if inv.unpaid == 0 else "unpaid",
            }
            for inv in store.invoices(customer_id)
        ],
        "transactions": [
            {"at": instant(tx.at), "kind": tx.kind, "amount": fmt(tx.amount), "invoice": tx.invoice}
            for tx in store.ledger(customer_id)
        ],
        "balance": {
            "current_cycle": fmt(balance.current_cycle),
            "balance_due": fmt(balance.balance_due),
            "credit": fmt(balance.credit),
            "total": fmt(balance.total),
        },
        "subscriptions": [
            {
                "subscription": sub.key,
                "status": sub.status.value,
                "plan": sub.plan.value,
                "licences": sub.licences,
                "seats_used": sub.seats_used,
                "term_end": sub.term_end.isoformat() if sub.term_end else None,
            }
            for sub in overview.subscriptions
        ],
        "alerts": [alert_of(alert) for alert in store.alerts(customer_id)],
    }


def alert_of(alert: AlertRecord) -> dict[str, Any]:
    """An alert as SPEC prints it; a failed payment also says why (`reason`)."""
    shown = {"at": instant(alert.at), "kind": alert.kind, "subscription": alert.subscription}
    if alert.kind == AlertKind.PAYMENT_FAILED.value and "reason" in alert.facts:
        shown["reason"] = alert.facts["reason"]
    return shown
