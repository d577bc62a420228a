"""Hostile output paths: every output is checked before the work.

``--out``, ``--json`` and ``--journal`` paths that could not be written at the end (a
virtual folder such as ``/proc``, a path through a file, an unwritable folder, a name
longer than the filesystem allows, an empty string, a missing parent) are refused with
exit 2 and one line naming the option, the value, the problem and the fix, before any
claim runs. The CLI cases run in a subprocess, as a user runs them: the claim is
``score.exact`` (about a second), whose ``--no-progress`` line would show that it ran.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gpdtheory.errors import InvalidArgumentError
from gpdtheory.fileio import atomic_write_text, check_writable_target, file_mode

REPO = Path(__file__).resolve().parents[1]
CLI = "import sys; from gpdtheory_checks.cli import main; sys.exit(main(sys.argv[1:]))"
CLAIM = "score.exact"


def _cli(cwd: Path, *args: str, umask: int | None = None) -> subprocess.CompletedProcess:
    """``gpdtheory check --only score.exact --no-progress ARGS`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", CLI, "check", "--only", CLAIM, "--no-progress", *args]
    preexec = None if umask is None else (lambda: os.umask(umask))
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, preexec_fn=preexec)


def _refused(proc: subprocess.CompletedProcess, option: str, *words: str) -> str:
    """Assert a clean refusal before any claim ran; return the message."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr  # one line, nothing else on stderr
    message = lines[0]
    assert message.startswith(f"gpdtheory check: {option}="), message
    assert "Fix:" in message, message
    for word in words:
        assert word in message, message
    # no claim ran: its line (and the row count) would be on stdout
    assert CLAIM not in proc.stdout and "rows from" not in proc.stdout, proc.stdout
    return message


def _no_leftovers(folder: Path, expected: set[str]) -> None:
    assert {p.name for p in folder.iterdir()} == expected  # no probe or temporary files


def _proc_is_virtual() -> bool:
    return Path("/proc/self/status").is_file()


needs_proc = pytest.mark.skipif(not _proc_is_virtual(), reason="no /proc filesystem here")


# --- the CLI, one case each ------------------------------------------------------------


@needs_proc
@pytest.mark.parametrize("option", ["--out", "--json", "--journal"])
@pytest.mark.integration
def test_output_under_proc_is_refused_up_front(tmp_path, option):
    _refused(_cli(tmp_path, option, "/proc/nope"), option, "'/proc/nope'", "/proc")


@pytest.mark.parametrize("option,value", [("--out", "file.txt/sub"),
                                          ("--json", "file.txt/sub/x.json")])
@pytest.mark.integration
def test_output_inside_a_file_is_refused_up_front(tmp_path, option, value):
    (tmp_path / "file.txt").write_text("a file")
    _refused(_cli(tmp_path, option, value), option, "file.txt is a file, not a folder")
    _no_leftovers(tmp_path, {"file.txt"})


@pytest.mark.integration
def test_output_in_unwritable_folder_is_refused_up_front(tmp_path):
    """chmod 0500 where permission bits bind; as root (which ignores them), /proc."""
    if getattr(os, "geteuid", lambda: 0)() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            _refused(_cli(tmp_path, "--json", "locked/rows.json"), "--json",
                     "permission denied")
            assert list(locked.iterdir()) == []
        finally:
            locked.chmod(0o700)
    elif _proc_is_virtual():
        # /proc is a folder no one, root included, can create files in
        _refused(_cli(tmp_path, "--json", "/proc/rows.json"), "--json", "/proc")
    else:  # pragma: no cover - root without /proc
        pytest.skip("running as root (permission bits are ignored) and no /proc to use")


@pytest.mark.parametrize("option", ["--out", "--json"])
@pytest.mark.integration
def test_over_long_name_is_refused_up_front(tmp_path, option):
    name = "n" * 300
    _refused(_cli(tmp_path, option, name), option, "300 bytes", "at most")
    _no_leftovers(tmp_path, set())


@pytest.mark.parametrize("option", ["--out", "--json", "--journal"])
@pytest.mark.integration
def test_empty_output_path_is_refused_not_ignored(tmp_path, option):
    _refused(_cli(tmp_path, option, ""), option, "is empty", f"leave {option} out")


@pytest.mark.parametrize("option,value", [("--out", "missing/report"),
                                          ("--json", "missing/deeper/rows.json"),
                                          ("--journal", "missing/run.jsonl")])
@pytest.mark.integration
def test_missing_parent_is_refused_without_parents(tmp_path, option, value):
    _refused(_cli(tmp_path, option, value), option, "does not exist", "--parents")
    _no_leftovers(tmp_path, set())  # nothing created


@pytest.mark.integration
def test_missing_parents_are_created_with_parents(tmp_path):
    proc = _cli(tmp_path, "--parents", "--out", "a/b/report", "--json", "c/rows.json",
                "--journal", "d/e/run.jsonl")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "a/b/report/results.json").is_file()
    assert (tmp_path / "c/rows.json").is_file()
    assert (tmp_path / "d/e/run.jsonl").is_file()


@pytest.mark.integration
def test_existing_output_is_refused_up_front(tmp_path):
    (tmp_path / "rows.json").write_text("old")
    _refused(_cli(tmp_path, "--json", "rows.json"), "--json", "never overwritten")
    assert (tmp_path / "rows.json").read_text() == "old"


@pytest.mark.integration
def test_two_outputs_on_one_path_are_refused_up_front(tmp_path):
    _refused(_cli(tmp_path, "--json", "same", "--out", "same"), "--out", "--json")


@pytest.mark.parametrize("umask", [0o022, 0o027])
@pytest.mark.integration
def test_every_output_gets_the_mode_of_a_plain_open(tmp_path, umask):
    """--json (written through mkstemp, 0600 before), the report and the journal alike."""
    proc = _cli(tmp_path, "--json", "rows.json", "--out", "report", "--journal", "run.jsonl",
                umask=umask)
    assert proc.returncode == 0, proc.stderr
    want_file, want_folder = 0o666 & ~umask, 0o777 & ~umask

    def mode(p: Path) -> int:
        return stat.S_IMODE(p.stat().st_mode)

    files = [tmp_path / "rows.json", tmp_path / "run.jsonl",
             *[p for p in (tmp_path / "report").rglob("*") if p.is_file()]]
    assert len(files) >= 5  # rows.json, run.jsonl, report.md, report.html, results.json
    assert {p.name: mode(p) for p in files} == {p.name: want_file for p in files}
    folders = [tmp_path / "report", *[p for p in (tmp_path / "report").rglob("*") if p.is_dir()]]
    assert {p.name: mode(p) for p in folders} == {p.name: want_folder for p in folders}


@needs_proc
@pytest.mark.integration
def test_mutants_json_is_checked_before_any_cell(tmp_path):
    proc = _cli(tmp_path, "--mutants", "all", "--json", "/proc/kill.json")
    _refused(proc, "--json", "/proc")
    assert "mutants x" not in proc.stdout  # the matrix never started


# --- a write that still fails at the end -----------------------------------------------


def test_write_failing_at_the_end_is_one_line_and_keeps_the_other_output(
        tmp_path, monkeypatch, capsys):
    """A folder removed or a disk filled during the run: a clear line, not a traceback."""
    from gpdtheory_checks import runner
    from gpdtheory_checks.cli import main

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "rows.json"))

    monkeypatch.setattr(runner, "write_json", disk_full)
    code = main(["check", "--only", CLAIM, "--no-progress", "--json", str(tmp_path / "rows.json"),
                 "--out", str(tmp_path / "report")])
    out, err = capsys.readouterr()
    assert code == 2
    assert "rows from" in out  # the claims ran and their table was printed
    (line,) = err.strip().splitlines()
    assert line.startswith("gpdtheory check: --json ") and "No space left on device" in line
    assert "rows were computed" in line and "Fix:" in line and "--json" in line
    assert (tmp_path / "report" / "results.json").is_file()  # the report was still written
    assert not (tmp_path / "rows.json").exists()


def test_report_failing_at_the_end_names_the_json_that_was_written(
        tmp_path, monkeypatch, capsys):
    import gpdtheory_checks.report
    from gpdtheory_checks.cli import main

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "report"))

    monkeypatch.setattr(gpdtheory_checks.report, "write_report", denied)
    code = main(["check", "--only", CLAIM, "--no-progress", "--json", str(tmp_path / "rows.json"),
                 "--out", str(tmp_path / "report")])
    err = capsys.readouterr().err
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith("gpdtheory check: --out ") and "Permission denied" in line
    assert f"--json {tmp_path / 'rows.json'} was written" in line
    assert (tmp_path / "rows.json").is_file()


# --- the check itself ------------------------------------------------------------------


@pytest.mark.parametrize("value,problem", [
    ("", "is empty"), ("   ", "is empty"), (".", "names no new file"), ("/", "names no new"),
    ("a\0b", "NUL"), (3, "is not a path"), (True, "is not a path"),
])
def test_check_writable_target_refuses_what_names_no_output(value, problem):
    with pytest.raises(InvalidArgumentError, match=problem) as info:
        check_writable_target(value, "--json")
    assert str(info.value).startswith("--json=") and "Fix:" in str(info.value)


def test_check_writable_target_passes_a_new_path_and_leaves_nothing(tmp_path):
    assert check_writable_target(tmp_path / "new.json", "--json") == tmp_path / "new.json"
    assert check_writable_target(tmp_path / "a" / "b", "--out", parents=True, kind="folder")
    _no_leftovers(tmp_path, set())  # the probe file is gone and no parent was created


def test_check_writable_target_appends_to_an_existing_journal_only(tmp_path):
    journal = tmp_path / "run.jsonl"
    journal.write_text("{}\n")
    assert check_writable_target(journal, "--journal", exists_ok=True) == journal
    with pytest.raises(InvalidArgumentError, match="never overwritten"):
        check_writable_target(journal, "--json")
    with pytest.raises(InvalidArgumentError, match="is a folder"):
        check_writable_target(tmp_path, "--journal", exists_ok=True)
    assert journal.read_text() == "{}\n"  # the append check wrote nothing


def test_check_writable_target_measures_missing_levels_too(tmp_path):
    with pytest.raises(InvalidArgumentError, match="300 bytes"):
        check_writable_target(tmp_path / ("d" * 300) / "x.json", "--json", parents=True)


def test_name_near_the_limit_is_written(tmp_path):
    """The temporary name is clipped, so a 255-byte target name passes the check and writes."""
    name = "r" * (os.pathconf(tmp_path, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255)
    check_writable_target(tmp_path / name, "--json")
    atomic_write_text(tmp_path / name, "{}")
    _no_leftovers(tmp_path, {name})


def test_atomic_writes_get_the_mode_of_open_and_refuse_missing_parents_on_request(tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("x")
    written = atomic_write_text(tmp_path / "atomic", "x")
    assert stat.S_IMODE(written.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode) \
        == file_mode()
    with pytest.raises(InvalidArgumentError, match="does not exist"):
        atomic_write_text(tmp_path / "missing" / "f", "x", parents=False)
    assert not (tmp_path / "missing").exists()
