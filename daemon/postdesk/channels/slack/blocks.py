"""A `ChatPost` as Slack Block Kit: its text in a section, its buttons in an actions block.

Pure. Slack shows `text` in notifications and `blocks` in the channel, so both carry
the same words. A button's `action_id` is the desk's action (`resolve`, `csat`...),
with a "#n" suffix when one post has several buttons of the same action (the five
ratings of a satisfaction question), because Slack refuses duplicate action ids in
one block; `payloads.decode_action_id` strips it again.

A share of files (`share_blocks`) says its words in section blocks too, because
files.completeUploadExternal takes no message metadata: the first block's `block_id`
(kept on the message, never shown) carries the outbox row's key, so the share can be
found again after a crash (`web_api.marked_message`).

Slack's documentation followed: Block Kit's `section` and `actions` blocks and the
`button` element (text at most 75 characters, value at most 2,000, style primary /
danger or absent; an actions block holds at most 25 elements); a block's `block_id`
(at most 255 characters, unique in its message, kept on the message and sent back in
interaction payloads); files.completeUploadExternal's `blocks` ("structured rich text
blocks", ignored when `initial_comment` is given; section and rich_text blocks work).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from postdesk.channels.slack.payloads import ACTION_SUFFIX, escape_text
from postdesk.chat.model import ChatButton

SECTION_TEXT_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
BUTTONS_PER_BLOCK = 25
BLOCK_ID_LIMIT = 255
#: the blocks of one message, at most
MESSAGE_BLOCKS_LIMIT = 50


def message_blocks(text: str, buttons: tuple[ChatButton, ...]) -> list[dict[str, Any]] | None:
    """The blocks of a post, or None for a plain text post (no buttons); `text` is the
    desk's plain text (escaped here)."""
    if not buttons:
        return None
    blocks: list[dict[str, Any]] = []
    if text:
        blocks.append({"type": "section", "text": {
            "type": "mrkdwn", "text": escape_text(text)[:SECTION_TEXT_LIMIT]}})
    ids = action_ids(buttons)
    for start in range(0, len(buttons), BUTTONS_PER_BLOCK):
        chunk = zip(buttons[start:start + BUTTONS_PER_BLOCK],
                    ids[start:start + BUTTONS_PER_BLOCK], strict=True)
        blocks.append({"type": "actions",
                       "elements": [_button(button, action_id) for button, action_id in chunk]})
    return blocks


def share_blocks(text: str, block_id: str) -> list[dict[str, Any]]:
    """The blocks of a share of files: `text` (the desk's plain text, escaped here) in
    sections of at most 3,000 characters, the first marked with `block_id`."""
    escaped = escape_text(text) or " "
    chunks = [escaped[start:start + SECTION_TEXT_LIMIT]
              for start in range(0, len(escaped), SECTION_TEXT_LIMIT)][:MESSAGE_BLOCKS_LIMIT]
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
                                    for chunk in chunks if chunk.strip()]
    if not blocks:
        blocks = [{"type": "section", "text": {"type": "plain_text", "text": "\N{PAPERCLIP}"}}]
    blocks[0]["block_id"] = block_id[:BLOCK_ID_LIMIT]
    return blocks


def action_ids(buttons: tuple[ChatButton, ...]) -> list[str]:
    """One unique action id per button: the action, suffixed when it repeats."""
    repeated = {action for action, count in Counter(b.action for b in buttons).items()
                if count > 1}
    seen: Counter[str] = Counter()
    ids = []
    for button in buttons:
        seen[button.action] += 1
        ids.append(f"{button.action}{ACTION_SUFFIX}{seen[button.action]}"
                   if button.action in repeated else button.action)
    return ids


def _button(button: ChatButton, action_id: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button", "action_id": action_id,
        "text": {"type": "plain_text", "text": button.label[:BUTTON_TEXT_LIMIT], "emoji": True},
    }
    if button.value:
        element["value"] = button.value[:BUTTON_VALUE_LIMIT]
    if button.style != "default":
        element["style"] = button.style
    return element
