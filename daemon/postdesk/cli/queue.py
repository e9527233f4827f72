"""`postdesk queue`: the desk's queues with their counts, one queue as a table or JSON,
and `--watch` to keep a queue on screen as mail arrives and clocks run."""

from __future__ import annotations

import json
import time
from typing import Any

import click
from rich.console import Console
from rich.live import Live

from postdesk.cli.context import fail
from postdesk.cli.render_queue import queue_table, queues_table
from postdesk.cli.terminal_words import Words, words_for
from postdesk.store.db import utcnow
from postdesk.ticket_queues.model import Queue

console = Console()


@click.command("queue")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--watch", is_flag=True,
              help="Keep the queue on screen, updated as mail arrives and clocks run "
                   "(Ctrl-C to leave).")
@click.option("--interval", default=0.5, show_default=True, type=click.FloatRange(0.1, 60),
              help="With --watch: seconds between looks at the database.")
@click.option("--limit", type=click.IntRange(1, 5000), default=None,
              help="At most this many tickets (default: the queue's limit).")
@click.option("--lang", default=None,
              help="Language of the titles, headings, names and times, e.g. pl "
                   "(default: the desk's).")
@click.pass_obj
def queue_command(obj: Any, name: str | None, as_json: bool, watch: bool, interval: float,
                  limit: int | None, lang: str | None) -> None:
    """List the queues of rules/queues.yaml with their counts, or show queue NAME."""
    from postdesk.config.runtime import Runtime

    runtime = Runtime(obj.settings)
    book = runtime.queues
    if runtime.live_queues.last_error:
        fail(runtime.live_queues.last_error)
    language = lang or obj.settings.desk.default_language
    words = _words(obj, language, given=lang is not None)
    obj.open_database()
    if name is None:
        _list(book.queues, language, obj.settings.desk.default_language, as_json, words)
        return
    queue = book.get(name)
    if queue is None:
        known = ", ".join(book.names) or f"none: {book.display} defines no queue"
        fail(f"no queue named '{name}' ({known})")
    if as_json and watch:
        fail("--watch shows a live table; leave out --json")
    title = queue.title(language, obj.settings.desk.default_language)
    if as_json:
        click.echo(json.dumps(_rows(queue, obj, limit, extra=False)[0], ensure_ascii=False,
                              indent=2))
        return
    if not watch:
        rows, count, _ = _rows(queue, obj, limit, extra=True)
        console.print(queue_table(queue, rows, count, title=title, words=words))
        return
    _watch(queue, obj, limit, title, interval, words)


def _words(obj: Any, language: str, *, given: bool) -> Words:
    """The words of `language`; an unknown language code is refused, naming the option."""
    from postdesk.notify.i18n import normalize_language

    if normalize_language(language) is None:
        fail(f"--lang: {language!r} is not a language code; use e.g. en, pl, de or pt-BR"
             if given else f"[desk] default_language: {language!r} is not a language code")
    return words_for(obj.settings, language)


def _rows(queue: Queue, obj: Any, limit: int | None, *, extra: bool
          ) -> tuple[list[dict[str, Any]], int, Any]:
    from postdesk.ticket_queues.query import queue_count, queue_tickets

    now = utcnow()
    rows = queue_tickets(queue, now, sla=obj.sla, statuses=obj.statuses, limit=limit,
                         extra=extra)
    count = len(rows) if len(rows) < (limit or queue.limit) else queue_count(queue, now)
    return rows, count, now


def _list(queues: tuple[Queue, ...], language: str, default: str, as_json: bool,
          words: Words) -> None:
    from postdesk.ticket_queues.query import queue_count

    now = utcnow()
    entries = [(q, q.title(language, default), queue_count(q, now)) for q in queues]
    if as_json:
        click.echo(json.dumps([{"name": q.name, "title": title, "count": count}
                               for q, title, count in entries], ensure_ascii=False, indent=2))
        return
    console.print(queues_table(entries, words))


def _watch(queue: Queue, obj: Any, limit: int | None, title: str, interval: float,
           words: Words) -> None:
    """Look again every `interval` seconds: a new mail shows up at the next look, and the
    clocks move on by themselves."""
    rows, count, now = _rows(queue, obj, limit, extra=True)
    try:
        with Live(queue_table(queue, rows, count, title=title, now=now, words=words),
                  console=console, auto_refresh=False) as live:
            while True:
                time.sleep(interval)
                rows, count, now = _rows(queue, obj, limit, extra=True)
                live.update(queue_table(queue, rows, count, title=title, now=now, words=words),
                            refresh=True)
    except KeyboardInterrupt:
        pass
