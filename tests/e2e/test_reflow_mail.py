"""What agents read of a customer's mail in HTML: paragraphs flow, tables stay in columns
(issue 26), over real SMTP."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbuild import customer_mail, read_outgoing, send_mail, wait_for

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.en@example.com, name: "Support EN"}
"""

WRAPPED = ("Sehr geehrte Damen und Herren,\n"
           "ich habe am 3. Dezember festgestellt, dass mir die Jahresgebühr zweimal\n"
           "von meinem Girokonto abgebucht wurde. Bitte erstatten Sie den doppelten\n"
           "Betrag auf das bekannte Konto zurück.\n\nMit freundlichen Grüßen\nAnna Weber\n")


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    return start_daemon(settings)


def notification(daemon) -> EmailMessage:
    [mail] = wait_for(lambda: [m for m in read_outgoing(daemon.outgoing)
                               if m["To"].addresses[0].addr_spec == "agent.en@example.com"])
    return mail


def test_a_hard_wrapped_mail_reads_as_a_paragraph_in_the_agent_s_html(desk):
    send_mail(desk, customer_mail(body=WRAPPED))
    html = notification(desk).get_body(("html",)).get_content()
    assert "zweimal von meinem Girokonto abgebucht wurde. Bitte erstatten Sie den doppelten " \
           "Betrag" in html
    assert "zweimal<br>" not in html and "doppelten<br>" not in html


def test_a_format_flowed_mail_keeps_its_soft_breaks_out_of_the_html(desk):
    mail = customer_mail(body="Guten Tag, die Gebühr wurde mir zweimal \n"
                              "abgebucht, bitte erstatten Sie sie.\n")
    mail.set_param("format", "flowed")
    send_mail(desk, mail)
    html = notification(desk).get_body(("html",)).get_content()
    assert "zweimal abgebucht, bitte erstatten Sie sie." in html


def test_a_customer_s_html_table_is_aligned_in_the_text(desk):
    mail = customer_mail(body="")
    mail.set_content("<p>Our users:</p><table><tr><th>Browser</th><th>Users</th></tr>"
                     "<tr><td>Firefox 133</td><td>500</td></tr>"
                     "<tr><td>Chrome 131</td><td>1200</td></tr></table>", subtype="html")
    send_mail(desk, mail)
    text = notification(desk).get_body(("plain",)).get_content()
    assert "Browser      Users\r\nFirefox 133    500\r\nChrome 131    1200" in text


def test_agents_read_the_sender_s_own_html_when_it_says_the_same(desk):
    mail = customer_mail(body="Please refund 149.90 EUR, it was charged twice.\n")
    mail.add_alternative('<html><head><style>p{color:red}</style></head><body>'
                         '<p>Please refund <b>149.90 EUR</b>, it was charged twice.</p>'
                         '<img src="https://tracker.example/p.gif"><script>alert(1)</script>'
                         '</body></html>', subtype="html")
    send_mail(desk, mail)
    html = notification(desk).get_body(("html",)).get_content()
    assert "<b>149.90 EUR</b>" in html
    assert "tracker.example" not in html and "alert(1)" not in html and "color:red" not in html


def test_html_that_says_something_else_than_the_text_is_not_shown(desk):
    mail = customer_mail(body="My printer is on fire.\n")
    mail.add_alternative("<p>Win a <b>prize</b> now!</p>", subtype="html")
    send_mail(desk, mail)
    html = notification(desk).get_body(("html",)).get_content()
    assert "printer is on fire" in html and "prize" not in html
