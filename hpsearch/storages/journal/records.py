"""A journal's records: a read-only scan for records this Optuna does not know or that were written twice, and
the cut of a last line left without its end of line by a writer that died mid-append."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from hpsearch.errors import StorageError

log = logging.getLogger(__name__)

_JOURNAL_HEAD = b'{"op_code":'  # how every record of an Optuna journal file starts
_CREATE_TRIAL = b'{"op_code":4,'


def _check_records(path: Path) -> None:
    """Refuse record types Optuna does not know and CREATE_TRIAL records written twice (read-only scan)."""
    from optuna.storages.journal._storage import JournalOperation

    known = {int(op) for op in JournalOperation}
    seen: dict[bytes, int] = {}
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.endswith(b"\n"):
                break
            if line.startswith(_CREATE_TRIAL):
                digest = hashlib.blake2b(line, digest_size=16).digest()
                if digest in seen:
                    raise StorageError(
                        f"journal {path} is corrupt (line {number} repeats line {seen[digest]}: a trial would "
                        "run twice); restore it from a backup, or run the study under another name"
                    )
                seen[digest] = number
            elif line.startswith(_JOURNAL_HEAD):
                head = line[len(_JOURNAL_HEAD):len(_JOURNAL_HEAD) + 12].split(b",", 1)[0]
                if head.strip().isdigit() and int(head) not in known:
                    raise StorageError(
                        f"journal {path} has a record of unknown type (op_code {int(head)}, line {number}), "
                        "written by a newer Optuna? upgrade optuna, or run the study under another name"
                    )


def _tail_start(fh, size: int) -> int:
    """Offset just after the last newline of the open file (0 if it has none)."""
    pos, chunk = size, 1 << 16
    while pos > 0:
        start = max(0, pos - chunk)
        fh.seek(start)
        block = fh.read(pos - start)
        cut = block.rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        pos = start
    return 0


def _cut_tail(path: Path) -> int:
    """Drop (or complete) a last line without end of line; the caller holds the lock. Bytes dropped."""
    with open(path, "r+b") as fh:
        size = fh.seek(0, os.SEEK_END)
        start = _tail_start(fh, size)
        fh.seek(start)
        tail = fh.read()
        if not tail:
            return 0
        zeros = not tail.strip(b"\0")
        if not zeros and not tail.startswith(_JOURNAL_HEAD[: len(tail)]):
            raise StorageError(f"{path} is not an Optuna journal file; check --storage (nothing was changed)")
        try:
            whole = not zeros and isinstance(json.loads(tail), dict)
        except ValueError:
            whole = False
        if whole:  # the record is complete, only its newline is missing: keep it
            fh.write(b"\n")
        else:
            fh.truncate(start)
        fh.flush()
        os.fsync(fh.fileno())
    if whole:
        log.warning("journal %s: its last record had no end of line; completed it (nothing lost)", path)
        return 0
    if zeros:
        log.warning(
            "journal %s: it ended with %d zero byte(s) (the machine stopped before the data reached the disk); "
            "dropped them: the records written just before may be missing and will run again", path, len(tail),
        )
    else:
        log.warning(
            "journal %s: its last record was cut mid-write (a writer died during its append); dropped those %d "
            "byte(s), every earlier record is intact", path, len(tail),
        )
    return len(tail)
