"""Checking Block Kit the way Slack will: slack-sdk's models, and the limits Slack enforces.

Slack answers an invalid payload with `invalid_blocks` (a message) or `invalid_arguments`
(a view) and the user sees nothing, so every payload the bot sends is checked here: parsed
with slack-sdk's models and validated (their `to_dict` runs `validate_json` all the way
down), and measured against the documented limits the models do not all check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.sandbox.slack_api import SlackApi

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
MODAL_TITLE = 24
MODAL_BUTTON = 24
BUTTON_TEXT = 75
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTIONS = 100
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
PRIVATE_METADATA = 3000
ID_LENGTH = 255
MESSAGE_CALLS = ("chat.postMessage", "chat.update", "chat.postEphemeral")
VIEW_CALLS = ("views.open", "views.push", "views.update", "views.publish")


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


def check_message(blocks: list[dict[str, Any]], where: str = "message") -> None:
    assert isinstance(blocks, list) and blocks, f"{where}: blocks must be a non-empty list"
    assert len(blocks) <= MESSAGE_BLOCKS, f"{where}: {len(blocks)} blocks > {MESSAGE_BLOCKS}"
    _check_blocks(blocks, where)


def check_view(view: dict[str, Any], where: str = "view") -> None:
    parsed = View(**view)
    parsed.to_dict()  # validate_json, recursively
    blocks = view.get("blocks") or []
    assert len(blocks) <= VIEW_BLOCKS, f"{where}: {len(blocks)} blocks > {VIEW_BLOCKS}"
    assert view["type"] in ("modal", "home"), where
    if view["type"] == "modal":
        for part, limit in (
            ("title", MODAL_TITLE),
            ("submit", MODAL_BUTTON),
            ("close", MODAL_BUTTON),
        ):
            if part in view:
                _plain(view[part], limit, f"{where}.{part}")
        assert "title" in view, f"{where}: a modal needs a title"
        has_input = any(b["type"] == "input" for b in blocks)
        assert not has_input or "submit" in view, f"{where}: inputs need a submit button"
    metadata = view.get("private_metadata") or ""
    assert len(metadata) <= PRIVATE_METADATA, f"{where}: private_metadata {len(metadata)}"
    assert len(view.get("callback_id") or "") <= ID_LENGTH
    _check_blocks(blocks, where)


def _check_blocks(blocks: list[dict[str, Any]], where: str) -> None:
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids)), f"{where}: duplicate block_id in {ids}"
    for n, block in enumerate(blocks):
        here = f"{where}.blocks[{n}]({block.get('type')})"
        parsed = Block.parse(block)
        assert parsed is not None, f"{here}: unknown block type"
        assert parsed.to_dict() == block, f"{here}: fields slack-sdk does not know"
        _check_block(block, here)


def _check_block(block: dict[str, Any], where: str) -> None:
    kind = block["type"]
    assert len(block.get("block_id") or "") <= ID_LENGTH, where
    if kind == "header":
        _plain(block["text"], HEADER_TEXT, where)
    elif kind == "section":
        assert "text" in block or "fields" in block, f"{where}: a section needs text or fields"
        if "text" in block:
            _text(block["text"], SECTION_TEXT, where)
        fields = block.get("fields") or []
        assert len(fields) <= SECTION_FIELDS, f"{where}: {len(fields)} fields"
        for field in fields:
            _text(field, FIELD_TEXT, where)
        if "accessory" in block:
            _element(block["accessory"], where)
    elif kind == "context":
        elements = block["elements"]
        assert 1 <= len(elements) <= CONTEXT_ELEMENTS, where
        for element in elements:
            _text(element, FIELD_TEXT * 2, where)
    elif kind == "actions":
        elements = block["elements"]
        assert 1 <= len(elements) <= ACTIONS_ELEMENTS, where
        action_ids = [e.get("action_id") for e in elements]
        assert len(action_ids) == len(set(action_ids)), f"{where}: duplicate action_id"
        for element in elements:
            _element(element, where)
    elif kind == "input":
        _plain(block["label"], 2000, where)
        if "hint" in block:
            _plain(block["hint"], 2000, where)
        _element(block["element"], where)


def _element(element: dict[str, Any], where: str) -> None:
    kind = element["type"]
    assert len(element.get("action_id") or "") <= ID_LENGTH, where
    if kind == "button":
        _plain(element["text"], BUTTON_TEXT, where)
        assert len(element.get("value") or "") <= 2000, where
    if kind in ("static_select", "radio_buttons", "checkboxes"):
        options = element.get("options") or []
        assert 1 <= len(options) <= OPTIONS, f"{where}: {kind} with {len(options)} options"
        values = [o["value"] for o in options]
        assert len(values) == len(set(values)), f"{where}: duplicate option values"
        for option in options:
            _text(option["text"], OPTION_TEXT, where)
            assert 1 <= len(option["value"]) <= OPTION_VALUE, where
        initial = element.get("initial_option")
        if initial is not None:
            assert initial in options, f"{where}: initial_option is not one of the options"
    if kind == "plain_text_input":
        assert 0 < element.get("max_length", 3000) <= 3000, where
        if "initial_value" in element:
            assert len(element["initial_value"]) <= element.get("max_length", 3000), where
        if "placeholder" in element:
            _plain(element["placeholder"], 150, where)


def _plain(obj: dict[str, Any], limit: int, where: str) -> None:
    assert obj["type"] == "plain_text", f"{where}: {obj} must be plain_text"
    _text(obj, limit, where)


def _text(obj: dict[str, Any], limit: int, where: str) -> None:
    assert obj["type"] in ("plain_text", "mrkdwn"), where
    text = obj["text"]
    assert isinstance(text, str) and text.strip(), f"{where}: empty text"
    assert len(text) <= limit, f"{where}: text of {len(text)} > {limit}"


def payloads(slack: SlackApi, acks: Sequence[Any] = ()) -> Iterator[tuple[str, str, Any]]:
    """("message" | "view", where, payload) for everything the bot sent Slack."""
    for call in slack.calls:
        if call.method in MESSAGE_CALLS and call.args.get("blocks"):
            yield "message", call.method, _loaded(call.args["blocks"])
        if call.method in VIEW_CALLS:
            yield "view", call.method, _loaded(call.args["view"])
    for body in slack.responses():
        if body.get("blocks"):
            yield "message", "response_url", _loaded(body["blocks"])
    for answer in acks:
        if isinstance(answer, dict) and answer.get("response_action") in ("update", "push"):
            yield "view", f"ack:{answer['response_action']}", answer["view"]


def check_everything(slack: SlackApi, acks: Sequence[Any] = ()) -> int:
    """Check every payload; returns how many were checked."""
    checked = 0
    for kind, where, payload in payloads(slack, acks):
        if kind == "message":
            check_message(payload, where)
        else:
            check_view(payload, where)
        checked += 1
    return checked
