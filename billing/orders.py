"""Orders on subscriptions: sign-up, licences, renewal, cancellation, transfer.

Each function applies one admin request to an account and returns what changed.
"""

from __future__ import annotations

from datetime import datetime

from billing import commands as cmd
from billing import seats
from billing.account import Account
from billing.calendar import ONE_DAY, month_start, pacific_day
from billing.errors import BillingError, NotAllowed, ResellerManaged
from billing.invoicing import issue_monthly_invoice, monthly_lines
from billing.ledger import draft, issue
from billing.lines import LineFacts, LineKind
from billing.model import (
    AlertKind,
    Change,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    Occasion,
    Plan,
    RenewalMode,
    Status,
    Subscription,
)
from billing.proration import remainder_amount


def ensure_direct(account: Account, sub: Subscription | None = None) -> None:
    """Refuse changes to anything a reseller manages, naming whom to contact."""
    reseller = account.customer.reseller or (sub.reseller if sub else None)
    if reseller:
        if sub is not None and account.customer.reseller is None:
            raise ResellerManaged(
                "{subscription} is managed by the reseller {reseller}: contact them to change it",
                field="subscription",
                subscription=sub.key,
                reseller=reseller,
            )
        raise ResellerManaged(
            "this account is managed by the reseller {reseller}: contact them to change it",
            field="subscription",
            reseller=reseller,
        )


def changeable(account: Account, key: str) -> Subscription:
    sub = account.subscription(key)
    ensure_direct(account, sub)
    if sub.ended:
        raise NotAllowed(
            "{subscription} has ended ({status}): it can no longer be changed",
            field="subscription",
            subscription=sub.key,
            status=sub.status.value,
        )
    return sub


def annual(sub: Subscription) -> Subscription:
    if sub.plan is not Plan.ANNUAL:
        raise NotAllowed(
            "{subscription} is on the flexible plan, which has no term to renew",
            field="subscription",
            subscription=sub.key,
        )
    return sub


def signup(account: Account, order: cmd.Signup, at: datetime, occasion: Occasion) -> Change:
    if order.reseller is None:
        ensure_direct(account)
    if any(sub.key == order.subscription for sub in account.subscriptions):
        raise BillingError(
            "a subscription called “{subscription}” already exists",
            field="subscription",
            subscription=order.subscription,
        )
    sub = Subscription(
        customer_id=account.id,
        key=order.subscription,
        product=order.product,
        plan=order.plan,
        price=order.price,
        signed_up_at=at,
        status=Status.RESELLER if order.reseller else Status.TRIAL,
        reseller=order.reseller,
    )
    account.add_subscription(sub)
    account.set_quantity(sub, at, order.licences - order.perpetual)
    return Change(
        order.name,
        sub.key,
        None,
        {**sub.snapshot(), "trial_last_day": sub.trial_last_day.isoformat()},
    )


def add_licences(
    account: Account, order: cmd.AddLicences, at: datetime, occasion: Occasion
) -> Change:
    """Licences are added to what is held: 25 held and 25 asked make 50."""
    sub = changeable(account, order.subscription)
    before = sub.snapshot()
    account.set_quantity(sub, at, sub.licences + order.count)
    return Change(order.name, sub.key, before, {**sub.snapshot(), "added": order.count})


def set_users(account: Account, order: cmd.SetUsers, at: datetime, occasion: Occasion) -> Change:
    """Users (flexible) or licences; devices with a built-in perpetual licence never count."""
    sub = changeable(account, order.subscription)
    count = order.count - order.perpetual
    committed = sub.plan is Plan.ANNUAL and sub.paid_from is not None
    if committed and count < sub.licences:
        raise NotAllowed(
            "an annual commitment of {licences} licences can only be reduced at renewal: "
            "set the licences for the renewal instead",
            field="count",
            licences=sub.licences,
        )
    seats.below_named(sub, count, "count")
    before = sub.snapshot()
    if count != sub.licences:
        account.set_quantity(sub, at, count)
    return Change(order.name, sub.key, before, sub.snapshot())


def renewal(account: Account, order: cmd.Renewal, at: datetime, occasion: Occasion) -> Change:
    sub = annual(changeable(account, order.subscription))
    before = sub.snapshot()
    if order.licences is not None:
        seats.below_named(sub, order.licences, "licences")
    sub.renewal_mode = order.mode
    if order.licences is not None:
        sub.renewal_licences = order.licences
    account.touch(sub)
    return Change(order.name, sub.key, before, sub.snapshot())


def renew(account: Account, order: cmd.Renew, at: datetime, occasion: Occasion) -> Change:
    """Book the next term of a manually renewed subscription before its term ends."""
    sub = annual(changeable(account, order.subscription))
    if sub.term_end is None:
        raise NotAllowed(
            "{subscription} has no term yet: it starts when paid service does",
            field="subscription",
            subscription=sub.key,
        )
    if order.licences is not None:
        seats.below_named(sub, order.licences, "licences")
    before = sub.snapshot()
    sub.renewal_booked = True
    if order.licences is not None:
        sub.renewal_licences = order.licences
    account.touch(sub)
    return Change(order.name, sub.key, before, {**sub.snapshot(), "renewal_booked": True})


def cancel(account: Account, order: cmd.Cancel, at: datetime, occasion: Occasion) -> Change:
    sub = changeable(account, order.subscription)
    before = sub.snapshot()
    if order.when == "at_expiry":
        annual(sub)
        sub.renewal_mode = RenewalMode.CANCEL_AT_EXPIRY
        sub.cancel_reason = order.reason
        account.touch(sub)
        return Change(order.name, sub.key, before, sub.snapshot())
    day = pacific_day(at)
    remainder = _remainder_invoice(account, sub, at)
    account.lift_suspension(sub, at)
    sub.status = Status.CANCELLED
    sub.term_end = day
    sub.cancel_reason = order.reason
    account.touch(sub)
    account.alert(AlertKind.CANCELLED, at, "now", sub, reason=order.reason)
    after = sub.snapshot()
    if remainder is not None and issue(account, remainder):
        after["remainder"] = str(remainder.total)
    return Change(order.name, sub.key, before, after)


def _remainder_invoice(account: Account, sub: Subscription, at: datetime) -> Invoice | None:
    """Annual plan in paid service: the rest of the commitment, invoiced at once."""
    day = pacific_day(at)
    if (
        sub.plan is not Plan.ANNUAL
        or sub.paid_from is None
        or sub.term_end is None
        or sub.term_end <= day
    ):
        return None
    amount = remainder_amount(sub.price, sub.licences, day, sub.term_end)
    first = day + ONE_DAY
    line = InvoiceLine(
        description=LineFacts(
            LineKind.REMAINDER, sub.product, first, sub.term_end, sub.plan
        ).description,
        amount=amount,
        quantity_days=sub.licences * ((sub.term_end - day).days),
        subscription_id=sub.id,
        subscription_key=sub.key,
        period_start=first,
        period_end=sub.term_end,
        plan=sub.plan,
    )
    return draft(
        account,
        InvoiceKind.CANCELLATION,
        f"cancellation:{sub.key}",
        [line],
        at,
        (first, sub.term_end),
    )


def transfer(account: Account, order: cmd.Transfer, at: datetime, occasion: Occasion) -> Change:
    """All subscriptions move to the reseller after a final invoice for this month's usage,
    that of the subscriptions already ended included (settled detail 15): after it, nothing
    is invoiced here."""
    ensure_direct(account)
    day = pacific_day(at)
    issue_monthly_invoice(account, at)  # last month's, if the 1st's run has not reached us yet
    lines = monthly_lines(account, month_start(day), day)
    moving = [sub for sub in account.subscriptions if not sub.ended and sub.billed_directly]
    for sub in moving:
        account.lift_suspension(sub, at)
        sub.status = Status.TRANSFERRED
        sub.term_end = day
        account.touch(sub)
        account.alert(AlertKind.TRANSFERRED, at, "transfer", sub, reseller=order.reseller)
    account.customer.reseller = order.reseller
    account.customer.transferred_at = at
    account.touch_customer()
    final = draft(account, InvoiceKind.FINAL, f"final:{day}", lines, at, (month_start(day), day))
    issued = issue(account, final)
    return Change(
        order.name,
        account.customer.domain,
        None,
        {
            "reseller": order.reseller,
            "token_given": order.token is not None,
            "subscriptions": [sub.key for sub in moving],
            "final_invoice": str(final.total) if issued else None,
        },
    )


# ---- seats -------------------------------------------------------------------------------


def assign(account: Account, order: cmd.Assign, at: datetime, occasion: Occasion) -> Change:
    sub = changeable(account, order.subscription)
    before = _with_seats(sub)
    seats.assign(account, sub, order.to, at, occasion.name, perpetual=order.perpetual)
    return Change(order.name, sub.key, before, {**_with_seats(sub), "assigned": order.to})


def release(account: Account, order: cmd.Release, at: datetime, occasion: Occasion) -> Change:
    sub = changeable(account, order.subscription)
    before = _with_seats(sub)
    seats.release(account, sub, order.to, at)
    return Change(order.name, sub.key, before, {**_with_seats(sub), "released": order.to})


def _with_seats(sub: Subscription) -> dict[str, object]:
    return {**sub.snapshot(), "seats_used": sub.seats_used}


def holder_left(
    account: Account, order: cmd.HolderLeft, at: datetime, occasion: Occasion
) -> Change:
    """Seats of someone who left: released on flexible plans, flagged on annual ones (the
    commitment is paid for either way; the admin reclaims or renews for fewer)."""
    released, flagged = [], []
    for sub in account.subscriptions:
        seat = account.seat(sub, order.holder)
        if seat is None or sub.ended or not sub.billed_directly:
            continue
        if sub.plan is Plan.FLEXIBLE:
            seats.release(account, sub, [order.holder], at)
            released.append(sub.key)
        elif seat.reclaim_since is None:
            account.flag_seat(seat, at)
            account.touch(sub)
            flagged.append(sub.key)
    return Change(order.name, order.holder, None, {"released": released, "flagged": flagged})


def import_seats(
    account: Account, order: cmd.ImportSeats, at: datetime, occasion: Occasion
) -> Change:
    """Releases first, then assignments, row by row; a row the rules refuse refuses the
    file (nothing is applied), unless `valid_only` says to skip it."""
    rows = sorted(order.rows, key=lambda row: (row.action != "release", row.subscription, row.line))
    done: list[int] = []
    refused: list[dict[str, object]] = []
    for row in rows:
        try:
            sub = changeable(account, row.subscription)
            if row.action == "release":
                seats.release(account, sub, [row.holder], at)
            else:
                seats.assign(account, sub, [row.holder], at, occasion.name, perpetual=row.perpetual)
            done.append(row.line)
        except BillingError as error:
            refused.append({"line": row.line, "template": error.template, "params": error.params})
    if refused and not order.valid_only:
        raise seats.RowsRefused(refused, len(done))
    after = {"applied": len(done), "skipped": sorted(int(str(r["line"])) for r in refused)}
    return Change(order.name, order.file or "csv", None, after)
