"""The ``hpsearch`` command line: a thin layer that parses, calls the library and prints.

- :mod:`~hpsearch.cli.parser`: every command, option and help text;
- :mod:`~hpsearch.cli.targets`: which study a command means (RUN_DIR, --study, --storage), resolved once;
- :mod:`~hpsearch.cli.commands`: run, worker, status, ls, export, report, and :func:`main`;
- :mod:`~hpsearch.cli.compare`: ``hpsearch compare``, several studies on one page;
- :mod:`~hpsearch.cli.listing`: what a storage holds, one summary per study (``hpsearch ls``).
"""

from hpsearch.cli.commands import main

__all__ = ["main"]
