"""Driving the bot the way Slack does, and reading what it did from the database.

A flow is what an admin does in Slack: type a command, fill the modal it opens, confirm.
These helpers send exactly those requests (signed, Slack-shaped) and hand back what the bot
answered, so tests read like the conversation and check the rows it left behind.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select, text

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from billing.model import Plan
from bot.sandbox.signing import SlackResponse, checkboxes, plain, radio, state
from bot.sandbox.signing import select as chosen
from storage.models import AuditRow, Base, ProductRow
from tests.slack.bot import Running
from tests.support import runner_of

CATALOGUE = (
    ("chrome_enterprise", "Chrome Enterprise Upgrade", Decimal("50.00"), Decimal("6.00")),
    ("cloud_identity_premium", "Cloud Identity Premium", Decimal("72.00"), Decimal("6.00")),
)
"""The catalogue the first migration seeds (tests build the schema from the models)."""

_views = itertools.count(100)
_triggers = itertools.count(1)


def seed_catalogue(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(ProductRow.__table__),
            [
                {
                    "code": code,
                    "name": name,
                    "annual_price": annual,
                    "flexible_price": flexible,
                    "currency": "USD",
                    "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
                }
                for code, name, annual, flexible in CATALOGUE
            ],
        )


def new_view_id() -> str:
    """Slack gives every opened modal its own id; the bot keys idempotency on it."""
    return f"V{next(_views):06d}"


def trigger() -> str:
    return f"{next(_triggers)}.1700000000.trigger"


# ---- commands ----------------------------------------------------------------------------


def ask(bot: Running, user: str, text: str, **kwargs: Any) -> dict[str, Any]:
    """Run `/license <text>` and return the (single) ephemeral answer on its response_url."""
    name = f"cmd{next(_triggers)}"
    answer = bot.command(user, text, response_url=bot.slack.response_url(name), **kwargs)
    assert answer.status == 200, answer
    assert answer.body == "", "a command is acknowledged with an empty body"
    (reply,) = bot.slack.wait_for_response(name)
    return reply


def open_modal(bot: Running, user: str, text: str) -> dict[str, Any]:
    """Run `/license <text>` and return the view it opened (checking the trigger id)."""
    before = len(bot.slack.calls_to("views.open"))
    tid = trigger()
    answer = bot.command(user, text, trigger_id=tid)
    assert answer.status == 200
    opened = bot.slack.wait_for_call("views.open", count=before + 1)
    call = opened[before]
    assert call["trigger_id"] == tid
    return as_json(call["view"])


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# ---- modals ------------------------------------------------------------------------------


def submit(
    bot: Running,
    user: str,
    callback: str,
    values: dict[str, dict[str, Any]],
    *,
    view_id: str | None = None,
    metadata: str = "",
) -> SlackResponse:
    """A view_submission of a form: ``values`` is {block_id: element value}, action id `value`."""
    view = {
        "id": view_id or new_view_id(),
        "callback_id": callback,
        "private_metadata": metadata,
        "state": state({block: {"value": element} for block, element in values.items()}),
    }
    return bot.sender.view_submission(user, view)


def confirm(
    bot: Running, user: str, shown: SlackResponse, form_id: str, *, view_id: str | None = None
) -> SlackResponse:
    """Press the submit of the confirmation the form ``form_id`` answered with. It was pushed
    over the form, so Slack gave it a view id of its own (``view_id``, a new one unless
    given: a double submission of one confirmation carries the same) and names the form
    under it as its root and previous view."""
    assert shown.json is not None and shown.json.get("response_action") == "push", shown.body
    view = shown.json["view"]
    assert view["callback_id"] == "confirm", view
    return bot.sender.view_submission(
        user,
        {
            "id": view_id or new_view_id(),
            "root_view_id": form_id,
            "previous_view_id": form_id,
            "callback_id": "confirm",
            "private_metadata": view["private_metadata"],
        },
    )


def submit_and_confirm(
    bot: Running, user: str, callback: str, values: dict[str, dict[str, Any]]
) -> tuple[SlackResponse, SlackResponse]:
    """Fill a form, get its confirmation (amounts), confirm; both answers."""
    form_id = new_view_id()
    shown = submit(bot, user, callback, values, view_id=form_id)
    return shown, confirm(bot, user, shown, form_id)


def view_text(view: dict[str, Any]) -> str:
    """Every piece of text a view shows, joined (for assertions on wording)."""
    return " ".join(_texts(view))


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        for key, value in node.items():
            if key != "text" or not isinstance(value, str):
                found += _texts(value)
        return found
    if isinstance(node, list):
        return [text for item in node for text in _texts(item)]
    return []


def result_text(answer: SlackResponse) -> str:
    """The text of the result modal a submission ended with (in place of the view submitted)."""
    assert answer.json is not None, answer.body
    assert answer.json["response_action"] == "update", answer.json
    return view_text(answer.json["view"])


def closes_everything(answer: SlackResponse) -> bool:
    """Whether the result's close button ends the whole modal, the form under it included."""
    assert answer.json is not None, answer.body
    return answer.json["view"].get("clear_on_close") is True


# ---- form values -------------------------------------------------------------------------


def signup_values(
    key: str = "chrome",
    product: str = "chrome_enterprise",
    plan: str = "annual",
    licences: str = "25",
) -> dict[str, dict[str, Any]]:
    return {
        "product": chosen(product),
        "plan": radio(plan),
        "licences": plain(licences),
        "subscription": plain(key),
        "terms": checkboxes("yes"),
    }


def card_values(
    brand: str = "visa", last4: str = "4242", expires: str = "2028-12"
) -> dict[str, dict[str, Any]]:
    return {"brand": chosen(brand), "last4": plain(last4), "expires": plain(expires)}


# ---- set-ups straight through the billing service (when the flow itself is not the point) --


def signup_order(key: str = "chrome", plan: Plan = Plan.ANNUAL, licences: int = 25) -> cmd.Signup:
    """Chrome at $50.00 a licence (annual), or Cloud Identity at $6.00 a user (flexible)."""
    return cmd.Signup(
        subscription=key,
        product="Chrome Enterprise Upgrade" if plan is Plan.ANNUAL else "Cloud Identity Premium",
        plan=plan,
        licences=licences,
        price=Decimal("50.00") if plan is Plan.ANNUAL else Decimal("6.00"),
    )


def sign_up(
    bot: Running, key: str = "chrome", plan: Plan = Plan.ANNUAL, licences: int = 25
) -> None:
    order = signup_order(key, plan, licences)
    bot.services.billing.order(bot.customer_id, order, at=bot.clock(), actor=Actor.parse("test"))


def card_on_file(bot: Running, expires: str = "2030-12") -> None:
    order = cmd.SetupBilling.model_validate(
        {"card": {"brand": "visa", "last4": "4242", "expires": expires}}
    )
    bot.services.billing.order(bot.customer_id, order, at=bot.clock(), actor=Actor.parse("test"))


def advance(bot: Running, until: datetime) -> None:
    """Run the scheduled billing jobs up to `until`, then set the bot's clock there."""
    runner_of(bot.store, bot.clock()).run_until(until)
    bot.clock.set(until)


def invoiced_account(bot: Running) -> None:
    """Chrome, 25 licences on the annual plan from Jan 10, a card, February and March invoiced."""
    sign_up(bot)
    card_on_file(bot)
    advance(bot, datetime(2026, 3, 1, 0, 0, tzinfo=PACIFIC))
    bot.clock.advance(hours=9)


# ---- the database ------------------------------------------------------------------------


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: compare two to prove nothing changed."""
    with engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in Base.metadata.sorted_tables
        }


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql), params))


def audit_actions(engine: Engine) -> list[tuple[str, str, str]]:
    """(actor, action, subject) of every audit row, oldest first."""
    table = AuditRow.__table__
    with engine.connect() as connection:
        return [
            (row.actor, row.action, row.subject)
            for row in connection.execute(select(table).order_by(table.c.id))
        ]


def every_stored_text(engine: Engine) -> str:
    """All the database holds, as one string, to look for what must never be stored."""
    return json.dumps(snapshot(engine), default=str)
