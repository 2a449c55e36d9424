"""Owns writing files: each is written whole to a temporary file beside it, then renamed into place,
so an interrupted or failed write (a full disk) leaves the old file as it was."""
from __future__ import annotations

import errno
import os
import tempfile
from contextlib import suppress
from pathlib import Path

# the errors that say the disk (or the user's quota) is full
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write `data` (text is written as UTF-8) to `path` all at once: the file holds either its old
    content or all of `data`, never a part. A new file gets the permissions the umask gives; a
    replaced one keeps its own. Raises OSError as the failing call does (see `is_disk_full`)."""
    target = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_umask()
    handle, \
        temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def is_disk_full(exc: OSError) -> bool:
    """Whether a write failed because the disk (or the quota) is full."""
    return exc.errno in DISK_FULL


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
