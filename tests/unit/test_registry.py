"""The order registry is whole: every command has one entry, every entry's form fills real
fields of its command, every name leads back to its entry, and every step of `simulate` and
word of `/license` that places an order is one of them."""

from __future__ import annotations

from billing import commands as cmd
from bot.timeline import STEPS
from services.orders import ORDERS


def every_command() -> set[type[cmd.Command]]:
    return set(cmd.Command.__subclasses__())


def test_every_command_has_one_entry_under_its_own_name() -> None:
    assert {entry.command for entry in ORDERS} == every_command()
    for entry in ORDERS:
        assert ORDERS.named(entry.name) is entry
        assert entry.name == entry.command.name


def test_a_form_fills_only_fields_its_command_has() -> None:
    for entry in ORDERS:
        if entry.form is None:
            continue
        fields = set(entry.command.model_fields)
        for field in entry.form.fields:
            if field.path is not None:
                assert field.path.split(".")[0] in fields, (entry.name, field.name)
        for word in entry.form.words:
            assert word in {f.name for f in entry.form.fields}, (entry.name, word)


def test_simulate_steps_and_slack_words_are_orders_named_as_in_spec() -> None:
    assert set(STEPS) == {
        "signup",
        "add_licences",
        "set_users",
        "setup_billing",
        "update_card",
        "pay",
        "renewal",
        "renew",
        "cancel",
        "register_domain",
        "refund_credit",
        "transfer",
        "assign",
        "release",
    }
    words = {entry.subcommand: entry.name for entry in ORDERS if entry.subcommand}
    assert words == {
        "subscribe": "signup",
        "buy": "add_licences",
        "users": "set_users",
        "renewal": "renewal",
        "cancel": "cancel",
        "transfer": "transfer",
        "billing": "setup_billing",
        "card": "update_card",
        "pay": "pay",
        "refund": "refund_credit",
        "assign": "assign",
        "release": "release",
    }
