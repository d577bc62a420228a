"""``--eps``: the J and L Theorem S needs, checked against the theorem's own statement.

The oracle is the statement itself at finite N: for the J and L the answer gives, gradient
descent on the truncated covariance (the network of docs/theory.md §5) must reach
``||Y_L - Y*||_F <= eps ||X||_F`` against the exact dense solve, and the per-J bounds must
dominate the dense ``tau_J`` and ``lmax(band_J(Gamma_N))``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
from gpdtheory_checks.scenario import scenario_from_dict
from gpdtheory_checks.scenario_eps import PSD_WORDS, check_eps, eps_answer, format_eps

from gpdtheory.errors import InvalidArgumentError

ROOT = Path(__file__).resolve().parents[1]
MATERN = {"kernel": {"sklearn": "Matern(length_scale=3, nu=2.5)"}, "N": [8], "d": 2,
          "t": [0.5, 2.0], "J": [2, 16, 32]}


def _measured(tmp_path: Path) -> dict:
    m = np.arange(48.0)
    np.savetxt(tmp_path / "rho.csv", 0.7**m * np.cos(0.4 * m), delimiter=",")
    return {"kernel": {"file": "rho.csv", "beyond": "tail",
                       "decay": {"kind": "exponential", "rate": 0.35, "C": 1.0}},
            "N": [8], "d": 2, "t": [0.5, 2.0], "J": [1, 8, 16]}


def _gd_error(kernel, N: int, J: int, L: int, t: float, Sigma: np.ndarray, seed: int) -> float:
    """``max ||Y_L - Y*||_F / ||X||_F`` over a few X: GD on C_bar_t against the exact solve."""
    rho = kernel.autocovariance(N)
    G = scipy.linalg.toeplitz(rho)
    Gbar = scipy.linalg.toeplitz(np.where(np.arange(N) <= J, rho, 0.0))
    a2, s2 = math.exp(-t), -math.expm1(-t)
    C = a2 * np.kron(G, Sigma) + s2 * np.eye(N * len(Sigma))
    Cbar = a2 * np.kron(Gbar, Sigma) + s2 * np.eye(N * len(Sigma))
    lam = max(1.0, np.linalg.eigvalsh(Gbar)[-1] * np.linalg.eigvalsh(Sigma)[-1])
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(3):
        x = rng.standard_normal(N * len(Sigma))
        y = np.zeros_like(x)
        for _ in range(L):
            y = y - (Cbar @ y - x) / lam
        worst = max(worst, np.linalg.norm(y - np.linalg.solve(C, x)) / np.linalg.norm(x))
    return worst


@pytest.mark.parametrize("eps", [1e-2, 1e-3])
@pytest.mark.parametrize("which", ["matern", "measured"])
def test_the_answer_reaches_eps_at_finite_n(tmp_path, which, eps):
    data = MATERN if which == "matern" else _measured(tmp_path)
    scn = scenario_from_dict(data, tmp_path, "test")
    ans = eps_answer(scn, eps)
    Sigma = np.eye(scn.d)
    for need in ans.needs:
        assert need.J is not None and need.L is not None
        for N in (need.J + 2, 2 * need.J + 8):
            if N - 1 > scn.kernel.max_lag:
                continue  # a measured kernel is known up to its data
            err = _gd_error(scn.kernel, N, need.J, need.L, need.t, Sigma, seed=N)
            assert err <= eps, (which, need, N, err)


@pytest.mark.parametrize("which", ["matern", "measured"])
def test_per_j_bounds_dominate_the_dense_values(tmp_path, which):
    data = MATERN if which == "matern" else _measured(tmp_path)
    scn = scenario_from_dict(data, tmp_path, "test")
    ans = eps_answer(scn, 1e-3)
    N = int(min(48, scn.kernel.max_lag + 1))
    rho = scn.kernel.autocovariance(N)
    for row in ans.rows:
        band = scipy.linalg.toeplitz(np.where(np.arange(N) <= row.J, rho, 0.0))
        assert 2 * np.sum(np.abs(rho[row.J + 1:])) <= row.tau * (1 + 1e-12)
        eig = np.linalg.eigvalsh(band)
        assert eig[-1] <= row.lmax_bar * (1 + 1e-12)
        if row.psd == "psd":
            assert eig[0] >= -1e-12
    assert {r.psd for r in ans.rows} >= {"psd"}


def test_a_row_too_short_for_eps_says_so():
    scn = scenario_from_dict(MATERN, ".", "test")
    ans = eps_answer(scn, 1e-3)
    (j2,) = [r for r in ans.rows if r.J == 2]
    assert j2.psd == "not_psd" and all(v is None for v in j2.L.values())
    text = format_eps(ans)
    assert "J too small" in text and PSD_WORDS["not_psd"] in text and PSD_WORDS["psd"] in text
    assert "§3.3" in text


def test_not_summable_kernel_has_no_n_free_j():
    scn = scenario_from_dict({"kernel": {"family": "logarithmic", "ell": 1.0, "nu": 1.0},
                              "N": [8], "J": [1], "t": [0.5]}, ".", "test")
    (need,) = eps_answer(scn, 1e-3).needs
    assert need.J is None and "not summable" in need.why


@pytest.mark.parametrize("bad", ["0", "1", "-1e-3", "banana", "nan"])
def test_check_eps_refuses(bad):
    with pytest.raises(InvalidArgumentError, match="--eps"):
        check_eps(bad)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", "import sys; from gpdtheory_checks.cli "
                           "import main; sys.exit(main())", "check", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


# Integration: the gpdtheory command runs a scenario's claim in a fresh process (3-4 s).
@pytest.mark.integration
def test_cli_eps_table_and_json(tmp_path):
    r = _cli("--kernel", "Matern(length_scale=3, nu=2.5)", "--eps", "1e-3", "--only",
             "scenario.bounds", "--N", "8", "--J", "2,32", "--t", "0.5", "--no-progress",
             "--json", "out.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "eps = 0.001: what Theorem S needs" in r.stdout
    assert "not PSD for large N (certified)" in r.stdout
    assert "PSD for every N (certified)" in r.stdout
    doc = json.loads((tmp_path / "out.json").read_text())
    eps = doc["header"]["config"]["scenario"]["eps"]
    assert eps["eps"] == 1e-3 and [r["J"] for r in eps["per_J"]] == [2, 32]
    (need,) = eps["needed"]
    assert isinstance(need["J"], int) and isinstance(need["L"], int) and need["t"] == 0.5
    assert f"t=0.5: J = {need['J']} " in r.stdout and f"L >= {need['L']} " in r.stdout


# Integration: the gpdtheory command runs a scenario's claim in a fresh process (3-4 s).
@pytest.mark.integration
def test_cli_eps_with_a_measured_sequence_and_declared_tail(tmp_path):
    _measured(tmp_path)
    (tmp_path / "s.toml").write_text(
        'N = [8]\nt = [0.5]\nJ = [1, 8]\n[kernel]\nfile = "rho.csv"\nbeyond = "tail"\n'
        'decay = {kind = "exponential", rate = 0.35, C = 1.0}\n')
    r = _cli("--scenario", "s.toml", "--eps", "1e-3", "--only", "scenario.bounds",
             "--no-progress", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "eps = 0.001" in r.stdout and "t=0.5: J = " in r.stdout


# Each case is the gpdtheory command in a fresh process (about 2 s): the first stays in the
# fast loop, the others are integration.
@pytest.mark.parametrize("args, why", [
    (["--eps", "1e-3"], "needs a scenario"),
    pytest.param(["--kernel", "RBF(2.0)", "--eps", "2"], "is not in (0, 1)",
                 marks=pytest.mark.integration),
    pytest.param(["--kernel", "RBF(2.0)", "--eps", "small"], "is not a number",
                 marks=pytest.mark.integration),
])
def test_cli_eps_usage_errors(tmp_path, args, why):
    r = _cli(*args, "--only", "scenario.bounds", cwd=tmp_path)
    assert r.returncode == 2 and why in r.stderr and "Fix:" in r.stderr
    assert "Traceback" not in r.stderr
