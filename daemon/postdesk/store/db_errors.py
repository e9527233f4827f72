"""The database's errors, for the code that maps them to outcomes without the driver.

Only the store imports peewee; the worker (which retries or fails a mail by
what went wrong) and the domain catch these names from here.
"""

from __future__ import annotations

from peewee import DoesNotExist, IntegrityError, InterfaceError, OperationalError

#: The database is locked, away or the connection broke: the work is to be tried again.
UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

__all__ = ["UNAVAILABLE", "DoesNotExist", "IntegrityError", "InterfaceError", "OperationalError"]
