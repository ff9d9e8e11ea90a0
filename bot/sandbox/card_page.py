"""The sandbox processor's hosted pages: the card page (`GET /sandbox/card?state=...` and
its POST), and the bank's page where a payment needing authentication is confirmed.

It looks like a processor's card form, but since it is the sandbox the payer picks one of
SPEC's test cards (or any brand, last 4 and expiry) instead of typing a number: it never
accepts a full card number or a security code, even here (billing.card_data). Its POST plays
the part of the processor's confirmation (Stripe's webhook): the sandbox gateway makes the
payment-method id and `CardEntry.complete` saves the card on the account the link is for.

Nothing of the request's body is ever logged.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from billing import card_data
from billing.commands import BRANDS, NUMBER_FIELDS, SECRET_FIELDS
from payments.sandbox import SandboxGateway
from services.card_entry import CardEntry, Refused
from services.processor_events import ProcessorEvents
from views.i18n import money, refusal

PATH = "/sandbox/card"
BODY_LIMIT = 4096
TEST_CARDS = (
    ("4242", "visa", "Visa •••• 4242: succeeds"),
    ("0002", "visa", "Visa •••• 0002: declined (card_declined)"),
    ("9995", "visa", "Visa •••• 9995: insufficient funds"),
    ("3184", "visa", "Visa •••• 3184: authentication required"),
    ("0341", "visa", "Visa •••• 0341: declined (card_declined)"),
)
"""SPEC "Payments through a processor" 3; any other last 4 succeeds like 4242."""
FIELDS = frozenset({"state", "card", "brand", "last4", "exp_month", "exp_year"})
SAVED = "Card saved, you can close this page."
NEVER = (
    "A full card number or a security code is never accepted, not even by the sandbox."
    " Nothing was saved."
)

STYLE = """
body{font-family:system-ui,sans-serif;background:#f6f9fc;margin:0;color:#1a1f36}
main{max-width:420px;margin:48px auto;background:#fff;border-radius:8px;padding:28px;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:20px;margin:0 0 4px}.muted{color:#697386;font-size:13px}
label{display:block;margin:14px 0 4px;font-size:14px}select,input{width:100%;padding:8px;
font-size:15px;box-sizing:border-box;border:1px solid #cfd7df;border-radius:4px}
.row{display:flex;gap:8px}.row>div{flex:1}fieldset{border:none;padding:0;margin:14px 0 0}
fieldset label{display:flex;gap:8px;margin:6px 0}fieldset input{width:auto}
button{margin-top:20px;width:100%;padding:10px;font-size:16px;background:#635bff;color:#fff;
border:none;border-radius:4px;cursor:pointer}.error{color:#c0123c}.done{color:#0a7d38}
"""


class CardPage:
    def __init__(self, card_entry: CardEntry, clock: Callable[[], datetime]) -> None:
        self.card_entry = card_entry
        self.clock = clock

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            state = _first(parse_qs(environ.get("QUERY_STRING", "")[:1000]), "state")
            problem = self.card_entry.check(state, self.clock())
            if problem is not None:
                return _page(start_response, _said(problem), "400 Bad Request")
            return _page(start_response, _form(state))
        form, refused = _posted(environ)
        if form is None:
            return _page(start_response, *refused)
        answer, status = self.submit(form)
        return _page(start_response, answer, status)

    def submit(self, form: dict[str, list[str]]) -> tuple[str, str]:
        """The page's answer to a POST, and its HTTP status."""
        for name, values in form.items():
            key = name.lower().replace("-", "_")
            if key in NUMBER_FIELDS or key in SECRET_FIELDS or name not in FIELDS:
                return _error(NEVER), "400 Bad Request"
            if any(card_data.refused(value) is not None for value in values):
                return _error(NEVER), "400 Bad Request"
        state = _first(form, "state")
        chosen = _first(form, "card")
        test = next((card for card in TEST_CARDS if card[0] == chosen), None)
        brand, last4 = (
            (test[1], test[0]) if test else (_first(form, "brand"), _first(form, "last4"))
        )
        month, year = _first(form, "exp_month"), _first(form, "exp_year")
        if brand not in BRANDS or len(last4) != 4 or not last4.isascii() or not last4.isdigit():
            return _error("Choose a test card, or give a brand and exactly 4 digits."), (
                "400 Bad Request"
            )
        if not (month.isdigit() and year.isdigit() and 1 <= int(month) <= 12):
            return _error("Choose the expiry month and year."), "400 Bad Request"
        if not 2000 <= int(year) <= 2100:
            return _error("Choose the expiry month and year."), "400 Bad Request"
        gateway = self.card_entry.gateway
        method = gateway.adopt(brand, last4, int(year), int(month))
        if method is None:
            return _error("This gateway has no sandbox card page."), "404 Not Found"
        result = self.card_entry.complete(state, gateway.payment_method(method), self.clock())
        if isinstance(result, Refused):
            return _said(result), "400 Bad Request"
        return f'<p class="done">{html.escape(SAVED)}</p>', "200 OK"


def _posted(environ: dict[str, Any]) -> tuple[dict[str, list[str]] | None, tuple[str, str]]:
    """The POSTed form, or None and the page's refusal (its HTML and HTTP status)."""
    if environ.get("REQUEST_METHOD") != "POST":
        return None, ("<p>Not allowed.</p>", "405 Method Not Allowed")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 < length <= BODY_LIMIT:
        return None, (_error("This form is too large."), "413 Content Too Large")
    return parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace")), ("", "")


def _first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()[:100]


def _said(problem: Refused) -> str:
    text = refusal("en", problem.error) if problem.error is not None else problem.message
    return _error(text)


def _error(text: str) -> str:
    return f'<p class="error">{html.escape(text)}</p>'


def _form(state: str) -> str:
    cards = "".join(
        f'<label><input type="radio" name="card" value="{last4}"{" checked" if i == 0 else ""}>'
        f"{html.escape(text)}</label>"
        for i, (last4, _brand, text) in enumerate(TEST_CARDS)
    )
    brands = "".join(f'<option value="{b}">{b}</option>' for b in BRANDS)
    months = "".join(
        f'<option value="{m}"{" selected" if m == 12 else ""}>{m:02d}</option>'
        for m in range(1, 13)
    )
    years = "".join(
        f'<option value="{y}"{" selected" if y == 2030 else ""}>{y}</option>'
        for y in range(2020, 2041)
    )
    return f"""<form method="post" action="{PATH}" id="card-form">
<input type="hidden" name="state" value="{html.escape(state)}">
<fieldset><legend>Test card</legend>{cards}
<label><input type="radio" name="card" value="other">Another card: brand and last 4 below</label>
</fieldset>
<div class="row"><div><label for="brand">Brand</label><select id="brand" name="brand">{brands}</select></div>
<div><label for="last4">Last 4 digits</label><input id="last4" name="last4" maxlength="4" inputmode="numeric" placeholder="4242"></div></div>
<div class="row"><div><label for="exp_month">Expiry month</label><select id="exp_month" name="exp_month">{months}</select></div>
<div><label for="exp_year">Expiry year</label><select id="exp_year" name="exp_year">{years}</select></div></div>
<button type="submit">Save the card</button>
</form>"""


def _page(
    start_response: Callable[..., Any], content: str, status: str = "200 OK"
) -> Iterable[bytes]:
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sandbox processor · card</title><style>{STYLE}</style></head><body><main>
<h1>Sandbox processor</h1>
<p class="muted">A test card page: no real card, no card number, no security code.</p>
{content}</main></body></html>""".encode()
    start_response(
        status,
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "no-referrer"),
        ],
    )
    return [body]


AUTHENTICATE_PATH = "/sandbox/authenticate"
CONFIRMED = "Payment confirmed: it is recorded, you can close this page."
NOTHING = "There is no payment waiting for confirmation here (already confirmed, or unknown)."


class AuthenticationPage:
    """`GET /sandbox/authenticate?charge=...`: the sandbox bank's page where the payer
    confirms a charge that needed authentication (the test card 3184); its POST takes the
    charge and tells the books as a processor would, by an event applied once."""

    def __init__(
        self, gateway: SandboxGateway, events: ProcessorEvents, clock: Callable[[], datetime]
    ) -> None:
        self.gateway = gateway
        self.events = events
        self.clock = clock

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            charge = _first(parse_qs(environ.get("QUERY_STRING", "")[:1000]), "charge")
            waiting = self.gateway.waiting_charge(charge)
            if waiting is None:
                return _page(start_response, _error(NOTHING), "404 Not Found")
            amount, currency = waiting
            return _page(start_response, _confirm(charge, money(amount, "en", currency)))
        form, refused = _posted(environ)
        if form is None:
            return _page(start_response, *refused)
        now = self.clock()
        event = self.gateway.authenticate(_first(form, "charge"), now)
        if event is None:
            return _page(start_response, _error(NOTHING), "404 Not Found")
        self.events.apply(event, now)
        return _page(start_response, f'<p class="done">{html.escape(CONFIRMED)}</p>')


def _confirm(charge: str, amount: str) -> str:
    return f"""<p>Your bank asks you to confirm a payment of <strong>{html.escape(amount)}</strong>.</p>
<form method="post" action="{AUTHENTICATE_PATH}" id="authenticate-form">
<input type="hidden" name="charge" value="{html.escape(charge)}">
<button type="submit">Confirm the payment</button>
</form>"""
