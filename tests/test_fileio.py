"""Atomic writes (gpdtheory.fileio): exact content, atomic refusal, nothing left behind."""

from __future__ import annotations

import errno
import json
import os
import threading

import pytest

from gpdtheory.errors import InvalidArgumentError, ReportExistsError
from gpdtheory.fileio import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    rename_noreplace,
)


def test_content_is_exact(tmp_path):
    data = bytes(range(256)) * 7 + b"\r\n\x00"
    p = atomic_write_bytes(tmp_path / "sub" / "f.bin", data)
    assert p.read_bytes() == data and sorted(os.listdir(tmp_path / "sub")) == ["f.bin"]
    atomic_write_text(tmp_path / "t.txt", "a\r\nb\u00e9\n")
    assert (tmp_path / "t.txt").read_bytes() == "a\r\nb\u00e9\n".encode()
    atomic_write_json(tmp_path / "j.json", {"b": [1, 2.5], "a": None})
    assert json.loads((tmp_path / "j.json").read_text()) == {"a": None, "b": [1, 2.5]}


def test_existing_file_refused_and_kept(tmp_path):
    p = tmp_path / "r.json"
    atomic_write_text(p, "old")
    with pytest.raises(ReportExistsError, match=r"r\.json exists.*Fix:"):
        atomic_write_text(p, "new")
    assert p.read_text() == "old" and os.listdir(tmp_path) == ["r.json"]


def test_overwrite_replaces(tmp_path):
    p = tmp_path / "c.bin"
    atomic_write_bytes(p, b"old")
    atomic_write_bytes(p, b"newer", overwrite=True)
    assert p.read_bytes() == b"newer" and os.listdir(tmp_path) == ["c.bin"]


def test_file_appearing_while_writing_is_refused(tmp_path, monkeypatch):
    """The refusal is the link itself, not the early existence check."""
    p = tmp_path / "r.json"
    real_fsync = os.fsync

    def fsync_then_race(fd):
        real_fsync(fd)
        if not p.exists():
            p.write_text("theirs")

    monkeypatch.setattr(os, "fsync", fsync_then_race)
    with pytest.raises(ReportExistsError):
        atomic_write_text(p, "ours")
    assert p.read_text() == "theirs" and os.listdir(tmp_path) == ["r.json"]


def test_concurrent_writers_exactly_one_wins(tmp_path):
    p = tmp_path / "r.txt"
    barrier = threading.Barrier(8)
    outcomes = []

    def writer(i):
        barrier.wait()
        try:
            atomic_write_text(p, f"writer {i}\n" * 1000)
            outcomes.append(("won", i))
        except ReportExistsError:
            outcomes.append(("refused", i))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for kind, i in outcomes if kind == "won"]
    assert len(outcomes) == 8 and len(winners) == 1
    assert p.read_text() == f"writer {winners[0]}\n" * 1000
    assert os.listdir(tmp_path) == ["r.txt"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_failure_removes_temporary_and_keeps_target(tmp_path, monkeypatch, overwrite):
    p = tmp_path / "r.bin"
    if overwrite:
        atomic_write_bytes(p, b"old")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(p, b"new", overwrite=overwrite)
    assert os.listdir(tmp_path) == (["r.bin"] if overwrite else [])
    if overwrite:
        assert p.read_bytes() == b"old"


def test_filesystem_without_hard_links_gives_a_clear_error(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    with pytest.raises(InvalidArgumentError, match="without hard links.*Fix:"):
        atomic_write_text(tmp_path / "r.txt", "x")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("bad", [None, 3, True, ""])
def test_bad_path_refused(bad):
    with pytest.raises(InvalidArgumentError, match="path"):
        atomic_write_bytes(bad, b"x")


def test_bad_data_refused(tmp_path):
    with pytest.raises(InvalidArgumentError, match="data"):
        atomic_write_bytes(tmp_path / "x", "text")
    with pytest.raises(InvalidArgumentError, match="text"):
        atomic_write_text(tmp_path / "x", b"bytes")
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "x", {"a": float("nan")})
    assert os.listdir(tmp_path) == []


def test_rename_folder_refuses_even_an_empty_folder(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    (src / "f").write_text("x")
    dst.mkdir()
    with pytest.raises(ReportExistsError):
        rename_noreplace(src, dst)
    assert (src / "f").exists() and not any(dst.iterdir())
    dst.rmdir()
    rename_noreplace(src, dst)
    assert (dst / "f").read_text() == "x" and not src.exists()


def test_rename_file(tmp_path):
    src, dst = tmp_path / "a", tmp_path / "b"
    src.write_text("x")
    rename_noreplace(src, dst)
    assert dst.read_text() == "x" and not src.exists()
    src.write_text("y")
    with pytest.raises(ReportExistsError):
        rename_noreplace(src, dst)
    assert dst.read_text() == "x" and src.read_text() == "y"
