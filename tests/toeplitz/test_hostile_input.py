"""Hostile input to the Toeplitz engine: extreme scales, read-only and strided arrays,
threads, fork, endless loops and argument validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gpdtheory as gp
import gpdtheory.toeplitz as tz
from gpdtheory.toeplitz.rows_pcg import pcg_rows

# --- scale-free PCG: the answer for c b is c times the answer for b ----------------------

SCALES = [1e-300, 1e-250, 1e-170, 1e-160, 1e-100, 1e100, 1e160, 1e250, 1e300]


def _system(n: int = 200):
    r = np.exp(-np.arange(n) / 5.0)
    b = np.cos(np.arange(n) * 0.7) + 0.5
    return r, b


@pytest.mark.parametrize("c", SCALES)
def test_pcg_solve_is_scale_free(c):
    r, b = _system()
    x0 = tz.pcg_solve(r, b).x
    x = tz.pcg_solve(r, c * b).x
    assert np.max(np.abs(x / c - x0)) <= 1e-9 * np.max(np.abs(x0))


def test_pcg_solve_tiny_scalar_system():
    res = tz.pcg_solve([1.0], [1e-170])
    assert res.x[0] == 1e-170


@pytest.mark.parametrize("e", [-900, -600, -510, -300, 300, 510, 900])
def test_pcg_rows_power_of_two_scaling_is_exact(e):
    r, b = _system()
    B = np.stack([b, 2 * b, np.sin(np.arange(200.0))] * 3)
    s = np.linspace(0.5, 2.0, 9)
    h = np.linspace(0.1, 1.0, 9)
    x0 = pcg_rows(r, B, s, h).x
    x = pcg_rows(r, np.ldexp(B, e), s, h).x
    assert np.array_equal(x, np.ldexp(x0, e))


@settings(deadline=None)  # the first call compiles; examples follow the conftest profile
@given(e=st.integers(-960, 960), mantissa=st.floats(0.5, 1.0))
def test_pcg_scale_invariance_property(e, mantissa):
    r, b = _system(120)
    c = np.ldexp(mantissa, e)
    x0 = tz.pcg_solve(r, b, tol=1e-12).x
    x = tz.pcg_solve(r, c * b, tol=1e-12).x
    assert np.max(np.abs(x / c - x0)) <= 1e-9 * np.max(np.abs(x0))


def test_pcg_rows_mixed_scales_in_one_call():
    r, b = _system()
    B = np.stack([b * c for c in (1e-300, 1.0, 1e300, 0.0)])
    x0 = pcg_rows(r, b[None, :], np.ones(1), np.zeros(1)).x[0]
    x = pcg_rows(r, B, np.ones(4), np.zeros(4)).x
    for row, c in zip(x, (1e-300, 1.0, 1e300, 0.0), strict=True):
        assert np.allclose(row, c * x0, rtol=1e-9, atol=0.0)


def test_pcg_solve_overflowing_solution_is_refused():
    with pytest.raises(gp.InvalidArgumentError, match="overflows"):
        tz.pcg_solve([1e-10, 0.0], [1e300, 1e300])


@pytest.mark.parametrize("N", [64, 4095, 4096])
@pytest.mark.parametrize("c", [1e-300, 1e-170, 1e160, 1e300])
def test_score_is_scale_free(N, c):
    spec = gp.GPSpec(gp.PoweredExponential(10.0, 1.0), N=N, Sigma=np.eye(1))
    X = np.cos(np.arange(N) * 0.3)[:, None] + 0.25
    ref = gp.score(spec, X, 0.5)
    out = gp.score(spec, c * X, 0.5)
    assert np.max(np.abs(out / c - ref)) <= 1e-9 * np.max(np.abs(ref))


# --- read-only and strided arrays are accepted everywhere --------------------------------

def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


def _strided(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    out = np.zeros((a.shape[0] * 2,) + a.shape[1:])
    out[::2] = a
    return out[::2]


_R = 0.6 ** np.arange(80)
_B = np.cos(np.arange(80.0))
_PUBLIC = {
    "solve": lambda r, b: tz.solve(r, b).x,
    "solve-gs": lambda r, b: tz.solve(r, np.stack([b] * 3, axis=1), "gohberg-semencul").x[:, 0],
    "solve-batch": lambda r, b: tz.solve(r, np.stack([b] * 2, axis=1), "levinson").x[:, 0],
    "ToeplitzSolver": lambda r, b: tz.ToeplitzSolver(r).solve(b),
    "pcg_solve": lambda r, b: tz.pcg_solve(r, b, tol=1e-13).x,
    "matvec": lambda r, b: tz.matvec(r, b),
    "logdet": lambda r, b: tz.logdet(r),
    "durbin": lambda r, b: tz.durbin(r).logdet,
    "is_positive_definite": lambda r, b: tz.is_positive_definite(r),
    "min_eig": lambda r, b: tz.min_eig(r),
    "max_eig": lambda r, b: tz.max_eig(r),
    "extreme_eigenvalues": lambda r, b: tz.extreme_eigenvalues(r),
    "eigenvalue_bounds": lambda r, b: tz.eigenvalue_bounds(r).lmin_lower,
    "symbol_bounds": lambda r, b: tz.symbol_bounds(r),
    "banded_cholesky": lambda r, b: tz.banded_cholesky(r, 10),
    "banded_extreme_eigenvalue": lambda r, b: tz.banded_extreme_eigenvalue(r, 10),
    "is_positive_definite_banded": lambda r, b: tz.is_positive_definite_banded(r, 10),
}


@pytest.mark.parametrize("name", sorted(_PUBLIC))
@pytest.mark.parametrize("wrap", [_frozen, _strided], ids=["read-only", "strided"])
def test_read_only_and_strided_inputs(name, wrap):
    f = _PUBLIC[name]
    expected = f(_R.copy(), _B.copy())
    np.testing.assert_array_equal(f(wrap(_R), wrap(_B)), expected)
    np.testing.assert_array_equal(f(_R.copy(), wrap(_B)), expected)


def test_spec_r_is_accepted_as_is():
    spec = gp.GPSpec(gp.PoweredExponential(3.0, 1.0), N=16, Sigma=np.eye(1))
    assert not spec.r.flags.writeable
    b = _frozen(np.ones(16))
    assert np.allclose(tz.matvec(spec.r, tz.solve(spec.r, b).x), b)
    assert tz.logdet(spec.r) == tz.durbin(spec.r).logdet
    assert np.allclose(tz.ToeplitzSolver(spec.r).solve(b), tz.solve(spec.r, b).x)


# --- fork and threads: parallel kernels in the parent, then in forked children -----------

_FORK_SCRIPT = r'''
import multiprocessing as mp, threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
import numpy as np
import gpdtheory as gp
from gpdtheory.toeplitz import threads

def score(N):
    spec = gp.GPSpec(gp.PoweredExponential(10.0, 1.0), N=N, Sigma=np.eye(3))
    X = np.cos(np.arange(3 * N) * 0.1).reshape(N, 3)
    return gp.score(spec, X, 0.5, method="toeplitz")

def extremes(N):                                  # sine-Davidson, rows on the pool
    return gp.toeplitz.extreme_eigenvalues(gp.Polynomial(2.0, 1.5).autocovariance(N))

def logdet(N):                                    # superfast Schur, rows on the pool
    return gp.toeplitz.logdet(gp.Logarithmic(2.0, 1.0).autocovariance(N))

ref = {N: score(N) for N in (300, 4096)}          # Levinson batch and rows PCG, in parallel
eig_ref = extremes(3000)
ld_ref = logdet(40000)
with ThreadPoolExecutor(4) as ex:                 # concurrent launches from Python threads
    assert all(np.array_equal(o, ref[4096]) for o in ex.map(score, [4096] * 4))
    assert all(np.array_equal(o, ref[300]) for o in ex.map(score, [300] * 4))
    assert all(o == eig_ref for o in ex.map(extremes, [3000] * 4))
    assert all(o == ld_ref for o in ex.map(logdet, [40000] * 4))
held = threading.Event(); release = threading.Event()
def hold():                                       # a parent thread holds the launch lock
    with getattr(threads, "LAUNCH_LOCK", threading.Lock()):
        held.set(); release.wait()
holder = threading.Thread(target=hold); holder.start(); held.wait()
with ProcessPoolExecutor(2, mp_context=mp.get_context("fork")) as ex:
    outs = list(ex.map(score, [300, 4096, 4096]))
    eig_outs = list(ex.map(extremes, [3000, 3000]))
    ld_outs = list(ex.map(logdet, [40000, 40000]))
release.set(); holder.join()
assert np.array_equal(outs[0], ref[300]) and np.array_equal(outs[1], ref[4096])
assert eig_outs == [eig_ref, eig_ref] and ld_outs == [ld_ref, ld_ref]
print("ok")
'''


def test_fork_after_parallel_solve_and_concurrent_threads():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    done = subprocess.run([sys.executable, "-c", _FORK_SCRIPT], capture_output=True, text=True,
                          timeout=180, env=env)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


# --- the matvec operator cache under concurrent threads ----------------------------------

def test_matvec_cache_is_thread_safe(monkeypatch):
    import sys
    import threading
    import time
    from collections import OrderedDict

    from gpdtheory.toeplitz import fft

    class SlowLookup(OrderedDict):
        """Yields the GIL between a look-up and what follows it: the window of the race."""

        def get(self, *args):
            out = super().get(*args)
            time.sleep(1e-5)
            return out

    monkeypatch.setattr(fft, "_cache", SlowLookup())
    rs = [np.exp(-np.arange(4 + i) / 3.0) for i in range(10)]   # more than the cache holds
    xs = [np.cos(np.arange(r.size)) for r in rs]
    refs = [np.array(tz.ToeplitzOperator(r) @ x) for r, x in zip(rs, xs, strict=True)]
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:  # random keys: hits (reordering) and misses (eviction) interleave
            for i in np.random.default_rng(seed).integers(0, len(rs), 1000):
                assert np.allclose(tz.matvec(rs[i], xs[i]), refs[i], rtol=1e-13, atol=1e-13)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        workers = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, repr(errors[0])
    assert len(fft._cache) <= fft._CACHE_SIZE


# --- every bisection ends, whatever the tolerance -----------------------------------------

_ENDLESS_SCRIPT = r'''
import numpy as np
import gpdtheory as gp
import gpdtheory.psd
import gpdtheory.toeplitz as tz
r = 0.5 ** np.arange(40)
ref = np.linalg.eigvalsh(__import__("scipy.linalg").linalg.toeplitz(r))
for tol in (1e-300, 1e-20, 5e-324):
    lo = tz.banded_extreme_eigenvalue(r, 39, "min", tol=tol)
    hi = tz.banded_extreme_eigenvalue(r, 39, "max", tol=tol)
    assert abs(lo - ref[0]) <= 1e-14 * ref[-1] and abs(hi - ref[-1]) <= 1e-14 * ref[-1]
k = gp.PoweredExponential(2.0, 1.0)
v = gpdtheory.psd.smallest_eigenvalue(k, 3, 600, tol=1e-20)
w = gpdtheory.psd.smallest_eigenvalue(k, 3, 600)
assert abs(v - w) <= 1e-12, (v, w)
print("ok")
'''


def test_bisections_end_for_any_tolerance():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _ENDLESS_SCRIPT], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


# --- arguments: the project's errors, naming the argument, the value and the fix ---------

@pytest.mark.parametrize("rtol", ["x", None, float("nan"), 0.0, -1e-3, True, [1e-3]])
@pytest.mark.parametrize("which", [tz.min_eig, tz.max_eig])
def test_eig_rtol_is_validated(which, rtol):
    with pytest.raises(gp.InvalidArgumentError, match=r"^rtol=.*Fix: "):
        which(0.5 ** np.arange(40), "bisection", rtol=rtol)


@pytest.mark.parametrize("name, value", [("scale", [1.0, 2.0, 3.0]), ("scale", np.ones((1, 1))),
                                         ("scale", 0.0), ("scale", True), ("shift", -1.0),
                                         ("shift", [0.0, 1.0, 2.0]), ("shift", "a")])
def test_pcg_scale_and_shift_are_validated(name, value):
    r, b = _system(20)
    with pytest.raises(gp.InvalidArgumentError, match=rf"^{name}=.*Fix: "):
        tz.pcg_solve(r, np.stack([b, b], axis=1), **{name: value})


def test_pcg_per_column_scale_still_works():
    r, b = _system(20)
    x = tz.pcg_solve(r, np.stack([b, b], axis=1), tol=1e-13, scale=[1.0, 2.0], shift=0.5).x
    assert np.allclose(x[:, 1], tz.pcg_solve(r, b, tol=1e-13, scale=2.0, shift=0.5).x)


@pytest.mark.parametrize("b", [np.zeros(0), np.zeros((0, 3))])
def test_empty_systems_are_consistent(b):
    r = np.zeros(0)
    for x in (tz.solve(r, b).x, tz.pcg_solve(r, b).x, tz.matvec(r, b)):
        assert x.shape == b.shape
    r = np.ones(1)
    B = np.zeros((1, 0))
    for x in (tz.solve(r, B).x, tz.pcg_solve(r, B).x, tz.matvec(r, B)):
        assert x.shape == (1, 0)


@pytest.mark.parametrize("arg", ["scale", "shift"])
def test_linear_operator_arguments_are_validated(arg):
    with pytest.raises(gp.InvalidArgumentError, match=rf"^{arg}="):
        tz.ToeplitzOperator([1.0, 0.5]).as_linear_operator(**{arg: "x"})


# --- "auto" prefers the more accurate route on ill-conditioned multi-RHS solves -----------

def test_auto_prefers_levinson_when_ill_conditioned():
    r = 0.9 ** (np.arange(100.0) ** 2)          # scipy's test_unstable case, kappa = 6.4e9
    B = np.random.default_rng(0).standard_normal((100, 4))
    auto = tz.solve(r, B)
    assert auto.method == "levinson"
    np.testing.assert_array_equal(auto.x, tz.solve(r, B, method="levinson").x)
    assert tz.ToeplitzSolver(r).kappa_lower_bound() <= np.linalg.cond(
        __import__("scipy.linalg").linalg.toeplitz(r)) * (1 + 1e-6)


def test_auto_keeps_gohberg_semencul_when_well_conditioned():
    r = 0.5 ** np.arange(200.0)
    B = np.ones((200, 3))
    res = tz.solve(r, B)
    assert res.method == "gohberg-semencul"
    np.testing.assert_array_equal(res.x, tz.ToeplitzSolver(r).solve(B))


@pytest.mark.parametrize("tol", [True, "x", None, float("inf"), [0.1]])
def test_is_positive_definite_tol_is_validated(tol):
    with pytest.raises(gp.InvalidArgumentError, match=r"^tol="):
        tz.is_positive_definite([1.0, 0.5], tol)


def test_solver_residual_arguments_are_validated():
    S = tz.ToeplitzSolver([2.0, 0.5, 0.1])
    b = np.ones(3)
    assert S.residual(S.solve(b), b) < 1e-14
    with pytest.raises(gp.InvalidArgumentError, match=r"^x="):
        S.residual(np.ones(4), b)
    with pytest.raises(gp.InvalidArgumentError, match=r"^b="):
        S.residual(np.ones(3), [1.0, np.nan, 1.0])
    with pytest.raises(gp.InvalidArgumentError, match=r"^x="):
        S.residual(np.ones((3, 2)), b)


def test_pcg_rows_mixed_scales_with_recycling():
    n = 2000
    r = gp.Logarithmic(2.0, 1.0).autocovariance(n)   # slow enough to recycle
    scales = [1e-300, 1.0, 1e300, 1e-170, 1e170, 3.0, 1e-200, 1e250, 0.5, 1e-305]
    B = np.stack([np.cos(np.arange(n) * 0.01 * (k + 1)) * c for k, c in enumerate(scales)])
    s = np.linspace(0.5, 2.0, len(scales))
    h = np.linspace(1e-3, 1.0, len(scales))
    res = pcg_rows(r, B, s, h)
    assert res.deflated > 0  # the recycled path
    for k, c in enumerate(scales):
        ref = pcg_rows(r, B[k:k + 1] / c, s[k:k + 1], h[k:k + 1]).x[0]
        np.testing.assert_allclose(res.x[k] / c, ref, rtol=1e-8, atol=1e-8 * np.abs(ref).max())
