"""safefiles: writing files whole, never through a symbolic link: the one atomic writer of hpsearch and reports.

A bottom package of the standard library only, so both ``hpsearch`` and ``reports`` (which may not import
hpsearch) write their study folders, exports, pages and figures the same way.

Every file is written whole to a temporary file beside its target, then renamed over the target
(``os.replace``): a symbolic link found in the target's place is replaced by the new file, never written
through, and a reader (or a crash, or a full disk) never leaves half a file under the target's name. A
folder a package names itself (``export/`` in a study folder, ``figures/`` beside a page) that turns out to
be a symbolic link is replaced by a real folder (the link is removed, its target left alone), so removing
stale files there never deletes anything in a linked folder. Folders the user names (``--out``,
``out_dir``) are used as given.

Before a command writes anything, :func:`check_folder` and :func:`check_file_place` refuse, with one line, an
output folder or a journal path that cannot hold files: a regular file, a device such as ``/dev/null``, a
folder of ``/proc``, a read-only place, a name too long for the file system.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["check_file_place", "check_folder", "own_dir", "write_file"]

log = logging.getLogger(__name__)


def own_dir(path: str | Path) -> Path:
    """Make ``path`` a real folder: a symbolic link in its place is removed (its target untouched)."""
    path = Path(path)
    if path.is_symlink():
        log.warning("%s was a symbolic link (to %s); replaced by a real folder, its target left alone", path,
                    os.readlink(path))
        path.unlink()
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_file(path: str | Path, content: str | bytes | Callable[[Path], None]) -> Path:
    """Write ``content`` (text as UTF-8, bytes, or a function writing to the path it is given) as ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)  # 0o666: the umask applies
    try:
        with os.fdopen(fd, "wb") as fh:
            if not callable(content):
                fh.write(content.encode("utf-8") if isinstance(content, str) else content)
        if callable(content):
            content(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _show(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 80 else text[:77] + "..."


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def check_folder(path: str | Path, what: str) -> Path:
    """Make sure ``path`` is a folder files can be created in (or can be made where files can be created); a
    one-line ValueError otherwise. Creates nothing, leaves nothing behind."""
    path = Path(path)
    try:
        if path.exists() and not path.is_dir():
            raise ValueError(f"{what} {_show(path)} is not a folder; give a folder (or a path where one can be made)")
        # try the folder, or the nearest one that exists (nothing is created: concurrent launchers may be
        # making the same folders, and a write that fails later must not leave empty ones behind)
        existing = next(p for p in (path, *path.parents) if p.exists())
        if not existing.is_dir():
            raise ValueError(f"{what} {_show(path)} is under {_show(existing)}, which is not a folder; give a folder")
        with tempfile.TemporaryFile(dir=existing):
            pass
        if len(path.name) > 255 or any(len(part) > 255 for part in path.parts):
            raise OSError(36, "File name too long")
    except OSError as exc:
        reason = _reason(exc)
        raise ValueError(f"{what} {_show(path)} cannot hold files ({reason}); give a folder you can write to") from None
    return path


def check_file_place(path: str | Path, what: str) -> Path:
    """``path`` must be a regular file or not exist yet, in a folder files can be created in."""
    path = Path(path)
    try:
        if path.exists() and not path.is_file():
            kind = "a folder" if path.is_dir() else "not a regular file"
            raise ValueError(f"{what} {_show(path)} is {kind}; give the path of a file")
    except OSError as exc:
        raise ValueError(f"{what} {_show(path)} cannot be used ({_reason(exc)}); give another path") from None
    check_folder(path.parent, f"the folder of the {what}")
    return path
