"""English and French: messages from Babel catalogues; money, numbers and dates by Babel's
locales; instants as Slack date tokens (each reader's own zone), billing days in Pacific time.

Message ids are the English text; `views/locale/fr/LC_MESSAGES/licensebot.po` holds the
French. A test checks that every message the code can send has its translation.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval, format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, get_currency_symbol

from billing.calendar import pacific_day
from billing.errors import BillingError, Refusal
from billing.model import Invoice, InvoiceKind, InvoiceLine, Plan, card_reference, expiry_text
from billing.quotes import Line
from billing.seats import SLACK_USER, is_device

LANGUAGES = ("en", "fr")
LOCALES = {"en": "en_US", "fr": "fr_FR"}
CATALOGUES = Path(__file__).with_name("locale")


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; `t` translates it where shown."""
    return message


Plural = tuple[str, str]
"""A message that counts something: its English singular and plural."""


def Nn_(singular: str, plural: str) -> Plural:
    """Mark a counting message where it is defined; `tn` chooses its form where shown."""
    return (singular, plural)


@cache
def _catalogue(language: str) -> dict[str, str]:
    path = CATALOGUES / language / "LC_MESSAGES" / "licensebot.po"
    if language == "en" or not path.exists():
        return {}
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=LOCALES[language])
    return {
        m.id: str(m.string)
        for m in catalogue
        if isinstance(m.id, str) and m.id and m.string and not m.fuzzy
    }


@cache
def _translations(language: str) -> gettext.NullTranslations:
    """The catalogue as gettext reads it, for its plural forms (French says "1 jour", "0 jour",
    "2 jours": its own rule, from the catalogue's Plural-Forms header)."""
    path = CATALOGUES / language / "LC_MESSAGES" / "licensebot.po"
    if language == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=LOCALES[language])
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def t(language: str, message: str, **params: Any) -> str:
    """`message` in `language`, with {placeholders} filled in."""
    text = _catalogue(language).get(message, message)
    return text.format(**params) if params else text


def tn(language: str, message: Plural, n: int, **params: Any) -> str:
    """The form of a counting `message` that `n` takes in `language`, placeholders filled in
    ({count} is `n` unless given)."""
    text = _translations(language).ngettext(message[0], message[1], n)
    return text.format(**{"count": number(n, language), **params})


COLONS = {"fr": "\u00a0: "}
"""French sets a no-break space before a colon; English none."""


def labelled(language: str, label: str, value: str) -> str:
    """`label: value` as the reader's language writes it (the label already translated)."""
    return f"{label}{COLONS.get(language, ': ')}{value}"


def code(language: str, value: str) -> str:
    """A stored code (a cancellation reason, a renewal mode, an alert kind) for the reader.

    The catalogue translates codes; English has no catalogue, so an English reader gets the
    words the code is made of ("too expensive") rather than the code ("too_expensive").
    """
    text = t(language, value)
    if text != value:
        return text
    return ENGLISH_CODES.get(value, value.replace("_", " "))


ENGLISH_CODES = {
    "auto": "automatic",
    "manual": "by hand",
    "cancel_at_expiry": "cancel at expiry",
    "trial_ended_suspended": "trial ended, service suspended",
    "suspended_non_payment": "suspended for non-payment",
}
"""Codes whose words alone would not read as English."""


@lru_cache(maxsize=4096)
def money(amount: Decimal, language: str, currency: str = "USD") -> str:
    """Kept once formatted: screens show the same few amounts over and over, and Babel's
    formatting is the costliest part of drawing one."""
    return format_currency(amount, currency, locale=LOCALES[language])


def currency_symbol(language: str, currency: str = "USD") -> str:
    """The currency as amounts show it: "$" in English, "$US" in French."""
    return get_currency_symbol(currency, locale=LOCALES[language])


def price(amount: Decimal, language: str, currency: str = "USD") -> str:
    """A unit price with every decimal it has (at least the currency's two): a catalogue
    price of 55.125 is not 55.12, and showing it rounded would misstate every invoice."""
    return format_currency(amount, currency, locale=LOCALES[language], decimal_quantization=False)


def number(value: int | Decimal, language: str) -> str:
    """A count as the reader's language writes it: 3,100 in English, 3 100 in French."""
    return format_decimal(value, locale=LOCALES[language])


DAYS_USED = {
    Plan.ANNUAL: Nn_("{count} licence-day", "{count} licence-days"),
    Plan.FLEXIBLE: Nn_("{count} user-day", "{count} user-days"),
}
"""What an invoice line's days count: committed licences on an annual plan, users on a
flexible one (a flexible plan holds no licences)."""
DAYS_UNIT = {Plan.ANNUAL: N_("licence-days"), Plan.FLEXIBLE: N_("user-days")}


def days_used(line: InvoiceLine, language: str) -> str:
    """A line's quantity with what it counts: "195 user-days", "325 jours-licences"."""
    return tn(language, DAYS_USED[line.plan or Plan.ANNUAL], line.quantity_days)


def days_unit(line: InvoiceLine, language: str) -> str:
    return t(language, DAYS_UNIT[line.plan or Plan.ANNUAL])


# ---- time on screen: instants in each reader's zone, billing days in Pacific time ----------

SLACK_DATE = N_("{date_short_pretty} at {time}")
"""How Slack shows an instant (its own tokens, in each reader's zone and language)."""
FALLBACK = N_("{date} at {time}")
"""The same instant where Slack cannot show its token (a notification): written out."""


def instant(at: datetime, language: str, tz: str | None = None) -> str:
    """An instant for Slack: a date token each reader's client shows in their own time zone,
    with a readable fallback in the reader's zone when known (`tz`), else in UTC.

    Never for a billing day (see `billing_day`): an instant is when something happened."""
    zone = ZoneInfo(tz) if tz else UTC
    local = at.astimezone(zone)
    fallback = t(
        language,
        FALLBACK,
        date=format_date(local, "medium", locale=LOCALES[language]),
        time=format_time(local, "short", tzinfo=zone, locale=LOCALES[language]),
    )
    shown = t(language, SLACK_DATE)
    return f"<!date^{int(at.timestamp())}^{shown}|{fallback} {_offset(local)}>"


def _offset(local: datetime) -> str:
    """UTC, UTC+1, UTC-8, UTC+5:30: the zone of a fallback, the same in every language."""
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def billing_day(value: date | datetime, language: str) -> str:
    """A billing day: a calendar date of the Pacific billing calendar (a trial's last day, a
    term's end, a due date), the same for every reader: "Dec 1, 2026", "1 déc. 2026".
    An instant is first taken to its Pacific day."""
    if isinstance(value, datetime):
        value = pacific_day(value)
    return format_date(value, "medium", locale=LOCALES[language])


def billing_month(value: date, language: str) -> str:
    """A month of the billing calendar: "December 2026", "décembre 2026"."""
    return format_skeleton("yMMMM", value, locale=LOCALES[language])


def short_month(value: date, language: str) -> str:
    """A month in a narrow column: "Dec 2026", "déc. 2026"."""
    return format_skeleton("yMMM", value, locale=LOCALES[language])


def _year_month(expires: str) -> tuple[int, int] | None:
    """A card's expiry as stored, YYYY-MM; None for anything else."""
    found = re.fullmatch(r"(\d{4})-(\d{2})", expires)
    if found is None or not 1 <= int(found[2]) <= 12:
        return None
    return int(found[1]), int(found[2])


def card_expiry(expires: str) -> str:
    """A card's expiry, stored as YYYY-MM, as every screen shows it: "12/2030"."""
    found = _year_month(expires)
    return expires if found is None else expiry_text(*found)


STORED_REFERENCE = re.compile(r"\((\d{4}-\d{2})\)$")
"""A card reference as releases before "12/2030" wrote it, kept in older alerts' facts and
refusals: "visa •••• 4242 (2030-12)"."""


def card_text(reference: str) -> str:
    """A card reference taken from stored facts, its expiry as every screen shows it."""
    return STORED_REFERENCE.sub(lambda found: f"({card_expiry(found[1])})", reference)


def card_snapshot(snapshot: Mapping[str, Any]) -> str | None:
    """The card a change records (brand, last4, expires: an audit row's before and after),
    as every screen shows a card; None when the snapshot holds no card."""
    if not {"brand", "last4", "expires"} <= snapshot.keys():
        return None
    found = _year_month(str(snapshot["expires"]))
    if found is None:
        return None
    return card_reference(str(snapshot["brand"]), str(snapshot["last4"]), *found)


def billing_period(start: date, end: date, language: str) -> str:
    """Billing days start..end: "Jun 1 – 30, 2026", "15 mai 2026 – 9 janv. 2027"."""
    if start == end:
        return billing_day(start, language)
    return format_interval(start, end, "yMMMd", locale=LOCALES[language])


def period(invoice: Invoice, language: str) -> str:
    """What an invoice bills: a month of usage, or the days of a one-off charge."""
    if invoice.kind is InvoiceKind.MONTHLY:
        return billing_month(invoice.period_start, language)
    return billing_period(invoice.period_start, invoice.period_end, language)


CODES = ("status", "reason", "mode")
"""Values under these names are stored codes, shown in words."""
PRICES = ("price",)
"""Amounts under these names are unit prices, shown with every decimal they have."""


HOLDERS = ("holder", "holders")
"""Values under these names are seat holders: a Slack user shown as a mention."""


def holder_text(holder: str) -> str:
    """A Slack user as a mention (Slack shows their name), a device by its serial, the rest
    made inert in mrkdwn."""
    if SLACK_USER.match(holder):
        return f"<@{holder}>"
    if is_device(holder):
        return f":desktop_computer: {_escaped(holder.removeprefix('device:'))}"
    return _escaped(holder)


def holders_text(raw: object, most: int = 10) -> str:
    names = [str(raw)] if isinstance(raw, str) else [str(name) for name in raw]  # type: ignore[attr-defined]
    shown = ", ".join(holder_text(name) for name in names[:most])
    return shown + (f" (+{len(names) - most})" if len(names) > most else "")


def value(lang: str, name: str, raw: object) -> str:
    """A value of a domain sentence, the reader's way: amounts as money, days as dates, plans
    and codes in words, a nested sentence translated."""
    if isinstance(raw, Line):
        return render(lang, raw)
    if isinstance(raw, Plan):
        return t(lang, "annual plan") if raw is Plan.ANNUAL else t(lang, "flexible plan")
    if isinstance(raw, Decimal):
        return price(raw, lang) if name in PRICES else money(raw, lang)
    if isinstance(raw, datetime):
        return instant(raw, lang)
    if isinstance(raw, date):
        return billing_day(raw, lang)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return number(raw, lang)
    if name in CODES:
        return code(lang, str(raw))
    if name == "expires":
        return card_expiry(str(raw))
    if name == "card":
        return card_text(str(raw))
    return str(raw)


def render(lang: str, line: Line, escape: bool = False) -> str:
    """A sentence the domain wrote in English (a quote's line, an order's summary) in the
    reader's language. `escape` makes user-typed values inert in mrkdwn."""
    params = {}
    for name, raw in line.params.items():
        if name in HOLDERS:  # made inert by holder_text itself, mentions kept
            params[name] = holders_text(raw)
            continue
        shown = value(lang, name, raw)
        params[name] = _escaped(shown) if escape and isinstance(raw, str) else shown
    if line.plural:
        return tn(lang, (line.template, line.plural), int(str(line.params["count"])), **params)
    return t(lang, line.template, **params)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def refusal(lang: str, error: BillingError | Refusal) -> str:
    """A refusal in the reader's language, now or kept from earlier (a failed approval)."""
    return render(lang, Line(error.template, error.params))
