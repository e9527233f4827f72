"""The Teams edge with the real Microsoft 365 Agents SDK against the loopback Bot Connector.

The loopback (`teams_server.py`) follows Microsoft's documents named in its docstring:
the Bot Connector REST API reference (activities, members, ResourceResponse, 429 with
Retry-After), "Authentication with the Bot Connector API" (OpenID metadata, JWKS, the
RS256 JWT with iss / aud / exp / serviceurl, the bot's client-credentials token) and
the Adaptive Cards 1.4 schema (AdaptiveCard, TextBlock, Action.Submit). Real JWTs,
signed with a test RSA key, are verified by the SDK's own validator; the intake is the
seam itself, a list.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from chat.teams_server import require_agents_sdk

require_agents_sdk()

from chat.intake_list import list_intake  # noqa: E402
from chat.teams_server import (  # noqa: E402
    APP_ID,
    CHANNEL,
    TENANT_ID,
    LoopbackTokens,
    TeamsLoopback,
)
from conftest import free_port  # noqa: E402
from postdesk.channels.teams.edge import TeamsPlatform  # noqa: E402
from postdesk.chat.model import ChatButton, ChatEvent, ChatFile, ChatPost  # noqa: E402
from postdesk.chat.platform import ChatPlatformError  # noqa: E402

Intake = Callable[[ChatEvent], Awaitable[bool]]
ANNA = "6f1c0a52-0000-4000-8000-00000000a11a"
AGENT = "a9e1b7c3-0000-4000-8000-0000000a6e17"


@asynccontextmanager
async def teams(intake: Intake | None = None, data_dir: Path | None = None,
                fixed_api_url: bool = False, metadata_down: bool = False
                ) -> AsyncIterator[tuple[TeamsLoopback, TeamsPlatform, list[ChatEvent], str]]:
    """The loopback, the edge listening on a free port, what it handed in, and its URL."""
    server = TeamsLoopback()
    await server.start()
    server.metadata_down = metadata_down
    server.add_member(ANNA, "Boss", "Anna.Nowak@example.pl")
    server.add_member(AGENT, "Agent Smith", None, upn="agent@desk.example")
    received, keep = list_intake()
    edge = TeamsPlatform(app_id=APP_ID, tenant_id=TENANT_ID, listen=f"127.0.0.1:{free_port()}",
                         openid_metadata=server.openid_metadata, data_dir=data_dir,
                         api_url=server.service_url if fixed_api_url else "",
                         tokens=LoopbackTokens(server))
    try:
        await edge.start(intake or keep)
        yield server, edge, received, f"http://{edge.address}"
    finally:
        await edge.stop()
        await server.stop()


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def member(server: TeamsLoopback, aad: str) -> Any:
    return server.members[aad]


def test_a_channel_message_arrives_with_the_verified_email_and_locale() -> None:
    async def scenario() -> None:
        async with teams() as (server, edge, received, bot):
            activity = server.message(member(server, ANNA), "Drukarka &lt;HP&gt; nie działa")
            status, _ = await server.deliver(bot, activity)
            assert status in (200, 202)
            [got] = received
            assert got.platform == "teams" and got.kind == "message"
            assert got.event_id == activity["id"] and got.message_id == activity["id"]
            assert got.workspace == TENANT_ID and got.channel == CHANNEL
            assert got.thread_id is None and got.thread_root == activity["id"]
            assert got.text == "Drukarka <HP> nie działa"
            assert got.user.user_id == ANNA  # the AAD object id, not the 29: id
            assert got.user.email == "anna.nowak@example.pl"  # the directory's, not "Boss"
            assert got.user.locale == "pl-PL" and got.user.timezone == "Europe/Warsaw"
            assert edge.health().startswith("listening on 127.0.0.1:")
            assert "last activity" in edge.health()
            await server.deliver(bot, server.message(member(server, ANNA), "again"))
            lookups = [c for c in server.calls if "/members/" in c.path]
            assert len(lookups) == 1  # the author's account is cached briefly
            assert lookups[0].path == f"/v3/conversations/{CHANNEL}/members/29:6f1c0a52"
    run(scenario)


def test_a_thread_reply_a_mention_and_a_reaction() -> None:
    async def scenario() -> None:
        async with teams() as (server, _edge, received, bot):
            root = server.message(member(server, ANNA), "first")
            await server.deliver(bot, root)
            reply = server.message(member(server, AGENT), "on it", thread_root=root["id"],
                                   mention_bot=True)
            assert (await server.deliver(bot, reply))[0] in (200, 202)
            reaction = server.reaction(member(server, AGENT), root["id"], root["id"], "like")
            assert (await server.deliver(bot, reaction))[0] in (200, 202)
            _, got_reply, got_reaction = received
            assert got_reply.thread_id == root["id"] and got_reply.message_id == reply["id"]
            assert got_reply.text == "on it"  # the bot's own @mention taken out
            assert got_reply.user.email == "agent@desk.example"  # the UPN: no mail attribute
            assert got_reaction.kind == "reaction" and got_reaction.reaction == "like"
            assert got_reaction.message_id == root["id"]
            assert got_reaction.event_id == reaction["id"]
    run(scenario)


def test_the_answer_waits_for_the_intake_and_a_failed_intake_is_not_acknowledged() -> None:
    async def scenario() -> None:
        calls: list[ChatEvent] = []
        finished: list[float] = []

        async def slow_then_fails(event: ChatEvent) -> bool:
            calls.append(event)
            await asyncio.sleep(0.3)  # a slow commit: the answer must still wait for it
            finished.append(asyncio.get_running_loop().time())
            if len(calls) == 1:
                raise RuntimeError("database is locked")
            return True

        async with teams(slow_then_fails) as (server, _edge, _received, bot):
            activity = server.message(member(server, ANNA), "help")
            status, _ = await server.deliver(bot, activity)
            assert status == 500  # not stored: Teams may deliver it again
            status, _ = await server.deliver(bot, activity)
            answered = asyncio.get_running_loop().time()
            assert status in (200, 202)
            assert len(finished) == 2 and answered >= finished[1]
            # the repeat carries the same event id, by which the core's intake deduplicates
            assert calls[0].dedup_key == calls[1].dedup_key
            assert not [p for p in server.posted]  # no error text posted into the channel
    run(scenario)


@pytest.mark.parametrize("forgery", [
    "another_key", "unsigned", "wrong_audience", "expired", "other_service_url",
    "no_token", "unknown_kid"])
def test_a_forged_request_is_refused_with_401_and_never_reaches_the_intake(
        forgery: str) -> None:
    async def scenario() -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        async with teams() as (server, _edge, received, bot):
            activity = server.message(member(server, AGENT), "#status resolved")
            tokens = {
                "another_key": lambda: server.token(key=rsa.generate_private_key(
                    public_exponent=65537, key_size=2048)),
                "unsigned": lambda: server.token(algorithm="none"),
                "wrong_audience": lambda: server.token(audience="someone-elses-bot"),
                "expired": lambda: server.token(lifetime=-3600),
                "other_service_url": lambda: server.token(
                    service_url="https://attacker.example/"),
                "no_token": lambda: "",
                "unknown_kid": lambda: server.token(kid="not-published"),
            }
            token = tokens[forgery]()
            if token:
                status, _ = await server.deliver(bot, activity, token=token)
            else:
                assert server._client is not None
                async with server._client.post(bot, json=activity) as response:
                    status = response.status
            assert status == 401
            assert received == []
            assert not [c for c in server.calls if "/members/" in c.path]
    run(scenario)


def test_a_serviceurl_in_the_body_that_the_token_does_not_name_is_refused() -> None:
    async def scenario() -> None:
        async with teams() as (server, _edge, received, bot):
            activity = {**server.message(member(server, AGENT), "hi"),
                        "serviceUrl": "https://attacker.example/"}
            status, _ = await server.deliver(bot, activity)
            assert status == 401 and received == []
    run(scenario)


def test_post_reply_and_edit_reach_the_connector_and_the_reply_lands_in_the_thread(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        async with teams(data_dir=tmp_path) as (server, edge, _received, bot):
            root = server.message(member(server, ANNA), "help")
            await server.deliver(bot, root)  # the edge learns the channel's service URL
            new_id = await edge.post(ChatPost(
                platform="teams", workspace=TENANT_ID, channel=CHANNEL, thread_id=None,
                text="Ticket #7 <b>new</b>", idempotency_key="o1"))
            reply_id = await edge.post(ChatPost(
                platform="teams", workspace=TENANT_ID, channel=CHANNEL,
                thread_id=root["id"], text="Ticket #8 is open", idempotency_key="o2",
                buttons=(ChatButton("resolve", "Resolve", "8", "primary"),
                         ChatButton("csat", "5", "5"))))
            edited = await edge.post(ChatPost(
                platform="teams", workspace=TENANT_ID, channel=CHANNEL,
                thread_id=root["id"], text="Ticket #8 is resolved", idempotency_key="o3",
                edit_of=reply_id))
            first, second = server.posted
            assert first["path"] == f"/v3/conversations/{CHANNEL}/activities"
            assert first["id"] == new_id and first["type"] == "message"
            assert first["thread"] is None  # a new thread at the top of the channel
            assert first["text"] == "Ticket #7 &lt;b&gt;new&lt;/b&gt;"  # inert, no HTML
            thread = f"{CHANNEL};messageid={root['id']}"
            assert second["path"] == f"/v3/conversations/{thread}/activities"
            assert second["thread"] == root["id"] and second["replyToId"] == root["id"]
            assert second["id"] == reply_id == edited
            [put] = [c for c in server.calls if c.method == "PUT"]
            assert put.path == f"/v3/conversations/{thread}/activities/{reply_id}"
            assert put.body["text"] == "Ticket #8 is resolved" and "attachments" not in \
                put.body
            posts = [c for c in server.calls if c.method == "POST"]
            card = posts[1].body["attachments"][0]
            assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
            assert card["content"]["body"][0]["text"] == "Ticket #8 is open"
            assert [(a["title"], a["data"], a.get("style")) for a in card["content"]["actions"]
                    ] == [("Resolve", {"postdesk_action": "resolve", "postdesk_value": "8"},
                           "positive"),
                          ("5", {"postdesk_action": "csat", "postdesk_value": "5"}, None)]
            assert (tmp_path / "teams-service-urls.json").exists()
    run(scenario)


def test_a_direct_message_goes_to_the_bots_one_to_one_conversation_with_the_user() -> None:
    async def scenario() -> None:
        async with teams() as (server, edge, _received, bot):
            await server.deliver(bot, server.message(member(server, ANNA), "help"))
            first = await edge.post(ChatPost(
                platform="teams", workspace=TENANT_ID, channel=ANNA, thread_id=None,
                text="About your request #7", idempotency_key="o1", direct_to=ANNA))
            second = await edge.post(ChatPost(
                platform="teams", workspace=TENANT_ID, channel=ANNA, thread_id=None,
                text="Ticket #7 is done", idempotency_key="o2", direct_to=ANNA))
            created = [c for c in server.calls if c.path == "/v3/conversations"]
            assert [c.body["members"] for c in created] == [[{"id": ANNA}]] * 2
            assert created[0].body["isGroup"] is False
            assert created[0].body["tenantId"] == TENANT_ID
            conversation = server.direct[ANNA]
            one, two = [p for p in server.posted if p["id"] in (first, second)]
            assert one["path"] == two["path"] == f"/v3/conversations/{conversation}/activities"
            assert (one["text"], two["text"]) == ("About your request #7", "Ticket #7 is done")
            with pytest.raises(ChatPlatformError) as refused:  # nobody of the tenant
                await edge.post(ChatPost(platform="teams", workspace=TENANT_ID, channel="x",
                                         thread_id=None, text="hi", idempotency_key="o3",
                                         direct_to="00000000-dead-4000-8000-000000000000"))
            assert refused.value.permanent
    run(scenario)


def test_a_card_button_press_is_an_action_event() -> None:
    async def scenario() -> None:
        async with teams() as (server, edge, received, bot):
            root = server.message(member(server, ANNA), "help")
            await server.deliver(bot, root)
            await edge.post(ChatPost(
                platform="teams", workspace=TENANT_ID, channel=CHANNEL,
                thread_id=root["id"], text="How did we do?", idempotency_key="o1",
                buttons=(ChatButton("csat", "1", "1"), ChatButton("csat", "5", "5"))))
            card = server.posted[-1]
            press = server.card_submit(member(server, ANNA), card, "5", root["id"])
            assert (await server.deliver(bot, press))[0] in (200, 202)
            got = received[-1]
            assert got.kind == "action" and got.action == "csat" and got.action_value == "5"
            assert got.message_id == card["id"] and got.thread_id == root["id"]
            assert got.user.email == "anna.nowak@example.pl" and got.text == ""
    run(scenario)


def test_a_universal_action_invoke_is_an_action_and_gets_its_invoke_response() -> None:
    async def scenario() -> None:
        async with teams() as (server, _edge, received, bot):
            root = server.message(member(server, AGENT), "card host")
            invoke = {**server.message(member(server, AGENT), "", thread_root=root["id"]),
                      "type": "invoke", "name": "adaptiveCard/action", "replyToId": "555",
                      "value": {"action": {"type": "Action.Execute", "verb": "resolve",
                                           "data": {"postdesk_action": "resolve",
                                                    "postdesk_value": "8"}}}}
            status, body = await server.deliver(bot, invoke)
            assert status == 200 and body["statusCode"] == 200
            [got] = received
            assert got.kind == "action" and got.action == "resolve"
            assert got.action_value == "8" and got.message_id == "555"
    run(scenario)


def test_rate_limits_and_refusals_of_the_connector() -> None:
    async def scenario() -> None:
        # no activity came in: the posts go to api_url, not to a learnt service URL
        async with teams(fixed_api_url=True) as (server, edge, _received, _bot):
            post = ChatPost(platform="teams", workspace=TENANT_ID, channel=CHANNEL,
                            thread_id=None, text="hello", idempotency_key="o1")
            server.rate_limit("POST", retry_after=7)
            with pytest.raises(ChatPlatformError) as limited:
                await edge.post(post)
            assert limited.value.retry_after == 7 and not limited.value.permanent
            assert server.posted == []
            assert await edge.post(post)  # the retry goes through
            with pytest.raises(ChatPlatformError) as gone:
                await edge.post(ChatPost(platform="teams", workspace=TENANT_ID,
                                         channel="19:private@thread.tacv2", thread_id=None,
                                         text="hello", idempotency_key="o2"))
            assert gone.value.permanent
            with pytest.raises(ChatPlatformError) as missing:
                await edge.post(ChatPost(platform="teams", workspace=TENANT_ID,
                                         channel=CHANNEL, thread_id=None, text="x",
                                         idempotency_key="o3", edit_of="404404"))
            assert missing.value.permanent
    run(scenario)


def test_a_rate_limited_member_lookup_is_not_acknowledged() -> None:
    async def scenario() -> None:
        async with teams() as (server, _edge, received, bot):
            server.rate_limit("GET members", retry_after=1)
            activity = server.message(member(server, ANNA), "later")
            assert (await server.deliver(bot, activity))[0] == 500
            assert received == []
            assert (await server.deliver(bot, activity))[0] in (200, 202)
            assert received[0].user.email == "anna.nowak@example.pl"
    run(scenario)


def test_an_account_the_connector_cannot_describe_is_handed_in_without_an_email() -> None:
    async def scenario() -> None:
        async with teams() as (server, _edge, received, bot):
            stranger = server.add_member("5ca1ab1e-0000-4000-8000-000000000000", "Anna Nowak",
                                         "anna.nowak@example.pl")
            del server.members[stranger.teams_id], server.members[stranger.aad_object_id]
            assert (await server.deliver(bot, server.message(stranger, "who am I")))[0] in (
                200, 202)
            [got] = received
            assert got.user.email is None  # the display name gives no identity
            assert got.user.user_id == stranger.aad_object_id
    run(scenario)


def test_files_inline_images_with_the_bot_token_shared_files_without() -> None:
    async def scenario() -> None:
        async with teams() as (server, edge, received, bot):
            png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
            image_url = server.add_inline_image("image/png", png)
            shared_url = server.add_shared_file("report.pdf", b"%PDF-1.7 ...")
            activity = server.message(member(server, ANNA), "see", attachments=[
                {"contentType": "image/png", "contentUrl": image_url, "name": "screen.png"},
                {"contentType": "application/vnd.microsoft.teams.file.download.info",
                 "name": "report.pdf", "content": {"downloadUrl": shared_url,
                                                   "uniqueId": "u1", "fileType": "pdf"}},
                {"contentType": "text/html", "content": "<p>see</p>"}])
            assert (await server.deliver(bot, activity))[0] in (200, 202)
            [got] = received
            assert got.files == (ChatFile("screen.png", "image/png", png, ""),
                                 ChatFile("report.pdf", "application/pdf", b"%PDF-1.7 ...",
                                          "u1"))
            [sharepoint] = [c for c in server.calls if c.path.startswith("/sharepoint/")]
            assert "Authorization" not in sharepoint.body  # the bot token stays home
            edge.connector.max_file_bytes = 100  # a larger file keeps its name, no content
            big = server.message(member(server, ANNA), "big", attachments=[
                {"contentType": "image/png", "contentUrl": image_url, "name": "big.png"}])
            assert (await server.deliver(bot, big))[0] in (200, 202)
            assert received[1].files == (ChatFile("big.png", "image/png", b"", ""),)
            assert received[1].text == "big"
    run(scenario)


def test_an_unreadable_openid_document_answers_503_until_it_is_back() -> None:
    async def scenario() -> None:
        async with teams(metadata_down=True) as (server, edge, received, bot):
            assert edge.health().startswith("refused: [teams] openid_metadata")
            activity = server.message(member(server, ANNA), "help")
            assert (await server.deliver(bot, activity))[0] == 503
            assert received == []
            server.metadata_down = False
            assert (await server.deliver(bot, activity))[0] in (200, 202)
            assert len(received) == 1 and edge.health().startswith("listening on")
    run(scenario)


def test_a_refused_bot_token_is_renewed_for_the_next_post() -> None:
    async def scenario() -> None:
        async with teams(fixed_api_url=True) as (server, edge, _received, _bot):
            post = ChatPost(platform="teams", workspace=TENANT_ID, channel=CHANNEL,
                            thread_id=None, text="hello", idempotency_key="o1")
            await edge.post(post)
            server.bot_tokens.clear()  # the Connector no longer takes the token
            with pytest.raises(ChatPlatformError) as refused:
                await edge.post(post)
            assert not refused.value.permanent and len(server.posted) == 1
            await edge.post(post)  # the outbox's retry: a fresh token, posted
            assert len(server.posted) == 2
    run(scenario)


def test_a_flood_of_unknown_key_ids_does_not_make_the_edge_fetch_the_keys_each_time() -> None:
    async def scenario() -> None:
        async with teams() as (server, _edge, received, bot):
            await server.deliver(bot, server.message(member(server, ANNA), "valid"))
            for n in range(6):
                status, _ = await server.deliver(
                    bot, server.message(member(server, ANNA), f"forged {n}"),
                    token=server.token(kid=f"made-up-{n}"))
                assert status == 401
            fetches = [c for c in server.calls if c.path == "/v1/.well-known/keys"]
            assert len(fetches) <= 2  # the first read and at most one refresh (PyJWT's cooldown)
            assert [e.text for e in received] == ["valid"]
    run(scenario)
