"""The CLI on bad usage: a non-zero exit and a one-line reason (the last line of stderr).

Runs ``gpdtheory_checks.cli.main`` in-process (argparse errors raise ``SystemExit(2)``);
the two-process race on one ``--out`` directory is tested in ``tests/test_report.py``.
"""

from __future__ import annotations

import pytest
from gpdtheory_checks.cli import main
from hypothesis import HealthCheck, example, given
from hypothesis import strategies as st

from ._settings import fuzz

ARGS = st.lists(st.sampled_from([
    "check", "--only", "nosuch.claim", "--seed", "abc", "-1", "--workers", "--json", "--out",
    "--full", "--frobnicate", "", "x" * 300, "--list", "prove", "--rows", "1e9", "\x00",
]), max_size=5)


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: usage line + one error line
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@fuzz(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=ARGS)
@example(argv=["check", "--list", "--list"])  # a repeated flag: every --list is consumed
def test_bad_usage_one_line_reason(argv, capsys):
    if "--list" in argv or argv[:1] != ["check"] or "--only" not in argv:
        argv = ["check", "--only", "nosuch.claim", *argv[1:]]  # never run the real table here
    argv = [a for a in argv if a != "--list"]  # every --list: listing legitimately exits 0
    code, _, err = _run(argv, capsys)
    assert code != 0, (argv, err)
    last = err.strip().splitlines()[-1] if err.strip() else ""
    assert last and len(last) < 2000 and "Traceback" not in err, (argv, err)


def test_unknown_claim(capsys):
    code, _, err = _run(["check", "--only", "nosuch"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--only" in err and "Fix:" in err


def test_existing_json_refused(tmp_path, capsys):
    target = tmp_path / "r.json"
    target.write_text("keep")
    code, _, err = _run(["check", "--only", "score.exact", "--json", str(target),
                         "--no-progress"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Fix:" in err
    assert target.read_text() == "keep"


@pytest.mark.parametrize("argv", [["check", "--seed", "abc"], ["prove"], []])
def test_argparse_errors(argv, capsys):
    code, _, err = _run(argv, capsys)
    assert code == 2 and "error:" in err.strip().splitlines()[-1]
