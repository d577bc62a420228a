"""The superfast Schur route (``toeplitz.schur``) against Durbin's recursion, dense
``slogdet`` and an mpmath recursion; ``logdet`` and ``is_positive_definite`` through it.

Allowance for the logdet of the superfast route: each node's FFT products perturb the new
generator by about ``eps log2(P)`` times the products' size, which is ``growth`` times the
pivot (module notes of ``toeplitz.schur``); a relative perturbation ``delta`` of a pivot
moves ``log det`` by ``delta``, so over the ``N`` pivots the route's round-off is at most
``N eps log2(2N) growth``, plus the ``eps |log det|`` of the compensated sum. The recursion
is tested with small leaves (``LEAF`` 2-16) so that a few hundred coefficients already pass
through many levels of products.
"""

from __future__ import annotations

import contextlib

import mpmath
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

import gpdtheory as gp
import gpdtheory.toeplitz as tz
from gpdtheory.schedule import alpha2_sigma2
from gpdtheory.testing.strategies import kernels
from gpdtheory.toeplitz import schur
from gpdtheory.toeplitz.reflection import durbin_core, logdet_from_reflection
from gpdtheory.toeplitz.work import counting

from .oracles import KERNEL_IDS, KERNELS

EPS = np.finfo(float).eps


@contextlib.contextmanager
def leaf(size: int):
    """Run the recursion with leaves of ``size`` (restored afterwards)."""
    before = schur.LEAF
    schur.LEAF = size
    try:
        yield
    finally:
        schur.LEAF = before


def _superfast(r: np.ndarray) -> tuple[float, schur.SchurResult]:
    res = schur.reflection_coefficients(r)
    assert res.failure == -1
    n = r.shape[0]
    return float(logdet_from_reflection(float(r[0]), res.k, n, n - 1)), res


def _allowance(n: int, growth: float, value: float) -> float:
    return n * EPS * np.log2(2 * n) * growth + EPS * abs(value)


def _k_allowance(n: int, growth: float) -> float:
    """Coefficients: the products' ``eps log2(2N) growth`` plus Durbin's own running sums
    (``~ N eps`` on these well-conditioned kernels)."""
    return EPS * (np.log2(2 * n) * growth + n)


def _hard_cases(n: int) -> dict[str, np.ndarray]:
    m = np.arange(n, dtype=float)
    return {"AR(1) 0.999": 0.999 ** m, "Gaussian ell=3": np.exp(-(m / 3.0) ** 2),
            "0.9^(k^2)": 0.9 ** (m * m), "damped cosine": np.cos(m) * 0.99 ** m,
            "one off-diagonal": np.r_[1.0, 0.5, np.zeros(n - 2)]}


@pytest.mark.parametrize("kernel", KERNELS, ids=KERNEL_IDS)
@pytest.mark.parametrize("N", [1, 2, 3, 4, 5, 8, 17, 64, 255, 600])
@pytest.mark.parametrize("size", [2, 5, 16])
def test_reflection_coefficients_match_durbin_and_dense(kernel, N, size):
    r = kernel.autocovariance(N)
    with leaf(size):
        ld, res = _superfast(r)
    _, k, _, first = durbin_core(r, False)
    assert first == -1 and res.k.shape == (max(N - 1, 0),)
    ref = np.linalg.slogdet(scipy.linalg.toeplitz(r))[1]
    assert abs(ld - ref) <= _allowance(N, res.growth, ref) + 1e-12 * N  # + dense LU's error
    durbin_ld = float(logdet_from_reflection(float(r[0]), k, N, N - 1))
    assert abs(ld - durbin_ld) <= _allowance(N, res.growth, durbin_ld)
    # the coefficients themselves: Durbin's with the opposite sign
    np.testing.assert_allclose(res.k, -k, rtol=0, atol=_k_allowance(N, res.growth))


def _mpmath_logdet(r: np.ndarray) -> float:
    """Durbin's recursion in 40-digit arithmetic on the float64 ``r``."""
    with mpmath.workdps(40):
        rr = [mpmath.mpf(float(v)) for v in r]
        y: list = []
        e = rr[0]
        exact = mpmath.log(e)
        for j in range(1, len(rr)):
            kj = -(rr[j] + mpmath.fsum(y[i] * rr[j - 1 - i] for i in range(len(y)))) / e
            y = [y[i] + kj * y[j - 2 - i] for i in range(len(y))] + [kj]
            e = e * (1 - kj * kj)
            exact += mpmath.log(e)
        return float(exact)


@pytest.mark.parametrize("name", sorted(_hard_cases(8)))
def test_against_a_40_digit_recursion(name):
    """Ill-conditioned inputs at N = 400 with leaves of 2, 8 and 32 (up to eight levels of
    products). Beyond the products' round-off (``growth``) a pivot inherits the weak
    stability of the Schur and Durbin recursions, a relative error of about
    ``eps kappa`` (Cybenko 1980; ``toeplitz.systems`` notes), ``N eps kappa`` over the sum.
    Measured: AR(1), damped cosine and one off-diagonal (kappa 1e4-7e5) within the
    products' allowance; Gaussian and ``0.9^(k^2)`` (kappa 2e9-7e9) 8e-8 to 2.3e-6 absolute,
    Durbin's recursion 2e-7 to 4e-7, against ``N eps kappa`` = 2e-4 to 7e-4."""
    r = _hard_cases(400)[name]
    exact = _mpmath_logdet(r)
    kappa = np.linalg.cond(scipy.linalg.toeplitz(r))
    for size in (2, 8, 32):
        with leaf(size):
            ld, res = _superfast(r)
        assert abs(ld - exact) <= _allowance(400, res.growth, exact) + 400 * EPS * kappa


@pytest.mark.parametrize("name, r", [
    ("indefinite band", np.r_[1.0, 0.5001, np.zeros(998)]),
    ("white noise", np.r_[1.0, 0.05 * np.random.default_rng(0).standard_normal(999)]),
    ("zero diagonal", np.r_[0.0, 0.5, np.zeros(998)]),
    ("negative diagonal", np.r_[-1.0, 0.5, np.zeros(998)]),
    ("NaN inside", np.r_[1.0, 0.2, np.nan, np.zeros(997)]),
])
def test_failure_index_is_durbins(name, r):
    """Indefinite input stops where Durbin's verdict stops (well-separated failures); the
    route then declines to answer, and ``logdet`` raises as before."""
    with leaf(8):
        res = schur.reflection_coefficients(r)
        assert schur.superfast_logdet(r) is None
    first = durbin_core(r, False)[3]
    if name != "NaN inside":
        assert res.failure == first >= 0
    else:
        assert res.failure >= 0 and first >= 0


def test_near_singular_input_is_left_to_durbin():
    """Gaussian ``ell = 5``: a prediction error falls below RECHECK_BETA before either
    recursion fails; the superfast route declines, so the verdict is Durbin's alone."""
    r = np.exp(-(np.arange(9000.0) / 5.0) ** 2)
    assert schur.superfast_logdet(r) is None
    assert tz.is_positive_definite(r) == (durbin_core(r, False)[3] < 0)


@pytest.mark.parametrize("kernel", [gp.Polynomial(2.0, 1.5), gp.Logarithmic(2.0, 1.0),
                                    gp.PoweredExponential(2.0, 1.0)], ids=repr)
def test_logdet_and_verdict_use_the_superfast_route_from_its_order(kernel):
    N = tz.systems.SUPERFAST_MIN_N + 77
    r = kernel.autocovariance(N)
    with counting() as work:
        ld = tz.logdet(r)
        pd = tz.is_positive_definite(r)
    assert work["quadratic_kernel"] == 0 and work["transform"] > 0 and pd
    _, k, _, _ = durbin_core(r, False)
    durbin_ld = float(logdet_from_reflection(float(r[0]), k, N, N - 1))
    growth = schur.reflection_coefficients(r).growth
    assert abs(ld - durbin_ld) <= _allowance(N, growth, durbin_ld)
    with counting() as work:
        tz.logdet(r[:tz.systems.SUPERFAST_MIN_N - 1])
    assert work["quadratic_kernel"] == 1 and work["transform"] == 0


@pytest.mark.parametrize("N", [2**13, 2**14, 2**15])
def test_transform_work_is_n_log_n_per_level(N):
    """Each level of the recursion transforms at most 10 rows of total length about N
    (the spectra of both Thetas' first columns, the generator pair, and the inverse
    transforms), so the work is ``O(N log^2 N)``, never ``O(N^2)``."""
    r = gp.Polynomial(2.0, 0.8).autocovariance(N)
    with counting() as work:
        schur.reflection_coefficients(r)
    levels = int(np.ceil(np.log2(N / schur.LEAF)))
    assert 0 < work["transform_length"] <= 10 * 1.25 * N * levels


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300])
def test_scale_free(scale):
    r = gp.Logarithmic(1.0, 1.0).autocovariance(9000)
    res = schur.reflection_coefficients(r)
    # scale * r is r rounded once more: the coefficients move by round-off only
    np.testing.assert_allclose(schur.reflection_coefficients(scale * r).k, res.k, rtol=0,
                               atol=_k_allowance(9000, res.growth))
    ld = tz.logdet(r)
    assert abs(tz.logdet(scale * r) - (ld + 9000 * np.log(scale))) <= 1e-13 * 9000 * abs(
        np.log(scale))


def test_bitwise_independent_of_thread_count():
    import numba

    r = gp.Polynomial(2.0, 1.5).autocovariance(70000)  # transforms long enough for the pool
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = schur.reflection_coefficients(r).k
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
        many = schur.reflection_coefficients(r).k
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, many)


@given(kernel=kernels(), N=st.integers(1, 1500), t=st.floats(0.01, 5.0),
       size=st.integers(2, 64))
def test_superfast_logdet_property(kernel, N, t, size):
    """Drawn family, ``ell``, ``nu``, N, diffusion time and leaf size: the superfast logdet
    of Gamma and of ``alpha_t^2 Gamma + sigma_t^2 I`` equals Durbin's within the route's
    round-off allowance (module notes)."""
    a2, s2 = (float(v) for v in alpha2_sigma2(np.asarray(t)))
    for r in (kernel.autocovariance(N), a2 * kernel.autocovariance(N) + s2 * np.eye(1, N)[0]):
        _, k, _, first = durbin_core(r, False)
        with leaf(size):
            res = schur.reflection_coefficients(r)
        if first >= 0:          # an indefinite draw (a kernel that is not PD at this N)
            assert res.failure >= 0
            continue
        if res.failure >= 0:    # near-singular: both recursions near a zero pivot
            assert durbin_core(r, False)[2].min() < 1e-8
            continue
        ld = float(logdet_from_reflection(float(r[0]), res.k, N, N - 1))
        ref = float(logdet_from_reflection(float(r[0]), k, N, N - 1))
        assert abs(ld - ref) <= _allowance(N, res.growth, ref)


def test_read_only_and_strided_input_at_the_superfast_sizes():
    r = gp.Polynomial(2.0, 0.8).autocovariance(9000)
    frozen = r.copy()
    frozen.flags.writeable = False
    strided = np.zeros(2 * r.size)
    strided[::2] = r
    for view in (frozen, strided[::2]):
        assert tz.logdet(view) == tz.logdet(r)
        assert tz.is_positive_definite(view)
    assert not frozen.flags.writeable and np.array_equal(frozen, r)


def test_a_users_sampled_kernel_is_validated_without_the_quadratic_recursion():
    """``GPSpec`` validates a kernel that is not positive definite by construction (measured
    correlations) through the fast verdict from ``SUPERFAST_MIN_N`` on; an indefinite one
    still gets Durbin's failure index in its error."""
    N = 2**14
    rho = gp.Logarithmic(2.0, 1.0).autocovariance(N)
    with counting() as work:
        spec = gp.GPSpec(gp.SampledKernel(rho), N, np.eye(2))
    assert work["quadratic_kernel"] == 0 and spec.N == N
    bad = rho.copy()
    bad[1:3] = 0.9, 0.0  # k_2 = -0.81 / 0.19: |k_2| > 1
    with counting() as work, pytest.raises(gp.NotPositiveDefiniteError, match="k_2"):
        gp.GPSpec(gp.SampledKernel(bad), N, np.eye(2))
    assert work["quadratic_kernel"] == 2  # the verdict's and the message's, both stop at k_2


def test_products_too_large_against_the_smallest_pivot_are_left_to_durbin():
    """AR(1) with ``phi = 1 - 1e-5``: every pivot is ``1 - phi^2 ~ 2e-5``, above
    RECHECK_BETA, but the products are ``~1e8`` of it (``growth > GROWTH_MAX``): the route
    declines, and ``logdet`` is Durbin's."""
    r = (1.0 - 1e-5) ** np.arange(9000.0)
    res = schur.reflection_coefficients(r)
    assert res.failure == -1 and res.log_last_beta > np.log(1e-8)
    assert res.growth > schur.GROWTH_MAX and schur.superfast_logdet(r) is None
    with counting() as work:
        ld = tz.logdet(r)
    assert work["quadratic_kernel"] == 1 and ld == tz.durbin(r).logdet


def _caught(check) -> bool:
    try:
        check()
    except AssertionError:
        return True
    return False


def _agrees_with_durbin():
    for kernel in (gp.Polynomial(2.0, 0.8), gp.Logarithmic(1.0, 1.0)):
        test_reflection_coefficients_match_durbin_and_dense(kernel, 600, 8)


_S = "gpdtheory.toeplitz.schur:"
SCHUR_MUTANTS = [
    ("correlation read one place late", _agrees_with_durbin,
     (_S + "_apply", "new[0, :n - h].copy()", "new[0, 1:n - h + 1].copy()")),
    ("second column's shift forgotten", _agrees_with_durbin,
     (_S + "_apply", "new[1, h:n].copy()", "new[1, :n - h].copy()")),
    ("Theta product with the left rows swapped", _agrees_with_durbin,
     (_S + "_product", "(left[0], left[1], R[0]", "(left[1], left[0], R[0]")),
    ("Theta product truncated to the child's degree", _agrees_with_durbin,
     (_S + "_product", "[:, :degree + 1]", "[:, :degree // 2 + 1]")),
    ("reversal of the wrong degree", _agrees_with_durbin,
     (_S + "_Run.node", "_product(P, spectra, h, right, n)",
      "_product(P, spectra, h + 1, right, n)")),
    ("growth gate dropped", test_products_too_large_against_the_smallest_pivot_are_left_to_durbin,
     (_S + "superfast_logdet", "not res.growth <= GROWTH_MAX", "False")),
]


@pytest.mark.parametrize("name, check, edit", SCHUR_MUTANTS, ids=[m[0] for m in SCHUR_MUTANTS])
def test_these_tests_catch_deliberate_bugs(name, check, edit):
    """Each deliberate bug in the superfast route makes one of the tests above fail (and
    the unmutated route passes it)."""
    from gpdtheory_checks.mutation import Edit, Mutant, applied

    check()
    with applied(Mutant(name, "4.5", name, (Edit(*edit),))):
        assert _caught(check), name
