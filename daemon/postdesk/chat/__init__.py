"""Chat as a channel beside mail (issue 20): what the chat edges and the domain share.

Pure data and typing only, no I/O and no platform SDK:

- `model`: a chat event as an edge hands it in (`ChatEvent`, its author
  `ChatUser`, its files), and a post the desk wants in a thread (`ChatPost`).
- `platform`: the shape of an edge (`ChatPlatform`) and of the intake it hands
  events to (`ChatIntake`), so Slack, Teams and Matrix plug into one core.

The edges live in `postdesk.channels.slack`, `.teams` and `.matrix` (the
`postdesk[chat]` extra); each turns its platform's events into `ChatEvent`s,
resolves the author to a `ChatUser` by the platform's verified account email,
hands the event to the intake (which commits it durably) and only then acks it
to the platform. Outgoing posts come from the outbox, one row per post, and
the edge returns the platform's id of the message so a retry never posts twice.
"""
