"""User kernels keep their guarantees: certified decay of scikit-learn kernels, declared
decay, sampled kernels beyond their data, nuggets (docs/theory.md §§1-4)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from scipy import special
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    DotProduct,
    Exponentiation,
    ExpSineSquared,
    Matern,
    RationalQuadratic,
    WhiteKernel,
)

import gpdtheory as gp
from gpdtheory.errors import InvalidArgumentError, NotPositiveDefiniteError
from gpdtheory.kernels import Decay, Jittered, with_jitter

#: Lags summed by brute force; beyond them the remainder is bounded separately below.
M_BRUTE = 200_000
LAGS = np.arange(1, M_BRUTE + 1, dtype=np.float64)

CERTIFIED = [
    Matern(3.0, nu=1.5), Matern(1.0, nu=0.5), Matern(2.0, nu=2.5), Matern(0.7, nu=0.3),
    Matern(5.0, nu=3.7), Matern(40.0, nu=1.5), Matern(1.5, nu=np.inf), Matern(0.2, nu=7.0),
    RBF(2.0), RBF(0.3), RationalQuadratic(1.0, 2.0), RationalQuadratic(3.0, 0.8),
    Matern(2.0) + WhiteKernel(0.1), ConstantKernel(2.0) * Matern(1.0, nu=1.5),
    RBF(1.0) * RationalQuadratic(2.0, 1.0), Exponentiation(Matern(2.0, nu=1.5), 2.0),
    Exponentiation(RBF(2.0), 0.5), Exponentiation(RationalQuadratic(1.0, 1.0), 0.6),
]


@pytest.mark.parametrize("sk", CERTIFIED, ids=[repr(k) for k in CERTIFIED])
def test_certified_tail_bounds_brute_force(sk):
    k = gp.from_sklearn(sk)
    assert k.summable and k.decay is not None and k.decay.source == "certified"
    r = np.abs(k(LAGS))
    # the remainder beyond M_BRUTE is at most tail_bound(M_BRUTE) itself, so the brute sum
    # below is a lower bound of the true tail: tail_bound must dominate it
    for J in (0, 1, 2, 3, 5, 8, 13, 30, 100, 1000, 10_000):
        brute = float(r[J:].sum())
        assert brute <= k.tail_bound(J), (J, brute, k.tail_bound(J))
    # abs_sum sums its head in float64 (a rounding of n u relative), then the certified tail
    assert math.isfinite(k.abs_sum()) and k.abs_sum() >= float(r.sum()) * (1 - 1e-12)


@pytest.mark.parametrize("nu", [0.3, 0.5, 1.0, 1.5, 2.5, 3.2, 6.0])
@pytest.mark.parametrize("ell", [0.5, 2.0, 9.0])
def test_matern_against_scipy_kv(nu, ell):
    """sklearn's Matérn equals the Bessel-K form; the certified tail bounds its sum."""
    k = gp.from_sklearn(Matern(ell, nu=nu))
    m = np.arange(1, 400, dtype=np.float64)
    z = math.sqrt(2 * nu) * m / ell
    kv = 2 ** (1 - nu) / special.gamma(nu) * z**nu * special.kv(nu, z)
    np.testing.assert_allclose(k(m), kv, rtol=1e-9, atol=1e-250)  # denormals aside
    for J in (0, 1, 4, 20, 100):
        tail = float(np.sum(kv[J:]))  # lags J+1 .. 399
        assert tail <= k.tail_bound(J)
        if tail > 1e-250 and J >= 1:
            # not absurdly loose: z^nu K_{nu+1}(z)/c against the sum
            assert k.tail_bound(J) <= 50 * (1 + ell) * tail + 1e-300


def test_matern_half_is_powered_exponential_and_summable():
    for ell in (0.3, 1.0, 7.5):
        k = gp.from_sklearn(Matern(length_scale=ell, nu=0.5))
        pe = gp.PoweredExponential(ell=ell, nu=1.0)
        m = np.arange(0, 300, dtype=np.float64)
        np.testing.assert_allclose(k(m), pe(m), rtol=1e-13, atol=1e-300)
        assert k.summable
        assert abs(k.abs_sum() - pe.abs_sum()) <= 1e-9 * pe.abs_sum()


def test_rbf_is_powered_exponential_nu_two():
    k, pe = gp.from_sklearn(RBF(2.0)), gp.PoweredExponential(ell=8.0, nu=2.0)
    m = np.arange(0, 50, dtype=np.float64)
    np.testing.assert_allclose(k(m), pe(m), rtol=1e-13, atol=1e-300)


def test_rational_quadratic_polynomial_exponent():
    slow = gp.from_sklearn(RationalQuadratic(1.0, 0.4))  # exponent 0.8 <= 1
    assert not slow.summable and math.isinf(slow.tail_bound(3)) and slow.decay is None
    fast = gp.from_sklearn(RationalQuadratic(1.0, 2.0))
    # tail ~ J^(1 - 2 alpha): the bound's log-slope in J tends to 1 - 2 alpha = -3
    slope = math.log(fast.tail_bound(2000) / fast.tail_bound(1000)) / math.log(2.0)
    assert abs(slope - (1 - 2 * 2.0)) < 1e-2


def test_params_show_the_sklearn_hyperparameters():
    k = gp.from_sklearn(Matern(length_scale=3.0, nu=1.5))
    assert k.params == {"length_scale": 3.0, "nu": 1.5}
    s = gp.from_sklearn(ConstantKernel(2.0) * RBF(1.5) + WhiteKernel(0.1))
    assert s.params["k1__k2__length_scale"] == 1.5 and s.params["k2__noise_level"] == 0.1


def test_uncertified_kernel_needs_a_declared_decay():
    sk = Exponentiation(Matern(1.0, nu=1.5), 0.5)  # a power < 1 of a Matérn: no certificate
    k = gp.from_sklearn(sk)
    assert not k.summable and "Exponentiation" in k.uncertified_reason
    declared = gp.from_sklearn(sk, decay=Decay.exponential(0.5, C=1.0))
    assert declared.summable and declared.decay.source == "declared"
    assert declared.tail_bound(0) == Decay.exponential(0.5).tail_bound(0)


def test_declared_decay_closed_forms():
    e = Decay.exponential(0.7, C=2.0)
    brute = sum(2.0 * math.exp(-0.7 * m) for m in range(6, 5000))
    assert brute <= e.tail_bound(5) <= brute * (1 + 1e-12)
    p = Decay.polynomial(2.5, C=1.0)
    brute = sum(m**-2.5 for m in range(11, 10**6))
    assert brute <= p.tail_bound(10)
    assert sum(m**-2.5 for m in range(1, 10**6)) <= p.tail_bound(0)
    assert not Decay.polynomial(1.0).summable
    assert Decay.explicit(lambda J: 1.0 / (J + 1)).tail_bound(3) == 0.25
    with pytest.raises(InvalidArgumentError, match="decay.rate"):
        Decay.exponential(-1.0)
    with pytest.raises(InvalidArgumentError, match="decay.kind"):
        Decay("stretched")


def test_periodic_kernel_gets_jitter_advice():
    k = gp.from_sklearn(ExpSineSquared(1.0, 5.0))
    assert not k.summable and "jitter" in k.advice
    with pytest.raises(NotPositiveDefiniteError, match="jitter"):
        k.check_valid(40)
    jk = with_jitter(k, 1e-3)
    jk.check_valid(40)  # the nugget makes Gamma_N positive definite
    assert jk.params["jitter"] == 1e-3 and jk.family == "sklearn"


def test_jitter_scales_tails_and_shows_in_params():
    base = gp.PoweredExponential(2.0, 1.0)
    jk = Jittered(base, 0.1)
    m = np.arange(0, 10, dtype=np.float64)
    np.testing.assert_allclose(jk(m)[1:], base(m)[1:] / 1.1)
    assert jk(0.0) == 1.0 and jk.params == {"ell": 2.0, "nu": 1.0, "jitter": 0.1}
    assert base.tail_bound(3) / 1.1 <= jk.tail_bound(3) <= base.tail_bound(3) / 1.1 * (1 + 1e-9)
    assert with_jitter(base, 0) is base
    lmin = np.linalg.eigvalsh(jk.gamma_dense(30))[0]
    assert lmin >= 0.1 / 1.1 - 1e-12


def test_sampled_kernel_beyond_choices():
    rho = 0.5 ** np.arange(6)
    refuse = gp.SampledKernel(rho)
    with pytest.raises(InvalidArgumentError, match="largest lag"):
        refuse.autocovariance(10)
    zero = gp.SampledKernel(rho, beyond="zero")
    r = zero.autocovariance(10)
    np.testing.assert_array_equal(r[6:], 0.0)
    cert = zero.zero_extension()  # 1 + 2 sum 0.5^m cos(mw) > 0: certified PSD, every N
    assert cert.verdict == "psd" and zero.always_positive_definite
    lmin = np.linalg.eigvalsh(zero.gamma_dense(200))[0]
    assert lmin > 0
    bad = gp.SampledKernel(np.r_[1.0, 0.9, 0.8, 0.7], beyond="zero")  # smooth cut: indefinite
    assert bad.zero_extension().verdict == "not_psd" and not bad.always_positive_definite
    assert np.linalg.eigvalsh(bad.gamma_dense(400))[0] < 0
    tail = gp.SampledKernel(rho, beyond="tail", decay=Decay.exponential(math.log(2.0)))
    # the data's tail plus the declared geometric tail 0.5^6 + 0.5^7 + ... = 0.5^5
    assert abs(tail.tail_bound(2) - (0.5**3 + 0.5**4 + 0.5**5 + 0.5**5)) < 1e-15
    with pytest.raises(InvalidArgumentError, match="decay"):
        gp.SampledKernel(rho, beyond="tail")
    with pytest.raises(InvalidArgumentError, match="beyond"):
        gp.SampledKernel(rho, beyond="extrapolate")


def test_kernels_pickle_for_workers():
    for k in (gp.from_sklearn(Matern(3.0, nu=1.5)), Jittered(gp.Polynomial(1.0, 2.0), 1e-3),
              gp.SampledKernel([1.0, 0.3], beyond="zero")):
        k2 = pickle.loads(pickle.dumps(k))
        assert k2.tail_bound(1) == k.tail_bound(1)


def test_nonstationary_still_refused():
    with pytest.raises(InvalidArgumentError, match="stationary"):
        gp.from_sklearn(DotProduct())
