"""Runs beyond one machine: the JSON-lines journal, resume, Dask workers that die."""

from __future__ import annotations

import builtins
import json
import os
import signal

import gpdtheory_checks
import pytest
from gpdtheory_checks.cli import main
from gpdtheory_checks.journal import Journal, read_journal
from gpdtheory_checks.runner import row_to_json
from gpdtheory_checks.table import CheckConfig

from gpdtheory.errors import InvalidArgumentError
from gpdtheory.sweeps import executor_for

#: Small, fast claims (about a second together).
SMALL = ["score.exact", "psd.all_n", "theorem_s", "truncation.error"]


def _rows(rows):
    return [json.dumps(row_to_json(r), sort_keys=True) for r in rows]


@pytest.fixture(scope="module")
def reference():
    return _rows(gpdtheory_checks.run(SMALL, CheckConfig(seed=3)))


@pytest.mark.integration
def test_interrupted_run_resumes_without_losing_rows(tmp_path, reference):
    cfg = CheckConfig(seed=3)
    path = tmp_path / "j.jsonl"
    calls = []

    class Stop(Exception):
        """Raised by the callback to interrupt the run after the first claim."""

    with Journal(path, cfg) as journal:
        def record(cid, rows, seconds):
            journal.record(cid, rows, seconds)
            calls.append(cid)
            if len(calls) == 2:
                raise Stop  # the run dies after two finished claims

        with pytest.raises(Stop):
            gpdtheory_checks.run(SMALL, cfg, on_claim=record)
    with open(path, "ab") as fh:  # a torn line from a crash inside write()
        fh.write(b'{"claim": "theorem_s", "rows": [')
    done = read_journal(path, cfg)
    assert set(done) == set(SMALL[:2])
    rerun = []
    with Journal(path, cfg) as journal:  # closes the torn line, then appends
        rows = gpdtheory_checks.run(SMALL, cfg, done=done,
                          on_claim=lambda c, r, s: (journal.record(c, r, s), rerun.append(c)))
    assert rerun == SMALL[2:]  # finished claims are not run again
    assert _rows(rows) == reference
    assert set(read_journal(path, cfg)) == set(SMALL)


def test_journal_refuses_another_run(tmp_path):
    path = tmp_path / "j.jsonl"
    Journal(path, CheckConfig(seed=1)).close()
    with pytest.raises(InvalidArgumentError, match="another run"):
        read_journal(path, CheckConfig(seed=2))
    (tmp_path / "x.jsonl").write_text("not json\n")
    with pytest.raises(InvalidArgumentError, match="header"):
        read_journal(tmp_path / "x.jsonl")


def test_cli_resume(tmp_path, capsys):
    j = str(tmp_path / "run.jsonl")
    assert main(["check", "--only", "psd.all_n", "--journal", j, "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["check", "--only", "psd.all_n", "--only", "score.exact", "--resume", j,
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "resumed 1 finished claims" in out and "score.exact" in out
    from pathlib import Path

    lines = Path(j).read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(x) for x in lines)


def test_missing_distributed_names_the_extra(monkeypatch):
    real = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ModuleNotFoundError("No module named 'distributed'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    with pytest.raises(InvalidArgumentError, match=r"gpdtheory\[dask\]") as info:
        executor_for("tcp://127.0.0.1:8786")
    assert info.value.argument == "--scheduler"


@pytest.mark.integration
def test_dask_worker_killed_mid_run_loses_no_row(tmp_path):
    distributed = pytest.importorskip("distributed")
    cfg = CheckConfig(seed=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as cluster, \
            distributed.Client(cluster) as client:
        # the uninterrupted run on the same workers (one BLAS thread each: same round-off)
        reference = _rows(gpdtheory_checks.run(SMALL, cfg, executor=client.get_executor()))
        pids = list(client.run(os.getpid).values())
        killed = []
        path = tmp_path / "dask.jsonl"
        with Journal(path, cfg) as journal:
            def record(cid, rows, seconds):
                journal.record(cid, rows, seconds)
                if not killed:  # the first claim is in: kill a worker while others run
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])

            ex = client.get_executor()
            rows = gpdtheory_checks.run(SMALL, cfg, executor=ex, on_claim=record)
    assert killed and _rows(rows) == reference
    assert set(read_journal(path, cfg)) == set(SMALL)
