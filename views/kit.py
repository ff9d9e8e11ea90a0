"""Small builders over slack-sdk's Block Kit models, so views read like the screen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    ConversationSelectElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
VALUE = "value"
"""The action id of every input element: a field is named by its block id."""


def escape(text: str) -> str:
    """User-typed text made inert in mrkdwn: `<!channel>`, `<@U…>` and `<url|label>` are
    Slack's control sequences, and Slack asks for &, < and > to be escaped in any text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=text[:150]))


def section(
    text: str, *, fields: Sequence[str] = (), accessory: Any = None, block_id: str | None = None
) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=text[:SECTION_TEXT_LIMIT]),
        fields=[MarkdownTextObject(text=f[:2000]) for f in fields[:10]] or None,
        accessory=accessory,
        block_id=block_id,
    )


def packed(texts: Sequence[str], separator: str = "\n\n") -> list[SectionBlock]:
    """As few sections as hold `texts`, each under the section limit: a long list then takes
    a handful of blocks instead of one each, and fits a message (50) or a view (100)."""
    sections: list[SectionBlock] = []
    current = ""
    for text in texts:
        joined = f"{current}{separator}{text}" if current else text
        if current and len(joined) > SECTION_TEXT_LIMIT:
            sections.append(section(current))
            joined = text
        current = joined
    return [*sections, section(current)] if current else sections


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:2000])])


def divider() -> DividerBlock:
    return DividerBlock()


def button(
    text: str, action_id: str, value: str = "", style: str | None = None, url: str | None = None
) -> ButtonElement:
    """A button; with `url`, a link button (Slack opens the page, and still sends the click)."""
    return ButtonElement(
        text=PlainTextObject(text=text[:75]),
        action_id=action_id,
        value=value[:2000] or None,
        style=style,
        url=url,
    )


LINKS = "link"
"""The action id of every button that opens a page: Slack still tells the app of the click,
which is acknowledged and nothing more."""


def link(text: str, url: str, style: str | None = None) -> ButtonElement:
    """A button that opens `url` in the browser (a processor's page)."""
    return button(text, LINKS, style=style, url=url[:3000])


def actions(*elements: ButtonElement, block_id: str | None = None) -> ActionsBlock:
    return ActionsBlock(elements=list(elements), block_id=block_id)


def option(value: str, text: str) -> Option:
    return Option(value=value, text=PlainTextObject(text=text[:75]))


def overflow(action_id: str, choices: Sequence[tuple[str, str]]) -> OverflowMenuElement:
    """A "⋯" menu: (value, text) choices, two to five as Slack allows."""
    return OverflowMenuElement(
        action_id=action_id, options=[option(value, text) for value, text in choices[:5]]
    )


def text_input(
    field: str,
    label: str,
    *,
    initial: str | None = None,
    placeholder: str | None = None,
    hint: str | None = None,
    optional: bool = False,
    max_length: int = 100,
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=PlainTextObject(text=label[:2000]),
        element=PlainTextInputElement(
            action_id=VALUE,
            initial_value=initial,
            placeholder=PlainTextObject(text=placeholder[:150]) if placeholder else None,
            max_length=max_length,
        ),
        hint=PlainTextObject(text=hint[:2000]) if hint else None,
        optional=optional,
    )


def select(
    field: str,
    label: str,
    choices: Sequence[tuple[str, str]],
    *,
    initial: str | None = None,
    optional: bool = False,
    hint: str | None = None,
) -> InputBlock:
    options = [option(value, text) for value, text in choices[:100]]
    chosen = next((o for o in options if o.value == initial), None)
    return InputBlock(
        block_id=field,
        label=PlainTextObject(text=label),
        element=StaticSelectElement(action_id=VALUE, options=options, initial_option=chosen),
        optional=optional,
        hint=PlainTextObject(text=hint) if hint else None,
    )


def radio(
    field: str, label: str, choices: Sequence[tuple[str, str]], *, initial: str | None = None
) -> InputBlock:
    options = [option(value, text) for value, text in choices]
    chosen = next((o for o in options if o.value == initial), None)
    return InputBlock(
        block_id=field,
        label=PlainTextObject(text=label),
        element=RadioButtonsElement(action_id=VALUE, options=options, initial_option=chosen),
    )


def channel_select(
    field: str,
    label: str,
    *,
    initial: str | None = None,
    optional: bool = False,
    hint: str | None = None,
) -> InputBlock:
    """One of the workspace's channels, as Slack lists them to the person choosing."""
    return InputBlock(
        block_id=field,
        label=PlainTextObject(text=label),
        element=ConversationSelectElement(action_id=VALUE, initial_conversation=initial),
        optional=optional,
        hint=PlainTextObject(text=hint) if hint else None,
    )


def people_select(
    field: str, label: str, *, initial: Sequence[str] = (), optional: bool = False
) -> InputBlock:
    """Members of the workspace, several at once."""
    return InputBlock(
        block_id=field,
        label=PlainTextObject(text=label),
        element=UserMultiSelectElement(
            action_id=VALUE, initial_users=list(initial) or None, max_selected_items=20
        ),
        optional=optional,
    )


def checkbox(field: str, label: str, text: str, *, optional: bool = False) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=PlainTextObject(text=label),
        element=CheckboxesElement(action_id=VALUE, options=[option("yes", text)]),
        optional=optional,
    )


def modal(
    callback_id: str,
    title: str,
    blocks: Sequence[Block],
    *,
    submit: str | None,
    close: str,
    metadata: str = "",
    clear_on_close: bool = False,
) -> View:
    """A modal view. ``clear_on_close``: its close button ends the whole modal, every view
    under it included (Slack's close of a pushed view otherwise returns to the one below)."""
    if len(metadata) > 3000:
        raise ValueError("private_metadata is limited to 3000 characters")
    return View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=title[:24]),
        submit=PlainTextObject(text=submit[:24]) if submit else None,
        close=PlainTextObject(text=close[:24]),
        blocks=list(blocks)[:VIEW_BLOCK_LIMIT],
        private_metadata=metadata or None,
        clear_on_close=clear_on_close or None,
    )


def home_tab(blocks: Sequence[Block]) -> View:
    return View(type="home", blocks=list(blocks)[:VIEW_BLOCK_LIMIT])


def dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Blocks as JSON-ready dicts, validated against Slack's limits by slack-sdk."""
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        blocks = [*blocks[: MESSAGE_BLOCK_LIMIT - 1], context("…")]
    return [block.to_dict() for block in blocks]
