"""A `ChatPost` -> the content of Matrix `m.room.message` events (pure).

Matrix has no buttons, so a post's buttons become one line that says which reaction does
what ("✅ Resolve · 🔄 Reopen"); the reactions come back as `m.reaction` events, which
the desk maps to effects like any reaction. A satisfaction question's options become
numbered lines (1️⃣ ... 5️⃣), one per line, answered by reacting with that number. The
labels are already in the reader's language, so nothing here needs translating.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from postdesk.chat.model import ChatButton, ChatFile, ChatPost

#: the reaction that stands for a button's action where the desk has not said otherwise
DEFAULT_ACTION_REACTIONS: Mapping[str, str] = {
    "resolve": "✅",
    "reopen": "🔄",
    "assign_me": "🙋",
}
#: the prefix that makes an agent's reply in a triage thread public (issue 20)
PUBLIC_REPLY_PREFIX = "#public"
#: buttons with no reaction of their own: the post says what to answer instead (the
#: requester's "This solved it" is the reply "solved"; "I still need help", any reply)
WORDS_INSTEAD = frozenset({"kb_solved", "kb_need_help"})
KEYCAPS = ("0️⃣", "1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")


def message_content(post: ChatPost,
                    reactions: Mapping[str, str] = DEFAULT_ACTION_REACTIONS) -> dict[str, Any]:
    """The content of the text event for `post`: in its thread, or as an edit of `edit_of`."""
    text = post.text.rstrip()
    hints = buttons_text(post.buttons, reactions)
    body = f"{text}\n\n{hints}" if hints and text else (text or hints)
    content: dict[str, Any] = {"msgtype": "m.text", "body": body}
    if post.edit_of:
        # an edit carries the new content twice: `m.new_content` for clients that show
        # edits, a "* " body for those that do not; a thread relation cannot ride along
        return {"msgtype": "m.text", "body": f"* {body}",
                "m.new_content": content,
                "m.relates_to": {"rel_type": "m.replace", "event_id": post.edit_of}}
    return with_thread(content, post.thread_id)


def file_content(file: ChatFile, mxc_url: str, thread_id: str | None) -> dict[str, Any]:
    """The content of an `m.file` / `m.image` event for an uploaded file."""
    msgtype = "m.image" if file.content_type.startswith("image/") else "m.file"
    content: dict[str, Any] = {
        "msgtype": msgtype, "body": file.name, "filename": file.name, "url": mxc_url,
        "info": {"mimetype": file.content_type, "size": len(file.content)},
    }
    return with_thread(content, thread_id)


def with_thread(content: dict[str, Any], thread_id: str | None) -> dict[str, Any]:
    """`content` placed in the thread rooted at `thread_id`, with the reply fallback the
    spec asks for, so clients without threads show it as a reply to the root."""
    if thread_id is None:
        return content
    return {**content, "m.relates_to": {
        "rel_type": "m.thread", "event_id": thread_id,
        "is_falling_back": True, "m.in_reply_to": {"event_id": thread_id},
    }}


def buttons_text(buttons: tuple[ChatButton, ...], reactions: Mapping[str, str]) -> str:
    """The buttons as text: reactions on one line, numbered options one per line."""
    actions: list[str] = []
    options: list[str] = []
    for button in buttons:
        if button.action in WORDS_INSTEAD:
            continue
        if button.action == "csat":
            options.append(f"{_keycap(button.value)} {button.label}")
        elif button.action == "reply_to_customer":
            actions.append(f"{PUBLIC_REPLY_PREFIX} … → {button.label}")
        elif button.action in reactions:
            actions.append(f"{reactions[button.action]} {button.label}")
        else:
            actions.append(button.label)
    lines = [" · ".join(actions)] if actions else []
    return "\n".join(lines + options)


def _keycap(value: str) -> str:
    return KEYCAPS[int(value)] if value.isdigit() and int(value) < len(KEYCAPS) else f"{value}."
