"""Fuzz :mod:`gpdtheory.psd`: per-N verdicts, the all-N certificate, phase diagrams and frontiers.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: a NaN-free result
or a documented error naming the argument, the value and the fix.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import psd
from gpdtheory.testing.bad_input import (
    bad_arrays,
    bad_correlations,
    bad_ints,
    bad_scalars,
    call_clean,
)

from ._settings import fuzz

METHODS = st.sampled_from(["hard", "taper", "shift", "soft", None])
# J and L: valid small values, J >= N, and every bad integer
JS = st.one_of(st.integers(0, 12), bad_ints())
JS6 = st.one_of(st.integers(0, 6), bad_ints())
KERNELS_OR_R = st.one_of(
    st.sampled_from([gp.PoweredExponential(3.0, 1.5), gp.Polynomial(1.0, 0.7),
                     gp.Logarithmic(1.0, 1.0), "bad", None]),
    bad_correlations(max_n=10), bad_arrays((8,), valid=lambda r: 0.6 ** np.arange(8.0)))


@fuzz()
@given(J=JS, N=st.one_of(st.integers(1, 20), bad_ints()), method=METHODS,
       kern=st.sampled_from([gp.PoweredExponential(3.0, 1.5), gp.Polynomial(1.0, 0.7),
                             0.5 ** np.arange(6.0), np.array([1.0, 1.2]), "bad"]))
def test_psd_per_n(J, N, method, kern):
    call_clean(psd.truncated_column, kern, J, N, method)
    call_clean(psd.per_n, kern, J, N, truncation=method)
    call_clean(psd.smallest_eigenvalue, kern, J, N, method)
    call_clean(psd.first_failing_n, kern, J, N, method)


@fuzz()
@given(nu=bad_scalars(), J=st.one_of(st.none(), bad_ints()),
       family=st.sampled_from(["powered_exponential", "polynomial", "gauss"]))
def test_psd_frontier(nu, J, family):
    call_clean(psd.dominance_frontier, nu, J, family, allow_inf=True)
    if isinstance(J, int) and 0 <= J <= 8:  # bisection per call: keep J small
        call_clean(psd.exact_frontier, nu, J, family, allow_inf=True)


@fuzz()
@given(c=st.one_of(st.lists(st.fractions(max_denominator=2**20), min_size=1, max_size=8),
                   st.lists(st.integers(-5, 5), min_size=1, max_size=8),
                   st.lists(bad_scalars(), max_size=3), st.sampled_from([None, [], (), "ab"])))
@example(c=[1.0, math.nan])  # floats, NaN among them, went through unchecked
def test_chebyshev_to_monomial(c):
    from fractions import Fraction

    out = call_clean(psd.certificate.chebyshev_to_monomial, c)
    if isinstance(out, list):
        assert len(out) == len(c) and all(isinstance(x, Fraction) for x in out)
        # p(1) = sum c_m T_m(1) = sum c_m
        assert sum(out) == sum(c)


@fuzz()
@given(kern=KERNELS_OR_R, J=JS6, rel_error=st.one_of(st.none(), bad_scalars()),
       dt=st.one_of(st.just(1.0), bad_scalars()))
@example(kern=np.array([1.0, 0.5]), J=1, rel_error=-1.0, dt=1.0)  # negative slack
@example(kern=gp.PoweredExponential(3.0, 1.5), J=2, rel_error=None, dt=math.nan)
@example(kern=gp.PoweredExponential(3.0, 1.5), J=2, rel_error=None, dt=1.7976931348623157e308)
def test_certify_all_n(kern, J, rel_error, dt):
    out = call_clean(psd.certify_all_n, kern, J, rel_error, dt)
    if isinstance(out, psd.AllNCertificate):
        assert out.verdict in ("psd", "not_psd", "inconclusive") and out.slack >= 0
        if out.verdict == "not_psd":
            assert out.witness_value + out.slack < 0


@fuzz()
@given(kern=st.sampled_from([gp.PoweredExponential(0.9, 1.0), gp.Polynomial(1.0, 0.7),
                             gp.SampledKernel(0.5 ** np.arange(5)), "bad", None, np.ones(3)]),
       J=st.one_of(st.none(), bad_ints()))
def test_diagonally_dominant(kern, J):
    out = call_clean(psd.diagonally_dominant, kern, J)
    assert isinstance(out, (bool, gp.GPDTheoryError)), out


@fuzz()
@given(nu=st.one_of(st.just(1.0), bad_scalars()),
       ells=st.one_of(st.just([0.5, 2.0]), bad_arrays((2,), valid=lambda r: r.uniform(.1, 5, 2)),
                      st.sampled_from([[], None, "x"])),
       Js=st.one_of(st.just([0, 1, 3]), bad_arrays((2,), valid=lambda r: np.array([1, 2])),
                    st.lists(bad_ints(), max_size=3), st.sampled_from([[2**45], [-1], None])),
       family=st.sampled_from(["powered_exponential", "polynomial", "logarithmic", "gauss"]),
       N=st.one_of(st.none(), st.integers(1, 8), bad_ints()))
@example(nu=1.0, ells=[1.0], Js=[-1], family="powered_exponential", N=None)  # csum[-2]
@example(nu=1.0, ells=[1.0], Js=[2**45], family="powered_exponential", N=None)  # huge alloc
@example(nu=1.0, ells=[1.0], Js=[1.5], family="powered_exponential", N=None)  # truncated J
def test_phase_diagram(nu, ells, Js, family, N):
    out = call_clean(psd.phase_diagram, nu, ells, Js, family, N)
    if isinstance(out, psd.PhaseDiagram):
        assert out.min_symbol.shape == (out.ells.size, out.Js.size)
        assert np.all(out.Js >= 0)


@fuzz()
@given(nus=st.one_of(st.just((1.0,)), st.lists(bad_scalars(), max_size=2),
                     st.sampled_from([None, 1.0, "x"])),
       J_max=st.one_of(st.integers(1, 2), bad_ints()),
       family=st.sampled_from(["powered_exponential", "polynomial", "gauss"]))
@example(nus=[1e-9], J_max=1, family="powered_exponential")  # brentq RuntimeError
@example(nus=[5e-324], J_max=1, family="powered_exponential")  # NaN tail bound (inf - inf)
@example(nus=[6.0], J_max=2, family="powered_exponential")  # Newton step overflow
def test_frontier_table(nus, J_max, family):
    if isinstance(J_max, int) and J_max > 2:
        J_max = 2  # every J costs a bisection: keep the valid path cheap
    out = call_clean(psd.frontier_table, nus, J_max, family, allow_inf=True)
    if isinstance(out, list):
        for row in out:
            assert row.dominance >= 0 and row.exact > 0
