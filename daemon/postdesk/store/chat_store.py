"""The chat side of tickets: which chat thread belongs to which ticket, and the chat outbox.

`chat_thread`: one row per thread the desk works in (platform, workspace, channel,
thread root) with its mode and ticket, so a reply in the thread joins the ticket and
what the ticket does reaches the thread. `chat_outbox`: one row per post the desk
makes in a thread; its id is the post's idempotency key, and the platform's id of
the post is stored on the row before it is marked sent, so a retry never posts twice;
`claimed_at` (migration 24) tells the edge that an earlier attempt may have reached the
platform unrecorded. Both tables come from migration 18.

What every chat event and every post runs (the thread of a message, a new thread and
post, the sender's round: due posts, their claim, their marks as sent) is pre-built SQL
(`postdesk.store.fastsql`): at 50 events/s peewee's building of these statements was a
fifth of the worker's CPU.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import peewee as pw

from postdesk.chat.model import DIRECT_TO
from postdesk.store import fastsql
from postdesk.store.db import database
from postdesk.store.db_errors import DoesNotExist
from postdesk.store.models import BaseModel, Customer, JSONField, Ticket, UTCDateTimeField


class ChatThread(BaseModel):
    """A chat thread and its ticket."""

    id = pw.AutoField()
    platform = pw.CharField(max_length=16)
    workspace = pw.CharField(max_length=200)
    channel = pw.CharField(max_length=200)
    thread_root = pw.CharField(max_length=200)
    mode = pw.CharField(max_length=16)  # help | triage
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", index=True)
    ticket_id: int
    user_id = pw.CharField(max_length=200, default="")  # the requester's chat account
    locale = pw.CharField(max_length=35, null=True)  # the requester's, as the platform said
    created_at = UTCDateTimeField()

    class Meta:
        table_name = "chat_thread"
        indexes = ((("platform", "workspace", "channel", "thread_root"), True),)


class ChatOutbox(BaseModel):
    """A post the desk makes in a chat thread, rendered (in the reader's language) when sent."""

    id = pw.AutoField()
    ticket = pw.ForeignKeyField(Ticket, null=True, on_delete="SET NULL")
    ticket_id: int | None
    kind = pw.CharField(max_length=64)  # acknowledgment, agent_reply, status_changed, ...
    platform = pw.CharField(max_length=16)
    workspace = pw.CharField(max_length=200)
    channel = pw.CharField(max_length=200)
    thread_id = pw.CharField(max_length=200, null=True)
    #: what to say, as the mail it stands in for had it: rendered when sent, in `language`
    context = JSONField(default=dict)
    language = pw.CharField(max_length=35, null=True)
    attachments = JSONField(default=list)  # stored attachment ids to upload
    state = pw.CharField(max_length=16, default="pending", index=True)  # pending|sent|failed
    attempts = pw.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(index=True)
    platform_message_id = pw.CharField(max_length=200, null=True, index=True)
    last_error = pw.TextField(default="")
    created_at = UTCDateTimeField()
    sent_at = UTCDateTimeField(null=True)
    #: when a sender first took the post (migration 24): a post claimed before may have
    #: reached the platform although the row was never marked sent
    claimed_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "chat_outbox"


class ChatHealth(BaseModel):
    """The last health line of each chat connection, as the daemon running it wrote it."""

    platform = pw.CharField(max_length=16, primary_key=True)
    line = pw.TextField(default="")
    node = pw.CharField(max_length=200, default="")
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "chat_health"


MODELS: tuple[type[pw.Model], ...] = (ChatThread, ChatOutbox, ChatHealth)


def record_health(lines: dict[str, str], node: str, now: datetime) -> None:
    with database.atomic():
        for platform, line in lines.items():
            ChatHealth.insert(platform=platform, line=line, node=node, updated_at=now) \
                .on_conflict(conflict_target=[ChatHealth.platform],
                             update={ChatHealth.line: line, ChatHealth.node: node,
                                     ChatHealth.updated_at: now}).execute()


def health_lines() -> list[ChatHealth]:
    return list(ChatHealth.select().order_by(ChatHealth.platform))


def thread_at(platform: str, workspace: str, channel: str, root: str) -> ChatThread | None:
    """The thread rooted at `root`; a thread of ours opened without knowing the workspace
    (a triage post of a channel channels.yaml names no workspace for) has workspace ''."""
    sql = fastsql.prepared(("chat-thread-at",), lambda p: fastsql.select_sql(
        ChatThread, f'"platform" = {p} AND "workspace" IN ({p}, {p}) AND "channel" = {p} '
                    f'AND "thread_root" = {p} LIMIT 1'))
    found = fastsql.fetch(ChatThread, sql, [platform, workspace, "", channel, root])
    return found[0] if found else None


def thread_of_post(platform: str, message_id: str) -> ChatThread | None:
    """The thread of a post of ours (a reaction on the satisfaction question, a button)."""
    post = ChatOutbox.get_or_none((ChatOutbox.platform == platform)
                                  & (ChatOutbox.platform_message_id == message_id))
    if post is None or post.thread_id is None:
        return None
    return thread_at(post.platform, post.workspace, post.channel, post.thread_id)


def triage_threads_of(ticket_id: int) -> list[ChatThread]:
    """The triage threads a ticket was posted in."""
    sql = fastsql.prepared(("chat-triage-threads",), lambda p: fastsql.select_sql(
        ChatThread, f'"ticket_id" = {p} AND "mode" = {p}'))
    return fastsql.fetch(ChatThread, sql, [ticket_id, "triage"])


def help_thread_of(ticket_id: int) -> ChatThread | None:
    """The help thread a ticket started in, if it did."""
    sql = fastsql.prepared(("chat-help-thread",), lambda p: fastsql.select_sql(
        ChatThread, f'"ticket_id" = {p} AND "mode" = {p} ORDER BY "id" LIMIT 1'))
    found = fastsql.fetch(ChatThread, sql, [ticket_id, "help"])
    return found[0] if found else None


def known_account(email: str, platform: str) -> ChatThread | None:
    """The newest help thread on `platform` opened by the chat account whose verified
    email is `email`: who that account is (user id, workspace, locale). None when the
    desk has seen no such account there. The address is a ticket requester's, so it
    was the account's verified email (`chat.mapping.customer_address`), or a
    `@chat.invalid` one, which names no mail box and is never looked up."""
    return (ChatThread.select().join(Ticket).join(Customer, on=(Ticket.requester
                                                                == Customer.id))
            .where((Customer.email == email.strip().lower()) & (ChatThread.mode == "help")
                   & (ChatThread.platform == platform) & (ChatThread.user_id != ""))
            .order_by(ChatThread.id.desc()).first())


def queue_direct_post(thread: ChatThread, *, ticket_id: int, kind: str,
                      context: dict[str, Any], language: str | None, now: datetime) -> int:
    """A chat outbox row for a direct message to the account that opened `thread` (the
    caller's transaction): `context[DIRECT_TO]` names the account, and the edge opens
    (or finds again) its direct conversation when the row is sent."""
    row = fastsql.create(ChatOutbox, ticket=ticket_id, kind=kind, platform=thread.platform,
                         workspace=thread.workspace, channel=thread.user_id,
                         thread_id=None, context={**context, DIRECT_TO: thread.user_id},
                         language=language or thread.locale, attachments=[],
                         state="pending", next_attempt_at=now, created_at=now)
    return int(row.id)


def open_thread(*, platform: str, workspace: str, channel: str, root: str, mode: str,
                ticket_id: int, user_id: str, locale: str | None, now: datetime) -> None:
    fastsql.create(ChatThread, platform=platform, workspace=workspace, channel=channel,
                   thread_root=root, mode=mode, ticket=ticket_id, user_id=user_id,
                   locale=locale, created_at=now)


def queue_post(thread: ChatThread, *, kind: str, context: dict[str, Any],
               language: str | None, attachments: list[int], now: datetime) -> int:
    """A chat outbox row for a post in `thread` (the caller's transaction)."""
    row = fastsql.create(ChatOutbox, ticket=thread.ticket_id, kind=kind,
                         platform=thread.platform, workspace=thread.workspace,
                         channel=thread.channel, thread_id=thread.thread_root,
                         context=context, language=language or thread.locale,
                         attachments=attachments, state="pending", next_attempt_at=now,
                         created_at=now)
    return int(row.id)


def mark_posts_of_the_moment(ticket_id: int, now: datetime, marks: dict[str, Any]) -> int:
    """Add `marks` to the context of the ticket's posts queued at `now` and not sent yet
    (the caller's transaction: the posts of the same change); how many."""
    rows = list(ChatOutbox.select().where(
        (ChatOutbox.ticket == ticket_id) & (ChatOutbox.created_at == now)
        & (ChatOutbox.state == "pending")))
    for row in rows:
        fastsql.update_by_id(ChatOutbox, row.id, context={**(row.context or {}), **marks})
    return len(rows)


def due_posts(platforms: tuple[str, ...], now: datetime, limit: int = 200) -> list[ChatOutbox]:
    """Pending posts whose time has come, for the platforms this daemon is connected to."""
    if not platforms:
        return []
    sql = fastsql.prepared(("chat-due-posts", len(platforms)), lambda p: fastsql.select_sql(
        ChatOutbox, f'"state" = {p} AND "next_attempt_at" <= {p} AND "platform" IN '
                    f'({", ".join([p] * len(platforms))}) ORDER BY "id" LIMIT {p}'))
    return fastsql.fetch(ChatOutbox, sql, ["pending", ChatOutbox.next_attempt_at.db_value(now),
                                           *platforms, limit])


def claim_posts(post_ids: list[int], now: datetime, lease: timedelta) -> list[int]:
    """Take due posts for one attempt, in one transaction: their next attempt moves past
    the lease, so another sender (another node) leaves them alone meanwhile. The ids this
    sender took (not those someone else took first)."""
    if not post_ids:
        return []
    marks = len(post_ids)
    claim = fastsql.prepared(("chat-claim-posts", marks), lambda p: (
        f'UPDATE "chat_outbox" SET "next_attempt_at" = {p} WHERE "id" IN '
        f'({", ".join([p] * marks)}) AND "state" = {p} AND "next_attempt_at" <= {p} '
        f'RETURNING "id"'))
    when = ChatOutbox.next_attempt_at.db_value
    with database.atomic():
        ours = {int(post_id) for (post_id,) in database.execute_sql(
            claim, [when(now + lease), *post_ids, "pending", when(now)]).fetchall()}
        taken = [post_id for post_id in post_ids if post_id in ours]
        if taken:  # the first claim is kept: a later attempt looks before it posts
            first = fastsql.prepared(("chat-first-claims", len(taken)), lambda p: (
                f'UPDATE "chat_outbox" SET "claimed_at" = {p} WHERE "id" IN '
                f'({", ".join([p] * len(taken))}) AND "claimed_at" IS NULL'))
            database.execute_sql(first, [when(now), *taken])
        return taken


def release_post(post_id: int, due: datetime) -> None:
    """A claimed post not attempted after all (its platform asked us to wait): due again
    at `due`, not only when its claim runs out."""
    with database.atomic():
        ChatOutbox.update(next_attempt_at=due).where(
            (ChatOutbox.id == post_id) & (ChatOutbox.state == "pending")).execute()


def queue_triage_post(*, platform: str, workspace: str, channel: str, ticket_id: int,
                      context: dict[str, Any], language: str | None, now: datetime) -> int:
    """A new ticket's post in a triage channel: a top-level message whose thread becomes
    the ticket's triage thread once it is posted (`record_posted`)."""
    row = ChatOutbox.create(ticket=ticket_id, kind=TRIAGE_POST, platform=platform,
                            workspace=workspace, channel=channel, thread_id=None,
                            context=context, language=language, attachments=[],
                            state="pending", next_attempt_at=now, created_at=now)
    return int(row.id)


#: the kind of a chat outbox row that posts a new ticket in a triage channel
TRIAGE_POST = "triage_ticket"
#: the kind of a row that edits a posted triage post to the ticket's current facts
TRIAGE_UPDATE = "triage_update"
#: the ticket's facts a triage post shows, kept current as the ticket changes
TRIAGE_FACTS = ("status", "assignee", "priority", "team")
#: the state of an edit a later edit of the same post made pointless
SUPERSEDED = "superseded"


def triage_facts(ticket: Ticket) -> dict[str, Any]:
    """What a triage post says of its ticket besides its subject and first words."""
    return {name: getattr(ticket, name) for name in TRIAGE_FACTS}


def follow_ticket(ticket: Ticket, now: datetime) -> None:
    """The ticket's triage posts show its current facts: one not yet taken by a sender is
    rewritten, one posted gets an edit (`queue_triage_update`); one being posted right
    now is compared once it is recorded (`record_posted`). The caller's transaction."""
    facts = triage_facts(ticket)
    for post in ChatOutbox.select().where((ChatOutbox.ticket == ticket.id)
                                          & (ChatOutbox.kind == TRIAGE_POST)):
        if post.state == "pending" and post.claimed_at is None:
            # a sender claiming it meanwhile renders what it reads after its claim
            # (`context_of`); a claim that came first leaves it to `record_posted`
            ChatOutbox.update(context=_with_facts(post.context, facts)).where(
                (ChatOutbox.id == post.id) & ChatOutbox.claimed_at.is_null()).execute()
        elif post.state == "sent" and post.platform_message_id:
            queue_triage_update(post, facts, now)


def queue_triage_update(post: ChatOutbox, facts: dict[str, Any], now: datetime) -> int:
    """An edit of the triage post `post` to `facts`. Rapid changes coalesce: an edit still
    waiting untouched takes the new facts instead of a second edit being queued (only the
    latest state matters); one already taken is followed by a new one, and the older is
    skipped if it is tried again after it (`superseded`)."""
    context = _with_facts(post.context, facts)
    waiting = (ChatOutbox.select(ChatOutbox.id).where(
        (ChatOutbox.kind == TRIAGE_UPDATE) & (ChatOutbox.platform == post.platform)
        & (ChatOutbox.channel == post.channel)
        & (ChatOutbox.thread_id == post.platform_message_id)
        & (ChatOutbox.state == "pending") & ChatOutbox.claimed_at.is_null())
        .order_by(ChatOutbox.id.desc()).first())
    if waiting is not None and ChatOutbox.update(context=context).where(
            (ChatOutbox.id == waiting.id) & ChatOutbox.claimed_at.is_null()).execute():
        return int(waiting.id)  # (0 rows: a sender took it meanwhile; a new edit follows)
    row = ChatOutbox.create(ticket=post.ticket_id, kind=TRIAGE_UPDATE, platform=post.platform,
                            workspace=post.workspace, channel=post.channel,
                            thread_id=post.platform_message_id, context=context,
                            language=post.language, attachments=[], state="pending",
                            next_attempt_at=now, created_at=now)
    return int(row.id)


#: the kinds whose words may change while they wait (`follow_ticket`): a sender renders
#: them from what it reads after its claim
FOLLOWING_KINDS = (TRIAGE_POST, TRIAGE_UPDATE)


def context_of(post_id: int) -> dict[str, Any]:
    """The post's context as it is now (read after the claim)."""
    return dict(ChatOutbox.select(ChatOutbox.context).where(ChatOutbox.id == post_id)
                .get().context)


def superseded(row: ChatOutbox) -> bool:
    """Whether `row` is an edit of a triage post that a later edit of it replaces."""
    if row.kind != TRIAGE_UPDATE:
        return False
    return ChatOutbox.select(ChatOutbox.id).where(
        (ChatOutbox.kind == TRIAGE_UPDATE) & (ChatOutbox.platform == row.platform)
        & (ChatOutbox.channel == row.channel) & (ChatOutbox.thread_id == row.thread_id)
        & (ChatOutbox.id > row.id) & (ChatOutbox.state != "failed")).exists()


def record_superseded(post_id: int, now: datetime) -> None:
    with database.atomic():
        ChatOutbox.update(state=SUPERSEDED, sent_at=now).where(ChatOutbox.id == post_id) \
            .execute()


def _with_facts(context: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    return {**context, "ticket": {**(context.get("ticket") or {}), **facts}}


def release_first_claims(now: datetime) -> int:
    """Posts a crashed sender had claimed for their first attempt, due again now (at the
    start of the only daemon of an embedded desk: nobody else can be sending them)."""
    with database.atomic():
        return int(ChatOutbox.update(next_attempt_at=now).where(
            (ChatOutbox.state == "pending") & (ChatOutbox.attempts == 0)
            & (ChatOutbox.next_attempt_at > now)).execute())


def record_posted(post_id: int, platform_message_id: str, now: datetime) -> None:
    """The platform took the post: its id, and the row is done; a triage post's message
    becomes the root of the ticket's triage thread, in the same transaction."""
    record_posts_done([(post_id, platform_message_id)], now)


def record_posts_done(posted: list[tuple[int, str]], now: datetime) -> None:
    """`record_posted` for several posts (post id, platform's id) in one transaction."""
    with database.atomic():
        for post_id, platform_message_id in posted:
            fastsql.update_by_id(ChatOutbox, post_id, increment="attempts", state="sent",
                                 platform_message_id=platform_message_id, sent_at=now,
                                 last_error="")
            row = fastsql.get_by(ChatOutbox, ChatOutbox.id, post_id)
            if row is None:
                raise DoesNotExist(f"chat outbox row {post_id} is gone")
            if row.kind == TRIAGE_POST and row.thread_id is None and row.ticket_id is not None:
                _open_triage_thread(row, row.ticket_id, platform_message_id, now)


def _open_triage_thread(row: ChatOutbox, ticket_id: int, platform_message_id: str,
                        now: datetime) -> None:
    """A posted triage post's message becomes the root of the ticket's triage thread; if
    the ticket changed while the post was on its way, the post is edited at once."""
    open_thread(platform=row.platform, workspace=row.workspace, channel=row.channel,
                root=platform_message_id, mode="triage", ticket_id=ticket_id,
                user_id="", locale=None, now=now)
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    facts = triage_facts(ticket) if ticket is not None else {}
    shown = row.context.get("ticket") or {}
    if any(shown.get(name) != value for name, value in facts.items()):
        queue_triage_update(row, facts, now)


def record_attempt_failed(post_id: int, error: str, *, retry_in: timedelta | None,
                          now: datetime) -> None:
    """A post that failed: tried again after `retry_in`, or failed for good when None."""
    values: dict[str, Any] = {"attempts": ChatOutbox.attempts + 1, "last_error": error[:2000]}
    if retry_in is None:
        values["state"] = "failed"
    else:
        values["next_attempt_at"] = now + retry_in
    with database.atomic():
        ChatOutbox.update(**values).where(ChatOutbox.id == post_id).execute()


def chat_health_counts() -> dict[str, int]:
    """Posts waiting and failed, for `postdesk status`."""
    rows = (ChatOutbox.select(ChatOutbox.state, pw.fn.COUNT(ChatOutbox.id).alias("n"))
            .where(ChatOutbox.state.in_(["pending", "failed"])).group_by(ChatOutbox.state))
    return {row.state: int(getattr(row, "n", 0)) for row in rows}
