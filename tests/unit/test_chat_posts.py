"""What the desk says in a chat thread, in the reader's language, from the context of the
customer mail it stands in for: public status names only, the satisfaction question with
its 1–5 buttons after a closing."""

from __future__ import annotations

from postdesk.notify.chat_posts import ASKS_RATING, render_post
from postdesk.notify.render import Renderer, default_locale_dir, default_template_dir

RENDERER = Renderer([default_template_dir()], [default_locale_dir()])
TICKET = {"id": 42, "subject": "VPN is down", "public_status": "Received"}


def test_the_acknowledgment_names_the_ticket_its_public_status_and_the_articles() -> None:
    post = render_post("acknowledgment",
                       {"ticket": TICKET, "suggestions": [{"title": "Restart the VPN client"}]},
                       "en", RENDERER)
    assert post.text == ("Thank you. Your request is ticket #42: VPN is down\n"
                         "Current status: Received\n\n"
                         "These articles may already answer it:\n• Restart the VPN client\n\n"
                         "If one of them solves it, answer \"solved\" in this thread.")
    # the requester's answer to the articles first, then the agents' buttons
    assert [(b.action, b.label) for b in post.buttons] == [
        ("kb_solved", "This solved it"), ("kb_need_help", "I still need help"),
        ("resolve", "Resolve"), ("assign_me", "Assign to me")]


def test_the_requesters_buttons_speak_their_language_and_need_suggestions() -> None:
    context = {"ticket": TICKET, "suggestions": [{"title": "Reset your password"}]}
    polish = render_post("acknowledgment", context, "pl", RENDERER)
    assert [b.label for b in polish.buttons[:2]] == ["To rozwiązało problem",
                                                     "Nadal potrzebuję pomocy"]
    assert "„rozwiązane”" in polish.text
    german = render_post("acknowledgment", context, "de", RENDERER)
    assert [b.label for b in german.buttons[:2]] == ["Das hat geholfen",
                                                     "Ich brauche noch Hilfe"]
    plain = render_post("acknowledgment", {"ticket": TICKET}, "en", RENDERER)
    assert [b.action for b in plain.buttons] == ["resolve", "assign_me"]
    coming = render_post("agent_coming", {"ticket": TICKET}, "de", RENDERER)
    assert coming.text == "Ein Mitarbeiter wird Ihnen hier bald antworten."


def test_a_closing_asks_for_a_rating_in_the_readers_language() -> None:
    change = {"old": "In progress", "new": "Resolved", "kind": "closed"}
    post = render_post("status_changed", {"ticket": TICKET, "change": change,
                                          "desk": {"reopen_days": 7}, ASKS_RATING: True},
                       "pl", RENDERER)
    assert post.text.startswith("Zgłoszenie #42 zostało zakończone: ")
    assert "7 dni" in post.text and "1 = zupełnie" in post.text
    ratings = [b for b in post.buttons if b.action == "csat"]
    assert [b.value for b in ratings] == ["1", "2", "3", "4", "5"]
    assert [b.label for b in post.buttons if b.action == "reopen"] == ["Otwórz ponownie"]


def test_a_closing_the_desk_asks_nothing_about_has_no_rating_question() -> None:
    """A self-served resolution, `[csat] enabled = false`, an agent's own ticket: the desk
    decided not to ask, so the thread must not ask either (a rating would count)."""
    change = {"old": "In progress", "new": "Resolved", "kind": "closed"}
    post = render_post("status_changed", {"ticket": TICKET, "change": change,
                                          "desk": {"reopen_days": 7}}, "en", RENDERER)
    assert "How satisfied" not in post.text and "7 days" in post.text
    assert [b.action for b in post.buttons] == ["reopen"]


def test_a_reopening_and_an_agents_answer() -> None:
    reopened = render_post("status_changed", {"ticket": TICKET, "change": {
        "old": "Resolved", "new": "In progress", "kind": "reopened"}}, "de", RENDERER)
    assert reopened.text.startswith("Ticket #42 ist wieder offen: ")
    assert reopened.buttons == ()
    answer = render_post("agent_reply", {"ticket": TICKET, "agent": {"name": "Alex"},
                                         "message": {"text": "Please restart it."}},
                         "en", RENDERER)
    assert answer.text == "Alex answered:\nPlease restart it."


def test_a_direct_message_names_the_request_and_links_its_page_without_buttons() -> None:
    context = {"ticket": TICKET, "agent": {"name": "Alex"},
               "message": {"text": "Please restart it."},
               "change": {"old": "In progress", "new": "Resolved", "kind": "closed"},
               "ticket_page": "https://help.example.com/t/abc", "direct_to": "@casey:example.com"}
    post = render_post("agent_reply", context, "en", RENDERER)
    assert post.text == ("About your request #42: VPN is down\n\n"
                         "Alex answered:\nPlease restart it.\n\n"
                         "Ticket #42 is done: Resolved.\n\n"
                         "Your request online: https://help.example.com/t/abc\n\n"
                         "To answer, reply to our mail.")
    assert post.buttons == ()  # nothing to press or rate outside the desk's threads
    german = render_post("status_changed", {**context, "desk": {"reopen_days": 7}}, "de",
                         RENDERER)
    assert german.text.startswith("Zu Ihrer Anfrage #42: VPN is down\n\nTicket #42 ")
    assert "1 = " not in german.text and "7" not in german.text


def test_a_direct_acknowledgment_lists_the_articles_but_no_thread_to_answer_in() -> None:
    """A mail customer's acknowledgment as a direct message: no thread of the desk there,
    so no 'answer "solved" in this thread' beside 'To answer, reply to our mail.'"""
    context = {"ticket": TICKET, "suggestions": [{"title": "Restart the VPN client"}],
               "ticket_page": "https://help.example.com/t/abc", "direct_to": "@casey:x.org"}
    post = render_post("acknowledgment", context, "en", RENDERER)
    assert post.text == ("About your request #42: VPN is down\n\n"
                         "Thank you. Your request is ticket #42: VPN is down\n"
                         "Current status: Received\n\n"
                         "These articles may already answer it:\n• Restart the VPN client\n\n"
                         "Your request online: https://help.example.com/t/abc\n\n"
                         "To answer, reply to our mail.")
    assert post.buttons == ()
