"""IMAP intake tests against a private Dovecot."""
