"""argparse with one-line errors: what was wrong, the closest known option for a typo, and exit code 2.

argparse's own ``error`` prints the whole usage block before its message; a user who typed ``--quik`` needs
one line: ``prog: error: unrecognized arguments: --quik (did you mean --quick?)``. The study scripts use
:class:`OneLineParser` directly; the ``hpsearch`` command line raises the same line as a UsageError.
"""

from __future__ import annotations

import argparse
import difflib
import re

__all__ = ["OneLineParser", "explain"]

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
