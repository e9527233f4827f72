"""How the outgoing relay connection is encrypted, as Postfix's `smtp_tls_security_level`.

* `opportunistic` (Postfix `may`): STARTTLS when the relay offers it, without checking
  its certificate -- a local Postfix with Debian's snakeoil certificate, or one whose
  certificate names the host and not 127.0.0.1, still gets encrypted mail. Plain text
  only when STARTTLS is not offered; a STARTTLS that fails defers the mail, it never
  continues in plain text.
* `required` (Postfix `encrypt`/`secure`): STARTTLS or no mail; the certificate is
  checked unless `tls_verify = false`, against `tls_ca_file` (or the system's CA store)
  and the name `tls_server_name` (or the host of the URL).
* `off`: plain text (a relay on the same machine that offers no TLS).

An `smtps://` URL is encrypted from the start and checked as `required` is.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

from postdesk.errors import ConfigError


class _NamedContext(ssl.SSLContext):
    """A client context that checks the certificate against a name of its own rather
    than the host smtplib connected to (the URL says 127.0.0.1, the certificate
    says mx.example.com)."""

    server_name: str | None = None

    def wrap_socket(self, sock: socket.socket, server_side: bool = False,
                    do_handshake_on_connect: bool = True, suppress_ragged_eofs: bool = True,
                    server_hostname: str | bytes | None = None,
                    session: ssl.SSLSession | None = None) -> ssl.SSLSocket:
        return super().wrap_socket(sock, server_side, do_handshake_on_connect,
                                   suppress_ragged_eofs, self.server_name or server_hostname,
                                   session)


@dataclass(frozen=True)
class RelayTls:
    mode: str = "opportunistic"
    verify: bool = True
    server_name: str = ""
    ca_file: str = ""

    def context(self, *, implicit: bool = False) -> ssl.SSLContext:
        """The TLS context for STARTTLS (or for an smtps:// connection, `implicit`)."""
        context = _NamedContext(ssl.PROTOCOL_TLS_CLIENT)
        context.server_name = self.server_name or None
        if (self.mode == "opportunistic" and not implicit) or not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        try:
            if self.ca_file:
                context.load_verify_locations(cafile=self.ca_file)
            else:
                context.load_default_certs()
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"[outgoing] tls_ca_file = {self.ca_file!r}: cannot load the "
                              f"CA certificates: {exc}") from exc
        return context

    def describe(self, host: str, port: int, *, implicit: bool = False) -> str:
        """One line for the log at start: what the desk will do with the relay."""
        where = f"relay {host}:{port}"
        if self.mode == "off" and not implicit:
            return f"{where}: plain text ([outgoing] starttls = 'off')"
        how = "TLS from the start (smtps)" if implicit else (
            "STARTTLS when offered, certificate not checked, plain text when not offered"
            if self.mode == "opportunistic" else "STARTTLS required")
        if implicit or self.mode == "required":
            how += (", certificate not checked (tls_verify = false)" if not self.verify else
                    f", certificate checked against {self.ca_file or 'the system CA store'} "
                    f"for the name {self.server_name or host}")
        return f"{where}: {how}"
