"""/license invoices offers each invoice as PDF and CSV, uploaded with Slack's current file
flow; the PDF's text matches the ledger."""

from __future__ import annotations

import io
from datetime import datetime

from pypdf import PdfReader

from billing import commands as cmd
from billing.actors import Actor
from billing.calendar import PACIFIC
from tests.slack.bot import PLAIN, SUPER, Running
from tests.support import runner_of


def an_invoice(bot: Running) -> str:
    t0 = datetime(2026, 1, 10, 9, tzinfo=PACIFIC)
    customer = bot.customer_id
    bot.services.billing.order(
        customer,
        cmd.Signup(
            subscription="ci",
            product="Cloud Identity Premium",
            plan="flexible",
            licences=10,
            price="6.00",
        ),
        at=t0,
        actor=Actor.parse("test"),
    )
    bot.services.billing.order(
        customer,
        cmd.SetupBilling(card=cmd.CardDetails(brand="visa", last4="4242", expires="2030-12")),
        at=t0,
        actor=Actor.parse("test"),
    )
    runner_of(bot.store, t0).run_until(datetime(2026, 2, 1, 1, tzinfo=PACIFIC))
    (invoice,) = bot.store.invoices(customer)
    return invoice.number


def test_invoices_offer_pdf_and_csv_and_upload_them_to_the_admin(bot: Running) -> None:
    number = an_invoice(bot)
    bot.command(SUPER, "invoices", response_url=bot.slack.response_url("list"))
    reply = bot.last_response("list")
    buttons = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("invoice_pdf", number),
        ("invoice_csv", number),
    ]

    bot.sender.block_action(
        SUPER, "invoice_pdf", value=number, response_url=bot.slack.response_url("pdf")
    )
    complete = bot.slack.wait_for_call("files.completeUploadExternal")[-1]
    assert complete["channel_id"] == f"D{SUPER}"
    (data,) = bot.slack.uploads.values()
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    # Jan 10 sign-up, paid from Jan 24: 8 days x 10 users = 80; 6.00 x 80 / 31 = 15.48.
    assert number in text and "$15.48" in text and "acme.example" in text
    assert "Sent to your messages" in bot.last_response("pdf")["text"]

    bot.slack.clear()
    bot.sender.block_action(
        SUPER, "invoice_csv", value=number, response_url=bot.slack.response_url("csv")
    )
    bot.slack.wait_for_call("files.completeUploadExternal")
    (csv,) = bot.slack.uploads.values()
    assert b"15.48" in csv and number.encode() in csv


def test_a_foreign_or_forged_invoice_number_gets_nothing(bot: Running) -> None:
    an_invoice(bot)
    for value in ("INV-999999", "../../etc/passwd", ""):
        bot.sender.block_action(
            SUPER, "invoice_pdf", value=value, response_url=bot.slack.response_url(f"x{len(value)}")
        )
        assert "not known" in bot.last_response(f"x{len(value)}")["text"]
    bot.sender.block_action(
        PLAIN, "invoice_pdf", value="INV-000001", response_url=bot.slack.response_url("plain")
    )
    assert "not known" in bot.last_response("plain")["text"]
    assert bot.slack.calls_to("files.completeUploadExternal") == []
