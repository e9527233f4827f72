"""Duplicates caught at intake: a new ticket that repeats an open one.

`text` turns a mail into the words compared (pure), `similarity` scores two
tickets from those words (pure), `detect` decides what a new ticket is to the
open tickets the store offers as candidates: the same mail again from the same
sender (a repeat), a possible duplicate of #N, or nothing. The store side
(`postdesk.store.duplicate_index`) keeps each ticket's terms so candidates are
found by index, not by scanning the open tickets.
"""
