"""Arguments outside the Toeplitz engine (issue 26): specs, diffusion times, certificates."""

from __future__ import annotations

import numpy as np
import pytest

import gpdtheory as gp
from gpdtheory.diffusion import marginal_covariance_operator
from gpdtheory.psd.certificate import certify_all_n


@pytest.fixture(scope="module")
def spec():
    return gp.GPSpec(gp.PoweredExponential(3.0, 1.0), N=8, Sigma=np.eye(1))


@pytest.mark.parametrize("call", [
    lambda s: gp.condition_number(s, 0.5),
    lambda s: gp.marginal_covariance(s, 0.5),
    lambda s: marginal_covariance_operator(s, 0.5),
    lambda s: gp.score(s, np.zeros((8, 1)), 0.5),
])
@pytest.mark.parametrize("bad", [None, "spec", 3])
def test_spec_is_validated(call, bad):
    with pytest.raises(gp.InvalidArgumentError, match=r"^spec=.*not a GPSpec.*Fix: "):
        call(bad)


@pytest.mark.parametrize("t, shown", [(np.inf, "t=inf"), (-np.inf, "t=-inf"),
                                      (float("nan"), "t=nan")])
def test_non_finite_time_shows_its_value(spec, t, shown):
    with pytest.raises(gp.InvalidArgumentError, match=rf"^{shown}: is not finite"):
        gp.score(spec, np.zeros((8, 1)), t)
    with pytest.raises(gp.InvalidArgumentError, match=rf"^{shown}: is not finite"):
        gp.condition_number(spec, t)


@pytest.mark.parametrize("t", [True, False, np.array([True, True]), np.bool_(True)])
def test_boolean_time_is_refused(spec, t):
    with pytest.raises(gp.InvalidArgumentError, match="boolean"):
        gp.score(spec, np.zeros((2, 8, 1)), t)


@pytest.mark.parametrize("c", [1e-300, 1e-20, 1e-5, 1.0, 3.0, 1e20, 1e300])
def test_certify_all_n_is_scale_free(c):
    for r, verdict in (([1.0, 0.45], "psd"), ([1.0, 0.5], "psd"), ([1.0, 0.5000001], "not_psd"),
                       ([1.0, 0.3, 0.6], "not_psd")):
        ref = certify_all_n(np.array(r), len(r) - 1)
        cert = certify_all_n(np.array(r) * c, len(r) - 1)
        assert ref.verdict == verdict
        assert cert.verdict == verdict
        assert abs(cert.min_value - c * ref.min_value) <= 1e-12 * c  # c r rounds: ~eps c
        if verdict == "not_psd":
            assert float(cert.witness_value) < 0


def test_certify_all_n_unit_scale_is_unchanged():
    """A correlation (r_0 = 1) is certified exactly as before: no rescaling at all."""
    cert = certify_all_n(np.array([1.0, 0.45, 0.1]), 2)
    assert cert.coefficients[0] == 1 and cert.slack >= 0
