"""The scheduled billing work, one function per job occurrence.

Each job asks the store which customers may need it, then applies the rule to their
accounts, a locked batch at a time; the rules re-check the state, so running an
occurrence twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from billing.account import Account, Retry
from billing.actors import SCHEDULER
from billing.calendar import pacific_day, previous_month
from billing.charging import retry_charge, retry_on_schedule
from billing.domains import renew_domains
from billing.invoicing import issue_monthly_invoice
from billing.lifecycle import end_term, end_trial, suspend_for_non_payment
from billing.model import Change
from billing.reminders import send_reminders
from billing.store import Due, Store

INVOICE_BATCH = 2000
ACCOUNT_BATCH = 500


def _each(
    store: Store, question: Due, at: datetime, rule: Callable[[Account], list[Change]]
) -> int:
    """Apply `rule` to every account the question names, in locked batches."""

    def batch(accounts: list[Account]) -> int:
        done = 0
        for account in accounts:
            for change in rule(account):
                account.audit(SCHEDULER, at, change)
                done += 1
        return done

    return store.for_accounts(store.due(question, at), batch, ACCOUNT_BATCH)


def end_terms(store: Store, at: datetime) -> int:
    day = pacific_day(at)

    def rule(account: Account) -> list[Change]:
        changes = []
        for sub in account.subscriptions:
            before = sub.snapshot()
            if end_term(account, sub, day, at):
                changes.append(Change("term_end", sub.key, before, sub.snapshot()))
        return changes

    return _each(store, Due.TERMS_ENDED, at, rule)


def end_trials(store: Store, at: datetime) -> int:
    def rule(account: Account) -> list[Change]:
        changes = []
        for sub in account.subscriptions:
            before = sub.snapshot()
            if end_trial(account, sub, at):
                changes.append(Change("trial_end", sub.key, before, sub.snapshot()))
        return changes

    return _each(store, Due.TRIALS_ENDED, at, rule)


@dataclass(frozen=True)
class InvoiceRun:
    """The monthly invoice rule of one run: a plain value, so that the store may apply it
    to some batches in a worker process."""

    at: datetime

    def __call__(self, accounts: list[Account]) -> int:
        issued = 0
        for account in accounts:
            if issue_monthly_invoice(account, self.at):
                invoice = account.pending.invoices[-1]
                change = Change("invoice", invoice.key, None, {"total": str(invoice.total)})
                account.audit(SCHEDULER, self.at, change)
                issued += 1
        return issued


def run_invoicing(store: Store, at: datetime, batch_size: int = INVOICE_BATCH) -> int:
    """The monthly invoice run at 00:00 Pacific on the 1st, a locked batch of accounts at a time."""
    return store.for_monthly_batches(previous_month(pacific_day(at)), batch_size, InvoiceRun(at))


def renew_registrations(store: Store, at: datetime) -> int:
    return _each(
        store, Due.DOMAIN_RENEWALS, at, lambda account: renew_domains(account, pacific_day(at), at)
    )


def suspend_overdue(store: Store, at: datetime) -> int:
    def rule(account: Account) -> list[Change]:
        return [
            Change(
                "suspend",
                sub.key,
                {"status": "active"},
                {"status": sub.status.value, "reason": "non_payment"},
            )
            for sub in suspend_for_non_payment(account, at)
        ]

    return _each(store, Due.OVERDUE, at, rule)


def retry_unpaid(store: Store, at: datetime, days: tuple[int, ...]) -> int:
    """The optional retry schedule (LICENSEBOT_RETRY_DAYS): unpaid invoices charged again."""
    if not days:
        return 0

    def rule(account: Account) -> list[Change]:
        return [
            Change("retry_charge", invoice.key, None, {"days_after_issue": list(days)})
            for invoice in retry_on_schedule(account, at, days)
        ]

    return _each(store, Due.UNPAID, at, rule)


def remind(store: Store, at: datetime) -> int:
    def rule(account: Account) -> list[Change]:
        send_reminders(account, pacific_day(at))
        return []

    return _each(store, Due.REMINDERS, at, rule)


DAILY: tuple[Callable[[Store, datetime], int], ...] = (
    end_terms,
    end_trials,
    run_invoicing,
    renew_registrations,
    suspend_overdue,
    remind,
)
"""The jobs of 00:00 Pacific, in the order they run at the same instant."""


def run_daily(store: Store, at: datetime, retry_days: tuple[int, ...] = ()) -> None:
    """The 00:00 jobs; with `retry_days`, unpaid invoices are charged again on those days
    after their issue day, just before overdue accounts are suspended."""
    for job in DAILY:
        if job is run_invoicing and pacific_day(at).day != 1:
            continue
        if job is suspend_overdue:
            retry_unpaid(store, at, retry_days)
        job(store, at)


def run_retry(store: Store, retry: Retry, at: datetime) -> None:
    """The charge retried after a payment-method change, once."""
    with store.account(retry.customer_id) as account:
        current = next((r for r in account.retries if r.id == retry.id), None)
        if current is None or current.done_at is not None:
            return
        before = [sub.snapshot() for sub in account.subscriptions]
        retry_charge(account, at, f"retry:{retry.occasion}")
        account.finish_retry(current, at)
        after = [sub.snapshot() for sub in account.subscriptions]
        account.audit(
            SCHEDULER,
            at,
            Change(
                "retry_charge", retry.occasion, {"subscriptions": before}, {"subscriptions": after}
            ),
        )
