"""One-line errors: what a user did wrong, said in one line with the fix, and nothing else.

The CLI prints them as ``hpsearch: error: <line>`` and exits with code 2; the library raises them (or a
plain ValueError with one line) before anything is written. :func:`first_line` is the one way to shorten
another library's exception (a JSON error, a driver's message) to a line.
"""

from __future__ import annotations

__all__ = ["MissingStorage", "StorageError", "UsageError", "first_line"]


class UsageError(Exception):
    """Bad arguments on the command line: reported as one line, exit code 2."""


class StorageError(ValueError):
    """A storage cannot be used (unreachable database, not a journal, corrupt journal); one line, no password."""


class MissingStorage(StorageError):
    """A read-only command was pointed at a storage that does not exist (nothing was created)."""


def first_line(exc: BaseException, *, width: int = 200) -> str:
    """The first non-empty line of ``exc``'s message (at most ``width`` characters), or its type's name."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0][:width] if lines else type(exc).__name__
