"""Every value the strategies draw has a repr that, pasted back, rebuilds the same value.

A failing hypothesis example is printed with ``repr``; a user copies it into a regression
test. Equality is bitwise: arrays by their bytes, kernels by ``Gamma`` at a few lags, specs
by ``Sigma``, mean and ``Gamma``.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from sklearn.gaussian_process import kernels as sk_kernels  # noqa: E402

import gpdtheory as gp  # noqa: E402
from gpdtheory import kernels as gk  # noqa: E402
from gpdtheory.testing import strategies as gst  # noqa: E402

NAMESPACE = {**vars(sk_kernels), **vars(gk), "gp": gp, "GPSpec": gp.GPSpec,
             "from_sklearn": gp.from_sklearn, "np": np, "array": np.array,
             "float64": np.float64, "inf": np.inf}


def _key(v):
    if isinstance(v, (str, int, float, type(None))):
        return ("scalar", v)
    if isinstance(v, tuple):
        return tuple(_key(a) for a in v)
    if isinstance(v, np.ndarray):
        return ("array", v.shape, v.dtype.str, v.tobytes())
    if isinstance(v, gp.GPSpec):
        mean = None if v.mean is None else np.asarray(v.mean).tobytes()
        return ("spec", v.N, v.Sigma.tobytes(), mean, v.gamma_dense().tobytes())
    if isinstance(v, gp.Kernel):
        n = int(min(v.max_lag, 7)) + 1
        return ("kernel", type(v).__name__, v.gamma_dense(n).tobytes())
    raise TypeError(type(v))


STRATEGIES = {
    "families": gst.families(), "kernels": gst.kernels(), "specs": gst.specs(),
    "specs(sklearn)": gst.specs(kernel=gst.sklearn_kernels()),
    "diffusion_times": gst.diffusion_times(), "truncation_lags": gst.truncation_lags(),
    "depths": gst.depths(), "sklearn_kernels": gst.sklearn_kernels(),
    "user_arrays": gst.user_arrays(), "spd_matrices": gst.spd_matrices(3),
    "sigmas_with_means": gst.sigmas_with_means(4, 2),
    "sampled_kernels": pytest.param(gst.sampled_kernels(), marks=pytest.mark.xfail(
        strict=True, reason="SampledKernel's repr (gpdtheory/kernels.py) is not evaluable")),
}


@pytest.mark.parametrize("strategy", list(STRATEGIES.values()), ids=list(STRATEGIES))
def test_repr_pastes_back(strategy):
    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(value):
        back = eval(repr(value), dict(NAMESPACE))  # noqa: S307  (our own repr)
        assert _key(back) == _key(value), repr(value)

    check()
