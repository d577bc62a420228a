"""The exact positive definiteness test behind Sigma's validation (gpdtheory.validation)."""

from __future__ import annotations

import numpy as np
import pytest

import gpdtheory as gp
from gpdtheory.errors import NotPositiveDefiniteError
from gpdtheory.validation import EXACT_MAX_D, exactly_positive_definite

from .helpers import NEAR_SINGULAR_SIGMA, sylvester_positive_definite

#: ``Q diag(1e-20, 1, 1.5) Q^T`` rounded: numpy's eigh gives a smallest eigenvalue of
#: +4.2e-17, eigvalsh -2.8e-19, and its last leading minor is negative exactly. The thorough
#: profile of tests/fuzz/test_fuzz_core.py::test_gpspec found GPSpec accepting such
#: matrices.
_HEX = [["0x1.6e26d62a2d347p+0", "-0x1.5842b12ca805bp-3", "-0x1.fd799980ae4d5p-4"],
        ["-0x1.5842b12ca805bp-3", "0x1.0d5e62ff1fde2p+0", "-0x1.1852a72898edcp-4"],
        ["-0x1.fd799980ae4d5p-4", "-0x1.1852a72898edcp-4", "0x1.1eb1b5acbb598p-6"]]
INDEFINITE = np.array([[float.fromhex(x) for x in row] for row in _HEX])


@pytest.mark.parametrize("d", [1, 2, 3, 5, 8])
def test_matches_sympy_on_near_singular_matrices(d):
    """Products ``Q diag(lam) Q^T`` with one eigenvalue far below round-off are exactly
    definite or indefinite by chance: the test agrees with sympy's exact minors each time."""
    rng = np.random.default_rng(d)
    seen = set()
    for k in range(40):
        Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        lam = rng.uniform(0.5, 2.0, d) * 10.0 ** rng.integers(-150, 150)
        lam[0] *= 10.0 ** -rng.integers(8, 40) * (1 if k % 3 else -1)
        S = (Q * lam) @ Q.T
        S = 0.5 * (S + S.T)
        expected = sylvester_positive_definite(S)
        seen.add(expected)
        assert exactly_positive_definite(S) == expected
    assert d == 1 or seen == {True, False}


def test_the_verdict_is_exact_within_round_off():
    """A matrix whose smallest eigenvalue is within round-off of 0 is decided by its exact
    minors, not by the sign LAPACK happened to compute."""
    assert not sylvester_positive_definite(INDEFINITE) and not exactly_positive_definite(INDEFINITE)
    with pytest.raises(NotPositiveDefiniteError, match="exact arithmetic"):
        gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, INDEFINITE)
    tiny = np.diag([1.0, 1e-300])  # exactly definite, however small
    assert exactly_positive_definite(tiny)
    assert gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, tiny).Sigma[1, 1] == 1e-300


def test_large_orders_within_round_off_are_refused_clearly():
    d = EXACT_MAX_D + 1
    S = np.eye(d)
    S[0, 0] = 1e-300
    with pytest.raises(NotPositiveDefiniteError, match="undecidable in float64"):
        gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, S)


def _sympy_smallest_eigenvalue(S) -> float:
    """Oracle: the smallest real root of the exact characteristic polynomial (sympy's
    rationals, root isolation), rounded to float64."""
    import sympy

    M = sympy.Matrix([[sympy.Rational(*float(x).as_integer_ratio()) for x in row] for row in S])
    x = sympy.Symbol("x")
    roots = sympy.Poly(M.charpoly(x).as_expr(), x).real_roots()
    return float(min(roots).evalf(40))


def _exactly_definite_near_singular(d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    while True:
        Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        lam = rng.uniform(0.5, 2.0, d)
        lam[0] = 10.0 ** -rng.integers(17, 40)
        S = (Q * lam) @ Q.T
        S = 0.5 * (S + S.T)
        if sylvester_positive_definite(S):
            return S


@pytest.mark.parametrize("d, seed", [(2, 0), (2, 1), (3, 2), (4, 3)])
def test_accepted_near_singular_covariance_gets_its_exact_eigenvalues(d, seed):
    """An exactly definite Sigma whose float64 eigenvalue is round-off: the decomposition
    GPSpec keeps is refined in extended precision, so its smallest eigenvalue is the exact
    one to float64's relative accuracy (and positive) and the basis stays orthonormal."""
    S = NEAR_SINGULAR_SIGMA if seed == 0 else _exactly_definite_near_singular(d, seed)
    assert np.linalg.eigvalsh(S)[0] < 1e-15            # inside the round-off band
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 3, S)
    lam, U = spec.sigma_eigh
    exact = _sympy_smallest_eigenvalue(S)
    assert 0.0 < lam[0] and abs(lam[0] - exact) <= 2 * np.finfo(float).eps * exact
    assert np.all(np.diff(lam) >= 0)
    eps = np.finfo(float).eps
    np.testing.assert_allclose(U.T @ U, np.eye(d), rtol=0, atol=4 * d * eps)
    np.testing.assert_allclose((U * lam) @ U.T, spec.Sigma, rtol=0, atol=4 * d * eps * lam[-1])
    assert np.all(np.isfinite(spec.sample(3, seed=0)))  # no square root of a negative


def test_refinement_refuses_what_no_precision_resolves(monkeypatch):
    """When the last working precision still cannot separate the smallest eigenvalue from
    its error bound, the covariance is refused, naming it."""
    from gpdtheory import validation

    monkeypatch.setattr(validation, "REFINE_BITS", (64,))
    with pytest.raises(NotPositiveDefiniteError, match="^Sigma.*exact arithmetic"):
        gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 3, NEAR_SINGULAR_SIGMA)
