"""Invoice files: the PDF or CSV of an invoice, uploaded to the admin's direct messages with
Slack's current flow (files.getUploadURLExternal, the upload, files.completeUploadExternal)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from handlers.errors import answered
from handlers.wiring import asker_of, services_of
from services.people import Role
from views.i18n import period, t
from views.invoice_files import csv_bytes, document, pdf
from views.replies import INVOICE_CSV, INVOICE_PDF

NUMBER = re.compile(r"^INV-[0-9]{6,12}$")
FILES = re.compile(f"^({INVOICE_PDF}|{INVOICE_CSV})$")


@answered
def send(action: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext) -> None:
    services, asker = services_of(context), asker_of(context)
    if asker is None or not context.response_url:
        return  # the invoice buttons are in messages, which always have a response_url
    lang = asker.lang
    number = str(action.get("value") or "")
    found = (
        document(services.reader, asker.customer_id, number, services.clock())
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
            period=period(found.invoice, lang),
        ),
    )
    respond(
        text=t(lang, "Sent to your messages with licensebot: {name}", name=name),
        response_type="ephemeral",
        replace_original=False,
    )
