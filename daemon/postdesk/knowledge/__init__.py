"""The knowledge base: articles an admin writes in `kb/`, searched to answer before a human.

Pure: articles and their index are plain data built from the files' texts; the
desk loads them live (`postdesk.config.live_specs.knowledge`) and the domain
asks `suggest` for the acknowledgment.
"""
