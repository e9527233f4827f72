"""DKIM verification: only signatures that verify count, broken ones never raise."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import dkim

from postdesk.mail.dkim_check import dkim_pass_domains

MAIL = (b"From: agent.en@example.com\r\nTo: support@example.com\r\nSubject: hi\r\n"
        b"Message-ID: <a@example.com>\r\n\r\n#status resolved\r\n")


def test_only_a_verifying_signature_counts(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "1024"], check=True,
                   capture_output=True)
    public = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                            check=True, capture_output=True).stdout
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"s1._domainkey.example.com." else None

    signed = dkim.sign(MAIL, b"s1", b"example.com", key.read_bytes(),
                       include_headers=[b"from", b"to", b"subject"]) + MAIL
    assert dkim_pass_domains(signed, dnsfunc=dns) == {"example.com"}
    assert dkim_pass_domains(signed.replace(b"resolved", b"closed"), dnsfunc=dns) == frozenset()
    assert dkim_pass_domains(MAIL, dnsfunc=dns) == frozenset()
    assert dkim_pass_domains(b"DKIM-Signature: garbage\r\n" + MAIL, dnsfunc=dns) == frozenset()
    assert dkim_pass_domains(signed, dnsfunc=lambda name, timeout=5: None) == frozenset()
