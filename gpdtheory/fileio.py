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

Every file written here gets the mode of a plain ``open(path, "w")``: ``0o666`` less the
process umask (``0o644`` under the usual umask ``022``), not the ``0o600`` of ``mkstemp``.
:func:`check_writable_target` tells, before any work, whether an output path can be
written at all, so a long computation is not lost to a typo in the output path.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from .errors import InvalidArgumentError, ReportExistsError

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_write_json", "rename_noreplace",
           "check_writable_target", "file_mode", "folder_mode"]

#: errno values of ``link(2)`` on a filesystem that has no hard links (FAT, some network
#: and FUSE filesystems); anything else is a real failure and propagates.
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS}


#: Characters of the target's name kept in a temporary name: ``.{name}.XXXXXXXX.tmp`` would
#: exceed the filesystem's name limit for a target name near it, and fail only at the end.
_TMP_NAME_CHARS = 40


def _tmp_prefix(name: str) -> str:
    return f".{name[:_TMP_NAME_CHARS]}."


def _umask() -> int:
    """The process umask, read without changing it where the platform allows."""
    # os.umask can only be read by setting it; another thread creating a file in between
    # would get the wrong mode, so Linux's /proc/self/status (kernel 4.7+) comes first
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Mode of a new output file: ``0o666`` less the umask, as a plain ``open`` gives."""
    return 0o666 & ~_umask()


def folder_mode() -> int:
    """Mode of a new output folder: ``0o777`` less the umask, as ``os.mkdir`` gives."""
    return 0o777 & ~_umask()


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


def atomic_write_bytes(path: Any, data: bytes, *, overwrite: bool = False,
                       parents: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically, with the mode of a plain ``open`` (see above).

    Parameters
    ----------
    path : str or Path
        The target file.
    data : bytes
        The exact content.
    overwrite : bool
        Replace an existing file (``os.replace``); by default an existing file is
        refused, atomically (``os.link``), even if it appears while writing.
    parents : bool
        Create missing parent folders (the default, for checkpoints and records); with
        False a missing parent folder is refused.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ReportExistsError
        ``path`` exists and ``overwrite`` is False (also a ``FileExistsError``).
    InvalidArgumentError
        ``path`` is not a path, ``data`` is not bytes, ``overwrite`` is False on a
        filesystem without hard links, or ``parents`` is False and the parent is missing.
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
    if parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    elif not target.parent.is_dir():
        raise InvalidArgumentError("path", str(path), f"its parent folder {target.parent} does "
                                   "not exist", "create it first, or pass parents=True")
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(target.name), suffix=".tmp",
                               dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0o600; an output is for reading like any file the user writes
        os.chmod(tmp, file_mode())
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


def atomic_write_text(path: Any, text: str, *, overwrite: bool = False,
                      parents: bool = True) -> Path:
    """:func:`atomic_write_bytes` of ``text`` encoded as UTF-8 (no newline translation)."""
    if not isinstance(text, str):
        raise InvalidArgumentError("text", type(text).__name__, "is not a str",
                                   "pass text, or bytes to atomic_write_bytes")
    return atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite, parents=parents)


def atomic_write_json(path: Any, document: Any, *, overwrite: bool = False,
                      parents: bool = True) -> Path:
    """:func:`atomic_write_text` of strict JSON (sorted keys, indent 1, no NaN or inf).

    Raises
    ------
    ValueError
        ``document`` holds a NaN or an infinity (JSON has none; encode them first).
    """
    text = json.dumps(document, indent=1, sort_keys=True, allow_nan=False)
    return atomic_write_text(path, text, overwrite=overwrite, parents=parents)


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


def _name_max(folder: Path) -> int:
    """The longest file name (bytes) the filesystem holding ``folder`` accepts."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # Windows has no pathconf
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    return 255


def _path_max(folder: Path) -> int:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return int(os.pathconf(folder, "PC_PATH_MAX"))
    return 4096


def _why(exc: OSError) -> str:
    if exc.errno == errno.EROFS:
        return "is on a read-only filesystem"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "does not let this user create files (permission denied)"
    return f"refuses new files ({exc.strerror or exc})"


def check_writable_target(path: Any, option: str, *, parents: bool = False,
                          exists_ok: bool = False, kind: str = "file") -> Path:
    """Refuse, before any work, an output path that could not be written at the end.

    The checks are those a write at the end would fail on: the path is a non-empty
    string; no name in it is longer than the filesystem allows (``PC_NAME_MAX``) and the
    whole is shorter than ``PC_PATH_MAX``; the parent is a folder (not a file), exists
    (unless ``parents``: then the nearest existing folder above it is checked), and
    accepts a new file, which is tried by creating and removing a temporary one (permission
    bits alone say nothing to root, nor about read-only or virtual filesystems such as
    ``/proc``); the target does not exist, or, with ``exists_ok``, is a file that can be
    appended to.

    Parameters
    ----------
    path : str or Path
        The output path as the user gave it.
    option : str
        Its name in messages, e.g. ``"--json"``.
    parents : bool
        Missing parent folders will be created by the writer (``--parents``).
    exists_ok : bool
        An existing file is appended to (a journal), not refused.
    kind : {"file", "folder"}
        What ``path`` names, for the messages.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InvalidArgumentError
        Naming ``option``, the value, what is wrong and the fix, in one line.
    """
    def refuse(problem: str, fix: str) -> InvalidArgumentError:
        return InvalidArgumentError(option, path, problem, fix)

    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise refuse("is not a path", f"pass a path to a new {kind}")
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text.strip():
        raise refuse("is empty, so no output would be written",
                     f"pass a path to a new {kind}, or leave {option} out")
    if "\0" in text:
        raise refuse("contains a NUL character", "remove it from the path")
    target = Path(text)
    if target.name in ("", ".", ".."):
        raise refuse(f"names no new {kind} (it is a root, '.' or '..')",
                     f"name the new {kind} inside that folder")
    # the nearest existing folder above the target; every missing level is listed
    missing: list[str] = []
    above = target.parent
    while True:
        try:
            st = os.stat(above)
            break
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG):
                why = ("permission denied" if exc.errno in (errno.EACCES, errno.EPERM)
                       else exc.strerror or str(exc))
                raise refuse(f"cannot be reached ({why} at {above})",
                             "choose a folder this user can enter") from None
            # a missing level, one below a file, or a name too long to look up (measured
            # below): climb to what does exist
            if above == above.parent:
                raise refuse("has no existing folder above it", "pass an absolute path") from None
            missing.append(above.name)
            above = above.parent
    if not stat.S_ISDIR(st.st_mode):
        raise refuse(f"{above} is a file, not a folder, so nothing can be created inside it",
                     "choose a path inside a folder, not inside that file")
    limit = _name_max(above)
    for name in [*reversed(missing), target.name]:
        size = len(os.fsencode(name))
        if size > limit:
            shown = name if len(name) <= 24 else name[:21] + "..."
            raise refuse(f"the name {shown!r} is {size} bytes, longer than the {limit} the "
                         f"filesystem at {os.path.abspath(above)} allows",
                         f"choose a name of at most {limit} "
                         "bytes")
    if len(os.fsencode(os.path.abspath(text))) >= _path_max(above):
        raise refuse(f"is longer than the {_path_max(above)} bytes the filesystem allows",
                     "choose a shorter path")
    if missing and not parents:
        raise refuse(f"its parent folder {target.parent} does not exist",
                     "create it first, or pass --parents to create it")
    if not missing:
        try:
            st = os.lstat(target)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise refuse(f"cannot be checked ({exc.strerror or exc})", "check the path") from None
        if st is not None:
            if not exists_ok:
                raise refuse("exists; results are never overwritten",
                             "choose a new path or remove the old one")
            if stat.S_ISDIR(st.st_mode):
                raise refuse("is a folder, not a file", "name a file")
            try:
                os.close(os.open(target, os.O_WRONLY | os.O_APPEND))
            except OSError as exc:
                raise refuse(f"cannot be appended to ({exc.strerror or exc})",
                             "choose a file this user can write, or a new path") from None
            return target
    try:
        fd, probe = tempfile.mkstemp(prefix=".gpdtheory-probe.", suffix=".tmp", dir=above)
    except OSError as exc:
        where = "its folder" if not missing else "the folder above it,"
        raise refuse(f"{where} {above} {_why(exc)}",
                     "choose a folder this user can write to") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return target
