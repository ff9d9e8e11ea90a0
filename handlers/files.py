"""Invoice files: the PDF or CSV of an invoice, uploaded to the admin's direct messages with
Slack's current flow (files.getUploadURLExternal, the upload, files.completeUploadExternal)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.context import Deps
from bot.i18n import t
from bot.invoice_files import csv_bytes, document, pdf
from bot.people import Role
from bot.views.replies import INVOICE_CSV, INVOICE_PDF
from handlers.payloads import asker_of

NUMBER = re.compile(r"^INV-[0-9]{6,12}$")


def register(app: App, deps: Deps) -> None:
    @app.action(INVOICE_PDF)
    @app.action(INVOICE_CSV)
    def invoice_file(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        deps.after_ack(lambda: send(body, action, respond, client))

    def send(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        asker = asker_of(deps, body)
        if asker is None:
            return
        lang = asker.lang
        number = str(action.get("value") or "")
        found = (
            document(deps.store, asker.customer_id, number, deps.clock())
            if NUMBER.match(number)
            else None
        )
        if asker.role is Role.NONE or found is None:
            respond(
                text=t(lang, "This invoice is not known."),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        as_pdf = action.get("action_id") == INVOICE_PDF
        data = pdf(found, lang) if as_pdf else csv_bytes(found, lang)
        name = found.filename("pdf" if as_pdf else "csv")
        channel = client.conversations_open(users=asker.person.id)["channel"]["id"]
        client.files_upload_v2(
            channel=channel,
            file=data,
            filename=name,
            title=f"{t(lang, 'Invoice')} {found.invoice.number}",
            initial_comment=t(
                lang,
                "Invoice {number} ({period}), as requested.",
                number=found.invoice.number,
                period=found.invoice.period,
            ),
        )
        respond(
            text=t(lang, "Sent to your messages with licensebot: {name}", name=name),
            response_type="ephemeral",
            replace_original=False,
        )
