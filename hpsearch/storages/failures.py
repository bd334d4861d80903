"""What went wrong outside hpsearch's control, in one line: a storage lost mid-command, a disk full or read-only.

The CLI prints :func:`describe` of such an exception instead of a traceback (exit code 1: not a bad input).
Finished trials are never lost by these failures (each trial's result is one storage write), so the line says
how to resume. Passwords never appear: the storage's own text is scrubbed of every URL secret.
"""

from __future__ import annotations

import errno

import optuna
from sqlalchemy.exc import SQLAlchemyError

from hpsearch.errors import first_line
from hpsearch.storages.urls import scrub

__all__ = ["ENVIRONMENT_ERRORS", "describe"]

# exceptions that say the machine or the database failed, not hpsearch nor its input
ENVIRONMENT_ERRORS: tuple[type[BaseException], ...] = (OSError, optuna.exceptions.StorageInternalError, SQLAlchemyError)
_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
_READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)


def _root(exc: BaseException) -> BaseException:
    """The innermost cause: the driver's error under SQLAlchemy's, SQLAlchemy's under Optuna's."""
    seen = {id(exc)}
    while True:
        inner = getattr(exc, "orig", None) or exc.__cause__
        if inner is None or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner


def describe(exc: BaseException, url: str | None = None) -> str:
    """One line for an exception of ``ENVIRONMENT_ERRORS``: what failed and what to do (``url``: the storage,
    whose secrets are scrubbed from the database's message)."""
    root = exc if isinstance(exc, OSError) else _root(exc)
    if isinstance(root, OSError) and not isinstance(exc, SQLAlchemyError | optuna.exceptions.StorageInternalError):
        where = f" {root.filename}" if root.filename else ""
        if root.errno in _FULL:
            return (f"cannot write{where} ({root.strerror}): the disk is full; free some space and run the same "
                    "command again (finished trials are kept)")
        if root.errno in _READ_ONLY:
            return (f"cannot write{where} ({root.strerror}): the folder is read-only; give a writable --out or "
                    "--storage, or change its permissions")
        return f"cannot use{where} ({root.strerror or first_line(root)})"
    detail = first_line(root) if url is None else scrub(first_line(root), url)
    return (f"the database failed during the command ({detail}); finished trials are kept: when the server "
            "answers again, run the same command to resume")
