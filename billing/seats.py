"""Licence seats: who holds each licence of a subscription (SPEC "Licence seats").

A seat gives one licence to a holder: a Slack user (`U…`), an e-mail address (compared
case-insensitively) or a device (`device:SERIAL`). A device with a built-in perpetual
licence holds a seat that is listed but never paid for. On an annual plan the named seats
never exceed the commitment; on a flexible plan the users are the seats, so naming a holder
when every user is named adds a user, and releasing one removes a user (from the next day,
by the q(d) rule, which the quantity history already applies).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing.account import Account
from billing.errors import BillingError, NotAllowed, NotFound
from billing.model import AlertKind, Plan, Seat, Subscription

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{1,20}$")
MENTION = re.compile(r"^<@([UW][A-Z0-9]{1,20})(?:\|[^<>]{0,80})?>$")
EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$"
)
MAILTO = re.compile(r"^<mailto:([^|<>]{3,254})(?:\|[^<>]{0,254})?>$")
DEVICE = re.compile(r"^device:([A-Za-z0-9][A-Za-z0-9._-]{0,63})$", re.IGNORECASE)
CARD_LIKE = re.compile(r"^[0-9]{16,19}$")
"""A serial of 16 to 19 digits is shaped like a card number, and never taken (a 15-digit IMEI is)."""
LOW = 0.9
"""seats_low when the assigned seats reach this share of an annual commitment."""


def holder(text: str) -> str:
    """A holder as stored and compared: a Slack user id, a lower-case e-mail address, or
    `device:SERIAL`. Slack's escaped forms (`<@U…|name>`, `<mailto:…|…>`) are accepted."""
    text = text.strip()
    if mention := MENTION.match(text):
        return mention.group(1)
    if mailto := MAILTO.match(text):
        text = mailto.group(1)
    if SLACK_USER.match(text):
        return text
    if device := DEVICE.match(text):
        serial = device.group(1).upper()
        if CARD_LIKE.match(serial):
            raise ValueError(
                "A serial of 16 to 19 digits looks like a card number: never type one."
            )
        return f"device:{serial}"
    if len(text) <= 254 and EMAIL.match(text):
        return text.lower()
    raise ValueError(
        "Name a holder as a Slack mention (@someone), an e-mail address or device:SERIAL."
    )


def is_device(name: str) -> bool:
    return name.startswith("device:")


class RowsRefused(BillingError):
    """A file of seat changes with rows the rules refuse: nothing of it was applied."""

    code = "rows_refused"

    def __init__(self, rows: list[dict[str, Any]], valid: int) -> None:
        super().__init__(
            "{refused} rows of the file cannot be applied, {valid} can: nothing was changed",
            field="rows",
            refused=len(rows),
            valid=valid,
        )
        self.rows = rows
        """Each refused row: its line, and the refusal's template and values."""


@dataclass(frozen=True)
class Counted:
    """Seats before and after an order, for its audit row and its alerts."""

    before: int
    after: int


def assign(
    account: Account,
    sub: Subscription,
    names: list[str],
    at: datetime,
    occasion: str,
    *,
    perpetual: bool = False,
) -> Counted:
    """Give each holder a seat of `sub`; refused as a whole if one of them cannot have one."""
    for name in names:
        if account.seat(sub, name) is not None:
            raise BillingError(
                "{holder} already holds a licence of {subscription}",
                field="to",
                holder=name,
                subscription=sub.key,
            )
        if perpetual and not is_device(name):
            raise BillingError(
                "only a device has a built-in perpetual licence, not {holder}",
                field="perpetual",
                holder=name,
            )
    before = account.seats_used(sub)
    paid = 0 if perpetual else len(names)
    if sub.plan is Plan.ANNUAL and before + paid > sub.licences:
        raise NotAllowed(
            "{subscription} has no licence left for these: {used} of {licences} are assigned. "
            "Buy {shortfall} more.",
            field="to",
            subscription=sub.key,
            licences=sub.licences,
            used=before,
            shortfall=before + paid - sub.licences,
        )
    if sub.plan is Plan.FLEXIBLE:
        added = max(0, before + paid - sub.licences)
        if added:
            account.set_quantity(sub, at, sub.licences + added)
    for name in names:
        account.add_seat(sub, Seat(name, at, perpetual=perpetual, subscription_id=sub.id))
    counted = Counted(before, account.seats_used(sub))
    _alert_crossing(account, sub, counted, at, occasion)
    return counted


def release(account: Account, sub: Subscription, names: list[str], at: datetime) -> Counted:
    """Free each holder's seat; on a flexible plan each paid seat freed is a user less."""
    seats = []
    for name in names:
        seat = account.seat(sub, name)
        if seat is None:
            raise NotFound(
                "{holder} holds no licence of {subscription}",
                field="to",
                holder=name,
                subscription=sub.key,
            )
        seats.append(seat)
    before = account.seats_used(sub)
    for seat in seats:
        account.release_seat(sub, seat, at)
    after = account.seats_used(sub)
    if sub.plan is Plan.FLEXIBLE and before > after:
        account.set_quantity(sub, at, max(0, sub.licences - (before - after)))
    return Counted(before, after)


def thresholds(licences: int) -> tuple[int, int]:
    """The seats at which an annual commitment is low (90 %, rounded up) and exhausted."""
    return math.ceil(licences * LOW), licences


def _alert_crossing(
    account: Account, sub: Subscription, counted: Counted, at: datetime, occasion: str
) -> None:
    """Once per crossing: the order that crosses a line is the alert's occasion; an order
    crossing both lines gives only seats_exhausted."""
    if sub.plan is not Plan.ANNUAL or sub.licences == 0:
        return
    low, full = thresholds(sub.licences)
    used, licences = counted.after, sub.licences
    if counted.before < full <= counted.after:
        account.alert(AlertKind.SEATS_EXHAUSTED, at, occasion, sub, used=used, licences=licences)
    elif counted.before < low <= counted.after:
        account.alert(AlertKind.SEATS_LOW, at, occasion, sub, used=used, licences=licences)


def unassigned(sub: Subscription) -> int:
    """Licences no one holds (the 30-day renewal alert lists them with the seats to reclaim)."""
    return max(0, sub.licences - sub.seats_used)


def to_reclaim(sub: Subscription) -> list[str]:
    """Holders who left the workspace and still hold a seat."""
    return sorted(seat.holder for seat in sub.seats if seat.reclaim_since is not None)


def below_named(sub: Subscription, count: int, field: str) -> None:
    """A count of users, or of licences at renewal, never drops below the named seats."""
    if count < sub.seats_used:
        raise NotAllowed(
            "That is fewer than the seats of {subscription} already named ({used}): "
            "release seats first (/license seats {subscription})",
            field=field,
            used=sub.seats_used,
            subscription=sub.key,
        )
