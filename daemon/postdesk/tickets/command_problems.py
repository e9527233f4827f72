"""What can be wrong with an agent's command line, in words the agent reads.

The command parser (`commands`, `command_values`) stores one of these keys
plus its parameters with each problem; the `command_error` mail translates
the msgid into the agent's language and fills in the parameters.
"""

from __future__ import annotations

from postdesk.notify.i18n import N_

#: Problems an agent command can have, as msgids with %(name)s parameters.
COMMAND_PROBLEMS: dict[str, str] = {
    "unknown_command": N_("unknown command; see the list of commands below"),
    "missing_value": N_("this command needs a value"),
    "unknown_status": N_("unknown status '%(value)s'; known statuses: %(known)s"),
    "unknown_priority": N_("unknown priority '%(value)s'; known priorities: %(known)s"),
    "unknown_assignee": N_("no agent or team called '%(value)s'"),
    "unknown_ticket": N_("there is no ticket #%(value)s"),
    "unknown_language": N_("this desk does not write in '%(value)s'; available: %(known)s"),
    "unknown_request_type": N_("unknown request type '%(value)s'; known: %(known)s"),
    "invalid_tag": N_("'%(value)s' is not a valid tag (letters, digits, _ . -)"),
    "invalid_language": N_("'%(value)s' is not a language code like en, pl or pt_BR"),
    "unexpected_value": N_("this command takes no value, but '%(value)s' was given"),
    "conflicting_command": N_("this contradicts the earlier line '%(first)s'"),
    "command_not_at_top": N_("commands go at the top of the reply, before any other text; "
                             "move '%(command)s' up"),
    "same_ticket": N_("a ticket cannot be linked to itself (#%(value)s)"),
    "unknown_queue": N_("unknown queue '%(value)s'; known queues: %(known)s"),
    "unknown_reply": N_("no canned reply '%(value)s'; known replies: %(known)s"),
    "unknown_article": N_("no knowledge-base article '%(value)s' (see postdesk kb list)"),
    "internal_article": N_("the knowledge-base article '%(value)s' is internal and cannot "
                           "go to a customer"),
    "broken_reply": N_("the canned reply '%(value)s' cannot be used: %(error)s"),
}
