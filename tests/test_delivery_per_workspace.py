"""OAuth mode's alert delivery on a real database and the local Slack stand-in: each
customer's alerts go to its own workspace's channel with its own installation's token; an
uninstalled workspace's alerts wait for a reinstall, and are dropped, audited, after 30
days (SPEC "Many workspaces" 3-4)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, select

from billing import commands as cmd
from billing.actors import Actor
from billing.approvals import Approval, ApprovalStatus
from billing.history import AuditPage
from billing.tenancy import Installed
from bot.runtime import finish_interrupted_approvals
from bot.sandbox.identities import Person
from bot.sandbox.slack_api import SlackApi
from scheduler.delivery import Deliverer
from scheduler.destinations import Installations
from services.context import Services
from services.people import Directory
from services.workspaces import InstalledWorkspaces
from storage.models import AlertRow, AuditRow
from storage.outbox import Outbox
from storage.store import SqlStore
from storage.workspaces import SqlWorkspaces
from tests.slack.bot import Clock
from tests.support import billing_of
from views.audit import audit_blocks

T0 = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)
ACME = Installed("TACME", None, False, "Acme", "UACME")
GLOBEX = Installed("TGLOBEX", None, False, "Globex", "UGLOBEX")
PEOPLE = [
    Person("UACME", "ada@acme.example"),
    Person("UGLOBEX", "gus@globex.example"),  # English, in a French-speaking workspace
]
EXPIRING = cmd.SetupBilling(card=cmd.CardDetails(brand="visa", last4="4242", expires="2026-01"))
"""Saved on Jan 5, a card that expires at the end of January: one card_expiring alert."""


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackApi]:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    with SlackApi(PEOPLE) as stand_in:
        yield stand_in


@dataclass
class World:
    store: SqlStore
    slack: SlackApi
    tokens: SQLAlchemyInstallationStore
    workspaces: InstalledWorkspaces
    clock: Clock

    def deliverer(self) -> Deliverer:
        directory = Directory(WebClient(base_url=self.slack.api_url), ())
        return Deliverer(Outbox(self.store), Installations(self.workspaces, directory), self.clock)

    def install(self, installed: Installed, token: str, **bot: Any) -> int:
        """What Bolt's OAuth callback does: slack-sdk stores the tokens, then the bot makes or
        finds the customer."""
        assert installed.team_id is not None
        self.tokens.save(
            Installation(
                app_id="A1",
                enterprise_id=None,
                team_id=installed.team_id,
                user_id=installed.installer,
                bot_token=token,
                bot_id=f"B{installed.team_id}",
                bot_user_id=f"UBOT{installed.team_id}",
                **bot,
            )
        )
        domain = f"{installed.name.lower()}.example"
        return self.workspaces.install(installed, domain, installed.installer, self.clock())

    def alert(self, customer: int, installed: Installed) -> None:
        billing_of(self.store).order(
            customer, EXPIRING, at=self.clock(), actor=Actor.slack(installed.installer)
        )


def world_of(engine: Engine, slack: SlackApi, rotator: TokenRotator | None = None) -> World:
    store = SqlStore(engine)
    tokens = SQLAlchemyInstallationStore(client_id="C1", engine=engine)  # models' tables
    workspaces = InstalledWorkspaces(
        store, store, SqlWorkspaces(store), tokens, rotator, slack.api_url
    )
    return World(store, slack, tokens, workspaces, Clock(T0))


@pytest.fixture
def world(engine: Engine, slack: SlackApi) -> World:
    return world_of(engine, slack)


def posts(slack: SlackApi) -> list[tuple[str, str, str]]:
    """Every chat.postMessage: (channel, Authorization header, first words: the language)."""
    return [
        (call.args["channel"], call.headers.get("authorization", ""), call.args["text"][:22])
        for call in slack.calls
        if call.method == "chat.postMessage"
    ]


def statuses(store: SqlStore) -> dict[int, list[tuple[str, int]]]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(AlertRow.customer_id, AlertRow.status, AlertRow.attempts).order_by(AlertRow.id)
        ).all()
    found: dict[int, list[tuple[str, int]]] = {}
    for customer, status, attempts in rows:
        found.setdefault(customer, []).append((status, attempts))
    return found


def two_workspaces(world: World) -> tuple[int, int]:
    admin = Actor.slack("UADMIN")
    acme = world.install(ACME, "xoxb-acme")
    globex = world.install(GLOBEX, "xoxb-globex")
    world.workspaces.set_channels(acme, "CACME", None, "en", admin, T0)
    world.workspaces.set_channels(globex, "CGLOBEX", None, "fr", admin, T0)
    world.alert(acme, ACME)
    world.alert(globex, GLOBEX)
    return acme, globex


ACME_CHANNEL = ("CACME", "Bearer xoxb-acme", ":credit_card: The card")
ACME_DM = ("UACME", "Bearer xoxb-acme", ":credit_card: The card")
GLOBEX_CHANNEL = ("CGLOBEX", "Bearer xoxb-globex", ":credit_card: La carte")
GLOBEX_DM = ("UGLOBEX", "Bearer xoxb-globex", ":credit_card: The card")


def test_each_workspace_gets_its_alerts_in_its_channel_with_its_own_token(
    world: World, slack: SlackApi
) -> None:
    acme, globex = two_workspaces(world)
    assert world.deliverer().sweep().sent == 2
    assert posts(slack) == [ACME_CHANNEL, ACME_DM, GLOBEX_CHANNEL, GLOBEX_DM]
    looked_up = [
        (call.args["user"], call.headers.get("authorization"))
        for call in slack.calls
        if call.method == "users.info"
    ]
    assert looked_up == [("UACME", "Bearer xoxb-acme"), ("UGLOBEX", "Bearer xoxb-globex")]
    assert statuses(world.store) == {acme: [("sent", 1)], globex: [("sent", 1)]}


def test_until_channels_are_set_alerts_go_to_the_installers_dm(
    world: World, slack: SlackApi
) -> None:
    acme = world.install(ACME, "xoxb-acme")
    world.alert(acme, ACME)
    assert world.deliverer().sweep().sent == 1
    assert posts(slack) == [ACME_DM, ACME_DM]  # the "channel" is the installer's DM, then told


def test_an_uninstalled_workspace_waits_the_others_are_delivered_a_reinstall_delivers(
    world: World, slack: SlackApi
) -> None:
    acme, globex = two_workspaces(world)
    world.workspaces.uninstall(None, "TGLOBEX", False, "app_uninstalled", T0)
    first = world.deliverer().sweep()
    assert (first.sent, first.held, first.dropped) == (1, 0, 0)
    assert posts(slack) == [ACME_CHANNEL, ACME_DM]
    world.clock.set(T0 + timedelta(days=29))
    assert world.deliverer().sweep().sent == 0  # not claimed again, not dropped yet
    assert statuses(world.store) == {acme: [("sent", 1)], globex: [("pending", 0)]}
    slack.clear()
    world.install(GLOBEX, "xoxb-globex-again")
    assert world.deliverer().sweep().sent == 1
    again = ("CGLOBEX", "Bearer xoxb-globex-again", ":credit_card: La carte")
    dm = ("UGLOBEX", "Bearer xoxb-globex-again", ":credit_card: The card")
    assert posts(slack) == [again, dm]  # its channels and language kept over the reinstall
    assert statuses(world.store) == {acme: [("sent", 1)], globex: [("sent", 1)]}


def test_tokens_revoked_holds_delivery_like_an_uninstall(world: World, slack: SlackApi) -> None:
    acme, globex = two_workspaces(world)
    world.workspaces.uninstall(None, "TACME", False, "tokens_revoked", T0)
    assert world.deliverer().sweep().sent == 1
    assert posts(slack) == [GLOBEX_CHANNEL, GLOBEX_DM]
    assert statuses(world.store) == {acme: [("pending", 0)], globex: [("sent", 1)]}


def test_an_alert_held_over_30_days_is_dropped_audited_and_never_posted(
    world: World, slack: SlackApi
) -> None:
    acme, globex = two_workspaces(world)
    world.workspaces.uninstall(None, "TGLOBEX", False, "app_uninstalled", T0)
    world.deliverer().sweep()
    world.clock.set(T0 + timedelta(days=30, seconds=1))
    swept = world.deliverer().sweep()
    assert (swept.sent, swept.dropped) == (0, 1)
    assert statuses(world.store) == {acme: [("sent", 1)], globex: [("dropped", 0)]}
    with world.store.engine.connect() as connection:
        audited = connection.execute(
            select(AuditRow.action, AuditRow.subject, AuditRow.actor).where(
                AuditRow.action == "alert_dropped"
            )
        ).all()
        (alert_id,) = connection.execute(
            select(AlertRow.id).where(AlertRow.customer_id == globex)
        ).one()
    assert [tuple(row) for row in audited] == [
        ("alert_dropped", f"card_expiring:{alert_id}", "scheduler")
    ]
    world.install(GLOBEX, "xoxb-globex-again")
    assert world.deliverer().sweep().sent == 0
    assert [channel for channel, _, _ in posts(slack)] == ["CACME", "UACME"]
    assert world.deliverer().sweep().dropped == 0  # dropped once, audited once

    trail = world.store.audit(globex, AuditPage())
    shown = audit_blocks("fr", trail, AuditPage())[1].to_dict()["text"]["text"]
    assert (
        "licensebot (tâche planifiée) a abandonné une alerte retenue 30 jours pendant la"
        f" désinstallation de l'application · card_expiring:{alert_id}"
    ) in shown


def test_an_installation_without_a_token_holds_its_alert_without_counting_an_attempt(
    world: World, slack: SlackApi
) -> None:
    acme, globex = two_workspaces(world)
    world.tokens.delete_bot(enterprise_id=None, team_id="TGLOBEX")  # not marked uninstalled
    swept = world.deliverer().sweep()
    assert (swept.sent, swept.held) == (1, 1)
    with world.store.engine.connect() as connection:
        held = connection.execute(
            select(AlertRow.status, AlertRow.attempts, AlertRow.next_attempt_at).where(
                AlertRow.customer_id == globex
            )
        ).one()
    assert tuple(held) == ("pending", 0, T0 + timedelta(minutes=5))
    assert statuses(world.store)[acme] == [("sent", 1)]
    assert [channel for channel, _, _ in posts(slack)] == ["CACME", "UACME"]


def test_slack_slowing_one_workspace_down_does_not_hold_the_others(
    world: World, slack: SlackApi
) -> None:
    acme, globex = two_workspaces(world)
    slack.fail("chat.postMessage", retry_after=30)  # Acme's post, the first, gets a 429
    swept = world.deliverer().sweep()
    assert (swept.sent, swept.retried, swept.paused_until) == (1, 1, None)
    delivered = [
        c.args["channel"] for c in slack.calls if c.method == "chat.postMessage" and c.status == 200
    ]
    assert [c for c in delivered if c.startswith("C")] == ["CGLOBEX"]
    assert statuses(world.store) == {acme: [("pending", 0)], globex: [("sent", 1)]}
    world.clock.set(T0 + timedelta(seconds=31))
    assert world.deliverer().sweep().sent == 1


def test_a_token_slack_refuses_before_the_uninstall_event_holds_the_alert_and_never_fails_it(
    world: World, slack: SlackApi
) -> None:
    acme = world.install(ACME, "xoxb-acme")
    world.workspaces.set_channels(acme, "CACME", None, "en", Actor.slack("UADMIN"), T0)
    world.alert(acme, ACME)
    slack.fail("chat.postMessage", error="token_revoked", times=10)
    for hour in range(10):  # more sweeps than the attempts after which an alert fails
        world.clock.set(T0 + timedelta(hours=hour))
        swept = world.deliverer().sweep()
        assert (swept.sent, swept.held, swept.failed) == (0, 1, 0)
    assert statuses(world.store) == {acme: [("pending", 0)]}
    world.clock.set(T0 + timedelta(hours=11))
    assert world.deliverer().sweep().sent == 1  # Slack takes the token again: delivered


def test_a_token_about_to_expire_is_refreshed_and_the_new_one_posts(
    engine: Engine, slack: SlackApi
) -> None:
    """Token rotation: slack-sdk's rotator asks oauth.v2.access for a new token, which is
    saved and posts the alert."""
    slack.add_method(
        "oauth.v2.access",
        lambda args: {
            "ok": True,
            "token_type": "bot",
            "access_token": "xoxe.xoxb-acme-refreshed",
            "refresh_token": "xoxe-1-next",
            "expires_in": 43200,
        },
    )
    rotator = TokenRotator(
        client_id="C1", client_secret="S1", client=WebClient(base_url=slack.api_url)
    )
    world = world_of(engine, slack, rotator)
    soon = int(time.time()) + 60  # slack-sdk's rotator reads the wall clock
    acme = world.install(
        ACME, "xoxe.xoxb-acme-old", bot_refresh_token="xoxe-1-old", bot_token_expires_at=soon
    )
    world.workspaces.set_channels(acme, "CACME", None, "en", Actor.slack("UADMIN"), T0)
    world.alert(acme, ACME)
    assert world.deliverer().sweep().sent == 1
    refreshed = [call.args.get("refresh_token") for call in slack.calls if "oauth" in call.method]
    assert refreshed == ["xoxe-1-old"]
    assert [token for _, token, _ in posts(slack)] == ["Bearer xoxe.xoxb-acme-refreshed"] * 2
    bot = world.tokens.find_bot(enterprise_id=None, team_id="TACME")
    assert bot is not None and bot.bot_token == "xoxe.xoxb-acme-refreshed"


@dataclass
class Interrupted:
    """Stands for services.approvals.Approvals: the requests it finishes at start."""

    left: list[Approval]

    def finish_interrupted(self, at: datetime) -> list[Approval]:
        return self.left


def test_approvals_finished_at_start_are_announced_with_each_installations_token(
    world: World, slack: SlackApi
) -> None:
    """OAuth mode has no bot token of its own: the decision is announced in the request's
    own workspace, and not at all in an uninstalled one (the order is applied anyway)."""
    acme, globex = two_workspaces(world)
    world.workspaces.uninstall(None, "TGLOBEX", False, "app_uninstalled", T0)
    left = [
        Approval(
            customer_id,
            requester,
            T0,
            "key",
            "signup",
            {},
            "en",
            status=ApprovalStatus.APPLIED,
            decided_by="USUPER",
            channel=channel,
            message_ts="1700000000.000100",
            id=number,
        )
        for number, (customer_id, requester, channel) in enumerate(
            [(acme, "UACME", "CACME"), (globex, "UGLOBEX", "CGLOBEX")], start=1
        )
    ]
    found = Services(
        billing=billing_of(world.store),
        approvals=Interrupted(left),  # type: ignore[arg-type]
        workspaces=world.workspaces,
        directory=Directory(WebClient(base_url=slack.api_url), ()),
        reader=world.store,
        clock=world.clock,
    )
    slack.clear()
    finish_interrupted_approvals(found)
    said = [
        (call.method, call.args["channel"], call.headers.get("authorization"))
        for call in slack.calls
    ]
    assert said == [
        ("chat.update", "CACME", "Bearer xoxb-acme"),
        ("chat.postMessage", "UACME", "Bearer xoxb-acme"),
    ]
