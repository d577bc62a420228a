"""First calls on a new spec stay near-linear: no O(N^2) kernel runs, and the certified
eigenvalue brackets really bracket the dense eigenvalues (docs/theory.md §1.3, §2.3).

No timing assertions: the O(N^2) Toeplitz kernels (Durbin, Levinson, the inverse column,
the Durbin-certified eigenvalue routes, ``Kernel.check_valid``) are wrapped with call
counters, and the FFTs of the first and second call are counted.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
import scipy.linalg

import gpdtheory as gp
from gpdtheory.diffusion import marginal_covariance_operator
from gpdtheory.toeplitz import eigenvalue_bounds

#: Names of the O(N^2) routines, wherever a gpdtheory module has imported them.
QUADRATIC = ("inverse_column_numba", "durbin_numba", "durbin", "levinson_numba",
             "levinson_batch_numba", "is_positive_definite", "logdet", "_lanczos_min",
             "_bisection_min", "_certified_shift")


@pytest.fixture
def quadratic_calls(monkeypatch):
    """Wrap every O(N^2) routine in every loaded gpdtheory module; yield the call log."""
    calls: list[str] = []
    for modname, mod in list(sys.modules.items()):
        if not modname.startswith("gpdtheory") or mod is None:
            continue
        for name in QUADRATIC:
            fn = getattr(mod, name, None)
            if fn is None or not callable(fn):
                continue

            def wrapped(*args, _fn=fn, _name=f"{modname}.{name}", **kwargs):
                calls.append(_name)
                return _fn(*args, **kwargs)

            monkeypatch.setattr(mod, name, wrapped)
    for cls in (gp.Kernel,):
        orig = cls.check_valid

        def check_valid(self, *args, _orig=orig, **kwargs):
            calls.append(f"{type(self).__name__}.check_valid")
            return _orig(self, *args, **kwargs)

        monkeypatch.setattr(cls, "check_valid", check_valid)
    return calls


def _sigma(d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    S = (Q * np.exp(rng.uniform(-1, 1, d))) @ Q.T
    return 0.5 * (S + S.T)


N_BIG = 2**16


@pytest.mark.parametrize("kernel", [gp.Polynomial(2.0, 1.5), gp.PoweredExponential(2.0, 1.0),
                                    gp.Logarithmic(2.0, 1.0)], ids=repr)
def test_first_score_runs_no_quadratic_kernel(kernel, quadratic_calls):
    """The first score on a new 2^16 spec costs what the second does: PCG + FFT brackets.

    At t = 1 the certified bracket decides the accuracy warning whatever residual the CG
    reaches (Logarithmic: kappa_t <= 8.3e3, so kappa_t * PCG_SCORE_TOL <= 8.3e-9 <
    ACCURACY_RTOL). At t = 0.5 (kappa_t up to 2.2e4) the decision would depend on where
    the residual lands below the tolerance, and an undecided bracket computes the exact
    extremes (O(N log N), but more than the second call)."""
    spec = gp.GPSpec(kernel, N_BIG, _sigma(4))
    X = np.random.default_rng(1).standard_normal((N_BIG, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error", gp.AccuracyWarning)
        s1 = gp.score(spec, X, 1.0)
    assert quadratic_calls == []
    assert "gamma_extreme_eigenvalues" not in spec.__dict__
    s2 = gp.score(spec, X, 1.0)
    np.testing.assert_array_equal(s1, s2)
    # the bounds route of condition_number is O(N log N) too
    c = gp.condition_number(spec, 0.5, eigenvalues="bounds")
    assert quadratic_calls == []
    assert np.isfinite(c.kappa) and c.kappa >= 1.0


def test_first_score_sampled_kernel_certified_by_symbol(quadratic_calls):
    """A user array needs a PD proof: the symbol bracket gives it without Durbin."""
    rho = gp.Polynomial(2.0, 1.5).autocovariance(N_BIG)
    spec = gp.GPSpec(rho, N_BIG, np.eye(2))
    gp.score(spec, np.ones((N_BIG, 2)), 0.5)
    assert quadratic_calls == []


def test_counters_see_the_durbin_route(quadratic_calls):
    """Sanity of the instrumentation: the Durbin-certified route does call the O(N^2) kernels."""
    import gpdtheory.toeplitz.eig as eig

    eig.min_eig(gp.Polynomial(2.0, 1.5).autocovariance(1024), method="lanczos")
    assert any(c.endswith("inverse_column_numba") for c in quadratic_calls)
    assert any(c.endswith("_lanczos_min") for c in quadratic_calls)


# Integration: sine-Davidson at N = 2^16 (the size is the point), about 5 s a kernel.
@pytest.mark.integration
@pytest.mark.parametrize("kernel", [gp.Polynomial(2.0, 0.8), gp.Logarithmic(2.0, 1.0)],
                         ids=repr)
def test_exact_extremes_at_2_16_run_no_quadratic_kernel(kernel, quadratic_calls):
    """min_eig/max_eig and the exact condition number are O(N log N) (sine-Davidson)."""
    from gpdtheory.toeplitz import eigenvalue_bounds, max_eig, min_eig

    r = kernel.autocovariance(N_BIG)
    lo, hi = min_eig(r), max_eig(r)
    spec = gp.GPSpec(kernel, N_BIG, np.eye(2))
    c = gp.condition_number(spec, 0.5)
    assert quadratic_calls == []
    assert (c.lmin_gamma, c.lmax_gamma) == (lo, hi)
    b = eigenvalue_bounds(r)
    assert b.lmin_lower <= lo <= b.lmin_upper and b.lmax_lower <= hi <= b.lmax_upper


@pytest.mark.parametrize("kernel", [gp.Polynomial(2.0, 1.5), gp.PoweredExponential(2.0, 1.0),
                                    gp.Logarithmic(2.0, 1.0)], ids=repr)
def test_first_score_costs_a_few_second_scores(kernel, quadratic_calls, monkeypatch):
    """First vs second score on a new 2^16 spec, counted in FFT work (no timing): the first
    call's set-up (certified brackets, preconditioner, product symbol) is at most a few
    times the work of a call itself, and no O(N^2) kernel runs. At t = 1 the bracket decides
    the accuracy warning whatever residual the CG reaches (see the test above)."""
    import ducc0
    import scipy.fft

    work: list[int] = []
    # the engine's transforms are ducc0's (gpdtheory.toeplitz.realfft); NumPy's and SciPy's
    # are spied on too, so that a route moved back to them is still counted
    for module, names in ((ducc0.fft, ("r2c", "c2r", "c2c")),
                          (scipy.fft, ("rfft", "irfft", "fft", "ifft", "dst")),
                          (np.fft, ("rfft", "irfft"))):
        for name in names:
            orig = getattr(module, name)

            def counted(x, *args, _orig=orig, **kwargs):
                work.append(int(np.size(x)))
                return _orig(x, *args, **kwargs)

            monkeypatch.setattr(module, name, counted)
    spec = gp.GPSpec(kernel, N_BIG, _sigma(4))
    X = np.random.default_rng(1).standard_normal((N_BIG, 4))
    gp.score(spec, X, 1.0)
    first = sum(work)
    work.clear()
    gp.score(spec, X, 1.0)
    second = sum(work)
    assert quadratic_calls == []
    assert second > 0 and first <= 3 * second


# N = 300 keeps the route's logic in the fast loop; the larger sizes (20-40 s: the eigh is
# deferred by as many Levinson calls as it costs) are integration.
@pytest.mark.parametrize("N", [300, pytest.param(1024, marks=pytest.mark.integration),
                               pytest.param(2048, marks=pytest.mark.integration)])
def test_first_score_below_factor_threshold_skips_eigendecomposition(N):
    """256 <= N <= 2048: the first calls use Levinson, the O(N^3) eigh comes only once
    the Levinson work has paid for it; both routes agree with the dense oracle."""
    from gpdtheory.diffusion import EIGH_FLOPS_PER_N3
    from tests.helpers import SCORE_RTOL, dense_score, rel_err

    spec = gp.GPSpec(gp.Polynomial(2.0, 1.5), N, _sigma(3))
    X = np.random.default_rng(N).standard_normal((N, 3))
    ref = dense_score(spec.gamma_dense(), spec.Sigma, X, 0.5)
    s = gp.score(spec, X, 0.5)
    assert "gamma_eigh" not in spec.__dict__
    assert rel_err(s, ref) <= SCORE_RTOL
    calls = int(np.ceil(EIGH_FLOPS_PER_N3 * N / (4 * 3)))
    for _ in range(calls):
        gp.score(spec, X, 0.5)
    assert "gamma_eigh" in spec.__dict__
    s_eig = gp.score(spec, X, 0.5)
    assert rel_err(s_eig, ref) <= SCORE_RTOL
    np.testing.assert_allclose(s_eig, s, rtol=0, atol=SCORE_RTOL * np.abs(ref).max())
    # an ill-conditioned spec keeps the dense route from the first call
    bad = gp.GPSpec(gp.PoweredExponential(5.0, 2.0), N, np.diag([0.05, 1.0]))
    assert gp.condition_number(bad, 1e-6, eigenvalues="bounds").kappa > 1e6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gp.AccuracyWarning)
        gp.score(bad, np.ones((N, 2)), 1e-6)
    assert "gamma_eigh" in bad.__dict__


# Integration: nine fresh N = 600 specs taking the eig or Levinson route (about 12 s); the
# size is what puts kappa_t near the threshold over these t.
@pytest.mark.integration
def test_undecided_warning_falls_back_to_exact():
    """Near the threshold the verdict equals the one from exact eigenvalues (for the error
    estimate of the route taken: eig above STRUCTURED_KAPPA_MAX, Levinson below)."""
    spec = gp.GPSpec(gp.Logarithmic(2.0, 1.0), 600, np.eye(1))
    b = spec.gamma_eigenvalue_bounds
    lo, hi = spec.__class__(gp.Logarithmic(2.0, 1.0), 600, np.eye(1)).gamma_extreme_eigenvalues
    assert b.lmin_lower <= lo <= b.lmin_upper and b.lmax_lower <= hi <= b.lmax_upper
    eps = np.finfo(float).eps
    for t in np.geomspace(1e-14, 1e-6, 9):
        a2, s2 = np.exp(-t), -np.expm1(-t)
        kappa = (a2 * hi + s2) / max(a2 * lo + s2, s2)
        fresh = gp.GPSpec(gp.Logarithmic(2.0, 1.0), 600, np.eye(1))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            gp.score(fresh, np.ones((600, 1)), t)
        warned = any(issubclass(x.category, gp.AccuracyWarning) for x in w)
        hi_b = gp.diffusion._kappa(a2, s2, b.lmin_lower, b.lmax_upper, 1.0, 1.0)
        route = "eig" if hi_b > gp.diffusion.STRUCTURED_KAPPA_MAX else "toeplitz"
        factor = gp.diffusion.ROUTE_ERROR_PER_KAPPA_EPS[route]
        assert warned == (kappa * eps * factor > gp.diffusion.ACCURACY_RTOL)


# ------------------------------------------------------------------ oracle: bounds
def _user_arrays() -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    # a valid correlation with negative lags (damped cosine = spectral mixture) and an
    # arbitrary symmetric (possibly indefinite) sequence: bounds hold for both
    m = np.arange(200.0)
    damped = np.exp(-m / 6.0) * np.cos(0.9 * m)
    rough = np.r_[1.0, 0.6 * rng.uniform(-1, 1, 199) / (1 + m[1:]) ** 0.7]
    return [damped, rough]


KERNELS = [gp.PoweredExponential(2.0, 1.0), gp.PoweredExponential(0.7, 2.0),
           gp.PoweredExponential(5.0, 0.5), gp.Polynomial(2.0, 1.5), gp.Polynomial(2.0, 0.8),
           gp.Polynomial(20.0, 3.0), gp.Logarithmic(2.0, 1.0), gp.Logarithmic(0.5, 3.0)]


@pytest.mark.parametrize("N", [1, 2, 3, 17, 64, 200])
@pytest.mark.parametrize("source", KERNELS + ["damped", "rough"], ids=repr)
def test_bounds_bracket_dense_eigenvalues(source, N):
    if isinstance(source, str):
        r = dict(zip(["damped", "rough"], _user_arrays(), strict=True))[source][:N]
    else:
        r = source.autocovariance(N)
    ev = np.linalg.eigvalsh(scipy.linalg.toeplitz(r))
    for grid_factor in (1, 8):
        b = eigenvalue_bounds(r, grid_factor=grid_factor)
        assert b.lmin_lower <= ev[0] <= b.lmin_upper
        assert b.lmax_lower <= ev[-1] <= b.lmax_upper
        klo, khi = b.kappa_bounds()
        if ev[0] > 0:
            assert klo <= ev[-1] / ev[0] * (1 + 1e-12) and ev[-1] / ev[0] <= khi * (1 + 1e-12)


@pytest.mark.parametrize("kernel", KERNELS, ids=repr)
def test_spec_bounds_bracket_and_are_tight_when_summable(kernel):
    spec = gp.GPSpec(kernel, 500, np.eye(1))
    b = spec.gamma_eigenvalue_bounds
    ev = np.linalg.eigvalsh(spec.gamma_dense())
    assert b.lmin_lower <= ev[0] <= b.lmin_upper
    assert b.lmax_lower <= ev[-1] <= b.lmax_upper
    assert b.lmin_lower >= 0.0  # every family here is PD on every N
    if kernel.summable and kernel.tail_bound(500) < 1e-12:
        assert b.lmin_lower >= ev[0] - 1e-3 * ev[-1]
        assert b.lmax_upper <= ev[-1] * (1 + 1e-3)


def test_sampled_kernel_not_pd_still_refused():
    """An indefinite user array is refused: the bracket does not prove PD, Durbin decides."""
    rho = np.r_[1.0, 0.9, 0.0, -0.9, np.zeros(300)]
    with pytest.raises(gp.NotPositiveDefiniteError):
        gp.GPSpec(rho, 200, np.eye(1))


def test_condition_number_bounds_route_brackets_exact():
    spec = gp.GPSpec(gp.Polynomial(2.0, 1.5), 300, _sigma(3))
    exact = gp.condition_number(spec, 0.2)
    spec2 = gp.GPSpec(gp.Polynomial(2.0, 1.5), 300, _sigma(3))
    spec2.__dict__.pop("gamma_extreme_eigenvalues", None)
    fast = gp.condition_number(gp.GPSpec(gp.Polynomial(2.0, 1.5), 4096, _sigma(3)), 0.2,
                               eigenvalues="bounds")
    assert exact.kappa <= gp.condition_number(spec2, 0.2, eigenvalues="bounds").kappa * (1 + 1e-12)
    assert fast.kappa >= 1.0
    with pytest.raises(gp.InvalidArgumentError, match="eigenvalues"):
        gp.condition_number(spec, 0.2, eigenvalues="nope")


@pytest.mark.parametrize("times", [None, np.array([0.0, 0.5, 1.7, 2.0, 3.5])])
def test_marginal_covariance_operator_matches_dense(times):
    spec = gp.GPSpec(gp.PoweredExponential(1.5, 1.0), 5, _sigma(3), times=times)
    C = gp.marginal_covariance(spec, 0.7)
    op = marginal_covariance_operator(spec, 0.7)
    v = np.random.default_rng(2).standard_normal((15, 4))
    np.testing.assert_allclose(op @ v, C @ v, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(op @ v[:, 0], C @ v[:, 0], rtol=1e-13, atol=1e-13)


# ------------------------------------------------------------------ rows PCG (score, large N)
@pytest.mark.parametrize("kernel", [gp.PoweredExponential(2.0, 1.0), gp.Polynomial(2.0, 0.8),
                                    gp.Logarithmic(2.0, 1.0)], ids=repr)
@pytest.mark.parametrize("N", [1, 2, 3, 17, 300])
def test_pcg_rows_matches_dense_solve(kernel, N):
    from gpdtheory.toeplitz.rows_pcg import pcg_rows

    rng = np.random.default_rng(N)
    r = kernel.autocovariance(N)
    B = rng.standard_normal((5, N))
    B[2] = 0.0  # a zero right-hand side is solved by zero
    scale = np.exp(rng.uniform(-2, 2, 5))
    shift = np.array([0.0, 1e-3, 0.5, 1.0, 2.0])
    res = pcg_rows(r, B, scale, shift, tol=1e-12)
    T = scipy.linalg.toeplitz(r)
    for k in range(5):
        A = scale[k] * T + shift[k] * np.eye(N)
        x = np.linalg.solve(A, B[k])
        assert np.linalg.norm(A @ res.x[k] - B[k]) <= 1e-11 * max(np.linalg.norm(B[k]), 1e-300)
        assert np.linalg.norm(res.x[k] - x) <= 1e-8 * max(np.linalg.norm(x), 1e-300)
    assert res.residual <= 1e-12


def test_score_large_n_matches_levinson_route():
    """N >= PCG_SCORE_MIN_N goes through pcg_rows; compare with the direct Levinson route."""
    from gpdtheory.diffusion import PCG_SCORE_MIN_N, _score_toeplitz

    N = PCG_SCORE_MIN_N
    spec = gp.GPSpec(gp.Polynomial(2.0, 1.5), N, _sigma(3))
    X = np.random.default_rng(3).standard_normal((2, N, 3))
    t = np.array([0.05, 2.0])
    s = gp.score(spec, X, t)
    import gpdtheory.diffusion as dif

    old = dif.PCG_SCORE_MIN_N
    try:
        dif.PCG_SCORE_MIN_N = N + 1  # force Levinson
        ref, residual = _score_toeplitz(spec, X, np.exp(-t), -np.expm1(-t))
        assert residual is None  # the Levinson route reports no residual
    finally:
        dif.PCG_SCORE_MIN_N = old
    for i in range(2):
        assert np.linalg.norm(s[i] - ref[i]) <= 1e-9 * np.linalg.norm(ref[i])


# ------------------------------------------------------------------ circulant-embedding sampler
@pytest.mark.parametrize("kernel", [gp.PoweredExponential(1.5, 1.2),
                                    gp.PoweredExponential(3.0, 2.0), gp.Polynomial(2.0, 0.8),
                                    gp.Logarithmic(2.0, 1.0)], ids=repr)
def test_circulant_sampler_covariance(kernel):
    N, n = 30, 20000
    spec = gp.GPSpec(kernel, N, np.array([[1.0, 0.4], [0.4, 0.8]]), mean=np.ones((N, 2)))
    X = spec.sample(n, seed=1, method="circulant")
    assert X.shape == (n, N, 2)
    V = X.reshape(n, -1)
    C = np.cov(V, rowvar=False)
    K = spec.covariance_dense()
    se = np.sqrt((np.outer(np.diag(K), np.diag(K)) + K**2) / n)
    assert np.max(np.abs(C - K) / se) < 5.0
    np.testing.assert_allclose(V.mean(0), 1.0, atol=5 * np.sqrt(np.diag(K).max() / n))
    np.testing.assert_array_equal(spec.sample(3, seed=7, method="circulant"),
                                  spec.sample(3, seed=7, method="circulant"))


@pytest.mark.parametrize("N", [1, 2, 3, 7, 14, 30, 53, 100, 257])
def test_circulant_embedding_covariance_is_gamma_exactly(N):
    """The draws are ``Re/Im F (root * w)``, ``E w w^H = 2 I``: their covariance is
    ``Re(F diag(root^2) F^H)``, formed densely here, whose leading ``N x N`` block must be
    Gamma. The embedding length is a fast FFT length at least ``2(N - 1)`` (odd or even;
    it exceeds ``2(N - 1)`` at N = 14, 30 and 53, and is odd at 14 and 53)."""
    import scipy.fft

    spec = gp.GPSpec(gp.Polynomial(2.0, 0.8), N, np.eye(1))
    M, root = spec._circulant_sqrt
    assert M >= 2 * (N - 1) and M == scipy.fft.next_fast_len(M)
    full = np.concatenate((root, root[1:(M + 1) // 2][::-1]))[:M]
    F = scipy.fft.fft(np.eye(M), axis=0)
    A = F * full
    cov = (A @ A.conj().T).real
    np.testing.assert_allclose(cov[:N, :N], spec.gamma_dense(), rtol=0, atol=1e-13)


def test_sample_auto_is_circulant_beyond_dense_limit(quadratic_calls):
    from gpdtheory.spec import DENSE_FACTOR_MAX_N

    N = 4 * DENSE_FACTOR_MAX_N
    spec = gp.GPSpec(gp.Polynomial(2.0, 1.5), N, np.eye(3))
    X = spec.sample(3, seed=0)
    assert X.shape == (3, N, 3) and np.all(np.isfinite(X))
    assert "_gamma_factor" not in spec.__dict__ and "_circulant_sqrt" in spec.__dict__
    assert quadratic_calls == []
    with pytest.raises(gp.InvalidArgumentError, match="method"):
        spec.sample(1, method="nope")
    small = gp.GPSpec(gp.Polynomial(2.0, 1.5), 5, np.eye(1), times=np.arange(5.0) ** 1.1)
    with pytest.raises(gp.InvalidArgumentError, match="equispaced"):
        small.sample(1, method="circulant")
