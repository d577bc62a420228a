"""Fuzz :mod:`gpdtheory.truncation`: truncations, the symbol minimum, error bounds, ``smallest_J``.

Every call goes through :func:`gpdtheory.testing.bad_input.call_clean`: a NaN-free result
or a documented error naming the argument, the value and the fix.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import gpdtheory as gp
from gpdtheory import truncation
from gpdtheory.testing.bad_input import bad_arrays, bad_ints, bad_scalars, call_clean

from ._settings import fuzz

SPEC = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 6, np.array([[1.5, 0.2], [0.2, 0.7]]))
METHODS = st.sampled_from(["hard", "taper", "shift", "soft", None])
# J and L: valid small values, J >= N, and every bad integer
JS = st.one_of(st.integers(0, 12), bad_ints())


def _column(rng):
    return 0.6 ** np.arange(8.0)


@fuzz()
@given(r=bad_arrays((8,), valid=_column), J=JS, method=METHODS)
def test_truncation(r, J, method):
    call_clean(truncation.truncated_autocovariance, r, J, method)
    call_clean(truncation.tau_J, r, J)
    call_clean(truncation.error_bound, r, J, method)
    call_clean(truncation.truncation_error, r, J, method)
    call_clean(truncation.symbol_minimum, r, J)


@fuzz()
@given(eps=bad_scalars(), N=st.one_of(st.none(), bad_ints()),
       what=st.sampled_from([gp.PoweredExponential(2.0, 1.0), gp.Logarithmic(1.0, 1.0), SPEC,
                             "x", None]))
def test_smallest_J(eps, N, what):
    call_clean(truncation.smallest_J, what, eps, N)
