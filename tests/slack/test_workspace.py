"""The Slack stand-in as the sandbox's page uses it, proven without the bot: the workspace
state behind the Web API (messages per channel, ephemeral messages, modal stacks, App Home,
files to download, response_url posts landing in their channel), strict ids, mounting
inside another WSGI server, and the arrival times benchmarks pair with their requests."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import make_server

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.sandbox.identities import Person, Team
from bot.sandbox.local_server import QuietHandler, ThreadingServer
from bot.sandbox.slack_api import SlackApi
from bot.sandbox.workspace import Workspace

TOKEN = "xoxb-test"
ANN = Person("U1", "ann@acme.test")
BOB = Person("U2", "bob@acme.test")
MODAL = {"type": "modal", "callback_id": "one", "title": {"type": "plain_text", "text": "One"}}


def _stand_in(strict: bool) -> Iterator[SlackApi]:
    workspace = Workspace(channels={"C1": "general"})
    with SlackApi([ANN, BOB], workspace=workspace, strict=strict) as stand_in:
        yield stand_in


@pytest.fixture
def strict() -> Iterator[SlackApi]:
    yield from _stand_in(strict=True)


@pytest.fixture
def lenient() -> Iterator[SlackApi]:
    yield from _stand_in(strict=False)


def client(slack: SlackApi) -> WebClient:
    return WebClient(base_url=slack.api_url, token=TOKEN)


def error_of(call: Callable[[], Any]) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# ---- trigger ids and modal stacks ----------------------------------------------------------


def test_strict_trigger_ids_must_be_issued_and_work_once(strict: SlackApi) -> None:
    web = client(strict)
    assert error_of(lambda: web.views_open(trigger_id="made.up", view=MODAL)) == (
        "invalid_trigger_id"
    )
    trigger = strict.issue_trigger("U1")
    opened = web.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert error_of(lambda: web.views_open(trigger_id=trigger, view=MODAL)) == (
        "expired_trigger_id"
    )
    top = strict.workspace.top_modal("U1")
    assert top is not None and top.id == opened["id"]
    assert top.view["callback_id"] == "one"
    assert strict.workspace.top_modal("U2") is None


def test_lenient_trigger_ids_are_taken_as_slack_issued_them_but_still_work_once(
    lenient: SlackApi,
) -> None:
    web = client(lenient)
    assert web.views_open(trigger_id="made.up", view=MODAL)["view"]["id"].startswith("V")
    assert error_of(lambda: web.views_open(trigger_id="made.up", view=MODAL)) == (
        "expired_trigger_id"
    )
    assert web.views_update(view_id="VELSEWHERE", view=MODAL)["view"]["id"] == "VELSEWHERE"


def test_push_stacks_update_replaces_and_unknown_views_are_not_found(strict: SlackApi) -> None:
    web, workspace = client(strict), strict.workspace
    first = web.views_open(trigger_id=strict.issue_trigger("U1"), view=MODAL)["view"]
    second = {**MODAL, "callback_id": "two"}
    pushed = web.views_push(trigger_id=strict.issue_trigger("U1"), view=second)["view"]
    assert [v.id for v in workspace.modals["U1"]] == [first["id"], pushed["id"]]
    updated = web.views_update(view_id=first["id"], view={**MODAL, "callback_id": "three"})
    assert updated["view"]["id"] == first["id"]
    assert workspace.modals["U1"][0].view["callback_id"] == "three"
    assert error_of(lambda: web.views_update(view_id="VNOPE", view=MODAL)) == "not_found"
    reopened = web.views_open(trigger_id=strict.issue_trigger("U1"), view=MODAL)["view"]
    assert [v.id for v in workspace.modals["U1"]] == [reopened["id"]]


def test_a_submission_answer_moves_the_modal_stack_as_slack_does() -> None:
    workspace = Workspace([ANN])
    first = workspace.open_modal("U1", MODAL)
    workspace.submitted("U1", first.id, {"response_action": "errors", "errors": {"b": "No"}})
    assert workspace.modal("U1", first.id) is not None
    assert workspace.modals["U1"][0].errors == {"b": "No"}
    workspace.submitted("U1", first.id, {"response_action": "update", "view": {"title": 1}})
    assert workspace.modals["U1"][0].view == {
        "title": 1,
        "id": first.id,
        "root_view_id": first.id,
        "previous_view_id": None,
    }
    assert workspace.modals["U1"][0].errors == {}
    workspace.submitted("U1", first.id, {"response_action": "push", "view": MODAL})
    assert len(workspace.modals["U1"]) == 2
    top = workspace.top_modal("U1")
    assert top is not None
    workspace.submitted("U1", top.id, None)  # an empty ack closes the view submitted
    assert [v.id for v in workspace.modals["U1"]] == [first.id]
    workspace.open_modal("U1", MODAL, push=True)
    workspace.submitted("U1", first.id, {"response_action": "clear"})
    assert workspace.top_modal("U1") is None


FORM = {
    **MODAL,
    "blocks": [
        {"type": "input", "block_id": "count", "element": {"type": "plain_text_input"}},
        {"type": "input", "block_id": "terms", "element": {"type": "checkboxes"}},
    ],
}
TYPED = {
    "count": {"value": {"type": "plain_text_input", "value": "25"}},
    "terms": {"value": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}},
}


def test_a_form_keeps_what_was_typed_through_errors_and_a_view_pushed_over_it() -> None:
    """Issue 11: Back on a confirmation pushed over a form returns to the form as it was
    filled in; field errors leave every value in place; Done with clear_on_close ends it all."""
    workspace = Workspace([ANN])
    form = workspace.open_modal("U1", FORM)
    workspace.submitted(
        "U1", form.id, {"response_action": "errors", "errors": {"count": "No"}}, TYPED
    )
    assert (form.errors, form.state) == ({"count": "No"}, TYPED)

    workspace.submitted("U1", form.id, {"response_action": "push", "view": MODAL}, TYPED)
    confirmation = workspace.top_modal("U1")
    assert confirmation is not None and confirmation.id != form.id
    assert confirmation.view["root_view_id"] == confirmation.view["previous_view_id"] == form.id
    workspace.close_modal("U1")  # Back
    assert workspace.top_modal("U1") is form and form.state == TYPED
    assert form.errors == {}, "the errors were those of the submission before"

    workspace.submitted("U1", form.id, {"response_action": "push", "view": MODAL}, TYPED)
    pushed = workspace.top_modal("U1")
    assert pushed is not None
    done = {**MODAL, "callback_id": "result", "clear_on_close": True}
    workspace.submitted("U1", pushed.id, {"response_action": "update", "view": done}, {})
    assert [v.id for v in workspace.modals["U1"]] == [form.id, pushed.id]
    assert pushed.view["previous_view_id"] == form.id
    workspace.close_modal("U1")  # Done
    assert workspace.top_modal("U1") is None


def test_an_update_keeps_what_was_typed_in_the_inputs_it_keeps() -> None:
    workspace = Workspace([ANN])
    form = workspace.open_modal("U1", FORM)
    workspace.submitted("U1", form.id, {"response_action": "errors", "errors": {}}, TYPED)
    fewer = {**FORM, "blocks": FORM["blocks"][:1]}
    workspace.submitted("U1", form.id, {"response_action": "update", "view": fewer}, TYPED)
    assert form.state == {"count": TYPED["count"]}


def test_app_home_is_published_per_person(strict: SlackApi) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
    }
    answer = client(strict).views_publish(user_id="U1", view=home)
    published = strict.workspace.home("U1")
    assert published is not None and published["blocks"] == home["blocks"]
    assert published["id"] == answer["view"]["id"]
    assert strict.workspace.home("U2") is None


# ---- messages ------------------------------------------------------------------------------


def test_messages_land_per_channel_and_ephemeral_ones_only_for_their_person(
    strict: SlackApi,
) -> None:
    web, workspace = client(strict), strict.workspace
    posted = web.chat_postMessage(channel="C1", text="to all")
    web.chat_postEphemeral(channel="C1", user="U1", text="to ann")
    web.chat_postMessage(channel="U2", text="to bob alone")
    assert [m.text for m in workspace.conversation("U1", "C1")] == ["to all", "to ann"]
    assert [m.text for m in workspace.conversation("U2", "C1")] == ["to all"]
    assert [m.text for m in workspace.conversation("U2", "DU2")] == ["to bob alone"]
    web.chat_update(channel="C1", ts=posted["ts"], text="edited")
    assert workspace.conversation("U2", "C1")[0].text == "edited"
    assert error_of(lambda: web.chat_update(channel="C1", ts="1.2", text="x")) == (
        "message_not_found"
    )
    assert error_of(lambda: web.chat_postMessage(channel="C404", text="x")) == "channel_not_found"


def test_lenient_channels_and_messages_are_taken_as_existing(lenient: SlackApi) -> None:
    web = client(lenient)
    assert web.chat_postMessage(channel="C404", text="x")["ok"] is True
    assert web.chat_update(channel="C404", ts="1.2", text="y")["ts"] == "1.2"


def test_response_url_posts_land_in_their_channel(strict: SlackApi) -> None:
    workspace = strict.workspace
    url = strict.response_url(user="U1", channel="C1")
    assert WebhookClient(url).send(text="only ann sees this").status_code == 200
    WebhookClient(url).send(text="everyone sees this", response_type="in_channel")
    assert [m.text for m in workspace.conversation("U1", "C1")] == [
        "only ann sees this",
        "everyone sees this",
    ]
    assert [m.text for m in workspace.conversation("U2", "C1")] == ["everyone sees this"]
    name = url.rsplit("/", 1)[1]
    assert [body["text"] for body in strict.responses(name)] == [
        "only ann sees this",
        "everyone sees this",
    ]
    forged = WebhookClient(f"{strict.base_url}/response/forged").send(text="x")
    assert forged.status_code == 404
    assert strict.responses("forged") == []


def test_uploaded_files_are_shared_in_the_channel_and_downloadable(strict: SlackApi) -> None:
    content = b"%PDF-1.4 pretend"
    answer = client(strict).files_upload_v2(
        content=content, filename="INV 1.pdf", title="Invoice", channel="C1"
    )
    shared = answer["file"]
    [message] = strict.workspace.conversation("U1", "C1")
    assert [(f.id, f.title) for f in message.files] == [(shared["id"], "Invoice")]
    status, headers, body = get(shared["url_private"].replace(" ", "%20"))
    assert (status, headers["Content-Type"], body) == (200, "application/pdf", content)
    assert get(f"{strict.base_url}/files/FNOPE/x.pdf")[0] == 404
    assert strict.uploads == {shared["id"]: content}


# ---- serving ---------------------------------------------------------------------------------


def test_it_can_be_mounted_beside_another_app_in_one_server() -> None:
    slack = SlackApi([ANN], team=Team(id="TMOUNT"))

    def page(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"the page"]

    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = slack if slack.serves(environ["PATH_INFO"]) else page
        return app(environ, start_response)

    server = make_server(
        "127.0.0.1", 0, route, server_class=ThreadingServer, handler_class=QuietHandler
    )
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        slack.mount(base)
        assert client(slack).auth_test()["team_id"] == "TMOUNT"
        upload = client(slack).files_getUploadURLExternal(filename="a.csv", length=1)
        assert upload["upload_url"].startswith(f"{base}/upload/")
        assert get(f"{base}/")[2] == b"the page"
    finally:
        server.shutdown()
        server.server_close()


def test_arrivals_are_timed_and_extra_methods_can_be_added(lenient: SlackApi) -> None:
    lenient.add_method("bench.count", lambda args: {"ok": True, "calls": len(lenient.calls)})
    before = time.time()
    WebhookClient(lenient.response_url("c7")).send(text="answer")
    assert client(lenient).api_call("bench.count")["calls"] == 0
    after = time.time()
    [post] = lenient.posts("c7")
    assert before <= post.at <= after
    [call] = lenient.calls
    assert call.method == "bench.count" and post.at <= call.at <= after


def test_unstarted_stand_in_says_so() -> None:
    with pytest.raises(RuntimeError, match="neither started nor mounted"):
        SlackApi().api_url  # noqa: B018
