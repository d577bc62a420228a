"""The Numba functions are callable from a user's own ``@njit`` code."""

from __future__ import annotations

import numba as nb
import numpy as np
import scipy.linalg

import gpdtheory.toeplitz as tz

from ..helpers import rel_err


@nb.njit(cache=False)
def _user_code(r, b):
    x, logdet, fail = tz.levinson_numba(r, b)
    g, logdet2, _last, fail2 = tz.inverse_column_numba(r)
    k, e, fail3 = tz.durbin_numba(r)
    return x, g, logdet, logdet2, fail, fail2, fail3, np.sum(np.log(e))


def test_kernels_callable_from_njit(rng):
    r = 0.6 ** np.arange(50)
    b = rng.standard_normal(50)
    x, g, ld, ld2, f, f2, f3, ld3 = _user_code(r, b)
    T = scipy.linalg.toeplitz(r)
    assert (f, f2, f3) == (-1, -1, -1)
    assert rel_err(x, np.linalg.solve(T, b)) <= 1e-13
    assert rel_err(g, np.linalg.inv(T)[:, 0]) <= 1e-13
    ref = np.linalg.slogdet(T)[1]
    assert abs(ld - ref) <= 1e-11 and abs(ld2 - ref) <= 1e-11 and abs(ld3 - ref) <= 1e-11
