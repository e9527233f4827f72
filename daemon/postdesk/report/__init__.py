"""Reports a manager reads: `postdesk report sla` (see `postdesk.report.sla_summary`).

* `sla_query` asks the database for the aggregates (counts, percentiles,
  distributions; the SQL is `postdesk.store.sla_figures`), so a million tickets
  cost one pass of the database;
* `sla_summary` turns those rows into an `SlaReport` (pure, no I/O);
* `sla_formats` writes it as a table, JSON or CSV, `sla_html` as a page with
  SVG charts (`svg_charts`).
"""
