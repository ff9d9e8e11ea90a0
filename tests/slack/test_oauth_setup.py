"""After an install (OAuth mode): the first super-admin's welcome, and the set-up modal it
opens (or `/license setup`), which sets the channels and who may act, checked like the
commands that set them."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.signing import SlackResponse
from tests.slack.bot import Running
from tests.slack.flows import audit_actions, result_text, view_text
from tests.slack.installed import Installed
from tests.slack.test_isolation import setup_state


def _calls(bot: Installed, team: str, method: str) -> list[dict[str, Any]]:
    return bot.teams.team(team).calls_to(method)


def _submit(bot: Installed, user: str, found: dict[str, Any]) -> SlackResponse:
    return bot.sender("T1").view_submission(
        user, {"id": "VSETUP", "callback_id": "workspace_setup", "state": found}
    )


def _errors(answer: SlackResponse) -> dict[str, str]:
    assert answer.json is not None and answer.json["response_action"] == "errors", answer.body
    errors: dict[str, str] = answer.json["errors"]
    return errors


def _opened(bot: Installed, before: int) -> dict[str, Any]:
    opened = bot.teams.team("T1").wait_for_call("views.open", count=before + 1)
    view = opened[before]["view"]
    found: dict[str, Any] = json.loads(view) if isinstance(view, str) else view
    return found


def test_the_first_super_admin_is_welcomed_with_a_button_that_opens_the_set_up(
    oauth_bot: Installed,
) -> None:
    oauth_bot.install("T1", "UA1")
    [welcome] = _calls(oauth_bot, "T1", "chat.postMessage")
    assert welcome["channel"] == "UA1"
    assert welcome["text"] == "licensebot is installed in Acme."
    assert '"action_id": "setup_open"' in json.dumps(welcome["blocks"])
    assert _calls(oauth_bot, "T2", "chat.postMessage") == []

    oauth_bot.sender("T1").block_action("UA1", "setup_open", channel_id="DUA1")
    view = _opened(oauth_bot, 0)
    assert view["callback_id"] == "workspace_setup"
    blocks = {block["block_id"]: block["element"] for block in view["blocks"] if "element" in block}
    assert blocks["super_admins"]["initial_users"] == ["UA1"]
    assert "initial_conversation" not in blocks["billing"]  # alerts go to a DM until chosen

    oauth_bot.install("T1", "UA2")  # a reinstall welcomes no one again
    assert len(_calls(oauth_bot, "T1", "chat.postMessage")) == 1


def test_the_set_up_saves_channels_and_people_and_posts_a_note_in_each_channel(
    oauth_bot: Installed,
) -> None:
    oauth_bot.install("T1", "UA1")
    customer = oauth_bot.customer_of("T1")
    chosen = setup_state("CACMEBILL", ["UA1", "UA3"], ["UA2", "UA3"], approvals="CACMEAPPR")
    chosen["values"]["language"]["value"] = {
        "type": "static_select",
        "selected_option": {"value": "fr", "text": {"type": "plain_text", "text": "français"}},
    }
    answer = _submit(oauth_bot, "UA1", chosen)
    assert result_text(answer).startswith(
        "Saved. Billing alerts go to <#CACMEBILL>, requests to approve to <#CACMEAPPR>."
    )
    found = oauth_bot.workspaces.settings_for(customer)
    assert (found.billing_channel, found.approvals_channel, found.channel_language) == (
        "CACMEBILL",
        "CACMEAPPR",
        "fr",
    )
    assert (found.super_admins, found.admins) == (("UA1", "UA3"), ("UA2",))
    notes = {c["channel"]: c["text"] for c in _calls(oauth_bot, "T1", "chat.postMessage")[1:]}
    assert notes == {
        "CACMEBILL": "<@UA1> a choisi ce canal pour les alertes de facturation de licensebot.",
        "CACMEAPPR": "<@UA1> a choisi ce canal pour les demandes d'approbation de licensebot.",
    }
    actions = [action for _, action, subject in audit_actions(oauth_bot.store.engine)]
    assert actions[-2:] == ["channels_set", "admins_set"]


def test_the_set_up_refuses_on_the_field_and_saves_nothing(oauth_bot: Installed) -> None:
    oauth_bot.install("T1", "UA1")
    customer = oauth_bot.customer_of("T1")
    before = oauth_bot.workspaces.settings_for(customer)
    audited = len(audit_actions(oauth_bot.store.engine))
    cases = [
        (setup_state("CACMEBILL", []), "super_admins", "at least one super-admin"),
        (setup_state("CACMEBILL", ["UA1", "UG2"]), "super_admins", "<@UG2> is not a member"),
        (setup_state("CACMEBILL", ["UA1"], ["UX9"]), "admins", "<@UX9> is not a member"),
        (setup_state("CNOPE", ["UA1"]), "billing", "cannot post in <#CNOPE>"),
        (setup_state("CACMEBILL", ["UA1"], approvals="CNOPE"), "approvals", "<#CNOPE>"),
    ]
    for chosen, field, said in cases:
        errors = _errors(_submit(oauth_bot, "UA1", chosen))
        assert list(errors) == [field] and said in errors[field], (field, errors)
    missing = setup_state("CACMEBILL", ["UA1"])
    del missing["values"]["billing"]
    assert list(_errors(_submit(oauth_bot, "UA1", missing))) == ["billing"]
    assert oauth_bot.workspaces.settings_for(customer) == before
    assert len(audit_actions(oauth_bot.store.engine)) == audited


def test_only_a_super_admin_opens_or_saves_the_set_up(oauth_bot: Installed) -> None:
    oauth_bot.install("T1", "UA1")
    oauth_bot.sender("T1").block_action("UA2", "setup_open", channel_id="DUA2")
    refused = view_text(_opened(oauth_bot, 0))
    assert "Only a super-admin can change who may act and where alerts go." in refused
    errors = _errors(_submit(oauth_bot, "UA2", setup_state("CACMEBILL", ["UA2"])))
    assert errors == {
        "super_admins": "Only a super-admin can change who may act and where alerts go."
    }


def test_license_setup_opens_the_same_modal(oauth_bot: Installed) -> None:
    oauth_bot.install("T1", "UA1")
    oauth_bot.sender("T1").command("UA1", "setup", trigger_id="1.2.setup")
    [opened] = oauth_bot.teams.team("T1").wait_for_call("views.open")
    assert opened["trigger_id"] == "1.2.setup"
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    assert view["callback_id"] == "workspace_setup"


def test_one_workspace_mode_has_no_set_up(bot: Running) -> None:
    name = "setup1"
    bot.command("USUPER", "setup", response_url=bot.slack.response_url(name))
    [reply] = bot.slack.wait_for_response(name)
    assert "its admins and channels are set by its operator" in reply["text"]
