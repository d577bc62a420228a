"""Issue 27, a new user's first hour: each mistake a newcomer makes gets one clear line.

The command-line cases run ``gpdtheory check`` in a fresh process, as a user runs it, and
assert a refusal with exit 2, one line on stderr and no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gpdtheory.errors import InvalidArgumentError

REPO = Path(__file__).resolve().parents[1]
CLI = "import sys; from checks.cli import main; sys.exit(main(sys.argv[1:]))"


def _cli(*args: str, cwd: Path | None = None, timeout: float = 300
         ) -> subprocess.CompletedProcess:
    """``gpdtheory ARGS`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", CLI, *args], cwd=cwd or REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _refused(proc: subprocess.CompletedProcess, *words: str) -> str:
    """Assert a one-line refusal (exit 2, no traceback) holding ``words``; return it."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------ 2. scikit-learn hyperparameters
BAD_SKLEARN = [
    ("Matern(length_scale=-3.0, nu=2.5)", "Matern.length_scale", "-3"),
    ("RBF(0)", "RBF.length_scale", "0"),
    ("Matern(1.0, nu=-1)", "Matern.nu", "-1"),
    ("RBF([1, 2])", "RBF.length_scale", "anisotropic"),
    ("RationalQuadratic(length_scale=1.0, alpha=0)", "RationalQuadratic.alpha", "0"),
    ("ExpSineSquared(1.0, periodicity=-2)", "ExpSineSquared.periodicity", "-2"),
    ("RBF(1.0) + WhiteKernel(-1.0)", "k2.WhiteKernel.noise_level", "-1"),
    ("Exponentiation(RBF(1.0), -1.0)", "Exponentiation.exponent", "-1"),
]


@pytest.mark.parametrize("expr, name, value", BAD_SKLEARN)
def test_sklearn_bad_hyperparameter_is_refused_in_python(expr, name, value):
    from sklearn.gaussian_process import kernels as K

    from gpdtheory.kernels import from_sklearn

    kernel = eval(expr, vars(K))  # test input, not user input
    with pytest.raises(InvalidArgumentError) as info:
        from_sklearn(kernel)
    text = str(info.value)
    assert info.value.argument == name
    assert value in text and "Fix: pass" in text


@pytest.mark.parametrize("expr, name, value", BAD_SKLEARN[:4])
def test_sklearn_bad_hyperparameter_is_refused_on_the_command_line(expr, name, value):
    line = _refused(_cli("check", "--kernel", expr, "--only", "scenario.bounds"), name, value,
                    "Fix:")
    assert line.startswith("gpdtheory check: kernel.expr")


def test_dot_product_is_refused_as_not_stationary():
    _refused(_cli("check", "--kernel", "DotProduct()", "--only", "scenario.bounds"),
             "DotProduct", "not stationary", "Fix:")


def test_valid_sklearn_kernels_still_build():
    from sklearn.gaussian_process import kernels as K

    from gpdtheory.kernels import from_sklearn

    for k in (K.Matern(2.0, nu=np.inf), K.RBF([1.5]), K.Exponentiation(K.RBF(2.0), 0.5),
              K.ConstantKernel(2.0) * K.RBF(1.0) + K.WhiteKernel(0.0)):
        assert from_sklearn(k)(0.0) == 1.0


# ------------------------------------------------------------ 1. declared tails
LAGS = np.arange(48)
RHO = 0.7**LAGS * np.cos(0.4 * LAGS)  # |rho(m)| <= 0.7**m = exp(-0.357 m)


@pytest.mark.parametrize("decay", ["exponential", "polynomial"])
def test_declared_tail_is_summed_beyond_the_data(decay):
    from gpdtheory.kernels import Decay, SampledKernel

    d = Decay.exponential(0.35) if decay == "exponential" else Decay.polynomial(1.3)
    k = SampledKernel(RHO, beyond="tail", decay=d)
    data = float(np.sum(np.abs(RHO[1:])))
    S = k.abs_sum()  # raised "m=108.0 exceeds the largest lag" (m=1048576 for polynomial)
    assert S == pytest.approx(data + d.tail_bound(47), rel=1e-12)
    assert data < S < np.inf
    assert k.tail_bound(60) == pytest.approx(d.tail_bound(60))


def test_declared_tail_with_jitter_is_summed_too():
    from gpdtheory.kernels import Decay, SampledKernel, with_jitter

    k = with_jitter(SampledKernel(RHO, beyond="tail", decay=Decay.exponential(0.35)), 1e-3)
    assert np.isfinite(k.abs_sum())


@pytest.mark.parametrize("decay, lag", [("exponential", 1), ("polynomial", 2)])
def test_false_declaration_is_refused_at_the_first_violating_lag(decay, lag):
    from gpdtheory.kernels import Decay, SampledKernel

    d = Decay.exponential(5.0) if decay == "exponential" else Decay.polynomial(2.0)
    with pytest.raises(InvalidArgumentError, match=f"contradicted by the data.*m={lag},") as info:
        SampledKernel(RHO, beyond="tail", decay=d)
    assert info.value.argument == "decay" and "Fix: declare" in str(info.value)


def test_false_explicit_tail_is_refused():
    from gpdtheory.kernels import Decay, SampledKernel

    with pytest.raises(InvalidArgumentError, match="at J=0"):
        SampledKernel(RHO, beyond="tail", decay=Decay.explicit(lambda J: 0.01))


def _tail_scenario(tmp_path, rate):
    np.savetxt(tmp_path / "rho.csv", RHO, delimiter=",")
    p = tmp_path / "s.toml"
    p.write_text('N = [8, 32]\nJ = [2, 4]\n[kernel]\nfile = "rho.csv"\nbeyond = "tail"\n'
                 f'decay = {{kind = "exponential", rate = {rate}, C = 1.0}}\n', encoding="utf-8")
    return p


def test_declared_tail_scenario_runs_on_the_command_line(tmp_path):
    proc = _cli("check", "--scenario", str(_tail_scenario(tmp_path, 0.35)), "--only",
                "scenario.bounds", "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert "decay: exponential, rate 0.35 (declared); N-free: sum|rho| <=" in proc.stdout


def test_false_declared_tail_scenario_is_refused_on_the_command_line(tmp_path):
    _refused(_cli("check", "--scenario", str(_tail_scenario(tmp_path, 5)), "--only",
                  "scenario.bounds", cwd=tmp_path),
             "kernel.decay", "contradicted by the data", "m=1,", "Fix:")
