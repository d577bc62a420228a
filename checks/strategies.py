"""Hypothesis strategy for :class:`gpdtheory_checks.scenario.Scenario` (the claims' side of
testing).

The library's strategies (kernels, specs, ...) live in :mod:`gpdtheory.testing.strategies`;
this one draws a whole scenario and so belongs with the checks (the library never imports
``checks``). Needs the ``testing`` extra (hypothesis).

Examples
--------
>>> from hypothesis import given
>>> import gpdtheory_checks
>>> from gpdtheory_checks.strategies import scenarios
>>> @given(scenarios(max_N=8))
... def test_drawn_scenarios_run(scn):
...     assert all(r.ok for r in gpdtheory_checks.run(["score.exact"], scenario=scn))
"""

from __future__ import annotations

from gpdtheory._extras import require

require("hypothesis", "testing")

from hypothesis import strategies as st  # noqa: E402

from gpdtheory.testing.strategies import (  # noqa: E402
    _check_int,
    _invalid,
    diffusion_times,
    kernels,
    sampled_kernels,
    sklearn_kernels,
)

__all__ = ["scenarios"]


def scenarios(max_N: int = 16, kernel: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """A validated :class:`gpdtheory_checks.scenario.Scenario` (closed-form, scikit-learn or sampled
    kernel; small grids), for testing claims and plugins on users' cases."""
    max_N = _check_int("max_N", max_N, 2, 256)
    if kernel is not None and not isinstance(kernel, st.SearchStrategy):
        raise _invalid("kernel", kernel, "is not a strategy", "pass e.g. gst.sklearn_kernels()")
    return _scenarios(max_N, kernel)


@st.composite
def _scenarios(draw, max_N, kernel):
    from hypothesis import assume

    from .scenario import Scenario

    if kernel is None:
        kern = draw(st.one_of(kernels(), sklearn_kernels(),
                              sampled_kernels(max_M=max_N).filter(lambda k: k.values.size >= 2)))
    else:
        kern = draw(kernel)
    top = int(min(max_N, kern.max_lag + 1))
    Ns = tuple(sorted(set(draw(st.lists(st.integers(2, max(2, top)), min_size=1, max_size=3)))))
    assume(kern.max_lag >= max(Ns) - 1)
    assume(all(kern.always_positive_definite or kern.is_positive_definite(n) for n in Ns))
    d = draw(st.integers(1, 3))
    Js = tuple(sorted(set(draw(st.lists(st.integers(0, max(Ns) - 1), min_size=1, max_size=3)))))
    ts = tuple(sorted(set(draw(st.lists(diffusion_times(1e-2, 5.0), min_size=1, max_size=2)))))
    return Scenario("drawn", kern, repr(kern), Ns, d, None, "zero", ts, Js, (1, 5),
                    ("hard", "taper", "shift"), 0, 0.0, "hypothesis")
