"""Atomic file writes: a file is either entirely the new content or untouched, never torn.

Every writer of results and checkpoints in gpdtheory and ``checks`` goes through this
module. The content goes to a temporary file in the target's folder (same filesystem,
so the final step is a rename, not a copy), is flushed and ``fsync``-ed, and then

- replaces the target with ``os.replace`` when overwriting is allowed (checkpoints, whose
  newer state supersedes the older), or
- is hard-linked to the target name with ``os.link``, which fails if the name exists,
  when it is not (results, which are never overwritten): the refusal is atomic, so two
  writers racing for one name cannot both succeed, and no existence check can go stale.

The folder is ``fsync``-ed after the rename where the platform allows it, so the new
name survives a power cut. :func:`rename_noreplace` moves a finished folder (a report)
into place under the same rule.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import InvalidArgumentError, ReportExistsError

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_write_json", "rename_noreplace"]

#: errno values of ``link(2)`` on a filesystem that has no hard links (FAT, some network
#: and FUSE filesystems); anything else is a real failure and propagates.
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS}


def _exists_error(path: Path) -> ReportExistsError:
    return ReportExistsError(f"{path} exists; results are never overwritten. "
                             "Fix: choose a new path or remove the old one.")


def _fsync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable; a no-op where folders cannot be opened."""
    # Windows cannot open a folder for fsync, and some filesystems refuse it: the rename
    # itself is still atomic there, only its durability across a power cut is weaker.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _as_path(path: Any) -> Path:
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise InvalidArgumentError("path", path, "is not a path", "pass a str or pathlib.Path")
    p = Path(path)
    if p.name in ("", ".", ".."):
        raise InvalidArgumentError("path", path, "names no file", "pass a path to a file")
    return p


def _link_noreplace(tmp: str, path: Path) -> None:
    """Give the finished temporary file the name ``path``, failing if the name exists."""
    try:
        os.link(tmp, path)
    except FileExistsError as exc:
        raise _exists_error(path) from exc
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        raise InvalidArgumentError(
            "path", str(path), "is on a filesystem without hard links, where a file cannot be "
            "created atomically without the risk of overwriting another writer's result",
            "write to a local filesystem (ext4, APFS, NTFS, tmpfs) and copy the file "
            "afterwards") from exc


def atomic_write_bytes(path: Any, data: bytes, *, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically, creating the parent folders.

    Parameters
    ----------
    path : str or Path
        The target file.
    data : bytes
        The exact content.
    overwrite : bool
        Replace an existing file (``os.replace``); by default an existing file is
        refused, atomically (``os.link``), even if it appears while writing.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ReportExistsError
        ``path`` exists and ``overwrite`` is False (also a ``FileExistsError``).
    InvalidArgumentError
        ``path`` is not a path, ``data`` is not bytes, or ``overwrite`` is False on a
        filesystem without hard links.
    OSError
        The write itself failed (disk full, permissions); the target is untouched and
        the temporary file is removed.
    """
    target = _as_path(path)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidArgumentError("data", type(data).__name__, "is not bytes",
                                   "pass bytes (encode text first, or use atomic_write_text)")
    if not isinstance(overwrite, bool):
        raise InvalidArgumentError("overwrite", overwrite, "is not a bool", "pass True or False")
    if not overwrite and target.exists():  # fail early, before any work; the link re-checks
        raise _exists_error(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            _link_noreplace(tmp, target)
    finally:
        # after os.replace the temporary name is gone; after os.link (or any failure) it
        # is a second name that must not stay behind
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _fsync_folder(target.parent)
    return target


def atomic_write_text(path: Any, text: str, *, overwrite: bool = False) -> Path:
    """:func:`atomic_write_bytes` of ``text`` encoded as UTF-8 (no newline translation)."""
    if not isinstance(text, str):
        raise InvalidArgumentError("text", type(text).__name__, "is not a str",
                                   "pass text, or bytes to atomic_write_bytes")
    return atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def atomic_write_json(path: Any, document: Any, *, overwrite: bool = False) -> Path:
    """:func:`atomic_write_text` of strict JSON (sorted keys, indent 1, no NaN or inf).

    Raises
    ------
    ValueError
        ``document`` holds a NaN or an infinity (JSON has none; encode them first).
    """
    text = json.dumps(document, indent=1, sort_keys=True, allow_nan=False)
    return atomic_write_text(path, text, overwrite=overwrite)


def rename_noreplace(src: Any, dst: Any) -> None:
    """Move the file or folder ``src`` to ``dst`` in one step, refusing an existing ``dst``.

    A file is hard-linked to ``dst`` (which fails if ``dst`` exists), then its old name is
    removed. A folder cannot be hard-linked: ``dst`` is first claimed with ``os.mkdir``
    (which fails if anything, even an empty folder, has the name), then ``src`` replaces
    that empty claim with ``os.rename``. For that instant ``dst`` is an empty folder; it
    never holds part of ``src``.

    Raises
    ------
    ReportExistsError
        ``dst`` exists (also a ``FileExistsError``, hence an ``OSError``).
    """
    src, dst = Path(src), _as_path(dst)
    if not src.is_dir():
        _link_noreplace(os.fspath(src), dst)
        os.unlink(src)
        _fsync_folder(dst.parent)
        return
    try:
        os.mkdir(dst)
    except FileExistsError as exc:
        raise _exists_error(dst) from exc
    try:
        os.rename(src, dst)
    except BaseException:
        # a name we claimed and could not fill goes; one another process filled in the
        # meantime is not ours to remove (rmdir refuses a non-empty folder)
        with contextlib.suppress(OSError):
            os.rmdir(dst)
        raise
    _fsync_folder(dst.parent)
