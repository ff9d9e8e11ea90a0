"""The sandbox in a real browser (Playwright driving Debian's Chromium), as a new admin
would use it: subscribe, set up billing, buy licences, move past the trial to the 1st, see
the invoice alert, open the PDF, pay, and check what the page shows."""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from billing.calendar import PACIFIC
from bot.sandbox.run import Sandbox, start_sandbox

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("LICENSEBOT_REQUIRE_BROWSER") == "1"

if not Path(CHROMIUM).exists() and not REQUIRED:
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium); CI requires it",
        allow_module_level=True,
    )

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    running = start_sandbox(
        port=0,
        database=tmp_path / "sandbox.sqlite3",
        now=datetime(2026, 1, 5, 10, 0, tzinfo=PACIFIC),
    )
    yield running
    running.stop()


@pytest.fixture
def page(sandbox: Sandbox) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.set_default_timeout(15_000)
        page.goto(sandbox.url)
        yield page
        browser.close()


def command(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.click("#composer button")


def modal(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#modal form.modal")


def submit(page: Page, label: str) -> None:
    modal(page).get_by_role("button", name=label).click()


def finish(page: Page) -> None:
    """The result modal says it is done; close it."""
    expect(modal(page)).to_contain_text("Done")
    modal(page).get_by_role("button", name="Done").click()
    expect(page.locator("#modal")).to_be_hidden()


def test_a_new_admin_goes_from_sign_up_to_payment_in_the_sandbox(
    page: Page, sandbox: Sandbox
) -> None:
    expect(page.locator("#clock")).to_contain_text("05 Jan 2026")

    # Subscribe: 10 users of Cloud Identity Premium, flexible plan (6.00 per user per month).
    command(page, "/license subscribe")
    form = modal(page)
    expect(form).to_contain_text("Subscribe")
    form.locator("#in-product").select_option("cloud_identity_premium")
    form.locator("#in-licences").fill("10")
    form.locator("#in-subscription").fill("ci")
    form.locator("#in-terms input").check()
    submit(page, "Next")
    # Signed up Jan 5 (day 1): the trial's last day is Jan 18.
    expect(form).to_contain_text("Free trial until Jan 18, 2026")
    submit(page, "Confirm")
    finish(page)

    # Set up billing: the card is entered on the sandbox processor's page, not in Slack.
    enter_card(page, "/license billing", "4242")
    expect(page.locator("#messages")).to_contain_text("The card visa •••• 4242 (12/2030) is saved")

    # Buy 5 more: the form comes prefilled from the command.
    command(page, "/license buy ci 5")
    form = modal(page)
    expect(form.locator("#in-count")).to_have_value("5")
    form.locator("#in-terms input").check()
    submit(page, "Next")
    expect(form).to_contain_text("Still in the free trial")
    submit(page, "Confirm")
    finish(page)

    # To Feb 1: the trial converts on Jan 19, January is invoiced and charged on Feb 1.
    page.click("#to-first")
    expect(page.locator("#clock")).to_contain_text("01 Feb 2026")
    messages = page.locator("#messages")
    # Jan 19-31: 13 days x 15 users = 195 user-days; 6.00 x 195 / 31 = 37.741... -> 37.74.
    expect(messages).to_contain_text("Invoice INV-000001 issued: $37.74")
    expect(messages).to_contain_text("Payment received: $37.74")
    expect(messages).to_contain_text("the trial is over, paid service has started")

    # The invoice as a PDF, sent to the admin's messages with licensebot.
    command(page, "/license invoices")
    page.locator("#messages button[data-action-id=invoice_pdf]").first.click()
    expect(messages).to_contain_text("Sent to your messages")
    page.click("nav a[data-app=messages]")
    link = page.locator("#messages .file a").first
    expect(link).to_contain_text("INV-000001")
    response = page.request.get(sandbox.url + link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
    assert "INV-000001" in text and "$37.74" in text and "195" in text

    # Pay 10.00 by hand: nothing is due, so all of it becomes credit.
    command(page, "/license pay 10.00")
    form = modal(page)
    expect(form.locator("#in-amount")).to_have_value("10.00")
    submit(page, "Next")
    expect(form).to_contain_text("becomes credit")
    submit(page, "Confirm")
    finish(page)
    page.click("nav a[data-channel=CBILLING]")
    expect(messages).to_contain_text("Payment received: $10.00")
    command(page, "/license balance")
    expect(messages.locator(".message.ephemeral").last).to_contain_text("Credit")
    expect(messages.locator(".message.ephemeral").last).to_contain_text("$10.00")

    # The App Home shows the subscription, the balance and the spend chart.
    page.click("nav a[data-app=home]")
    expect(messages).to_contain_text("15 users")  # a flexible plan counts users
    expect(messages).to_contain_text("Spend, last 12 months")

    # Each subscription's "⋯" menu opens the order's form for that subscription.
    page.locator("select.overflow[data-action-id='menu:ci']").select_option("set_users")
    expect(modal(page)).to_contain_text("Users")
    expect(modal(page).locator("#in-subscription")).to_have_value("ci")


def enter_card(page: Page, text: str, last4: str) -> None:
    """Ask for the card page in Slack, pick a sandbox test card on it, save it."""
    links = page.locator("#messages .message.ephemeral a.link-button")
    before = links.count()
    command(page, text)
    expect(links).to_have_count(before + 1)
    link = links.last
    expect(link).to_have_text("Enter the card on a secure page")
    expect(page.locator("#modal")).to_be_hidden()  # no card form in Slack
    with page.expect_popup() as opened:
        link.click()
    card = opened.value
    expect(card.locator("h1")).to_have_text("Sandbox processor")
    expect(card.locator("main")).to_contain_text("no card number, no security code")
    assert card.locator("input[name=number], input[name=cvc]").count() == 0
    card.locator(f"input[name=card][value='{last4}']").check()
    card.locator("#exp_month").select_option("12")
    card.locator("#exp_year").select_option("2030")
    card.get_by_role("button", name="Save the card").click()
    expect(card.locator("main")).to_contain_text("Card saved, you can close this page.")
    card.close()


def test_a_declining_test_card_fails_the_invoice_then_a_new_card_is_entered(
    page: Page, sandbox: Sandbox
) -> None:
    """The hosted page's 0002 card is saved like any other, and declined at the first charge:
    the billing channel says why; the admin enters another card on a new page."""
    command(page, "/license subscribe")
    form = modal(page)
    form.locator("#in-product").select_option("cloud_identity_premium")
    form.locator("#in-licences").fill("10")
    form.locator("#in-subscription").fill("ci")
    form.locator("#in-terms input").check()
    submit(page, "Next")
    submit(page, "Confirm")
    finish(page)
    enter_card(page, "/license billing", "0002")
    messages = page.locator("#messages")
    expect(messages).to_contain_text("The card visa •••• 0002 (12/2030) is saved")

    # Feb 1: January (Jan 19-31, 13 days x 10 users: 6.00 x 130 / 31 = 25.16) fails on 0002.
    page.click("#to-first")
    expect(page.locator("#clock")).to_contain_text("01 Feb 2026")
    expect(messages).to_contain_text("Invoice INV-000001 issued: $25.16")
    expect(messages).to_contain_text("The automatic payment of $25.16 failed")
    expect(messages).to_contain_text("Why: the card was declined.")

    # Another card, on a new page (the first link was used).
    enter_card(page, "/license card", "4242")
    expect(messages).to_contain_text("The card visa •••• 4242 (12/2030) is saved")
    with sandbox.store.engine.connect() as connection:
        methods = connection.execute(
            text("SELECT processor_method FROM payment_methods WHERE replaced_at IS NULL")
        ).scalars()
        assert list(methods) == ["pm_sandbox_visa_4242_203012"]


def test_a_form_keeps_what_was_typed_through_its_errors_and_its_confirmation(page: Page) -> None:
    """Issue 11, as Slack does it: every field's error at once; what was typed, ticked and
    chosen stays through the errors; the confirmation is pushed over the form and its Back
    returns to the form as it was left; Done ends the whole modal."""
    command(page, "/license subscribe")
    form = modal(page)
    expect(form).to_contain_text("Subscribe")
    form.locator("#in-plan input[value=annual]").check()
    submit(page, "Next")
    expect(form.locator(".error")).to_have_text(
        ["Choose a product.", "Required.", "Required.", "Accept the terms to continue."]
    )
    expect(form.locator("#in-plan input[value=annual]")).to_be_checked()

    form.locator("#in-product").select_option("chrome_enterprise")
    form.locator("#in-licences").fill("ten")
    form.locator("#in-subscription").fill("chrome")
    form.locator("#in-terms input").check()
    submit(page, "Next")
    expect(form.locator(".error")).to_have_text(["Give a whole number."])
    expect(form.locator("#in-product")).to_have_value("chrome_enterprise")
    expect(form.locator("#in-plan input[value=annual]")).to_be_checked()
    expect(form.locator("#in-licences")).to_have_value("ten")
    expect(form.locator("#in-subscription")).to_have_value("chrome")
    expect(form.locator("#in-terms input")).to_be_checked()

    form.locator("#in-licences").fill("25")
    submit(page, "Next")
    expect(form).to_contain_text("Free trial until Jan 18, 2026")
    submit(page, "Back")
    expect(form.locator("#in-licences")).to_have_value("25")
    expect(form.locator("#in-product")).to_have_value("chrome_enterprise")
    expect(form.locator("#in-plan input[value=annual]")).to_be_checked()
    expect(form.locator("#in-subscription")).to_have_value("chrome")
    expect(form.locator("#in-terms input")).to_be_checked()
    expect(form.locator(".error")).to_have_count(0)

    submit(page, "Next")
    submit(page, "Confirm")
    finish(page)
    command(page, "/license status")
    expect(page.locator("#messages")).to_contain_text("chrome")


def test_slack_date_tokens_are_shown_in_the_chosen_persons_time_zone(page: Page) -> None:
    """An instant is sent as Slack's date token; the page shows it as Slack would, in the
    time zone and language of the person chosen: Ada in New York, Marie in Paris, in French.
    The sandbox's clock is Jan 5, 2026, 10:00 Pacific (18:00 UTC): "today" for both."""
    command(page, "/license subscribe")
    form = modal(page)
    form.locator("#in-product").select_option("cloud_identity_premium")
    form.locator("#in-licences").fill("10")
    form.locator("#in-subscription").fill("ci")
    form.locator("#in-terms input").check()
    submit(page, "Next")
    submit(page, "Confirm")
    finish(page)

    messages = page.locator("#messages")
    command(page, "/license audit")
    shown = messages.locator(".message.ephemeral").last.locator("time")
    expect(shown).to_have_count(1)
    expect(shown).to_have_text(re.compile(r"^Today at 1:00\sPM$"))
    expect(shown).to_have_attribute("title", re.compile(r"^Jan 5, 2026 at 1:00\sPM UTC-5$"))
    expect(messages).not_to_contain_text("<!date")
    expect(messages).not_to_contain_text("PT")

    page.locator("#who").select_option("USANDMARIE")
    command(page, "/license audit")
    shown = messages.locator(".message.ephemeral").last.locator("time")
    expect(shown).to_have_text(re.compile(r"^Aujourd.hui à 19:00$"))
    expect(shown).to_have_attribute("title", re.compile(r"^5 janv\. 2026 à 19:00 UTC\+1$"))


def test_seats_are_given_by_mention_and_taken_back_from_the_list(page: Page) -> None:
    command(page, "/license subscribe")
    form = modal(page)
    form.locator("#in-product").select_option("cloud_identity_premium")
    form.locator("#in-licences").fill("2")
    form.locator("#in-subscription").fill("ci")
    form.locator("#in-terms input").check()
    submit(page, "Next")
    submit(page, "Confirm")
    finish(page)
    # typed as in Slack: the page escapes the command as Slack does with escaping on
    command(page, "/license assign ci @grace joe@acme.example device:SN-7")
    messages = page.locator("#messages")
    expect(messages).to_contain_text("Done: Give a licence of ci to")
    command(page, "/license seats ci")
    expect(messages).to_contain_text("Holders of ci")
    expect(messages).to_contain_text("3 of 3 users named")  # the third holder added a user
    page.once("dialog", lambda dialog: dialog.accept())
    messages.get_by_role("button", name="Release").first.click()
    expect(messages).to_contain_text("Done: Take back the licence of ci from")
    expect(messages).to_contain_text("2 of 2 users named")
