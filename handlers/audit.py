"""`/license audit`: the filters typed after the word (a count, a subscription, a person)
and the Older button that pages back through the trail."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt import BoltContext, Respond

from billing.actors import Actor
from billing.history import AuditPage
from handlers.errors import answered
from handlers.wiring import asker_of, services_of
from services.people import Role
from views import audit as view
from views.i18n import N_, t
from views.kit import dicts

MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,20})(\|[^<>]{0,80})?>$")
"""A person as Slack writes a mention in a command's text (escaping on): <@U123|name>."""
SUBJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
COUNT = re.compile(r"^[0-9]{1,2}$")
USAGE = N_(
    "Filter the audit trail with `/license audit [number] [subscription] [@person]`, "
    "e.g. `/license audit 10 chrome @ada`."
)


def typed(words: list[str]) -> AuditPage | None:
    """The page the words ask for, or None when they cannot be read (each at most once)."""
    found: dict[str, Any] = {}
    for word in words:
        if COUNT.match(word) and "limit" not in found and 1 <= int(word) <= 50:
            found["limit"] = int(word)
        elif (mention := MENTION.match(word)) and "actor" not in found:
            found["actor"] = Actor.slack(mention.group(1))
        elif SUBJECT.match(word) and "subject" not in found and not word.isdigit():
            found["subject"] = word
        else:
            return None
    return AuditPage(**found)


class Older(BaseModel):
    """The Older button's value: where the shown page ended, and its filters."""

    model_config = ConfigDict(extra="forbid")

    b: Annotated[int, Field(ge=1, le=2**62)]
    n: Annotated[int, Field(ge=1, le=50)]
    s: Annotated[str, Field(pattern=SUBJECT.pattern)] | None = None
    a: Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,20}$")] | None = None

    def page(self) -> AuditPage:
        actor = Actor.slack(self.a) if self.a else None
        return AuditPage(limit=self.n, before=self.b, subject=self.s, actor=actor)


@answered
def older(action: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    """The next page, in place of the one shown."""
    services, asker = services_of(context), asker_of(context)
    if asker is None or not context.response_url:
        return
    try:
        page = Older.model_validate(json.loads(str(action.get("value") or ""))).page()
    except (ValueError, ValidationError):
        page = None
    if asker.role is Role.NONE or page is None:
        text = t(asker.lang, "This page of the audit trail is not known.")
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    rows = services.reader.audit(asker.customer_id, page)
    blocks = view.audit_blocks(asker.lang, rows, page, asker.person.tz)
    respond(
        text="licensebot", blocks=dicts(blocks), response_type="ephemeral", replace_original=True
    )
