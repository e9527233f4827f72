"""`postdesk serve` and `postdesk worker`: the long-running processes of a desk."""

from __future__ import annotations

import click

from postdesk.cli.context import EX_TEMPFAIL, Context, fail, pass_context


@click.command()
@click.option("--no-worker", is_flag=True,
              help="Intake and sweeper only (workers run as 'postdesk worker'; not with the "
                   "embedded broker).")
@pass_context
def serve(obj: Context, no_worker: bool) -> None:
    """Run the daemon: SMTP/LMTP intake, sweeper and (embedded) worker."""
    import asyncio

    settings = obj.settings  # first: an SQLite desk's daemon imports no psycopg (store.driver)

    from postdesk.errors import PostdeskError
    from postdesk.serve.daemon import ServeOptions
    from postdesk.serve.daemon import serve as run

    if no_worker and settings.broker.url == "embedded":
        fail("--no-worker needs [broker] url = redis://... or amqp://...: the embedded queue "
             "lives inside this process")
    obj.start_logging()
    try:
        asyncio.run(run(settings, ServeOptions(worker=not no_worker)))
    except OSError as exc:
        fail(f"cannot start: {exc}", EX_TEMPFAIL)
    except PostdeskError as exc:
        fail(str(exc))


@click.command()
@click.option("--processes", default=0, type=click.IntRange(min=0), show_default=True,
              help="Processes that do the CPU work (parsing, tickets, rendering, sending); "
                   "0: the worker threads do it in this process.")
@click.option("--threads", default=None, type=click.IntRange(min=1),
              help="Messages handled at once (default: [broker] worker_threads; with "
                   "--processes, enough to fill each process's batch of 32).")
@pass_context
def worker(obj: Context, processes: int, threads: int | None) -> None:
    """Consume the queue of an external broker (redis:// or amqp://)."""
    settings = obj.settings
    if settings.broker.url == "embedded":
        fail("the embedded broker has no separate workers: 'postdesk serve' runs them")
    obj.start_logging()
    from postdesk.cli.worker import run_worker
    from postdesk.worker.pool import in_flight

    run_worker(settings, processes=processes,
               threads=threads or in_flight(settings.broker.worker_threads, processes))
