"""Seat files in Slack: a CSV shared in a direct message with the bot is applied all or
nothing; a file with rows the rules refuse gets a report per row, and a button that applies
only the valid rows (once, however often it is clicked); `/license seats export` sends the
assignments back as a CSV in the same columns."""

from __future__ import annotations

import urllib.request
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field
from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from billing import commands as cmd
from billing.errors import BillingError
from billing.seats import RowsRefused
from handlers.errors import answered
from handlers.payloads import parse
from handlers.wiring import asker_of, event_asker, services_of
from services import seat_files
from services.context import Asker, Services
from services.people import Role
from views import seat_files as view
from views.i18n import refusal, t
from views.kit import dicts

FILE_ID = r"^F[A-Z0-9]{1,30}$"


class SharedFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(pattern=FILE_ID)
    name: str = Field(default="", max_length=300)
    size: int = Field(default=0, ge=0)
    url_private: str = Field(default="", max_length=1000)


class FileMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    channel_type: str = ""
    user: str = Field(min_length=1, max_length=20)
    channel: str = Field(min_length=1, max_length=20)
    files: list[SharedFile] = Field(min_length=1, max_length=10)


class FileShared(BaseModel):
    model_config = ConfigDict(extra="ignore")
    team_id: str = Field(min_length=1, max_length=20)
    event: FileMessage


def shared(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """A file shared with the bot in a direct message: a CSV of seats is read and applied."""
    found: FileShared | None = parse(FileShared, body)
    if found is None or found.event.channel_type != "im":
        return
    services = services_of(context)
    asker = event_asker(services, context, found.event.user)
    if asker is None:
        return
    file = found.event.files[0]
    blocks, text = _import(services, client, asker, file, valid_only=False)
    client.chat_postMessage(channel=found.event.channel, text=text, blocks=dicts(blocks))


@answered
def apply_valid(
    action: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """The admin confirmed: apply the file's valid rows, skipping the others."""
    services, asker = services_of(context), asker_of(context)
    if asker is None:
        return
    file_id = str(action.get("value") or "")
    info = _file_info(client, file_id)
    if info is None:
        respond(text=t(asker.lang, view.GONE), replace_original=False)
        return
    blocks, text = _import(services, client, asker, info, valid_only=True)
    respond(text=text, blocks=dicts(blocks), replace_original=True)


def _import(
    services: Services, client: WebClient, asker: Asker, file: SharedFile, *, valid_only: bool
) -> tuple[list[Any], str]:
    lang = asker.lang
    if asker.role is not Role.SUPER_ADMIN:
        said = t(lang, view.SUPERS_ONLY)
        return view.said(said), said
    if file.size > seat_files.MAX_BYTES or not file.name.lower().endswith(".csv"):
        said = t(lang, view.NOT_A_SEAT_FILE)
        return view.said(said), said
    data = _download(client, file.url_private)
    if data is None:
        said = t(lang, view.GONE)
        return view.said(said), said
    try:
        parsed = seat_files.parse(data)
    except seat_files.NotCsv as error:
        said = t(lang, str(error))
        return view.said(said), said
    if not parsed.rows:
        said = t(lang, view.EMPTY)
        return view.report(lang, file.id, 0, parsed.problems, []), said
    if parsed.problems and not valid_only:
        return view.report(lang, file.id, len(parsed.rows), parsed.problems, []), t(
            lang, view.REFUSED
        )
    key = f"seats-import:{file.id}" + (":valid" if valid_only else "")
    order = cmd.ImportSeats(rows=parsed.rows, valid_only=valid_only, file=file.id)
    try:
        change = services.billing.order(
            asker.customer_id, order, at=services.clock(), actor=asker.actor, key=key
        )
    except RowsRefused as error:
        valid = int(str(error.params["valid"]))
        return view.report(lang, file.id, valid, parsed.problems, error.rows), t(lang, view.REFUSED)
    except BillingError as error:
        said = refusal(lang, error)
        return view.said(said), said
    after = change.after or {}
    return view.applied(
        lang,
        int(after.get("applied", 0)),
        len(parsed.problems) + len(after.get("skipped", [])),
        change.replayed,
    )


def _allowed(client: WebClient, url: str) -> bool:
    """Only Slack's own file host (or the Web API's, a stand-in in tests) is fetched, with
    the bot token: a forged event cannot make the bot fetch another address."""
    target = urlsplit(url)
    api = urlsplit(client.base_url)
    return target.scheme in ("https", "http") and (
        target.netloc == api.netloc
        or (target.scheme == "https" and target.netloc == "files.slack.com")
    )


def _download(client: WebClient, url: str) -> bytes | None:
    if not _allowed(client, url):
        return None
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            data: bytes = answer.read(seat_files.MAX_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= seat_files.MAX_BYTES else None


def _file_info(client: WebClient, file_id: str) -> SharedFile | None:
    """The file as Slack describes it now (files.info), never as a button's value says."""
    try:
        found = client.files_info(file=file_id)["file"]
    except Exception:
        return None
    info: SharedFile | None = parse(SharedFile, found)
    return info


def export(services: Services, client: WebClient, asker: Asker, key: str | None) -> str:
    """The assignments (of one subscription, or all) as a CSV in the asker's DM."""
    overview = services.billing.overview(asker.customer_id, services.clock())
    data = seat_files.export(overview.subscriptions, key)
    name = f"seats-{key or 'all'}.csv"
    channel = client.conversations_open(users=asker.person.id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        file=data,
        filename=name,
        title=name,
        initial_comment=t(asker.lang, view.EXPORTED),
    )
    return t(asker.lang, "Sent to your messages with licensebot: {name}", name=name)
