"""STARTTLS towards the relay, as Postfix's smtp_tls_security_level: a real aiosmtpd relay
with a self-signed certificate for mx.test.example, reached as 127.0.0.1 (the local
Postfix with Debian's snakeoil certificate that operators have)."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import smtp_server
from postdesk.channels.email.relay_tls import RelayTls
from postdesk.channels.email.transports import Envelope, SmtpTransport
from postdesk.errors import ConfigError, TemporaryFailure

MAIL = b"From: support@example.com\r\nTo: zoe@customer.example\r\nSubject: hi\r\n\r\nhello\r\n"
ENVELOPE = Envelope("support@example.com", ("zoe@customer.example",))


class Relay:
    def __init__(self) -> None:
        self.encrypted: list[bool] = []
        self.helo: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.encrypted.append(session.ssl is not None)
        self.helo.append(session.host_name)
        return "250 OK"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=mx.test.example", "-addext",
                    "subjectAltName=DNS:mx.test.example", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def start_relay(certificate: tuple[Path, Path] | None) -> Iterator[tuple[Relay, int]]:
    handler = Relay()
    context = None
    if certificate:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
    with smtp_server(handler, tls_context=context) as port:
        yield handler, port


@pytest.fixture
def tls_relay(certificate: tuple[Path, Path]) -> Iterator[tuple[Relay, int]]:
    yield from start_relay(certificate)


@pytest.fixture
def plain_relay() -> Iterator[tuple[Relay, int]]:
    yield from start_relay(None)


def transport(port: int, **tls: object) -> SmtpTransport:
    return SmtpTransport(f"smtp://127.0.0.1:{port}", timeout=10, tls=RelayTls(**tls))  # type: ignore[arg-type]


def test_opportunistic_encrypts_without_checking_the_certificate(tls_relay) -> None:
    relay, port = tls_relay
    transport(port, mode="opportunistic").send(MAIL, ENVELOPE, "<a@example.com>")
    assert relay.encrypted == [True]


def test_opportunistic_sends_plain_text_only_when_starttls_is_not_offered(plain_relay) -> None:
    relay, port = plain_relay
    transport(port, mode="opportunistic").send(MAIL, ENVELOPE, "<a@example.com>")
    assert relay.encrypted == [False]


def test_required_checks_the_certificate(tls_relay) -> None:
    relay, port = tls_relay
    with pytest.raises(TemporaryFailure, match=r"STARTTLS failed.*CERTIFICATE_VERIFY_FAILED"):
        transport(port, mode="required").send(MAIL, ENVELOPE, "<a@example.com>")
    assert relay.encrypted == []


def test_required_with_the_ca_file_and_the_server_name(tls_relay, certificate) -> None:
    relay, port = tls_relay
    cert, _ = certificate
    transport(port, mode="required", ca_file=str(cert),
              server_name="mx.test.example").send(MAIL, ENVELOPE, "<a@example.com>")
    with pytest.raises(TemporaryFailure, match="STARTTLS failed"):  # the name is checked
        transport(port, mode="required", ca_file=str(cert)).send(MAIL, ENVELOPE, "<b@x>")
    assert relay.encrypted == [True]


def test_required_without_checking(tls_relay) -> None:
    relay, port = tls_relay
    transport(port, mode="required", verify=False).send(MAIL, ENVELOPE, "<a@example.com>")
    assert relay.encrypted == [True]


def test_required_never_sends_plain_text(plain_relay) -> None:
    relay, port = plain_relay
    with pytest.raises(TemporaryFailure, match="does not offer STARTTLS"):
        transport(port, mode="required").send(MAIL, ENVELOPE, "<a@example.com>")
    assert relay.encrypted == []


def test_a_missing_ca_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="tls_ca_file"):
        transport(25, mode="required", ca_file=str(tmp_path / "nope.pem"))


def test_helo_name_is_configurable(plain_relay) -> None:
    relay, port = plain_relay
    SmtpTransport(f"smtp://127.0.0.1:{port}", starttls="off", timeout=10,
                  helo_name="desk.example.com").send(MAIL, ENVELOPE, "<a@example.com>")
    assert relay.helo == ["desk.example.com"]


def test_the_choice_is_described_for_the_log() -> None:
    assert "certificate not checked" in transport(25, mode="opportunistic").describe()
    assert "mx.test.example" in transport(25, mode="required",
                                          server_name="mx.test.example").describe()


def test_the_default_settings_send_to_a_local_relay_with_a_self_signed_certificate(
        tls_relay, make_settings) -> None:
    """The defect: the default `opportunistic` checked the certificate, so a local
    Postfix with a snakeoil certificate got nothing, for an hour, then failed."""
    from postdesk.channels.email.sender import transport_of

    relay, port = tls_relay
    settings = make_settings(outgoing_transport=f"smtp://127.0.0.1:{port}")
    transport_of(settings).send(MAIL, ENVELOPE, "<a@example.com>")
    assert relay.encrypted == [True]


def test_settings_name_the_certificate(tls_relay, make_settings, certificate) -> None:
    from postdesk.channels.email.sender import transport_of

    relay, port = tls_relay
    settings = make_settings(outgoing_transport=f"smtp://127.0.0.1:{port}",
                             outgoing_starttls="required",
                             outgoing_tls_ca_file=str(certificate[0]),
                             outgoing_tls_server_name="mx.test.example")
    transport_of(settings).send(MAIL, ENVELOPE, "<a@example.com>")
    assert relay.encrypted == [True]


def test_ehlo_never_says_a_bare_ip(plain_relay, make_settings, monkeypatch) -> None:
    """Without a dotted host name smtplib says EHLO [127.0.0.1]; the desk's domain is better."""
    from postdesk.channels.email import sender

    monkeypatch.setattr(sender, "_fqdn", lambda: "localhost")
    relay, port = plain_relay
    settings = make_settings(outgoing_transport=f"smtp://127.0.0.1:{port}",
                             outgoing_starttls="off")
    sender.transport_of(settings).send(MAIL, ENVELOPE, "<a@example.com>")
    assert relay.helo == ["example.com"]
