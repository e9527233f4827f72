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
from postdesk import db


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
                      env={"POSTDESK_METRICS_LISTEN": f"127.0.0.1:{port}"})
    try:
        desk.start()
        before = scrape(port)
        assert before[("postdesk_processing_seconds_count", ())] == 0
        assert before[("postdesk_scheduler_leader", ())] == 1
        assert before[("postdesk_database_up", ())] == 1
        assert before[("postdesk_imap_connected", (("source", "box"),))] == 0
        with smtplib.SMTP("127.0.0.1", desk.port) as client:
            for number in range(3):
                client.send_message(customer_mail(subject=f"mail {number}",
                                                  message_id=f"<m{number}@c.example>"))
            client.sendmail("", ["support@example.com"], b"Subject: nobody\r\n\r\nwho?\r\n")

        def settled() -> dict | None:
            now = scrape(port)
            done = now[("postdesk_inbound_total", (("state", "done"),))] == 3
            sent = now[("postdesk_outbox_total", (("state", "sent"),))] == 3
            return now if done and sent else None

        metrics = wait_for(settled, timeout=60, interval=0.5)
        assert metrics[("postdesk_inbound_total", (("state", "failed"),))] == 1
        assert metrics[("postdesk_inbound_pending", ())] == 0
        assert metrics[("postdesk_outbox_backlog", ())] == 0
        # processed in spawned worker processes, counted all the same
        assert metrics[("postdesk_processing_seconds_count", ())] == 4
        assert 0 < metrics[("postdesk_processing_seconds_sum", ())] < 60
        buckets = sorted((float(dict(labels)["le"]), value) for (name, labels), value
                         in metrics.items() if name == "postdesk_processing_seconds_bucket")
        assert buckets[-1] == (float("inf"), 4)
        assert all(a[1] <= b[1] for a, b in itertools.pairwise(buckets))

        # what the SLA scan records when a clock breaches, as it records it
        from postdesk.models import Ticket
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

