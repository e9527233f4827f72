"""A `ChatPost` as a Bot Framework message activity: its text, and its buttons in an
Adaptive Card whose `Action.Submit` data names the desk's action.

Pure. Teams renders a message's `text` as Markdown; the desk's text is made inert
first (`&`, `<`, `>` escaped), so a customer's words can never become a mention or
HTML. A post with buttons carries the same text in the card (a `TextBlock`) and none
beside it, so Teams shows it once. Images travel inline as data URIs (Teams shows
them in channels up to 1 MB); other files cannot be posted by a bot into a channel
(that needs SharePoint through Microsoft Graph), so they are listed under the text as
Markdown links to the desk's signed download link (`ChatFile.link`, served by the web
server, `postdesk.tickets.file_links`) with the post's note beside it ("download link,
valid for 30 days"); without `[web]` the note names the file and says it is in the
mail. Teams renders `[name](url)` both in a message's Markdown text and in a card's
TextBlock.

Microsoft's documentation followed: the Activity schema (Bot Connector REST API
reference), "Text formatting in cards / messages" for Teams, the Adaptive Cards schema
1.4 (AdaptiveCard, TextBlock, Action.Submit with `data`, `style` positive /
destructive), "Add media attachments to messages" (inline base64 images) and "Format
your bot messages" / "Text formatting in cards" (hyperlinks in Markdown text and in
TextBlock).
"""

from __future__ import annotations

import base64
from typing import Any

from postdesk.channels.teams.activities import DATA_ACTION, DATA_VALUE
from postdesk.chat.model import ChatButton, ChatFile, ChatPost

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
#: what Teams shows inline in a channel (larger images are listed by name)
INLINE_IMAGE_LIMIT = 1024 * 1024
STYLES = {"primary": "positive", "danger": "destructive"}


def message_activity(post: ChatPost) -> dict[str, Any]:
    """The activity JSON posted (or put, for an edit) to the Bot Connector."""
    images = [item for item in post.files if _inline(item)]
    listed = [item for item in post.files if not _inline(item)]
    text = escape_text(post.text)
    if listed:
        text = "\n\n".join([text, *(file_line(item) for item in listed)]).strip()
    activity: dict[str, Any] = {"type": "message", "textFormat": "markdown"}
    attachments: list[dict[str, Any]] = []
    if post.buttons:
        attachments.append({"contentType": ADAPTIVE_CARD,
                            "content": adaptive_card(text, post.buttons)})
    else:
        activity["text"] = text
    attachments.extend(_image(item) for item in images)
    if attachments:
        activity["attachments"] = attachments
    return activity


def adaptive_card(text: str, buttons: tuple[ChatButton, ...]) -> dict[str, Any]:
    body = [{"type": "TextBlock", "text": text, "wrap": True}] if text else []
    return {"type": "AdaptiveCard", "version": CARD_VERSION,
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "body": body, "actions": [_button(button) for button in buttons]}


def _button(button: ChatButton) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Submit", "title": button.label,
                              "data": {DATA_ACTION: button.action, DATA_VALUE: button.value}}
    if button.style in STYLES:
        action["style"] = STYLES[button.style]
    return action


def _inline(item: ChatFile) -> bool:
    return item.content_type.startswith("image/") and 0 < len(item.content) \
        <= INLINE_IMAGE_LIMIT


def file_line(item: ChatFile) -> str:
    """A file the post cannot carry: its download link and note, or the note (or name)."""
    if not item.link:
        return f"📎 {escape_text(item.note or item.name)}"
    label = escape_text(item.name).replace("[", "(").replace("]", ")")
    url = item.link.replace("(", "%28").replace(")", "%29")
    note = f" ({escape_text(item.note)})" if item.note else ""
    return f"📎 [{label}]({url}){note}"


def _image(item: ChatFile) -> dict[str, Any]:
    encoded = base64.b64encode(item.content).decode("ascii")
    return {"contentType": item.content_type, "name": item.name,
            "contentUrl": f"data:{item.content_type};base64,{encoded}"}


def escape_text(text: str) -> str:
    """The desk's text made inert for Teams: & < > escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
