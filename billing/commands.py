"""What an admin can ask for, validated field by field before any rule runs.

The same models parse a `licensebot simulate` step and a Slack modal submission, so
both refuse the same input with the same field named.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    model_validator,
)

from billing import card_data, seats
from billing.model import Plan, RenewalMode
from billing.money import MINIMUM_PAYMENT, parse_amount

MAX_LICENCES = 1_000_000
SECRET_FIELDS = {"cvc", "cvv", "cvv2", "cvc2", "csc", "security_code", "securitycode", "code"}
NUMBER_FIELDS = {"number", "card_number", "cardnumber", "pan", "num"}
BRANDS = ("visa", "mastercard", "amex", "discover", "jcb", "diners", "unionpay", "other")
PaymentMethod = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_]{2,99}$")]
"""The processor's id of a saved card (Stripe `pm_...`, the sandbox's `pm_sandbox_...`)."""


def _price(value: object) -> Decimal:
    amount = parse_amount(value, places=4)
    if amount <= 0:
        raise ValueError("must be more than 0")
    return amount


def _amount(value: object) -> Decimal:
    amount = parse_amount(value, places=2)
    if amount <= 0:
        raise ValueError("must be more than 0")
    return amount


def _payment(value: Decimal) -> Decimal:
    if value < MINIMUM_PAYMENT:
        raise ValueError(f"the minimum payment is ${MINIMUM_PAYMENT}")
    return value


def _year_month(value: object) -> tuple[int, int]:
    if isinstance(value, date):
        return value.year, value.month
    text = str(value).strip()
    match = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})", text) or re.fullmatch(
        r"([0-9]{1,2})/([0-9]{2}|[0-9]{4})", text
    )
    if not match:
        raise ValueError("write the expiry as YYYY-MM, e.g. 2028-12")
    if "/" in text:
        month, year = int(match.group(1)), int(match.group(2))
        year += 2000 if year < 100 else 0
    else:
        year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValueError("write the expiry as YYYY-MM, e.g. 2028-12")
    return year, month


def refuse_card_secrets(data: Any) -> Any:
    """Refuse a full card number, a security code or a control character wherever it
    appears: under a field named for one, or in any text (billing.card_data)."""
    if isinstance(data, dict):
        for key, value in data.items():
            name = str(key).lower().replace("-", "_")
            if name in NUMBER_FIELDS:
                raise ValueError(
                    f"{key}: a full card number is never accepted; give the last 4 digits"
                )
            if name in SECRET_FIELDS:
                raise ValueError(f"{key}: a card security code is never accepted or stored")
            for text in _texts(value):
                if (why := card_data.refused(text)) is not None:
                    raise ValueError(f"{key}: {why}")
    return data


def _texts(value: Any) -> list[str]:
    """The text in a value, however nested: a nested model checks its own fields."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _texts(item)]
    return []


Price = Annotated[Decimal, BeforeValidator(_price)]
Amount = Annotated[Decimal, BeforeValidator(_amount)]
PaymentAmount = Annotated[Decimal, BeforeValidator(_amount), AfterValidator(_payment)]
Count = Annotated[int, Field(strict=False, ge=1, le=MAX_LICENCES)]
Key = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Reason = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]
DomainName = Annotated[
    str, Field(min_length=3, max_length=253, pattern=r"^([a-z0-9-]+\.)+[a-z]{2,}$")
]
YearMonth = Annotated[tuple[int, int], BeforeValidator(_year_month)]
MAX_SEATS_AT_ONCE = 20_000
"""Holders in one order: a CSV import of every seat of a large subscription at once."""


def _holder(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(
            "Name a holder as a Slack mention (@someone), an e-mail address or device:SERIAL."
        )
    return seats.holder(value)


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _each_once(value: list[str]) -> list[str]:
    seen: set[str] = set()
    for name in value:
        if name in seen:
            raise ValueError(f"{name} is named twice")
        seen.add(name)
    return value


Holder = Annotated[str, Field(max_length=300), BeforeValidator(_holder)]
Holders = Annotated[
    list[Holder],
    BeforeValidator(_one_or_many),
    Field(min_length=1, max_length=MAX_SEATS_AT_ONCE),
    AfterValidator(_each_once),
]


def field_errors(error: ValidationError) -> list[tuple[str, str]]:
    """(field, message) pairs, the field taken from a model-level message's prefix."""
    found = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if ": " in message and re.fullmatch(r"[A-Za-z0-9_]+", message.split(": ", 1)[0]):
            prefix, message = message.split(": ", 1)
            field = f"{field}.{prefix}" if field else prefix
        found.append((field or "input", message))
    return found


class Strict(BaseModel):
    """Input read field by field: unknown fields are refused, text is trimmed, values frozen,
    and no text carries card data or a control character, whichever path it comes by (a
    form, a confirmation's metadata, an approval request, a timeline)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, hide_input_in_errors=True
    )
    _refuse = model_validator(mode="before")(refuse_card_secrets)


class Command(Strict):
    """An order an admin places. `name` is its one name: in the audit trail, in approval
    requests, as the simulate step and as the form's callback id."""

    name: ClassVar[str]


def _expiry_text(value: tuple[int, int]) -> str:
    return f"{value[0]:04d}-{value[1]:02d}"


def _brand(value: str) -> str:
    if value.lower() not in BRANDS:
        raise ValueError(f"must be one of {', '.join(BRANDS)}")
    return value.lower()


def _last4(value: str) -> str:
    if not re.fullmatch(r"[0-9]{4}", value):
        raise ValueError("give exactly the last 4 digits of the card")
    return value


class CardDetails(Strict):
    """Each field checked on its own, so that every wrong one is named at once."""

    brand: Annotated[str, Field(min_length=2, max_length=20), AfterValidator(_brand)]
    last4: Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_last4)]
    expires: YearMonth
    payment_method: PaymentMethod | None = None
    """The processor's id, when the card was entered on its hosted page (SPEC "Payments
    through a processor" 2); None for a reference alone (`simulate`, a card from before)."""

    @field_serializer("expires")
    def _expires(self, value: tuple[int, int]) -> str:
        """Written as it is read, YYYY-MM, so an order survives a round trip through JSON."""
        return _expiry_text(value)


class UpdateCard(Command):
    """Each field checked on its own, so that every wrong one is named at once."""

    name = "update_card"
    brand: Annotated[str, AfterValidator(_brand)] | None = None
    last4: Annotated[str, AfterValidator(_last4)] | None = None
    expires: YearMonth | None = None
    payment_method: PaymentMethod | None = None
    """The processor's id of a card entered on its hosted page: the new card replaces the
    old one entirely (brand, last 4 and expiry are then all given)."""

    @field_serializer("expires")
    def _expires(self, value: tuple[int, int] | None) -> str | None:
        return None if value is None else _expiry_text(value)

    @model_validator(mode="after")
    def _check(self) -> UpdateCard:
        if self.brand is None and self.last4 is None and self.expires is None:
            raise ValueError("expires: give the new expiry, brand or last 4 digits")
        if self.payment_method is not None and None in (self.brand, self.last4, self.expires):
            raise ValueError("payment_method: a new card gives its brand, last 4 and expiry")
        return self


class Signup(Command):
    name = "signup"
    subscription: Key
    product: Name
    plan: Plan
    licences: Count
    price: Price
    perpetual: Annotated[int, Field(ge=0, le=MAX_LICENCES)] = 0
    reseller: Name | None = None

    @model_validator(mode="after")
    def _check(self) -> Signup:
        if self.perpetual >= self.licences:
            raise ValueError("perpetual: must be fewer than the licences")
        return self


class AddLicences(Command):
    name = "add_licences"
    subscription: Key
    count: Count


class SetUsers(Command):
    name = "set_users"
    subscription: Key
    count: Count
    perpetual: Annotated[int, Field(ge=0, le=MAX_LICENCES)] = 0

    @model_validator(mode="after")
    def _check(self) -> SetUsers:
        if self.perpetual > self.count:
            raise ValueError("perpetual: cannot exceed the count")
        return self


class SetupBilling(Command):
    name = "setup_billing"
    card: CardDetails


class Pay(Command):
    name = "pay"
    amount: PaymentAmount
    card: CardDetails | None = None


class Renewal(Command):
    name = "renewal"
    subscription: Key
    mode: RenewalMode
    licences: Count | None = None


class Renew(Command):
    """Renew an annual term by hand (manual renewal mode)."""

    name = "renew"
    subscription: Key
    licences: Count | None = None


class Cancel(Command):
    name = "cancel"
    subscription: Key
    when: Literal["now", "at_expiry"] = "now"
    reason: Reason = "other"


class RegisterDomain(Command):
    name = "register_domain"
    price: Price
    domain: DomainName | None = None


class RefundCredit(Command):
    name = "refund_credit"
    amount: Amount | None = None


class Transfer(Command):
    name = "transfer"
    reseller: Name
    token: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class SetPrice(Command):
    """A catalogue price for new subscriptions (each subscription keeps the price it started at)."""

    name = "set_price"
    product: Key
    plan: Plan
    price: Price


class Assign(Command):
    """Give licences of a subscription to people or devices (SPEC "Licence seats")."""

    name = "assign"
    subscription: Key
    to: Holders
    perpetual: bool = False


class Release(Command):
    name = "release"
    subscription: Key
    to: Holders


class HolderLeft(Command):
    """A person left the workspace: their seats are released (flexible) or flagged for
    reclaim (annual)."""

    name = "holder_left"
    holder: Holder


class SeatRow(Strict):
    line: Annotated[int, Field(ge=1)]
    action: Literal["assign", "release"]
    subscription: Key
    holder: Holder
    perpetual: bool = False


class ImportSeats(Command):
    """Assignments and releases from a CSV file, releases first, all or nothing; with
    `valid_only`, the rows the rules refuse are skipped instead (the admin confirmed)."""

    name = "import_seats"
    rows: Annotated[list[SeatRow], Field(min_length=1, max_length=MAX_SEATS_AT_ONCE)]
    valid_only: bool = False
    file: Annotated[str, Field(max_length=100)] = ""
    """Where the rows came from, for the audit trail."""
