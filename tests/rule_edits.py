"""An admin's edits of rules/automation.yaml, for tests of the rules in force in workers."""

from __future__ import annotations

#: The admin's own rule: a ticket it tags was handled by this desk's rules, not the shipped ones.
OWN_RULE = """
  - name: tag-every-new-ticket
    on: ticket.created
    then:
      - add_tag: desk-rules
"""
#: A rule name that opens a list and never closes it.
BROKEN = "  - name: [this is not yaml\n"
