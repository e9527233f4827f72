"""The database's errors, for the code that maps them to outcomes without the driver.

Only the store imports peewee; the worker (which retries or fails a mail by
what went wrong) and the domain catch these names from here.
"""

from __future__ import annotations

from peewee import DoesNotExist, IntegrityError, InterfaceError, OperationalError

#: The database is locked, away or the connection broke: the work is to be tried again.
UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

#: PostgreSQL's SQLSTATEs for a transaction that lost to another one (deadlock_detected,
#: serialization_failure): the server rolled it back, and running it again is the cure.
_CONFLICT_STATES = frozenset({"40P01", "40001"})


def is_transaction_conflict(exc: BaseException) -> bool:
    """True when the database rolled the transaction back because of another one (a
    deadlock or a serialization failure) rather than because it is away or locked."""
    original = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) \
        else exc.__context__
    return getattr(original, "sqlstate", None) in _CONFLICT_STATES

__all__ = ["UNAVAILABLE", "DoesNotExist", "IntegrityError", "InterfaceError", "OperationalError",
           "is_transaction_conflict"]
