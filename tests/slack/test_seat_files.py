"""Seat files over signed HTTP: a CSV shared in a DM with the bot is applied all or nothing
(releases first); a file with a bad row applies nothing and says which row and why, and its
button applies the valid rows once; only super-admins apply files; export, edit, re-import."""

from __future__ import annotations

from typing import Any

from billing.model import Plan
from tests.slack.bot import ADMIN, SUPER, Running
from tests.slack.flows import as_json, ask, rows, sign_up, snapshot, view_text
from tests.slack.test_seats import held


def share(bot: Running, user: str, name: str, content: bytes) -> dict[str, Any]:
    """`user` shares a file in their DM with the bot; returns the bot's answer there."""
    file = bot.slack.workspace.new_file(name)
    file.content = content
    url = f"{bot.slack.base_url}/files/{file.id}/{name}"
    before = len(bot.slack.calls_to("chat.postMessage"))
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "files": [{"id": file.id, "name": name, "size": len(content), "url_private": url}],
    }
    assert bot.sender.event(event).status == 200
    posted = bot.slack.wait_for_call("chat.postMessage", count=before + 1)
    return posted[before] | {"file_id": file.id}


def text_of(posted: dict[str, Any]) -> str:
    return view_text({"blocks": as_json(posted["blocks"])})


def test_a_valid_file_is_applied_releases_first(bot: Running) -> None:
    sign_up(bot, "ci", Plan.FLEXIBLE, 2)
    ask(bot, SUPER, "assign ci <@UPLAIN>")
    csv = (
        b"action,subscription,holder,perpetual\n"
        b"assign,ci,ana@example.com,\n"
        b"assign,ci,<@UADMIN|grace>,no\n"
        b"release,ci,UPLAIN,\n"
        b"assign,ci,device:SN-1,yes\n"
    )
    said = share(bot, SUPER, "seats.csv", csv)
    assert "4 seat changes applied." in text_of(said)
    assert held(bot, "ci") == ["ana@example.com", "UADMIN", "device:SN-1"]
    # 2 users, UPLAIN named: the release (first) removes a user (1, none named), ana names
    # it, grace adds one (2); the perpetual device counts for nothing; one change: 2 -> 2
    counts = rows(bot.store.engine, "SELECT quantity FROM quantity_changes ORDER BY id")
    assert [q for (q,) in counts] == [2, 2]


def test_a_file_with_bad_rows_applies_nothing_until_the_valid_rows_are_confirmed(
    bot: Running,
) -> None:
    sign_up(bot, "chrome", Plan.ANNUAL, 2)
    csv = (
        b"action,subscription,holder\n"
        b"assign,chrome,ana@example.com\n"
        b"assign,chrome,not a holder\n"
        b"release,chrome,bob@example.com\n"
        b"assign,chrome,4242 4242 4242 4242\n"
    )
    before = snapshot(bot.store.engine)
    said = share(bot, SUPER, "seats.csv", csv)
    shown = text_of(said)
    assert "Nothing was applied" in shown
    assert "Line 3: holder: Name a holder as a Slack mention" in shown
    assert "Line 5: holder: looks like a card number" in shown or "Line 5: input" in shown
    assert "4242" not in shown, "card digits are never echoed"
    assert snapshot(bot.store.engine) == before
    button = next(
        e for b in as_json(said["blocks"]) if b["type"] == "actions" for e in b["elements"]
    )
    assert button["text"]["text"] == "Apply the 2 valid rows" and button["value"] == said["file_id"]
    for name in ("v1", "v2"):  # a double click applies once
        bot.sender.block_action(
            SUPER,
            "seats_import_valid",
            value=button["value"],
            response_url=bot.slack.response_url(name),
        )
    said = [bot.slack.wait_for_response(name)[0]["text"] for name in ("v1", "v2")]
    # bob holds nothing; the clicks race, so either one may be the one that applied
    assert all("1 seat change applied. 3 rows skipped." in text for text in said)
    assert sum("already done" in text for text in said) == 1
    assert held(bot) == ["ana@example.com"]
    imports = rows(bot.store.engine, "SELECT count(*) FROM audit_log WHERE action = 'import_seats'")
    assert imports == [(1,)]


def test_only_super_admins_apply_files_and_only_csv_files(bot: Running) -> None:
    sign_up(bot, "chrome", Plan.ANNUAL, 2)
    before = snapshot(bot.store.engine)
    csv = b"action,subscription,holder\nassign,chrome,ana@example.com\n"
    assert "Only a super-admin" in text_of(share(bot, ADMIN, "seats.csv", csv))
    assert "Share a CSV file" in text_of(share(bot, SUPER, "seats.pdf", csv))
    assert "first row must be the columns" in text_of(share(bot, SUPER, "seats.csv", b"a,b\n1,2\n"))
    assert snapshot(bot.store.engine) == before


def test_an_export_edited_and_shared_back_is_applied(bot: Running) -> None:
    sign_up(bot, "chrome", Plan.ANNUAL, 3)
    ask(bot, SUPER, "assign chrome <@UADMIN> ana@example.com")
    reply = ask(bot, SUPER, "seats export chrome")
    assert "Sent to your messages with licensebot: seats-chrome.csv" in reply["text"]
    (content,) = bot.slack.uploads.values()
    lines = content.decode().splitlines()
    assert lines[0] == "action,subscription,holder,perpetual,assigned_at,left_workspace"
    assert [line.split(",")[:4] for line in lines[1:]] == [
        ["assign", "chrome", "UADMIN", "no"],
        ["assign", "chrome", "ana@example.com", "no"],
    ]
    edited = "\n".join(
        [lines[0], lines[1].replace("assign", "release", 1), "assign,chrome,bob@example.com,no,,"]
    )
    said = share(bot, SUPER, "seats-chrome.csv", edited.encode())
    assert "2 seat changes applied." in text_of(said)
    assert held(bot) == ["ana@example.com", "bob@example.com"]
