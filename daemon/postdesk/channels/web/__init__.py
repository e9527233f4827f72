"""The customer's ticket page: an edge like email, served by `postdesk serve` when
`[web] listen` is set (aiohttp, the `postdesk[web]` extra).

A mail to a customer carries a signed link (`postdesk.mail.page_token`). Opening
it trades the token for a session cookie scoped to that ticket's path and
redirects to a URL without the token, so it leaves no trace in history or logs
of later requests. The page shows the public thread only; a reply from it is
stored as an inbound message like a mail before the page says "sent". GET never
changes anything; every POST carries a CSRF token tied to the session.
`/csat/` is reserved for the satisfaction survey's confirmation pages.
"""
