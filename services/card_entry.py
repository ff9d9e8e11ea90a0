"""Card entry on the processor's hosted page (SPEC "Payments through a processor" 2).

No card digit passes through Slack: `/license billing` and `/license card` answer with a link
to the processor's page, made here for one request. The link's random state is kept in the
database with the account it is for, who asked and until when it works; the processor hands
it back with the card it saved (Stripe's webhook, the sandbox page's own callback), and
`complete` saves that card on that account, once, in the name of the person who asked.

Single use rests on the database twice over: the order is placed under the idempotency key
`card-entry:<state>` (a second completion, even one racing the first, replays the first's
change and saves nothing), and the link is then marked used (a later completion is refused).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from pydantic import ValidationError

from billing import commands as cmd
from billing.actors import Actor
from billing.errors import BillingError, NotFound
from billing.gateway import PaymentGateway, SavedCard
from billing.model import AlertKind, Card, Change
from billing.store import CardEntries, CardEntryLink, Reader
from services.billing import Billing
from services.forms import N_

Purpose = Literal["setup_billing", "update_card"]
LIFETIME = timedelta(hours=1)
"""How long a link works once asked for."""
RETURN_URL = "https://slack.com/app_redirect"
"""Where the processor's page sends the payer once done: back to Slack."""

UNKNOWN = N_("This card-entry link is not known. Ask for a new one with /license card.")
EXPIRED = N_("This card-entry link has expired. Ask for a new one with /license card.")
USED = N_("This card-entry link was already used. Ask for a new one with /license card.")
OTHER_ACCOUNT = N_("This card-entry link is for another account. Nothing was saved.")
BAD_CARD = N_("The processor reported a card the bot cannot keep. Nothing was saved.")


@dataclass(frozen=True)
class Refused:
    """Why a completion saved nothing: an English message id, with its values."""

    message: str
    error: BillingError | None = None
    """The billing rule's refusal (an expired card), to be said as it says it."""


class ProcessorCustomers(Protocol):
    """The charge worker (services.charging.Charger) as card entry uses it: its gateway, and
    the processor's customer for an account, made once."""

    gateway: PaymentGateway

    def processor_customer(self, customer_id: int, domain: str) -> str: ...


class CardEntry:
    def __init__(
        self,
        billing: Billing,
        entries: CardEntries,
        processor: ProcessorCustomers,
        reader: Reader,
        return_url: str = RETURN_URL,
        lifetime: timedelta = LIFETIME,
    ) -> None:
        self.billing = billing
        self.entries = entries
        self.processor = processor
        self.reader = reader
        self.return_url = return_url
        self.lifetime = lifetime

    @property
    def gateway(self) -> PaymentGateway:
        return self.processor.gateway

    def start(self, customer_id: int, user: str, purpose: Purpose, at: datetime) -> str:
        """A new single-use link to the hosted page for this account, asked for by `user`."""
        processor_customer = self._processor_customer(customer_id)
        state = secrets.token_urlsafe(32)
        self.entries.create(
            CardEntryLink(state, customer_id, user, purpose, at, at + self.lifetime, None)
        )
        return self.gateway.card_entry_url(processor_customer, state, self.return_url)

    def complete(
        self,
        state: str,
        card: SavedCard,
        at: datetime,
        processor_customer: str | None = None,
    ) -> Change | Refused:
        """Save the card the processor reports for the link `state`, once: an unknown, expired
        or used link, or one for another processor customer than `processor_customer` (when
        the processor names it), is refused and changes nothing; so is a card the rules
        refuse (past its expiry month)."""
        link = self.link(state)
        problem = self.check(state, at)
        if link is None or problem is not None:
            return problem or Refused(UNKNOWN)
        if processor_customer not in (None, self._processor_customer(link.customer_id)):
            return Refused(OTHER_ACCOUNT)
        try:
            order = self._order(link, card, at)
        except ValidationError:
            return Refused(BAD_CARD)
        try:
            change = self.billing.order(
                link.customer_id,
                order,
                at=at,
                actor=Actor.slack(link.requested_by),
                key=f"card-entry:{state}",
            )
        except BillingError as error:
            return Refused(error.template, error)
        self.entries.use(state, at)
        return change

    def link(self, state: str) -> CardEntryLink | None:
        return self.entries.find(state) if isinstance(state, str) and 0 < len(state) <= 64 else None

    def check(self, state: str, at: datetime) -> Refused | None:
        """Why the link `state` cannot save a card at `at`, or None when it can."""
        link = self.link(state)
        if link is None:
            return Refused(UNKNOWN)
        if link.used_at is not None:
            return Refused(USED)
        if at >= link.expires_at:
            return Refused(EXPIRED)
        return None

    def _processor_customer(self, customer_id: int) -> str:
        customer = self.reader.customer(customer_id)
        if customer is None:
            raise NotFound(f"no customer {customer_id}", field="customer")
        return self.processor.processor_customer(customer_id, customer.domain)

    def _order(self, link: CardEntryLink, card: SavedCard, at: datetime) -> cmd.Command:
        brand = card.brand.lower() if card.brand.lower() in cmd.BRANDS else "other"
        details = {
            "brand": brand,
            "last4": card.last4,
            "expires": f"{card.exp_year:04d}-{card.exp_month:02d}",
            "payment_method": card.payment_method,
        }
        if link.purpose == "update_card" and self._has_card(link.customer_id, at):
            return cmd.UpdateCard.model_validate(details)
        return cmd.SetupBilling.model_validate({"card": details})

    def _has_card(self, customer_id: int, at: datetime) -> bool:
        return self.billing.overview(customer_id, at).card is not None

    def ask_for_reentry(self, at: datetime) -> int:
        """Ask once, by an alert, for each card on file that this processor cannot take over
        to be entered again on the hosted page (SPEC: cards saved before the processor, in
        Stripe mode); returns how many were asked for. Once per card: the alert and its
        audit row are written under the key `card-reentry:<card id>`."""
        asked = 0
        for customer_id, card_id in self.entries.without_processor_method():
            key = f"card-reentry:{card_id}"
            with self.billing.store.account(customer_id, replay_key=key) as account:
                card = account.card
                if key in account.replays or card is None or card.id != card_id:
                    continue  # asked already, or the card changed since
                if not self.needs_reentry(card):
                    continue
                account.alert(AlertKind.CARD_REENTRY_NEEDED, at, key, card=card.describe())
                change = Change(
                    AlertKind.CARD_REENTRY_NEEDED.value,
                    account.customer.domain,
                    None,
                    {"card": card.describe()},
                )
                account.audit(Actor.system("licensebot"), at, change, key)
                asked += 1
        return asked

    def needs_reentry(self, card: Card | None) -> bool:
        """A card saved before there was a processor, which this processor cannot take over:
        it must be entered again on the hosted page (in the sandbox it keeps working)."""
        if card is None or card.payment_method is not None:
            return False
        return self.gateway.adopt(card.brand, card.last4, card.exp_year, card.exp_month) is None
