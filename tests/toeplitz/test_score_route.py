"""The score's Toeplitz route (Levinson and preconditioned CG) against the dense oracle."""

from __future__ import annotations

import numpy as np
import pytest

import gpdtheory as gp
import gpdtheory.diffusion as diffusion

from ..helpers import SCORE_RTOL, dense_score, rel_err
from .oracles import KERNEL_IDS, KERNELS


@pytest.mark.parametrize("kernel", KERNELS, ids=KERNEL_IDS)
@pytest.mark.parametrize("route", ["levinson", "pcg"])
@pytest.mark.parametrize("N", [1, 2, 3, 40])
def test_toeplitz_score_matches_dense(kernel, route, N, rng, monkeypatch):
    if route == "pcg":
        monkeypatch.setattr(diffusion, "PCG_SCORE_MIN_N", 1)
    d = 3
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    Sigma = (Q * np.array([0.5, 1.0, 3.0])) @ Q.T
    Sigma = 0.5 * (Sigma + Sigma.T)
    mean = rng.standard_normal((N, d))
    spec = gp.GPSpec(kernel, N, Sigma, mean=mean)
    X = rng.standard_normal((2, N, d))
    t = np.array([0.05, 2.0])
    s = gp.score(spec, X, t, method="toeplitz")
    G = spec.gamma_dense()
    for i in range(2):
        oracle = dense_score(G, Sigma, X[i], t[i], mean=mean)
        kappa = gp.condition_number(spec, t[i]).kappa
        # CG stops at relative residual 1e-12: forward error <= kappa * 1e-12
        tol = SCORE_RTOL if route == "levinson" else max(SCORE_RTOL, kappa * 1e-12)
        assert rel_err(s[i], oracle) <= tol
