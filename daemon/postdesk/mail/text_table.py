"""A data table of an HTML mail as aligned plain-text columns.

"Firefox 133 500" says nothing; a reader of the text needs the columns:

    Browser  Version  Users
    Firefox      133    500

Only a small data table is aligned: every cell on one short line, at least two
columns, not wider than a text line. Anything else (the tables mail layouts
are built of, cells holding paragraphs or other tables) keeps its cells on
separate lines, as before.
"""

from __future__ import annotations

import re

#: The longest cell, and the widest row, that are still aligned.
MAX_CELL = 40
MAX_WIDTH = 100
_GAP = "  "
_NUMBER = re.compile(r"^[-+±]?[\d\s.,:%€$£]*\d[\d\s.,:%€$£]*$")


def aligned_table(rows: list[list[str]]) -> str | None:
    """`rows` of cell texts as aligned lines, or None when they are no small data table."""
    rows = [[" ".join(cell.split()) for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if len(rows) < 2 or max(len(row) for row in rows) < 2:
        return None
    if any(len(cell) > MAX_CELL for row in rows for cell in row):
        return None
    columns = max(len(row) for row in rows)
    rows = [row + [""] * (columns - len(row)) for row in rows]
    widths = [max(len(row[c]) for row in rows) for c in range(columns)]
    if sum(widths) + len(_GAP) * (columns - 1) > MAX_WIDTH:
        return None
    # a column of numbers (below its heading) is aligned on the right, as numbers are read
    numeric = [all(_NUMBER.match(row[c]) or not row[c] for row in rows[1:])
               and any(row[c] for row in rows[1:]) for c in range(columns)]
    lines = [_GAP.join(cell.rjust(widths[c]) if numeric[c] else cell.ljust(widths[c])
                       for c, cell in enumerate(row)).rstrip() for row in rows]
    return "\n".join(lines)
