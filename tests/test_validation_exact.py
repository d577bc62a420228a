"""The exact positive definiteness test behind Sigma's validation (gpdtheory.validation)."""

from __future__ import annotations

import numpy as np
import pytest

import gpdtheory as gp
from gpdtheory.errors import NotPositiveDefiniteError
from gpdtheory.validation import EXACT_MAX_D, exactly_positive_definite

from .helpers import sylvester_positive_definite

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
