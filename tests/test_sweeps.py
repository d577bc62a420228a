"""Sweeps on any Executor: serial, local processes and a Dask cluster give identical results.

The Dask clusters listen on loopback only (``host="127.0.0.1"``); their HTTP server (a
scheduler always starts one, by default on port 8787, which may be taken) gets a random
loopback port.

Bitwise identity needs the same BLAS thread count: a reduction split over more threads
rounds differently (seen: 3.93e-15 against 3.73e-15 for a roundoff-level score error at
N = 64). Dask worker *processes* run with ``OMP_NUM_THREADS=1``, so their rows are compared
with a local run under ``threadpool_limits(1)``; in-process (threaded) workers share this
process's BLAS and are compared with a plain local run.
"""

from __future__ import annotations

import json

import gpdtheory_checks
import numpy as np
import pytest
from gpdtheory_checks.cli import main
from gpdtheory_checks.runner import row_from_json
from gpdtheory_checks.table import CheckConfig
from threadpoolctl import threadpool_limits

import gpdtheory as gp
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.sweeps import (
    SequentialExecutor,
    executor_for,
    grid_product,
    is_executor,
    run_sweep,
)

distributed = pytest.importorskip("distributed")

#: Claims used for the engine comparisons: fast, and numpy-only (no torch thread pool).
CLAIMS_UNDER_TEST = ["kappa", "score"]


def point(family: str, ell: float, nu: float, N: int, seed: int) -> tuple[float, float]:
    """A grid point: a condition number and a seeded sample statistic (module level: picklable)."""
    kernel = {"pe": gp.PoweredExponential, "poly": gp.Polynomial}[family](ell, nu)
    spec = gp.GPSpec(kernel, N, np.eye(2))
    return gp.condition_number(spec, 0.1).kappa, float(spec.sample(3, seed=seed).sum())


GRID = grid_product(family=["pe", "poly"], ell=[0.5, 2.0], nu=[1.5], N=[4, 33], seed=[7])


def _cluster(processes: bool):
    # one worker process: each one imports the package (and this module) afresh
    kw = dict(n_workers=1, threads_per_worker=2) if processes else dict(
        n_workers=1, threads_per_worker=2, protocol="tcp")
    return distributed.LocalCluster(processes=processes, host="127.0.0.1",
                                    dashboard_address="127.0.0.1:0", **kw)


@pytest.fixture(scope="module")
def thread_cluster():
    with _cluster(processes=False) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def process_cluster():
    with _cluster(processes=True) as cluster:
        yield cluster


def test_grid_product_order():
    g = grid_product(a=[1, 2], b="xy")
    assert g == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]
    assert grid_product(a=[]) == []


def test_run_sweep_serial_matches_direct_calls():
    expected = [point(**p) for p in GRID]
    assert run_sweep(point, GRID, executor="serial") == expected
    assert run_sweep(point, [], executor="serial") == []


@pytest.mark.integration
def test_run_sweep_local_processes_identical():
    # default engine: a spawn process pool (one worker: each one imports the package afresh)
    assert run_sweep(point, GRID, workers=1) == run_sweep(point, GRID, executor="serial")


def test_run_sweep_on_dask_identical(process_cluster):
    with distributed.Client(process_cluster) as client:
        got = run_sweep(point, GRID, executor=client.get_executor())
    with threadpool_limits(1):
        assert got == run_sweep(point, GRID, executor="serial")


def test_run_sweep_validates():
    with pytest.raises(InvalidArgumentError, match="executor"):
        run_sweep(point, GRID, executor="dask")
    with pytest.raises(InvalidArgumentError, match="workers"):
        run_sweep(point, GRID, workers=0)


def test_run_sweep_propagates_errors():
    bad = [{"family": "pe", "ell": 1.0, "nu": 1.0, "N": 0, "seed": 1}]
    with pytest.raises(InvalidArgumentError):
        run_sweep(point, bad, executor="serial")


CALLS: list[int] = []


def _counted(i: int) -> int:
    CALLS.append(i)
    if i == 1:
        raise ValueError("point 1 fails")
    return i


def test_serial_sweep_stops_at_the_first_failure():
    CALLS.clear()
    with pytest.raises(ValueError, match="point 1 fails"):
        run_sweep(_counted, [{"i": i} for i in range(4)], executor=SequentialExecutor())
    assert CALLS == [0, 1]  # points 2 and 3 never ran


def test_one_executor_protocol_for_every_sweep(thread_cluster):
    from gpdtheory import sample_complexity
    from gpdtheory.sample_complexity import plugin_error, sweep_n

    assert sample_complexity.SequentialExecutor is SequentialExecutor
    assert is_executor(SequentialExecutor()) and not is_executor("serial")
    spec = gp.GPSpec(gp.PoweredExponential(1.0, 1.0), 4, np.eye(2))
    ns = [20, 60, 200]
    local = sweep_n(plugin_error, spec, ns, replicates=2, seed=3)
    assert np.array_equal(sweep_n(plugin_error, spec, ns, 2, 3, executor="serial").errors,
                          local.errors)
    with distributed.Client(thread_cluster) as client:
        assert is_executor(client)
        for ex in (client, client.get_executor()):  # the Client itself, or its executor
            got = sweep_n(plugin_error, spec, ns, replicates=2, seed=3, executor=ex)
            np.testing.assert_array_equal(got.errors, local.errors)


def _canonical(rows):
    """Rows as text: NaN fields compare equal (a NaN unpickled from a worker is a new object)."""
    return [json.dumps(r.to_dict(), sort_keys=True, default=str) for r in rows]


@pytest.mark.integration
def test_checks_on_dask_threads_identical(thread_cluster):
    cfg = CheckConfig(seed=3)
    with distributed.Client(thread_cluster) as client:
        rows = gpdtheory_checks.run(CLAIMS_UNDER_TEST, cfg, executor=client.get_executor())
    local = gpdtheory_checks.run(CLAIMS_UNDER_TEST, cfg)
    assert len(rows) == len(local) > 0
    assert _canonical(rows) == _canonical(local)


@pytest.mark.integration
def test_checks_on_dask_processes_identical(process_cluster):
    cfg = CheckConfig(seed=5)
    with distributed.Client(process_cluster) as client:
        rows = gpdtheory_checks.run(CLAIMS_UNDER_TEST, cfg, executor=client.get_executor())
    with threadpool_limits(1):
        local = gpdtheory_checks.run(CLAIMS_UNDER_TEST, cfg)
    assert _canonical(rows) == _canonical(local)
    # a different seed gives different cases: the comparison above is not vacuous
    other = gpdtheory_checks.run(["score"], CheckConfig(seed=6))
    assert other != [r for r in local if r.claim == "score.exact"]


@pytest.mark.integration
def test_cli_scheduler(process_cluster, tmp_path):
    out = tmp_path / "rows.json"
    argv = ["check", "--only", "kappa", "--seed", "2", "--no-progress", "--json", str(out),
            "--scheduler", process_cluster.scheduler_address]
    assert main(argv) == 0
    with threadpool_limits(1):
        local = gpdtheory_checks.run(["kappa"], CheckConfig(seed=2))
    remote = [row_from_json(r) for r in json.loads(out.read_text())["rows"]]
    assert _canonical(remote) == _canonical(local)


@pytest.mark.integration
def test_executor_for_local():
    ex, close = executor_for(None, 0)
    assert ex is None
    close()
    ex, close = executor_for(None, 1)  # gpdtheory check --workers 1
    try:
        # a spawned worker inherits this process's environment, so its BLAS thread count too
        local = gpdtheory_checks.run(["kappa"], CheckConfig(seed=1))
        remote = gpdtheory_checks.run(["kappa"], CheckConfig(seed=1), executor=ex)
        # same cases and verdicts; the values agree to round-off (a row measuring a
        # round-off error, such as kappa.bound's "engine route", may differ in its last bits)
        assert [(r.claim, r.case, r.verdict) for r in remote] == [
            (r.claim, r.case, r.verdict) for r in local]
        for a, b in zip(remote, local, strict=True):
            assert np.isclose(a.measured, b.measured, rtol=1e-9, atol=1e-13, equal_nan=True)
            assert np.isclose(a.bound, b.bound, rtol=1e-9, atol=1e-13, equal_nan=True)
    finally:
        close()
