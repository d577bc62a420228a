"""Fuzz :mod:`gpdtheory.gd` (and :mod:`gpdtheory.linear`, :mod:`gpdtheory.bounds`).

Iterates, matrices, bounds.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: a NaN-free result
or a documented error naming the argument, the value and the fix.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import distribution as dist
from gpdtheory import gd
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.testing.bad_input import bad_arrays, bad_ints, bad_scalars, bad_sigmas, call_clean

from ._settings import fuzz

SPEC = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 6, np.array([[1.5, 0.2], [0.2, 0.7]]))
METHODS = st.sampled_from(["hard", "taper", "shift", "soft", None])
# J and L: valid small values, J >= N, and every bad integer
JS = st.one_of(st.integers(0, 12), bad_ints())
TS = st.one_of(st.floats(1e-3, 10.0), bad_scalars())


def _rng0_normal(shape, complex_part=False):
    """``default_rng(0)`` standard normals: the base array of the recorded falsifying examples."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal(shape)
    return base + 1j * rng.standard_normal(shape) if complex_part else base


@fuzz()
@given(X=bad_arrays((6, 2)), t=TS, J=JS, L=st.one_of(st.integers(0, 30), bad_ints()),
       method=METHODS)
# gd_matrix at t -> 0, L = 0: log1p(-1) = -inf, and 0 * -inf must not give NaN
@example(X=_rng0_normal((6, 2), complex_part=True), t=1e-300, J=0, L=0, method="hard")
def test_gd(X, t, J, L, method):
    call_clean(gd.gd_iterates, SPEC, X, t, J, L, method)
    call_clean(gd.truncated_score, SPEC, X, t, J, method)
    call_clean(gd.gd_matrix, SPEC, t, J, L, method)


@fuzz()
@given(t=TS, J=JS, L=st.one_of(st.integers(0, 30), bad_ints()), method=METHODS,
       eps=bad_scalars())
# eps * mu_bar underflows: sizes_needed works with logs
@example(t=1.0, J=0, L=0, method="hard", eps=5e-324)
def test_gd_bounds(t, J, L, method, eps):
    call_clean(gd.theorem_s_bound, SPEC, t, J, L, method, allow_inf=True)
    call_clean(gd.lemma_gd_bound, SPEC, t, J, L, method, allow_inf=True)
    call_clean(gd.lemma_tr_bound, SPEC, t, J, method, allow_inf=True)
    call_clean(gd.sizes_needed, SPEC, t, eps, method, allow_inf=True)


@fuzz()
@given(r_bar=bad_arrays((6,), valid=lambda rng: 0.5 ** np.arange(6.0)),
       Sigma=st.one_of(bad_sigmas(d=2), bad_arrays((2, 2), valid=lambda rng: np.eye(2))),
       A=bad_arrays((12, 12), valid=lambda rng: -np.eye(12)), t=TS)
def test_gd_matrices(r_bar, Sigma, A, t):
    call_clean(gd.gamma_bar_extremes, r_bar)
    call_clean(gd.step_size, r_bar, Sigma)
    call_clean(gd.l2_error, SPEC, A, t)


def test_L_zero_is_the_zero_estimator():
    """L = 0 steps of GD from zero give the zero matrix, a valid (if useless) estimator."""
    assert np.array_equal(gd.gd_matrix(SPEC, 0.5, 2, 0), np.zeros((12, 12)))


@pytest.mark.parametrize("fn", [dist.exact_score_estimator, gd.truncated_r])
def test_not_a_spec(fn):
    args = (None,) if fn is dist.exact_score_estimator else (None, 2)
    assert isinstance(call_clean(fn, *args), InvalidArgumentError)
