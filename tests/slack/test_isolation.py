"""Isolation between installations (SPEC "Many workspaces" 3): a user of workspace A, whatever
ids of workspace B's objects they put in a request (action values, private metadata, view
ids, subscription keys, invoice numbers, request ids, file ids), never sees, changes,
approves or is alerted about B's.

Table-driven over every listener the app registers: `REGISTERED` is read off
handlers.register itself, and a listener with no row in `ATTEMPTS` fails
`test_every_listener_has_a_cross_workspace_attempt`, so a new one cannot be forgotten.

Acme (T1) is the attacker: its installer UA1 is its super-admin. Globex (T2) is the victim,
with a subscription, 37 licences, a seat held, invoices, a pending approval request, a file
of seats shared with its bot, a confirmation its super-admin has been shown.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pprint import pformat
from typing import Any

import pytest
from sqlalchemy import Engine

import handlers
from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from bot.sandbox.signing import SlackResponse, checkboxes, plain, radio, select, state
from bot.sandbox.slack_teams import SlackTeams
from handlers.answers import AnswerPool
from handlers.approvals import APPROVE, DENY
from handlers.fallbacks import ANYTHING
from services.forms import Input, Source
from services.orders import ORDERS
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES
from tests.slack.blockkit import check_everything
from tests.slack.flows import seed_catalogue, signup_order, snapshot
from tests.slack.installed import Installed, installed_bot
from tests.support import runner_of
from views.kit import LINKS
from views.openers import MENU, OPENS
from views.replies import INVOICE_CSV, INVOICE_PDF

ATTACKER = "UA1"
VICTIM = "globex-chrome"
SECRETS = ("hank", "lisa", "globex.example", "Globex", "UG1", "1,850", "1850")
"""What only Globex's own people may read: its people, its installer's id (no attempt types
it), its licence count's monthly amount (37 x $50.00)."""
ABOUT_A_SUBSCRIPTION = [
    e
    for e in ORDERS
    if e.form is not None and "subscription" in e.command.model_fields and e.name != "signup"
]
"""The forms that name an existing subscription: Globex's, in every attempt. (The others
name nothing of another's: what Acme orders with them is Acme's own business.)"""
SLACK_TABLES = {t.name for t in (SLACK_INSTALLATIONS, SLACK_BOTS, SLACK_OAUTH_STATES)}


# ---- what the app registers ----------------------------------------------------------------


class _Listeners:
    """Stands in for the Bolt app in handlers.register, keeping what each listener answers."""

    def __init__(self) -> None:
        self.found: set[tuple[str, str]] = set()

    def use(self, *_: Any) -> None: ...

    def error(self, *_: Any) -> None: ...

    def __getattr__(self, kind: str) -> Callable[..., Callable[..., None]]:
        def listener(constraint: Any) -> Callable[..., None]:
            if isinstance(constraint, re.Pattern):
                constraint = constraint.pattern
            elif isinstance(constraint, dict):
                constraint = json.dumps(constraint, sort_keys=True)
            self.found.add((kind, str(constraint)))
            return lambda *_, **__: None

        return listener


def registered(bot: Installed) -> set[tuple[str, str]]:
    listeners = _Listeners()
    pool = AnswerPool(1)
    try:
        handlers.register(listeners, bot.services, pool)  # type: ignore[arg-type]
    finally:
        pool.shutdown(wait=False)
    inert = {ANYTHING.pattern, LINKS}  # the fallbacks and link buttons: acknowledged, no more
    return {(kind, what) for kind, what in listeners.found if what not in inert}


# ---- the two workspaces ------------------------------------------------------------------


@dataclass
class Victim:
    customer: int
    invoice: str
    request_id: int
    file_id: str
    confirmations: list[tuple[str, str]] = field(default_factory=list)
    """(view id, private metadata) of confirmations Globex's super-admin was shown."""


@dataclass
class World:
    bot: Installed
    victim: Victim

    def from_acme(self) -> Any:
        return self.bot.sender("T1")


@pytest.fixture
def world(teams: SlackTeams, engine: Engine) -> Iterator[World]:
    seed_catalogue(engine)
    start = datetime(2026, 1, 10, 9, 0, tzinfo=PACIFIC)
    with installed_bot(teams, engine, now=start) as bot:
        assert bot.install("T1", ATTACKER).status == 200
        assert bot.install("T2", "UG1").status == 200
        acme, globex = bot.customer_of("T1"), bot.customer_of("T2")
        assert acme == ACME_CUSTOMER
        _sign_up(bot, acme, "chrome", 10)
        _sign_up(bot, globex, VICTIM, 37)
        runner_of(bot.store, start).run_until(datetime(2026, 3, 1, tzinfo=PACIFIC))
        bot.clock.set(datetime(2026, 3, 1, 9, 0, tzinfo=PACIFIC))
        order = cmd.Assign(subscription=VICTIM, to=["UG2"])
        bot.services.billing.order(globex, order, at=bot.clock(), actor=Actor.slack("UG1"))
        approval, _ = bot.services.approvals.request(
            globex,
            Actor.slack("UG2"),
            cmd.AddLicences(subscription=VICTIM, count=3),
            "en",
            bot.clock(),
            "slack-view:VGLOBEX1",
        )
        invoice = bot.services.reader.invoices(globex)[-1].number
        file = teams.team("T2").workspace.new_file("seats.csv")
        file.content = (
            f"action,subscription,holder,perpetual\nassign,{VICTIM},lisa@globex.example,no\n"
        ).encode()
        victim = Victim(globex, invoice, approval.id, file.id)
        victim.confirmations = _confirmations_shown_to_globex(bot)
        yield World(bot, victim)


def _sign_up(bot: Installed, customer: int, key: str, licences: int) -> None:
    actor = Actor.parse("test")
    signup = signup_order(key, licences=licences)
    card = cmd.SetupBilling.model_validate(
        {"card": {"brand": "visa", "last4": "4242", "expires": "2030-12"}}
    )
    for order in (signup, card):
        bot.services.billing.order(customer, order, at=bot.clock(), actor=actor)


def _confirmations_shown_to_globex(bot: Installed) -> list[tuple[str, str]]:
    """Globex's super-admin fills every form that confirms first: the confirmations' metadata
    and view ids, which Acme will replay."""
    shown = []
    for n, entry in enumerate(e for e in ABOUT_A_SUBSCRIPTION if e.confirm):
        view_id = f"VG{n:04d}"
        answer = bot.sender("T2").view_submission(
            "UG1", {"id": view_id, "callback_id": entry.name, "state": state(_filled(entry))}
        )
        if answer.json and answer.json.get("response_action") == "push":
            shown.append((view_id, answer.json["view"]["private_metadata"]))
    assert len(shown) >= 3, "Globex's super-admin should have been shown confirmations"
    return shown


def _filled(entry: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """Every field of an order's form filled with something plausible about Globex's
    subscription: {block: {"value": element}}."""
    values: dict[str, dict[str, Any]] = {}
    for one in entry.form.fields:
        if one.kind is Input.TEXT:
            element = plain(VICTIM if "subscription" in one.name else "5")
        elif one.kind is Input.TICK:
            element = checkboxes(one.options[0][0] if one.options else "yes")
        else:
            subscriptions = one.source in (Source.SUBSCRIPTIONS, Source.ANNUAL)
            choice = VICTIM if subscriptions else (one.options[0][0] if one.options else "")
            if one.source is Source.PRODUCTS:
                choice = "chrome_enterprise"
            element = radio(choice) if one.kind is Input.OPTIONS else select(choice)
        values[one.name] = {"value": element}
    return values


# ---- the attempts, one row per listener --------------------------------------------------

Attempt = Callable[[World], list[SlackResponse]]


def _commands(world: World) -> list[SlackResponse]:
    acme = world.from_acme()
    words = [
        *ORDERS.words,
        "status",
        "seats",
        "audit",
        "invoices",
        "transactions",
        "balance",
        "plan",
        "admins",
    ]
    texts = [f"{word} {VICTIM}" for word in words]
    texts += [
        f"assign {VICTIM} <@UG2>",
        f"release {VICTIM} <@UG2>",
        f"request {VICTIM}",
        f"seats {VICTIM} export",
        f"invoices {world.victim.invoice}",
        "admins add <@UG2> super",
        "channels <#CGLOBEX|billing>",
    ]
    return [acme.command(ATTACKER, text) for text in texts]


def _forms(world: World) -> list[SlackResponse]:
    acme = world.from_acme()
    return [
        acme.view_submission(
            ATTACKER,
            {"id": f"VA{n:04d}", "callback_id": entry.name, "state": state(_filled(entry))},
        )
        for n, entry in enumerate(ABOUT_A_SUBSCRIPTION)
    ]


def _confirmations(world: World) -> list[SlackResponse]:
    """Globex's confirmations replayed by Acme, with Globex's view ids as their keys."""
    acme = world.from_acme()
    return [
        acme.view_submission(
            ATTACKER,
            {"id": view_id, "callback_id": "confirm", "private_metadata": metadata},
        )
        for view_id, metadata in world.victim.confirmations
    ]


def _decisions(world: World) -> list[SlackResponse]:
    acme, request = world.from_acme(), str(world.victim.request_id)
    return [acme.block_action(ATTACKER, action, value=request) for action in (APPROVE, DENY)]


def _openers(world: World) -> list[SlackResponse]:
    acme = world.from_acme()
    ids = [OPENS + name for name in ORDERS.names] + [MENU + VICTIM]
    ids += [f"open_{what}" for what in ("buy", "pay", "card", "subscribe")]
    value = f"subscription={VICTIM}&count=5"
    return [acme.block_action(ATTACKER, action, value=value) for action in ids]


def _invoice_files(world: World) -> list[SlackResponse]:
    acme, number = world.from_acme(), world.victim.invoice
    return [acme.block_action(ATTACKER, kind, value=number) for kind in (INVOICE_PDF, INVOICE_CSV)]


def _older_audit(world: World) -> list[SlackResponse]:
    acme = world.from_acme()
    pages = [
        {"b": 2**62, "n": 50},
        {"b": 2**62, "n": 50, "s": VICTIM},
        {"b": 2**62, "n": 50, "a": "UG2"},
    ]
    return [acme.block_action(ATTACKER, "audit_older", value=json.dumps(page)) for page in pages]


def _seat_release(world: World) -> list[SlackResponse]:
    return [world.from_acme().block_action(ATTACKER, "seat_release", value=f"{VICTIM}|UG2")]


def _seats_more(world: World) -> list[SlackResponse]:
    return [world.from_acme().block_action(ATTACKER, "seats_more", value=f"{VICTIM}|1")]


def _apply_file(world: World) -> list[SlackResponse]:
    value = world.victim.file_id
    return [world.from_acme().block_action(ATTACKER, "seats_import_valid", value=value)]


def _home(world: World) -> list[SlackResponse]:
    acme = world.from_acme()
    return [
        acme.event({"type": "app_home_opened", "user": who, "channel": "D1", "tab": "home"})
        for who in (ATTACKER, "UG2")
    ]


def _user_left(world: World) -> list[SlackResponse]:
    """Globex's seat holder leaves, told to Acme's installation (a channel Acme shares with
    Globex: the event's team is Globex's, its authorisation Acme's)."""
    acme = world.from_acme()
    event = {"type": "user_change", "user": {"id": "UG2", "deleted": True, "team_id": "T2"}}
    return [acme.event(event), acme.event(event, team_id="T2")]


def _file_shared(world: World) -> list[SlackResponse]:
    victim = world.bot.teams.team("T2").workspace.file(world.victim.file_id)
    assert victim is not None
    shared = {
        "id": victim.id,
        "name": "seats.csv",
        "size": len(victim.content),
        "url_private": f"{world.bot.teams.api_url[:-5]}/t/T2/files/{victim.id}",
    }
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel_type": "im",
        "channel": "DA1",
        "user": ATTACKER,
        "files": [shared],
    }
    acme = world.from_acme()
    return [acme.event(event), acme.event(event, team_id="T2")]


def setup_state(
    billing: str, supers: list[str], admins: list[str] = (), approvals: str | None = None
) -> dict[str, Any]:
    """The set-up modal's state as Slack sends it."""
    return state(
        {
            "billing": {
                "value": {"type": "conversations_select", "selected_conversation": billing}
            },
            "approvals": {
                "value": {"type": "conversations_select", "selected_conversation": approvals}
            },
            "language": {"value": select("en")},
            "super_admins": {"value": {"type": "multi_users_select", "selected_users": supers}},
            "admins": {"value": {"type": "multi_users_select", "selected_users": list(admins)}},
        }
    )


def _setup_opened(world: World) -> list[SlackResponse]:
    return [world.from_acme().block_action(ATTACKER, "setup_open", channel_id="DA1")]


def _setup_saved(world: World) -> list[SlackResponse]:
    """Globex's people and channel chosen in Acme's set-up modal."""
    acme = world.from_acme()
    states = [
        setup_state("CACMEBILL", [ATTACKER, "UG2"]),
        setup_state("CACMEBILL", [ATTACKER], admins=["UG2"]),
        setup_state("CGLOBEX", [ATTACKER]),
        setup_state("CACMEBILL", [ATTACKER], approvals="CGLOBEX"),
    ]
    return [
        acme.view_submission(
            ATTACKER, {"id": f"VS{n}", "callback_id": "workspace_setup", "state": found}
        )
        for n, found in enumerate(states)
    ]


def _uninstall(kind: str) -> Attempt:
    def attempt(world: World) -> list[SlackResponse]:
        event: dict[str, Any] = {"type": kind}
        if kind == "tokens_revoked":
            event["tokens"] = {"bot": ["UBOTG"]}
        return [world.from_acme().event(event, team_id="T2")]

    return attempt


ATTEMPTS: dict[tuple[str, str], Attempt] = {
    ("command", "/license"): _commands,
    ("view", handlers.modals.FORMS.pattern): _forms,
    ("view", "confirm"): _confirmations,
    ("action", handlers.approvals.DECISIONS.pattern): _decisions,
    ("action", handlers.home.OPENERS.pattern): _openers,
    ("action", handlers.files.FILES.pattern): _invoice_files,
    ("action", "audit_older"): _older_audit,
    ("action", "seat_release"): _seat_release,
    ("action", "seats_more"): _seats_more,
    ("action", "seats_import_valid"): _apply_file,
    ("event", "app_home_opened"): _home,
    ("event", "user_change"): _user_left,
    ("event", json.dumps({"type": "message", "subtype": "file_share"}, sort_keys=True)): (
        _file_shared
    ),
    ("action", "setup_open"): _setup_opened,
    ("view", "workspace_setup"): _setup_saved,
    ("event", "app_uninstalled"): _uninstall("app_uninstalled"),
    ("event", "tokens_revoked"): _uninstall("tokens_revoked"),
}


def test_every_listener_has_a_cross_workspace_attempt(world: World) -> None:
    assert registered(world.bot) == set(ATTEMPTS)


# ---- what must hold after each ------------------------------------------------------------


ACME_CUSTOMER = 1
"""Installed first. Opening the card's form (whatever a button's value says) makes a link
to Acme's own card page: a row of Acme's, about nothing of Globex's."""


def _books(engine: Engine) -> dict[str, Any]:
    """Every row but slack-sdk's (tokens, states) and the workspaces' (installations' own
    state), and Acme's card links: what an attempt must leave as it was."""
    found = {
        name: rows
        for name, rows in snapshot(engine).items()
        if name not in SLACK_TABLES and name != "workspaces"
    }
    found["card_entries"] = [row for row in found["card_entries"] if row[1] != ACME_CUSTOMER]
    return found


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Rows added and removed, by table."""
    changes = {}
    for table, rows in after.items():
        added = [r for r in rows if r not in before[table]]
        removed = [r for r in before[table] if r not in rows]
        if added or removed:
            changes[table] = {"added": added, "removed": removed}
    return changes


def _said_to_acme(world: World, since: int) -> str:
    acme = world.bot.teams.team("T1")
    calls = [json.dumps(c.args, default=str) for c in acme.calls[since:]]
    posts = [json.dumps(p.body, default=str) for p in acme.posts()]
    uploads = [data.decode("utf-8", "replace") for data in acme.uploads.values()]
    answers = [json.dumps(a, default=str) for a in world.from_acme().answers]
    return "\n".join(calls + posts + uploads + answers)


def _settle(world: World) -> None:
    """Wait until the answers after the acks have all run (the acks have all come back, so
    every answer has been submitted by now)."""
    deadline = time.monotonic() + 10
    while world.bot.pool.unfinished:
        assert time.monotonic() < deadline, "answers still running after 10 s"
        time.sleep(0.02)


@pytest.mark.parametrize("listener", sorted(ATTEMPTS), ids=lambda k: f"{k[0]}:{k[1][:30]}")
def test_a_request_from_acme_with_globex_ids_is_refused_and_changes_nothing(
    world: World, listener: tuple[str, str]
) -> None:
    engine = world.bot.store.engine
    globex_api, acme_api = world.bot.teams.team("T2"), world.bot.teams.team("T1")
    before, told_globex, told_acme = _books(engine), len(globex_api.calls), len(acme_api.calls)
    answers = ATTEMPTS[listener](world)
    _settle(world)
    assert all(a.status < 500 for a in answers), [a.status for a in answers]
    changes = _changed(before, _books(engine))
    assert not changes, pformat(changes)
    assert globex_api.calls[told_globex:] == [], "Globex was told of Acme's request"
    said = _said_to_acme(world, told_acme)
    leaked = [secret for secret in SECRETS if secret in said]
    assert not leaked, f"Acme was shown Globex's {leaked}"
    assert world.bot.workspaces.client_for(world.victim.customer) is not None
    check_everything(acme_api, world.from_acme().answers)
