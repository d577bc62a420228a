"""Test a gpdtheory-based project in its own CI: strategies, a clean-call contract, profiles.

* :mod:`gpdtheory.testing.strategies` -- hypothesis strategies for well-posed cases
  (closed-form, scikit-learn and measured kernels, ``Sigma`` with means, specs);
  importing it (or using any of its names from here) registers ``st.from_type``
  strategies for :class:`GPSpec` and every kernel class.
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

import importlib
from typing import Any

try:
    import hypothesis  # noqa: F401
except ImportError:  # a missing extra: name it, never a bare ModuleNotFoundError
    from .._extras import require

    require("hypothesis", "testing")
    raise

#: Where each public name lives. Imported on first use (PEP 562): importing this package,
#: as ``-p gpdtheory.testing.pytest_plugin`` does before hypothesis's plugin has loaded,
#: builds no strategy (hypothesis warns about strategies evaluated during plugin loading).
_HOME = {**{name: "strategies" for name in (
    "depths", "diffusion_times", "families", "kernels", "register_types", "sampled_kernels",
    "sigmas_with_means", "sklearn_kernels", "spd_matrices", "specs", "truncation_lags",
    "user_arrays")},
    **{name: "bad_input" for name in (
        "ALLOWED_WARNINGS", "assert_no_nan", "bad_arrays", "bad_correlations", "bad_ints",
        "bad_scalars", "bad_sigmas", "call_clean", "nonfinite_arrays",
        "nonstationary_sklearn_kernels")},
    "PROFILES": "pytest_plugin", "register_profiles": "pytest_plugin"}

__all__ = ["strategies", "families", "kernels", "spd_matrices", "specs", "diffusion_times",
           "truncation_lags", "depths", "sklearn_kernels", "user_arrays", "sampled_kernels",
           "sigmas_with_means", "register_types", "call_clean", "assert_no_nan",
           "bad_scalars", "bad_ints", "bad_arrays", "nonfinite_arrays", "bad_sigmas",
           "bad_correlations", "nonstationary_sklearn_kernels", "ALLOWED_WARNINGS", "PROFILES",
           "register_profiles"]


def __getattr__(name: str) -> Any:
    if name == "strategies":
        return importlib.import_module(f"{__name__}.strategies")
    if name in _HOME:
        value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
