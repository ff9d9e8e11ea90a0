"""`licensebot simulate` with bad input: one line naming the step and field, exit 2, no output."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.timeline import TimelineError, parse_document, read_timeline
from tests.support import run, setup_card, signup, step, timeline

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.yaml"))
T0 = "2026-01-10T09:00:00-08:00"
T1 = "2026-01-11T09:00:00-08:00"


def fails(document: object) -> str:
    with pytest.raises(TimelineError) as caught:
        if isinstance(document, dict):
            run(document)  # reads and replays
        else:
            read_timeline(document)
    return str(caught.value)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([{"at": T0, "buy_everything": {}}], "step 0: unknown step 'buy_everything'"),
        (
            [
                {
                    "at": T0,
                    "signup": {
                        "subscription": "a",
                        "product": "P",
                        "plan": "annual",
                        "licences": 5,
                        "price": "6",
                        "colour": "red",
                    },
                }
            ],
            "step 0 (signup): colour: Extra inputs are not permitted",
        ),
        (
            [{"at": "2026-01-10T09:00:00", "pay": {"amount": "10.00"}}],
            "step 0: at: needs an explicit UTC offset",
        ),
        (
            [{"at": "2026-01-10", "pay": {"amount": "10.00"}}],
            "step 0: at: '2026-01-10' is not an instant",
        ),
        ([{"pay": {"amount": "10.00"}}], "step 0: at: missing"),
        (
            [{"at": T1, "pay": {"amount": "10.00"}}, {"at": T0, "pay": {"amount": "10.00"}}],
            "step 1 (pay): at: is earlier than step 0",
        ),
        (
            [{"at": T0, "add_licences": {"subscription": "a", "count": 0}}],
            "step 0 (add_licences): count: Input should be greater than or equal to 1",
        ),
        (
            [{"at": T0, "set_users": {"subscription": "a", "count": -3}}],
            "step 0 (set_users): count: Input should be greater than or equal to 1",
        ),
        (
            [{"at": T0, "pay": {"amount": "9.99"}}],
            "step 0 (pay): amount: the minimum payment is $10.00",
        ),
        (
            [{"at": T0, "pay": {"amount": 12.5}}],
            "step 0 (pay): amount: write the amount as a string",
        ),
        (
            [
                {
                    "at": T0,
                    "setup_billing": {
                        "card": {
                            "brand": "visa",
                            "number": "4242424242424242",
                            "expires": "2030-01",
                        }
                    },
                }
            ],
            "step 0 (setup_billing): card.number: a full card number is never accepted",
        ),
        (
            [
                {
                    "at": T0,
                    "setup_billing": {
                        "card": {
                            "brand": "visa",
                            "last4": "4242 4242 4242 4242",
                            "expires": "2030-01",
                        }
                    },
                }
            ],
            "step 0 (setup_billing): card.last4: looks like a card number",
        ),
        (
            [
                {
                    "at": T0,
                    "setup_billing": {
                        "card": {
                            "brand": "visa",
                            "last4": "4242",
                            "expires": "2030-01",
                            "cvc": "123",
                        }
                    },
                }
            ],
            "step 0 (setup_billing): card.cvc: a card security code is never accepted",
        ),
        (
            [
                {
                    "at": T0,
                    "signup": {
                        "subscription": "a",
                        "product": "P",
                        "plan": "yearly",
                        "licences": 5,
                        "price": "6",
                    },
                }
            ],
            "step 0 (signup): plan: Input should be 'annual' or 'flexible'",
        ),
        (
            [{"at": T0, "pay": {"amount": "10.00"}, "refund_credit": {}}],
            "step 0: needs exactly one action",
        ),
    ],
)
def test_malformed_steps_name_the_step_and_field(
    steps: list[dict[str, object]], expected: str
) -> None:
    message = fails(
        {
            "customer": {"domain": "example.com"},
            "steps": steps,
            "until": "2026-02-01T00:00:00-08:00",
        }
    )
    assert message.startswith(expected), message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (
            [step(T0, "add_licences", subscription="ghost", count=1)],
            "step 0 (add_licences): subscription: no subscription called “ghost”",
        ),
        (
            [
                signup(T0, "c", "annual", 25, "60.00"),
                setup_card(T0),
                step("2026-02-10T10:00:00-08:00", "set_users", subscription="c", count=20),
            ],
            "step 2 (set_users): count: an annual commitment of 25 licences can only be reduced at renewal",
        ),
        ([step(T0, "pay", amount="25.00")], "step 0 (pay): card: no payment method on file"),
        (
            [
                step(
                    T0,
                    "setup_billing",
                    card={"brand": "visa", "last4": "4242", "expires": "2025-12"},
                )
            ],
            "step 0 (setup_billing): card.expires: this card expired",
        ),
        (
            [setup_card(T0), step(T1, "refund_credit")],
            "step 1 (refund_credit): amount: there is no credit to refund",
        ),
        (
            [
                signup(T0, "c", "flexible", 5, "6.00"),
                step(T1, "renewal", subscription="c", mode="auto"),
            ],
            "step 1 (renewal): subscription: c is on the flexible plan",
        ),
        (
            [signup(T0, "c", "flexible", 5, "6.00"), signup(T1, "c", "flexible", 5, "6.00")],
            "step 1 (signup): subscription: a subscription called “c” already exists",
        ),
    ],
)
def test_refused_requests_name_the_step_and_field(
    steps: list[dict[str, object]], expected: str
) -> None:
    message = fails(timeline(*steps, until="2026-03-01T00:00:00-08:00"))
    assert message.startswith(expected), message


def test_bad_documents() -> None:
    assert fails([1, 2]).startswith("the file must be a mapping")
    assert fails({"customer": {}, "steps": [], "until": T0}).startswith("customer: domain: missing")
    assert fails({"customer": {"domain": "x.com"}, "steps": []}).startswith("until: missing")
    assert fails(
        {"customer": {"domain": "x.com"}, "steps": [], "until": T0, "extra": 1}
    ).startswith("unknown top-level field")
    with pytest.raises(TimelineError, match="not valid YAML or JSON"):
        parse_document("steps: [", "t.yaml")


def test_yaml_reads_amounts_exactly_and_keeps_instants_with_their_offset() -> None:
    document = parse_document("until: 2026-01-10T09:00:00-08:00\nprice: 7.3333\n", "t.yaml")
    assert document == {
        "until": "2026-01-10T09:00:00-08:00",
        "price": __import__("decimal").Decimal("7.3333"),
    }


def test_cli_bad_file_exits_2_with_one_line_and_no_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "customer: {domain: example.com}\nsteps:\n  - {at: 2026-01-10T09:00:00-08:00, pay: {amount: '5.00'}}\nuntil: 2026-02-01T00:00:00-08:00\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "simulate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "step 0 (pay): amount: the minimum payment is $10.00" in done.stderr


def test_cli_missing_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "/nonexistent/timeline.yaml"]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_shipped_examples_run(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(example)]) == 0
    output = json.loads(capsys.readouterr().out)
    assert set(output) == {"invoices", "transactions", "balance", "subscriptions", "alerts"}
    assert output["invoices"], "every example bills something"


def test_json_timelines_are_read_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            timeline(
                signup(T0, "c", "flexible", 5, "6.00"),
                setup_card(T0),
                until="2026-03-01T00:00:00-08:00",
            )
        )
    )
    assert main(["simulate", str(path)]) == 0
    # Jan 10 signup -> paid from Jan 24: 8 days x 5 = 40; 6 x 40 / 31 = 7.741... -> 7.74
    assert json.loads(capsys.readouterr().out)["invoices"][0]["total"] == "7.74"


def test_simulate_as_text_is_a_statement_of_the_same_figures(tmp_path: Path) -> None:
    """Rule 16's transfer (tests/test_invoices.py): the final invoice of June 1-11 is
    ci 15.40 (6.00 x 77 / 30) + chrome 45.83 ((60 / 12) x 275 / 30) = 61.23."""

    document = timeline(
        signup("2026-03-02T10:00:00-08:00", "ci", "flexible", 7, "6.00"),
        signup("2026-03-02T10:05:00-08:00", "chrome", "annual", 25, "60.00"),
        setup_card("2026-03-03T09:00:00-08:00"),
        step("2026-06-11T12:00:00-07:00", "transfer", reseller="Acme Partners"),
        until="2026-07-01T00:00:00-07:00",
    )
    path = tmp_path / "transfer.json"
    path.write_text(json.dumps(document))
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "simulate", "--format", "text", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    text = done.stdout
    # Babel's period and time: thin spaces around the dash, a narrow no-break space before PM.
    june, noon = "Jun 1\u2009–\u200911, 2026", "12:00\u202fPM"
    final = text[text.index(f"· {june} ·") :].split("\n  INV-")[0]
    assert f"· {june} · issued Jun 11, 2026 at {noon} · paid" in final
    # Days as each plan counts them: users on a flexible plan, licences on an annual one.
    assert re.search(
        rf"Cloud Identity Premium, flexible plan, {june} +77 user-days +\$15\.40", final
    )
    assert re.search(
        rf"Chrome Enterprise Upgrade, annual plan, {june} +275 licence-days +\$45\.83", final
    )
    assert re.search(r"Total +\$61\.23", final)
    assert "Balance due (issued, unpaid)" in text
    assert f"Jun 11, 2026 at {noon} · transferred · ci" in text
    assert text.startswith("Dates and times are in Pacific time, the time zone of the billing")
    assert " PT" not in text and "2026-06" not in text
    assert not re.search(r"flexible plan, [^\n]*licence-days", text)
    assert "ci · flexible plan · transferred · 7 users · term ends Jun 11, 2026" in text
    assert "chrome · annual plan · transferred · 25 licences held · term ends Jun 11, 2026" in text
    assert "{" not in text, "no JSON"
