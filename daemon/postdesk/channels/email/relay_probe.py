"""What `postdesk relay test` shows about the outgoing relay: the way a batch connects
(EHLO, STARTTLS as `[outgoing] starttls` says, login), what the relay offers, and the
TLS session with its certificate."""

from __future__ import annotations

import ssl
from contextlib import suppress
from typing import Any

from postdesk.channels.email.transports import SmtpTransport


def probe(transport: SmtpTransport) -> list[str]:
    """Connect as a batch would and describe the session, one line per fact. Raises what
    connecting raises (OSError, TemporaryFailure, smtplib errors)."""
    client = transport.connect()
    try:
        lines = [transport.describe()]
        code, banner = client.ehlo()
        offered = banner.decode(errors="replace").splitlines()
        lines.append(f"EHLO {client.local_hostname}: {code} {offered[0] if offered else ''}")
        lines += [f"  offers {line}" for line in offered[1:]]
        sock = client.sock
        if isinstance(sock, ssl.SSLSocket):
            cipher = sock.cipher()
            lines.append(f"TLS: {sock.version()} {cipher[0] if cipher else ''}")
            lines.extend(_certificate(sock))
        else:
            lines.append("TLS: none (plain text)")
        if transport.user:
            lines.append(f"authenticated as {transport.user}")
        return lines
    finally:
        with suppress(OSError):
            client.quit()
        client.close()


def _certificate(sock: ssl.SSLSocket) -> list[str]:
    cert = sock.getpeercert()
    if not cert:
        return ["certificate: not checked ([outgoing] starttls = 'opportunistic' or "
                "tls_verify = false)"]
    subject = _name(cert.get("subject", ()))
    issuer = _name(cert.get("issuer", ()))
    names = ", ".join(str(entry[1]) for entry in cert.get("subjectAltName", ()))
    return [f"certificate: {subject} (names {names or '-'}), issued by {issuer}, "
            f"valid until {cert.get('notAfter', '?')}, checked"]


def _name(parts: Any) -> str:
    """An X.509 name as getpeercert() gives it (RDNs of (key, value) pairs), as k=v, ..."""
    return ", ".join(f"{pair[0]}={pair[1]}" for part in parts for pair in part)
