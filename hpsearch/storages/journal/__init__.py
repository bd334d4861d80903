"""The journal file: opening it safely, and repairing a last record cut mid-write.

Every journal is opened by its absolute path, with :func:`hpsearch.storages.locks.file_lock` as its write lock (the
kernel releases it when a writer dies, so a killed writer never blocks the others). Each time a process takes
the lock it first looks at the journal's last byte: when it is not an end of line, the last writer died in the
middle of its append, and the cut record is dropped (with a warning) before anything is appended after it.
While it holds that lock it also holds Optuna's symlink lock (``journal.log.lock``, the lock of older
hpsearch versions and of Optuna's default journal backend), so such a writer waits for it; a journal whose
symlink lock such a writer holds is refused in one line. A journal that is a symlink to a file outside its
folder is refused too (hpsearch never writes through such a link).

Damage is a one-line :class:`StorageError`, and the file is left untouched: a path that is a folder or a
symlink loop, a file that is not a journal, a record in its middle that is not one, a record of a type this
Optuna does not know (a newer Optuna wrote it), a record written twice (a trial would run twice). A tail of
zero bytes (a machine crash before the data reached the disk) is dropped with a warning naming it.

A module per concept: :mod:`.files` (opening a journal, refusing what is not one, removing what a failed
creation left), :mod:`.records` (its records: unknown or repeated ones, a last line cut mid-write) and
:mod:`.lock` (the write lock, the other lock kind excluded, the repair under the lock).
"""

from hpsearch.errors import StorageError
from hpsearch.storages.journal.files import discard_unwritten, new_paths, open_journal
from hpsearch.storages.journal.lock import SYMLINK_LOCK, repair_journal

__all__ = ["SYMLINK_LOCK", "StorageError", "discard_unwritten", "new_paths", "open_journal", "repair_journal"]
