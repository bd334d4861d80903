"""Writing report files without following symbolic links (reports may not import hpsearch, which has the
same rule in ``hpsearch.files``).

A page, a figure or an export table is written whole to a temporary file beside its target and renamed over
it: a symbolic link in the target's place is replaced by the new file, never written through. The
``figures/`` folder of a page is the report's own: a symbolic link there is replaced by a real folder, so
removing stale PNGs never deletes anything in a linked folder.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path

__all__ = ["own_dir", "write_file"]

log = logging.getLogger(__name__)


def own_dir(path: str | Path) -> Path:
    """``path`` as a real folder (created); a symbolic link in its place is removed, its target untouched."""
    path = Path(path)
    if path.is_symlink():
        log.warning("%s was a symbolic link to %s; replaced by a real folder", path, os.readlink(path))
        path.unlink()
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_file(path: str | Path, content: str | bytes | Callable[[Path], None]) -> Path:
    """Write ``content`` (UTF-8 text, bytes, or a function that writes the path it gets) as ``path``."""
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
