"""Test a gpdtheory-based project in its own CI: strategies, a clean-call contract, profiles.

* :mod:`gpdtheory.testing.strategies` -- hypothesis strategies for well-posed cases
  (closed-form, scikit-learn and measured kernels, ``Sigma`` with means, specs);
  importing it registers ``st.from_type`` strategies for :class:`GPSpec` and
  every kernel class.
* :mod:`gpdtheory.testing.bad_input` (re-exported here) -- strategies for *bad* input and
  :func:`call_clean`, the contract every entry point keeps: return a NaN-free result or
  raise a documented error (a ``GPDTheoryError``, or one of the caller's own exception
  types passed as ``accept=``).
* :mod:`gpdtheory.testing.pytest_plugin` -- the ``ci`` (derandomized) and ``thorough``
  hypothesis profiles, both with ``deadline=None``; installed as the ``pytest11`` entry
  point ``gpdtheory``, so ``pytest --hypothesis-profile=thorough`` works in any project that
  has gpdtheory installed.

Examples
--------
>>> from hypothesis import given, strategies as st
>>> import gpdtheory as gp
>>> from gpdtheory.testing import call_clean, strategies as gst
>>> @given(st.from_type(gp.GPSpec), gst.diffusion_times())
... def test_score_is_finite(spec, t):
...     call_clean(gp.score, spec, spec.sample(1, seed=0)[0], t)
"""

from __future__ import annotations

from . import strategies
from .bad_input import (
    ALLOWED_WARNINGS,
    assert_no_nan,
    bad_arrays,
    bad_correlations,
    bad_ints,
    bad_scalars,
    bad_sigmas,
    call_clean,
    nonfinite_arrays,
    nonstationary_sklearn_kernels,
)
from .pytest_plugin import PROFILES, register_profiles
from .strategies import (
    depths,
    diffusion_times,
    families,
    kernels,
    register_types,
    sampled_kernels,
    sigmas_with_means,
    sklearn_kernels,
    spd_matrices,
    specs,
    truncation_lags,
    user_arrays,
)

__all__ = ["strategies", "families", "kernels", "spd_matrices", "specs", "diffusion_times",
           "truncation_lags", "depths", "sklearn_kernels", "user_arrays", "sampled_kernels",
           "sigmas_with_means", "register_types", "call_clean", "assert_no_nan",
           "bad_scalars", "bad_ints", "bad_arrays", "nonfinite_arrays", "bad_sigmas",
           "bad_correlations", "nonstationary_sklearn_kernels", "ALLOWED_WARNINGS", "PROFILES",
           "register_profiles"]
