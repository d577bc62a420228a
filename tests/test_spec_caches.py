"""The spec computes ``r`` and the eigendecomposition of ``Sigma`` once, and owns its caches."""

from __future__ import annotations

import numpy as np

import gpdtheory as gp


def _counting(kernel):
    calls = []
    original = kernel.autocovariance

    def autocovariance(N, dt=1.0):
        calls.append((N, dt))
        return original(N, dt)

    kernel.autocovariance = autocovariance  # an instance attribute shadows the method
    return calls


def test_the_autocovariance_is_evaluated_once_per_spec():
    # a sampled correlation is not known to be positive definite: the spec runs Durbin's
    # test on its N, and with N > 64 also the FFT bracket; both use the one cached r
    rho = 0.6 ** np.arange(200)
    kernel = gp.SampledKernel(rho)
    calls = _counting(kernel)
    spec = gp.GPSpec(kernel, 150, np.eye(2))
    spec.gamma_dense()
    gp.score(spec, spec.sample(1, seed=0)[0], 0.5)
    assert calls == [(150, 1.0)]


def test_check_valid_uses_the_given_autocovariance():
    kernel = gp.SampledKernel([1.0, 0.5, 0.25])  # positive definite at N = 3 ...
    calls = _counting(kernel)
    r = np.array([1.0, 0.9, 0.2])  # ... the column handed over is not: it is the one tested
    try:
        kernel.check_valid(3, r=r)
    except gp.NotPositiveDefiniteError as exc:
        assert "N=3" in str(exc)
    else:  # pragma: no cover - the matrix is indefinite
        raise AssertionError("check_valid ignored the autocovariance it was given")
    assert calls == []


def test_sigma_is_decomposed_once(monkeypatch):
    d, calls = 3, []
    for name in ("eigh", "eigvalsh"):
        original = getattr(np.linalg, name)

        def counted(a, *args, _original=original, _name=name, **kw):
            if np.shape(a) == (d, d):
                calls.append(_name)
            return _original(a, *args, **kw)

        monkeypatch.setattr(np.linalg, name, counted)
    Sigma = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.1], [0.0, 0.1, 0.5]])
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 10, Sigma)
    lam, U = spec.sigma_eigh
    gp.score(spec, spec.sample(2, seed=1), 0.3)
    gp.condition_number(spec, 0.3)
    assert calls == ["eigh"]
    np.testing.assert_allclose((U * lam) @ U.T, Sigma, atol=1e-14)
    assert not lam.flags.writeable and not U.flags.writeable


def test_sigma_that_is_not_positive_definite_is_refused_by_the_same_decomposition():
    try:
        gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 4, np.array([[1.0, 2.0], [2.0, 1.0]]))
    except gp.NotPositiveDefiniteError as exc:
        assert "Sigma" in str(exc) and "smallest eigenvalue" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("an indefinite Sigma was accepted")


def test_the_structured_rental_is_the_specs():
    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 300, np.eye(1))
    assert not spec.has_gamma_eigh and not spec.has_gamma_extreme_eigenvalues
    assert spec.charge_structured_solves(40.0, 100.0)
    assert spec.charge_structured_solves(40.0, 100.0)
    assert not spec.charge_structured_solves(40.0, 100.0)  # would reach the eigh's cost
    g, _ = spec.gamma_eigh
    assert spec.has_gamma_eigh and g.size == 300
