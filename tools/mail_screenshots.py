"""Screenshots of every HTML mail, to look at how a recipient would see it.

Renders each shipped mail in each language the desk writes in (sample data,
`postdesk.notify.samples`, with the desk's name and branding), writes the HTML
and the text part (as a text-only client shows it), and takes headless-Chromium
screenshots at a desktop mail pane's and a phone's width (800 and 390 CSS
pixels), plus an emulated dark mode. Open the PNGs (or ``index.html``) and
look: overflow, text size, contrast, layout, wording.

    .venv/bin/python tools/mail_screenshots.py [--config desk/postdesk.toml] \
        [--out /tmp/mail-shots] [--widths 800,390] [--stress] [--logo ok|broken|none]

``--stress`` swaps in the worst a customer can send (`hostile_context`): a
200-character subject without spaces, a long URL, a long address and file
name, names with markup.
``--logo ok`` serves a wide PNG logo from 127.0.0.1; ``broken`` points at a
logo that does not load (the alt text must still read well). Needs Debian's
``chromium`` (or ``--chromium PATH``); without it the mails are still written
and the tool says why there are no screenshots. A manual tool: not run by the
tests.
"""

from __future__ import annotations

import argparse
import html
import http.server
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from postdesk.config.load import load_settings
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.notify.render import Renderer, default_locale_dir
from postdesk.notify.samples import SAMPLES, hostile_context, sample_context


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG, enough to see how a logo sits in the layout."""
    row = b"\x00" + bytes(rgb) * width
    data = zlib.compress(row * height)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + \
        chunk(b"IEND", b"")


@contextmanager
def logo_server(image: bytes) -> Iterator[str]:
    """Serve `image` at http://127.0.0.1:PORT/logo.png while the block runs."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/logo.png"
    finally:
        server.shutdown()


def screenshot(chromium: str, page: Path, width: int, out: Path, dark: bool) -> None:
    """One full-height-enough screenshot of `page` at `width` CSS pixels."""
    with tempfile.TemporaryDirectory() as profile:
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-background-networking", "--no-first-run",
                   "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                   f"--user-data-dir={profile}", f"--window-size={width},1400",
                   f"--screenshot={out}"]
        if dark:
            # What the Gmail and Outlook apps do: invert a light mail's colours.
            command += ["--force-dark-mode", "--enable-features=WebContentsForceDark"]
        subprocess.run([*command, page.as_uri()], check=True, capture_output=True,
                       timeout=60)


def renderer_with(settings: Settings, logo_url: str | None) -> Renderer:
    base = Runtime(settings).renderer
    if logo_url is None:
        return base
    return Renderer(base.template_dirs,
                    [settings.path(settings.paths.locales), default_locale_dir()],
                    default_language=base.default_language,
                    branding=replace(base.branding, logo_url=logo_url))


def render_all(renderer: Renderer, out: Path, stressed: bool, desk_name: str) -> list[Path]:
    pages = []
    for language in renderer.available_languages():
        for name in sorted(SAMPLES):
            context = hostile_context(name) if stressed else sample_context(name)
            if "desk" in context:  # the desk's own name, as its mail would show it
                context["desk"] = {**context["desk"], "name": desk_name}
            mail = renderer.render(name, context, language=language, timezone="Europe/Warsaw")
            page = out / f"{name}.{language}.html"
            page.write_text(mail.html, encoding="utf-8")
            page.with_suffix(".txt").write_text(
                f"Subject: {mail.subject}\nContent-Language: {mail.content_language}\n\n"
                f"{mail.text}", encoding="utf-8")
            size = len(mail.html.encode("utf-8"))
            if size > 100_000:
                print(f"warning: {page.name} is {size} bytes; Gmail clips mail over ~102 KB")
            pages.append(page)
    return pages


def write_index(out: Path, shots: list[Path]) -> Path:
    rows = "\n".join(f'<figure style="display:inline-block;vertical-align:top;margin:8px">'
                     f'<img src="{html.escape(s.name)}" style="max-width:480px">'
                     f"<figcaption>{html.escape(s.name)}</figcaption></figure>"
                     for s in shots)
    index = out / "index.html"
    index.write_text(f"<!DOCTYPE html><meta charset=utf-8><body>{rows}</body>",
                     encoding="utf-8")
    return index


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="a desk's postdesk.toml (its branding)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/mail-shots"))
    parser.add_argument("--widths", default="800,390", help="comma-separated CSS widths")
    parser.add_argument("--stress", action="store_true", help="hostile customer strings")
    parser.add_argument("--logo", choices=("none", "ok", "broken"), default="none")
    parser.add_argument("--no-dark", action="store_true", help="skip the dark-mode shots")
    parser.add_argument("--only", help="render only this mail (e.g. acknowledgment)")
    parser.add_argument("--chromium", default=shutil.which("chromium"))
    args = parser.parse_args()

    settings = load_settings(args.config) if args.config else Settings(base_dir=Path.cwd())
    args.out.mkdir(parents=True, exist_ok=True)
    widths = [int(w) for w in args.widths.split(",")]
    with logo_server(png(480, 96, (37, 99, 235))) as served:
        logo = {"none": None, "ok": served, "broken": "http://127.0.0.1:9/logo.png"}[args.logo]
        pages = render_all(renderer_with(settings, logo), args.out, args.stress,
                           settings.desk.name)
        if args.only:
            pages = [p for p in pages if p.name.startswith(f"{args.only}.")]
        if not args.chromium or not shutil.which(args.chromium):
            print(f"{len(pages)} mails written to {args.out} (HTML and text); no screenshots: "
                  f"Chromium is not installed (apt-get install chromium, or --chromium PATH)")
            return 0
        shots = []
        for page in pages:
            for width in widths:
                for dark in (False, True) if not args.no_dark else (False,):
                    if dark and width != min(widths):
                        continue
                    shot = page.with_suffix(f".{width}{'.dark' if dark else ''}.png")
                    screenshot(args.chromium, page, width, shot, dark)
                    shots.append(shot)
    print(f"{len(pages)} mails, {len(shots)} screenshots; open {write_index(args.out, shots)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
