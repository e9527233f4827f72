"""The Prometheus endpoint of a real `postdesk serve`, scraped over HTTP."""

from __future__ import annotations

import itertools
import smtplib
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from conftest import free_port
from mailbuild import customer_mail, wait_for
from ops.served import ServedDesk
from postdesk.store import db


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_metrics_count_mail_of_the_worker_processes(tmp_path: Path) -> None:
    port = free_port()
    desk = ServedDesk(tmp_path / "desk", '[[imap]]\nname = "box"\nhost = "127.0.0.1"\n'
                      f'port = {free_port()}\ntls = "off"\nuser = "desk"\npassword = "x"\n'
                      'address = "support@example.com"\n',
                      env={"POSTDESK_METRICS_LISTEN": f"127.0.0.1:{port}",
                           "POSTDESK_METRICS_NODE": "node-a",
                           "POSTDESK_BROKER_WORKER_PROCESSES": "2"})
    node = (("node", "node-a"),)
    try:
        desk.start()
        before = scrape(port)
        assert not any(name.startswith("postdesk_processing_seconds") for name, _ in before)
        # the embedded broker's queue, empty while nothing waits
        assert before[("postdesk_broker_queue_depth", (("queue", "postdesk"),))] == 0
        assert before[("postdesk_broker_up", ())] == 1
        assert before[("postdesk_scheduler_leader", ())] == 1
        assert before[("postdesk_database_up", ())] == 1
        assert before[("postdesk_imap_connected", (("source", "box"),))] == 0
        with smtplib.SMTP("127.0.0.1", desk.port) as client:
            for number in range(3):
                client.send_message(customer_mail(subject=f"mail {number}",
                                                  message_id=f"<m{number}@c.example>"))
            # no sender anywhere: ticketed under "Unknown sender" and never answered (issue 23)
            client.sendmail("", ["support@example.com"], b"Subject: nobody\r\n\r\nwho?\r\n")

        def settled() -> dict | None:
            now = scrape(port)
            done = now[("postdesk_inbound_total", (("state", "done"),))] == 4
            sent = now[("postdesk_outbox_total", (("state", "sent"),))] == 3
            return now if done and sent else None

        metrics = wait_for(settled, timeout=60, interval=0.5)
        assert metrics.get(("postdesk_inbound_total", (("state", "failed"),)), 0) == 0
        assert metrics[("postdesk_inbound_pending", ())] == 0
        assert metrics[("postdesk_outbox_backlog", ())] == 0
        # processed in spawned worker processes, counted all the same, under the node's name
        assert metrics[("postdesk_processing_seconds_count", node)] == 4
        assert 0 < metrics[("postdesk_processing_seconds_sum", node)] < 60
        buckets = sorted((float(dict(labels)["le"]), value) for (name, labels), value
                         in metrics.items() if name == "postdesk_processing_seconds_bucket"
                         and dict(labels)["node"] == "node-a")
        assert buckets[-1] == (float("inf"), 4)
        assert all(a[1] <= b[1] for a, b in itertools.pairwise(buckets))

        # what the SLA scan records when a clock breaches, as it records it
        from postdesk.store.models import Ticket
        from postdesk.tickets import service

        db.connect(f"sqlite:///{desk.folder / 'var' / 'postdesk.db'}")
        with db.database.connection_context(), db.database.atomic():
            service.record_event(Ticket.get_by_id(1), "sla.breached",
                                 {"clock": "first_response", "label": "breach"},
                                 actor="system", now=db.utcnow())
        breaches = scrape(port)[("postdesk_sla_events_total",
                                 (("clock", "first_response"), ("kind", "breach")))]
        assert breaches == 1
        assert scrape(port)[("postdesk_sla_events_total",
                             (("clock", "first_response"), ("kind", "breach")))] == 1
    finally:
        desk.stop()
    assert desk.proc is not None and desk.proc.returncode == 0, desk.tail()



def test_counts_survive_a_restart_and_the_histogram_starts_with_the_node(
        make_settings, migrated: str) -> None:
    """On SQLite and PostgreSQL: outcomes count every mail ever processed (a new node
    counts the old ones too), the histogram only mails processed since the node
    started, and a scrape never counts a mail twice."""
    from postdesk.config import runtime
    from postdesk.serve.metrics import make_registry
    from postdesk.store.inbound import Arrival, store_inbound
    from postdesk.worker.process import process_inbound

    settings = make_settings(migrated)
    current = runtime.install(runtime.Runtime(settings))

    def arrive(number: int) -> int:
        mail = customer_mail(sender=f"c{number}@customer.example",
                             message_id=f"<restart{number}@customer.example>")
        return store_inbound(Arrival(raw=mail.as_bytes(), mail_from=f"c{number}@c.example",
                                     rcpt_to=("support@example.com",), source="smtp"))

    with db.database.connection_context():
        done_before = arrive(1)
        waiting = arrive(2)
        process_inbound(done_before, current)
        registry = make_registry(settings, lambda: False)  # the node starts here
        process_inbound(waiting, current)  # pending at the start, processed after
        process_inbound(arrive(3), current)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    node = settings.metrics.node_name  # the machine's host name unless [metrics] node says
    for _ in range(2):  # the second scrape sees nothing new: same figures
        assert value("postdesk_inbound_total", state="done") == 3
        assert value("postdesk_inbound_pending") == 0
        assert value("postdesk_processing_seconds_count", node=node) == 2
        assert value("postdesk_processing_seconds_bucket", le="+Inf", node=node) == 2
        assert value("postdesk_scheduler_leader") == 0
    assert value("postdesk_outbox_backlog") == 3  # three acknowledgments, none sent here


class RefusingRelay:
    """A real SMTP relay that defers every mail, as a relay in trouble does."""

    async def handle_DATA(self, server, session, envelope) -> str:
        return "451 4.3.0 Queue full, try later"


def test_the_last_relay_error_is_scraped_with_its_time_and_text(
        make_settings, sqlite_url: str, start_daemon) -> None:
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from conftest import smtp_server
    from postdesk.serve.metrics import make_registry
    from postdesk.store.models import Outbox

    with smtp_server(RefusingRelay()) as relay_port:
        settings = make_settings(sqlite_url, outgoing_transport=f"smtp://127.0.0.1:{relay_port}")
        daemon = start_daemon(settings)
        with db.database.connection_context():
            registry = make_registry(settings, lambda: False)
        text = generate_latest(registry).decode()
        assert "postdesk_relay_last_error" not in text  # the relay never refused anything yet
        started = db.utcnow().timestamp()
        host, port = daemon.address
        with smtplib.SMTP(host, port, timeout=10) as client:
            client.send_message(customer_mail())
        wait_for(lambda: Outbox.get_or_none(Outbox.last_error != ""))
        with db.database.connection_context():
            text = generate_latest(registry).decode()
    samples = {sample.name: sample for family in text_string_to_metric_families(text)
               for sample in family.samples}
    at = samples["postdesk_relay_last_error_timestamp_seconds"].value
    assert started - 1 <= at <= db.utcnow().timestamp() + 1
    info = samples["postdesk_relay_last_error_info"]
    assert info.value == 1 and "451 4.3.0 Queue full" in info.labels["error"]
