"""Numbered migrations bring an older database to the current schema without losing rows."""

from __future__ import annotations

from datetime import UTC, datetime

from postdesk.store import db, migrations, subject_index
from postdesk.store.models import Customer, Link, Outbox, SchemaVersion, Ticket
from postdesk.ticket_queues.loader import parse_queues
from postdesk.ticket_queues.query import queue_tickets


def test_fresh_database_is_stamped_with_the_newest_version(database_url: str) -> None:
    database = db.connect(database_url)
    with database.connection_context():
        assert migrations.migrate(database) == (None, migrations.head_version())
        assert migrations.migrate(database) == (migrations.head_version(),) * 2


def test_the_newest_version_read_from_the_file_names_is_the_last_migration_s() -> None:
    """`migrate` finds a database up to date from the modules' names, without importing
    them: each name must carry its module's VERSION, and the last one is the head."""
    modules = migrations._migration_modules()
    assert [int(m.__name__.rpartition(".")[2][1:5]) for m in modules] == [
        m.VERSION for m in modules]
    assert migrations.head_version() == modules[-1].VERSION


def test_version_2_database_is_migrated_and_keeps_its_rows(database_url: str) -> None:
    database = db.connect(database_url)
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    with database.connection_context():
        migrations.migrate(database)
        # what a desk created before migration 3 looks like
        database.execute_sql('DROP TABLE "link"')
        database.execute_sql('DROP INDEX IF EXISTS "outbox_recipient_created"')
        for index in ("recipient_automatic_created", "automatic_created"):  # migration 11
            database.execute_sql(f'DROP INDEX IF EXISTS "outbox_{index}"')
        database.execute_sql('DROP INDEX IF EXISTS "outbox_created_at"')
        database.execute_sql('ALTER TABLE "outbox" DROP COLUMN "automatic"')
        database.execute_sql('ALTER TABLE "outbox" DROP COLUMN "not_before"')  # migration 8
        for column in ("tags", "sla_paused", "status_changed_at", "link_version"):  # +m17
            database.execute_sql(f'ALTER TABLE "ticket" DROP COLUMN "{column}"')
        SchemaVersion.update(version=2).execute()
        customer = Customer.insert(email="zoe@customer.example", created_at=now).execute()
        cursor = database.execute_sql(
            'INSERT INTO "ticket" ("subject", "status", "priority", "requester_id", '
            '"created_at", "updated_at") VALUES (\'Old ticket\', \'new\', \'normal\', '
            f"{customer}, '2026-11-22 12:00:00', '2026-11-22 12:00:00')"
            + (' RETURNING "id"' if db.is_postgres() else ""))
        ticket = cursor.fetchone()[0] if db.is_postgres() else cursor.lastrowid
        database.execute_sql(
            'INSERT INTO "outbox" ("ticket_id", "kind", "recipient", "message_id", "context", '
            '"headers", "state", "attempts", "next_attempt_at", "last_error", "created_at") '
            f"VALUES ({ticket}, 'acknowledgment', 'zoe@customer.example', 'old@example.com', "
            "'{}', '{}', 'sent', 1, '2026-11-22 12:00:00', '', '2026-11-22 12:00:00')")

        assert migrations.migrate(database) == (2, migrations.head_version())

        old = Outbox.get(Outbox.message_id == "old@example.com")
        assert old.automatic is False and old.ticket_id == ticket and old.not_before is None
        old_ticket = Ticket.get_by_id(ticket)
        assert old_ticket.subject == "Old ticket"
        assert old_ticket.tags == [] and old_ticket.sla_paused is False
        assert old_ticket.link_version == 0  # its links (none yet) are of the first version
        Link.create(ticket=ticket, other=ticket, kind="related", created_at=now)
        assert Link.select().count() == 1


def test_version_9_database_gets_the_subject_index_with_its_old_tickets(
        database_url: str) -> None:
    database = db.connect(database_url)
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    with database.connection_context():
        migrations.migrate(database)
        if not db.is_postgres():  # what a desk created before migration 10 looks like
            for trigger in ("insert", "update", "delete"):
                database.execute_sql(f'DROP TRIGGER "ticket_subject_search_{trigger}"')
            database.execute_sql(f'DROP TABLE "{subject_index.TABLE}"')
        SchemaVersion.update(version=9).execute()
        customer = Customer.create(email="zoe@customer.example", created_at=now)
        old = Ticket.create(subject="Старый ПРИНТЕР", requester=customer, created_at=now,
                            updated_at=now)
        assert not subject_index.usable(database)

        assert migrations.migrate(database) == (9, migrations.head_version())

        assert subject_index.usable(database) is not db.is_postgres()
        new = Ticket.create(subject="Новый принтер", requester=customer, created_at=now,
                            updated_at=now)
        queue = parse_queues("queues:\n  - name: q\n    if: {subject_contains: принтер}\n"
                             ).get("q")
        assert queue is not None
        assert [row["id"] for row in queue_tickets(queue, now)] == [old.id, new.id]


def test_version_10_database_gets_the_index_the_rate_limit_counts(database_url: str) -> None:
    from postdesk.config.settings import LimitsSettings
    from postdesk.notify.ratelimit import automatic_mail_held_back

    database = db.connect(database_url)
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    with database.connection_context():
        migrations.migrate(database)
        database.execute_sql('DROP INDEX "outbox_automatic_created"')
        database.execute_sql('DROP INDEX "outbox_recipient_automatic_created"')
        database.execute_sql('CREATE INDEX "outbox_recipient_created" '
                             'ON "outbox" ("recipient", "created_at")')  # as version 10 had it
        SchemaVersion.update(version=10).execute()
        for n, automatic in enumerate((True, True, False)):
            Outbox.create(kind="acknowledgment", recipient=f"c{n}@customer.example",
                          message_id=f"m{n}@desk.example", automatic=automatic,
                          next_attempt_at=now, created_at=now)

        assert migrations.migrate(database) == (10, migrations.head_version())

        indexes = {i.name for i in database.get_indexes("outbox")}
        assert {"outbox_automatic_created", "outbox_recipient_automatic_created"} <= indexes
        assert "outbox_recipient_created" not in indexes
        limits = LimitsSettings(auto_replies_per_address=1, auto_replies_total=2)
        assert "desk limit 2" in (automatic_mail_held_back("new@customer.example", now, limits)
                                  or "")
        assert "to c0@customer.example" in (
            automatic_mail_held_back("c0@customer.example", now, limits) or "")
        assert automatic_mail_held_back(
            "new@customer.example", now, LimitsSettings(auto_replies_total=3)) is None


def test_version_21_database_gives_its_surveys_their_agent_and_groups(database_url: str
                                                                      ) -> None:
    """Migration 22: a survey asked before it counts for the ticket's assignee and team,
    and later changes of the ticket's team reach it (the triggers are replaced)."""
    from postdesk.store import csat_store, ticket_figures
    from postdesk.store.csat_figures import csat_counts

    database = db.connect(database_url)
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    with database.connection_context():
        migrations.migrate(database)
        customer = Customer.create(email="zoe@customer.example", created_at=now)
        ticket = Ticket.create(subject="Old", status="resolved", priority="normal",
                               requester=customer, team="hardware",
                               assignee="ann@desk.example", created_at=now, updated_at=now)
        # what a desk had before migration 22: no group columns, the old index and triggers
        ticket_figures.uninstall(database)
        database.execute_sql(f'DROP INDEX "{csat_store.FIGURES_INDEX}"')
        for column in ("agent", "ticket_team", "ticket_request_type", "ticket_channel",
                       "ticket_priority"):
            database.execute_sql(f'ALTER TABLE "csat_survey" DROP COLUMN "{column}"')
        database.execute_sql('CREATE INDEX "csat_survey_asked_at_state_sent_at_scale_rating" '
                             'ON "csat_survey" ("asked_at", "state", "sent_at", "scale", '
                             '"rating")')
        database.execute_sql(
            'INSERT INTO "csat_survey" ("ticket_id", "customer_id", "resolution", "scale", '
            '"state", "asked_at", "sent_at", "rating", "comment", "channel") VALUES '
            f"({ticket.id}, {customer.id}, 1, '1-5', 'asked', '2026-11-22 12:00:00', "
            "'2026-11-22 12:00:00', 5, '', 'web')")
        ticket_figures.install(database)
        SchemaVersion.update(version=21).execute()

        assert migrations.migrate(database) == (21, migrations.head_version())

        indexes = {i.name for i in database.get_indexes("csat_survey")}
        assert csat_store.FIGURES_INDEX in indexes
        assert "csat_survey_asked_at_state_sent_at_scale_rating" not in indexes
        top = {"1-5": 4}
        assert csat_counts("team", None, None, top) == [
            ("hardware", "ann@desk.example", 1, 1, 1)]
        Ticket.update(team="network", assignee="bob@desk.example").where(
            Ticket.id == ticket.id).execute()
        assert csat_counts("team", None, None, top) == [
            ("network", "ann@desk.example", 1, 1, 1)]
