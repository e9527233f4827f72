"""Queues: named views of the tickets, defined in rules/queues.yaml.

(Not to be confused with `postdesk.worker.broker`, the work queue of the workers.)

    queues:
      - name: unassigned-hardware            # lower-case; `postdesk queue NAME`, `#queue NAME`
        title: {en: "Unassigned hardware", pl: "Sprzęt – nieprzypisane"}   # or one text
        if: {request_type: [hardware], assignee: none, status: [new, triage, in_progress]}
        sort: [sla_due, created]             # also updated, priority, id, status; -key: desc
        columns: [id, subject, requester, status, priority, sla_due]
        limit: 100                           # tickets shown (the count is always complete)

`if:` is the condition language of the automations for what a ticket is:
status, priority, request_type, team, assignee (`none`: unassigned), tags,
sla_paused, customer_language, subject_contains (any case), ticket_age,
time_in_status, with `any:` / `not:` groups; plus `sla_state` (ok, warning,
breached, paused, met, none) and `ticket` (numbers). A queue without `if:`
holds every ticket. Columns: id, subject, requester, status, public_status,
priority, assignee, team, request_type, tags, sla_due (the live clocks),
created, updated.

* `loader`: the file -> `QueueBook` (file:line errors); `live`: reloaded live;
* `sql`: conditions and sort -> one SQL WHERE / ORDER BY on indexed columns;
* `subject_index`: the SQLite trigram index that `subject_contains` searches;
* `query`: a queue's tickets (the `--json` shape) and count.
"""
