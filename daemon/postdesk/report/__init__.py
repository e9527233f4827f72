"""Reports a manager reads: `postdesk report sla` (see `postdesk.report.sla_summary`).

* `sla_query` asks the database for the aggregates (counts, percentiles,
  distributions; the SQL is `postdesk.store.sla_figures`, over the per-ticket
  figures of `postdesk.store.ticket_figures`), so a million tickets cost a few
  index scans;
* `sla_summary` turns those rows into an `SlaReport` (pure, no I/O);
* `sla_formats` writes it as a table, JSON or CSV, `sla_html` as a page with
  SVG charts (`svg_charts`).
"""
