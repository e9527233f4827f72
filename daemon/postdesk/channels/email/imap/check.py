"""`postdesk imap test NAME`: connect to a source, open its folder and say what intake would do.

Also the check both this report and the intake make before touching any
mail: with ``after = "move:FOLDER"`` the target folder must exist, or no mail
is taken at all (it would stay unmoved and be retried for ever).
"""

from __future__ import annotations

from postdesk.channels.email.imap.client import ImapFolderError, ImapSession
from postdesk.channels.email.imap.patches import check_aioimaplib
from postdesk.config.settings import ImapSource

_TLS_NAMES = {"implicit": "TLS", "starttls": "STARTTLS", "off": "no TLS (loopback)"}


def move_target(source: ImapSource) -> str | None:
    """The folder of ``after = "move:FOLDER"``, or None for "seen" and "delete"."""
    return source.after.removeprefix("move:") if source.after.startswith("move:") else None


async def check_move_target(session: ImapSession) -> None:
    """ImapFolderError naming the folders there when the move target does not exist."""
    source = session.source
    target = move_target(source)
    if target is None:
        return
    folders = await session.folders()
    if target not in folders:
        raise ImapFolderError(f"after = \"{source.after}\": folder {target!r} does not exist "
                              f"on {session.peer}; create it or change 'after' (folders there: "
                              f"{', '.join(folders) or 'none'})")


async def probe(source: ImapSource, last_uid: int | None) -> list[str]:
    """The lines `postdesk imap test` prints; reads nothing but sizes and changes no mail.

    Raises ImapError subclasses (ImapAuthError, ImapTlsError, ImapFolderError,
    ConnectionLost) with the reason, and AioimaplibMismatch.
    """
    check_aioimaplib()
    session = ImapSession(source)
    try:
        await session.connect()
        report = [f"connected to {session.peer} with {_TLS_NAMES[source.tls]}, "
                  f"logged in as {source.user}"]
        await check_move_target(session)
        selected = await session.select(source.folder)
        report.append(f"folder {source.folder}: {selected.exists} mails, UIDVALIDITY "
                      f"{selected.uidvalidity}")
        report.append("new mail: IDLE (within seconds)" if session.has_capability("IDLE")
                      else f"new mail: polling every {source.poll_interval} s (no IDLE)")
        start = last_uid if last_uid is not None else 0
        pending = await session.uids_after(start)
        since = f"above UID {start}" if last_uid is not None else "(first run: all of them)"
        report.append(f"would take {len(pending)} mails {since} "
                      f"({sum(size for _, size in pending)} bytes) as mail to {source.address}")
        action = {"seen": "flag each one \\Seen", "delete": "delete each one"}.get(
            source.after, f"move each one to {move_target(source)}")
        report.append(f"then, once stored: {action}")
        return report
    finally:
        await session.close()
