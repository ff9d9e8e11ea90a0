"""Posting the outbox to Slack: the billing channel, and the person who caused the alert,
each customer's in its own workspace (scheduler.destinations).

Slack's 429 answers are honoured (the alert waits Retry-After, and the sweep pauses);
other failures are retried with exponential backoff and, after MAX_ATTEMPTS, recorded
as failed, with an audit row that `/license audit` shows. The alerts of an uninstalled
workspace wait for a reinstall, and are dropped (audited) after 30 days.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from billing.history import Notice
from scheduler.destinations import Destinations, PerSweep, Route
from storage.outbox import Claim, Outbox
from views.alerts import message
from views.kit import dicts

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
FIRST_BACKOFF = timedelta(seconds=30)
LONGEST_BACKOFF = timedelta(hours=1)
HOLD = timedelta(minutes=5)
"""How long an alert whose workspace has no token waits before it is looked at again."""
TOKEN_REFUSED = frozenset({"invalid_auth", "token_revoked", "token_expired", "account_inactive"})
"""Slack's answers to a token it no longer takes: the uninstall event is on its way (or the
token is being refreshed), so in OAuth mode the alert waits like one of an uninstalled
workspace and counts no attempt towards failing for good. (With one workspace's token from
the environment, a refused token is the operator's to fix: the alert fails as any other.)"""


@dataclass
class Sweep:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    dropped: int = 0
    paused_until: datetime | None = None
    errors: list[str] = field(default_factory=list)


class Deliverer:
    def __init__(
        self, outbox: Outbox, destinations: Destinations, clock: Callable[[], datetime]
    ) -> None:
        self.outbox = outbox
        self.destinations = destinations
        self.clock = clock
        self.paused_until: datetime | None = None
        """Slack asked the one workspace to slow down: every alert waits."""
        self.paused: dict[int, datetime] = {}
        """OAuth mode: customers whose workspace Slack asked to slow down, until when (each
        installation's token has rate limits of its own, so the others go on)."""

    def sweep(self, limit: int = 500) -> Sweep:
        """Deliver what is due, oldest first, until none is left, `limit` is reached, or
        Slack asks us to slow down."""
        result = Sweep()
        if self.paused_until is not None and self.clock() < self.paused_until:
            result.paused_until = self.paused_until
            return result
        result.dropped = self.outbox.drop_held(self.clock())
        routes = PerSweep(self.destinations)
        for _ in range(limit):
            now = self.clock()
            self.paused = {c: until for c, until in self.paused.items() if until > now}
            with self.outbox.claim(now, skip=self.paused.keys()) as claim:
                if claim is None:
                    break
                customer = claim.alert.customer_id
                if routes.known(customer):
                    if not self._send(claim, routes.route(customer), result):
                        break
                    continue
            # Released untouched: a route is looked up outside the claim's transaction, as
            # it reads the database and may write a refreshed token (SQLite has one writer).
            routes.route(customer)
        return result

    def _send(self, claim: Claim, route: Route | None, result: Sweep) -> bool:
        if route is None:
            self._hold(claim, result)
            return True
        return self._deliver(claim, route, result)

    def _hold(self, claim: Claim, result: Sweep, reason: str = "no_token") -> None:
        """Uninstalled since the claim, or no usable token: it waits, no attempt counted."""
        claim.retry(self.clock() + HOLD, reason, count_attempt=False)
        result.held += len(claim.alerts)

    def _deliver(self, claim: Claim, route: Route, result: Sweep) -> bool:
        alert, now = claim.alert, self.clock()
        text, blocks = message(alert, route.language, claim.alerts[1:])
        try:
            route.client.chat_postMessage(channel=route.channel, text=text, blocks=dicts(blocks))
        except SlackApiError as error:
            return self._failed(claim, error, now, result)
        claim.sent(now)
        result.sent += len(claim.alerts)
        self._tell_actor(claim.alerts, route)
        return True

    def _failed(self, claim: Claim, error: SlackApiError, now: datetime, result: Sweep) -> bool:
        status = error.response.status_code
        reason = str(error.response.get("error") or status)
        if status == 429:
            wait = timedelta(seconds=int(error.response.headers.get("Retry-After", "1") or 1))
            claim.retry(now + wait, "ratelimited", count_attempt=False)
            result.retried += 1
            if not self.destinations.fixed:  # that workspace waits; the sweep goes on
                self.paused[claim.alert.customer_id] = now + wait
                return True
            self.paused_until = now + wait
            result.paused_until = self.paused_until
            return False
        if reason in TOKEN_REFUSED and not self.destinations.fixed:
            self._hold(claim, result, reason)
            return True
        attempts = claim.alert.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            claim.failed(now, reason)
            result.failed += 1
            log.warning(
                "alert %s (%s) failed for good: %s", claim.alert.id, claim.alert.kind, reason
            )
        else:
            delay = min(FIRST_BACKOFF * (2 ** (attempts - 1)), LONGEST_BACKOFF)
            claim.retry(now + delay, reason)
            result.retried += 1
        result.errors.append(reason)
        return True

    def _tell_actor(self, alerts: list[Notice], route: Route) -> None:
        """Best effort: the admin whose request caused the alert also gets it directly, in
        the same workspace."""
        alert = alerts[0]
        user = alert.notify
        if user is None:
            return
        text, blocks = message(alert, route.person_language(user), alerts[1:])
        try:
            route.client.chat_postMessage(channel=user, text=text, blocks=dicts(blocks))
        except SlackApiError as error:
            log.info(
                "could not tell %s about alert %s: %s",
                user,
                getattr(alert, "id", "?"),
                error.response.get("error"),
            )
