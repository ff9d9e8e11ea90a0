"""OAuth mode: the catalogue is the operator's. `/license plan` still shows it; `/license plan
price …` is refused, in the asker's language, and changes nothing (SPEC "Many workspaces" 3).
Single-workspace mode keeps the super-admins' price changes (tests/slack/test_commands.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.slack.bot import ADMIN, FRENCH, SUPER, Running
from tests.slack.flows import ask, rows, snapshot, view_text


def text_of(reply: dict[str, object]) -> str:
    return view_text({"blocks": reply.get("blocks")})


@pytest.fixture
def locked(bot: Running) -> Iterator[Running]:
    bot.services.prices_by_operator = True
    try:
        yield bot
    finally:
        bot.services.prices_by_operator = False


def annual_price(bot: Running) -> int:
    [(annual,)] = rows(
        bot.store.engine, "SELECT annual_price FROM products WHERE code = 'chrome_enterprise'"
    )
    return int(annual)


def test_the_flag_is_off_unless_oauth_mode_sets_it(bot: Running) -> None:
    assert bot.services.prices_by_operator is False


@pytest.mark.parametrize("user", [SUPER, ADMIN])
def test_a_price_change_is_refused_and_changes_nothing(locked: Running, user: str) -> None:
    assert locked.customer_id  # the workspace's customer exists before the snapshot
    before = snapshot(locked.store.engine)
    reply = ask(locked, user, "plan price chrome_enterprise annual 55.00")
    assert reply["response_type"] == "ephemeral"
    assert "Prices are set by the operator of this bot." in text_of(reply)
    assert "Nothing was changed" in text_of(reply)
    assert snapshot(locked.store.engine) == before
    assert annual_price(locked) == 500000  # still $50.00, in ten-thousandths


def test_any_words_after_plan_get_the_same_refusal(locked: Running) -> None:
    """No usage that would advertise a price change the customer cannot make."""
    reply = ask(locked, SUPER, "plan prices chrome_enterprise annual 5")
    assert "Prices are set by the operator of this bot." in text_of(reply)
    assert "To change a price" not in text_of(reply)


def test_the_refusal_is_in_french_for_a_french_reader(locked: Running) -> None:
    reply = ask(locked, FRENCH, "plan price chrome_enterprise annual 55.00")
    assert "Les prix sont fixés par l'exploitant de ce bot." in text_of(reply)
    assert annual_price(locked) == 500000


def test_the_catalogue_is_still_shown(locked: Running) -> None:
    shown = text_of(ask(locked, ADMIN, "plan"))
    assert "Chrome Enterprise Upgrade" in shown and "Cloud Identity Premium" in shown
    assert "$50.00 per licence per year" in shown


def test_without_the_flag_a_super_admin_still_changes_a_price(bot: Running) -> None:
    reply = ask(bot, SUPER, "plan price chrome_enterprise annual 55.00")
    assert "$55.00 per licence per year" in text_of(reply)
    assert annual_price(bot) == 550000
