"""One-line errors: what a user did wrong, said in one line with the fix, and nothing else.

The CLI prints them as ``hpsearch: error: <line>`` and exits with code 2; the library raises them (or a
plain ValueError with one line) before anything is written. :func:`first_line` is the one way to shorten
another library's exception (a JSON error, a driver's message) to a line.
"""

from __future__ import annotations

import argparse
import difflib
import re

__all__ = ["MissingStorage", "OneLineParser", "StorageError", "UsageError", "explain", "first_line"]


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


# argparse with one-line errors: the closest known option for a typo, exit code 2 (the CLI and every script)
_OPTION = re.compile(r"(?<!\S)(--?[A-Za-z][\w-]*)")


def _options(parser: argparse.ArgumentParser) -> list[str]:
    """Every option string of ``parser`` and of its sub-commands (a typo may belong to either)."""
    found: list[str] = []
    for action in parser._actions:
        found.extend(s for s in action.option_strings if s.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend(o for o in _options(sub) if o not in found)
    return found


def explain(parser: argparse.ArgumentParser, message: str) -> str:
    """``message`` on one line, with the closest option for each unknown one it names."""
    line = " ".join(message.split())
    if "unrecognized arguments" not in line and "ambiguous option" not in line:
        return line
    known = _options(parser)
    unknown = [w for w in _OPTION.findall(line.split(":", 1)[-1]) if w not in known]
    hints = []
    for word in unknown:
        close = difflib.get_close_matches(word.split("=")[0], known, n=1, cutoff=0.6)
        if close:
            hints.append(f"did you mean {close[0]}?" if len(unknown) == 1 else f"{word}: did you mean {close[0]}?")
    if not hints:
        hints.append(f"see {parser.prog} --help")
    return f"{line} ({'; '.join(hints)})"


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (with the closest option) and exit with code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {explain(self, message)}\n")
