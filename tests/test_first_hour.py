"""A new user's first hour: each mistake a newcomer makes gets one clear line.

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
CLI = "import sys; from gpdtheory_checks.cli import main; sys.exit(main(sys.argv[1:]))"


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
@pytest.mark.integration
def test_sklearn_bad_hyperparameter_is_refused_on_the_command_line(expr, name, value):
    line = _refused(_cli("check", "--kernel", expr, "--only", "scenario.bounds"), name, value,
                    "Fix:")
    assert line.startswith("gpdtheory check: kernel.expr")


@pytest.mark.integration
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


@pytest.mark.integration
def test_declared_tail_scenario_runs_on_the_command_line(tmp_path):
    proc = _cli("check", "--scenario", str(_tail_scenario(tmp_path, 0.35)), "--only",
                "scenario.bounds", "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert "decay: exponential, rate 0.35 (declared); N-free: sum|rho| <=" in proc.stdout


@pytest.mark.integration
def test_false_declared_tail_scenario_is_refused_on_the_command_line(tmp_path):
    _refused(_cli("check", "--scenario", str(_tail_scenario(tmp_path, 5)), "--only",
                  "scenario.bounds", cwd=tmp_path),
             "kernel.decay", "contradicted by the data", "m=1,", "Fix:")


# ------------------------------------------------------------ 4. the check
@pytest.mark.parametrize("args", [("--version",), ("check", "--version")])
@pytest.mark.integration
def test_version_flag(args):
    import gpdtheory

    proc = _cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"gpdtheory {gpdtheory.__version__}"


def test_one_version_source():
    """pyproject.toml takes its version from ``gpdtheory.__version__``; the metadata agrees."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the same parser, as the tomli package
        import tomli as tomllib

    from gpdtheory_checks.cli import version

    import gpdtheory

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "gpdtheory.__version__"}
    assert version() == gpdtheory.__version__


@pytest.mark.integration
def test_unreachable_scheduler_fails_fast_in_one_line():
    import time

    start = time.perf_counter()
    proc = _cli("check", "--only", "score.exact", "--scheduler", "tcp://127.0.0.1:9999", timeout=60)
    assert time.perf_counter() - start < 30
    _refused(proc, "--scheduler", "no Dask scheduler answered within 5 s", "Fix:")


@pytest.mark.integration
def test_malformed_scheduler_address_is_refused():
    _refused(_cli("check", "--only", "score.exact", "--scheduler", "banana"),
             "--scheduler", "not a scheduler address")


def _default_sigint() -> None:
    """In the child: Ctrl-C's default action. A suite run in the background of a shell
    without job control (``cmd &`` in a script, ``nohup``) inherits SIGINT ignored, and a
    Python started with SIGINT ignored never raises KeyboardInterrupt."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.integration
def test_ctrl_c_prints_one_line_and_exits_130(tmp_path, workers):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) after the first claim."""
    import signal

    if not hasattr(os, "killpg"):
        pytest.skip("needs process groups")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", CLI, "check", "--no-progress", "--journal",
                             "j.jsonl", "--workers", workers, "--only", "score.exact",
                             "--only", "paper.error_vs_n", "--only", "trained"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_default_sigint)
    try:
        first = proc.stdout.readline()  # score.exact has finished
        assert first.startswith("score.exact"), first
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "interrupted (Ctrl-C) after 1 of" in lines[0]
    assert "--resume j.jsonl" in lines[0]
    assert (tmp_path / "j.jsonl").read_text().count("score.exact") >= 1


def test_build_on_a_missing_device_is_refused(monkeypatch):
    torch = pytest.importorskip("torch")
    # as on a machine without CUDA, whatever this one has: the refusal is what is tested
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    import gpdtheory as gp

    spec = gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 8, np.eye(2))
    with pytest.raises(InvalidArgumentError, match="device='cuda'.*not available.*Fix: pass "
                       "device='cpu'"):
        gp.construct.build(spec, 4, 3, device="cuda")


@pytest.mark.parametrize("args, words", [
    (("--d", "0"), ("d=0", "is not a positive integer", "Fix:")),
    (("--mean", "banana"), ("mean='banana'", "is not zero, random or an existing .npy/.csv "
                            "file")),
    (("--sigma", "missing.npy"), ("does not exist", "read from the current folder")),
])
@pytest.mark.integration
def test_scenario_flags_are_refused_in_words_that_fit(tmp_path, args, words):
    line = _refused(_cli("check", "--kernel", "RBF(2.0)", "--only", "scenario.bounds", *args,
                         cwd=tmp_path), *words)
    assert "d = [1, 9]" not in line and "relative to the scenario file" not in line


# ------------------------------------------------------------ 3. advice that misleads
@pytest.mark.integration
def test_rational_quadratic_half_is_not_told_to_declare_a_decay():
    proc = _cli("check", "--kernel", "RationalQuadratic(alpha=0.5)", "--only", "scenario.bounds",
                "--no-progress", "--J", "8")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "does not decay" not in out and "declare a decay" not in out
    assert "decays like m^-2alpha = m^-1, not summable for alpha <= 1/2" in out
    advice = [line for line in out.splitlines() if line.startswith("advice: no N-free")]
    assert len(advice) == 1 and "N-free bounds do not exist" in advice[0]


@pytest.mark.integration
def test_zero_extended_data_are_not_called_not_summable(tmp_path):
    np.savetxt(tmp_path / "rho.csv", [1.0, 0.5, 0.2, 0.1], delimiter=",")
    proc = _cli("check", "--rho", str(tmp_path / "rho.csv"), "--beyond", "zero", "--only",
                "scenario.bounds", "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (line,) = [t for t in proc.stdout.splitlines() if t.strip().startswith("decay:")]
    assert "not summable" not in line
    assert "zero beyond the 4 measured lags" in line and "N-free: sum|rho| <= 0.8" in line


@pytest.mark.integration
def test_measured_data_are_not_told_to_change_a_length_scale(tmp_path):
    np.savetxt(tmp_path / "rho.csv", [1.0, 0.9, 0.2, 0.0], delimiter=",")
    line = _refused(_cli("check", "--rho", str(tmp_path / "rho.csv"), "--N", "4", "--J", "1",
                         "--only", "scenario.bounds", cwd=tmp_path),
                    "not positive definite at N=4", "N <= 2", "measure more lags")
    assert "length scale" not in line


def test_declared_non_summable_tail_advice_names_the_data_fix():
    from gpdtheory_checks.scenario import advice_for, scenario_from_dict

    from gpdtheory.kernels import Decay, SampledKernel

    k = SampledKernel(RHO, beyond="tail", decay=Decay.polynomial(1.0))
    assert not k.summable
    scn = scenario_from_dict({"kernel": {"sklearn": "RBF(2.0)"}, "N": [8], "J": [1]})
    import dataclasses

    advice = advice_for(dataclasses.replace(scn, kernel=k, truncation=("taper",)))
    assert any("declare a summable tail" in a and "measure more lags" in a for a in advice)


# ------------------------------------------------------------ 5. GPSpec documented and pasteable
def test_gpspec_docstring_lists_every_field():
    import pydoc

    from gpdtheory import GPSpec

    text = pydoc.render_doc(GPSpec, renderer=pydoc.plaintext)
    attributes = GPSpec.__doc__.split("Attributes\n    ----------\n", 1)[1].split("Raises")[0]
    for field in ("kernel", "N", "d", "Sigma", "mean", "dt", "times"):
        assert f"\n    {field} : " in "\n" + attributes, field
        assert f"{field} : " in text


PASTE = ("import numpy as np\nfrom gpdtheory import *\nfrom gpdtheory.kernels import Decay, "
         "with_jitter\nfrom sklearn.gaussian_process.kernels import *\n")


def _specs_to_paste():
    from sklearn.gaussian_process.kernels import RBF

    import gpdtheory as gp
    from gpdtheory.kernels import Decay, with_jitter

    tail = gp.SampledKernel(RHO[:6], beyond="tail", decay=Decay.exponential(0.35))
    return [gp.GPSpec(gp.PoweredExponential(2.0000001, 1.0), 3, np.eye(2)),
            gp.GPSpec(gp.Polynomial(1.5, 2.0), 3, [[2.0, 0.3], [0.3, 1.0]],
                      mean=np.arange(6.0).reshape(3, 2) / 7),
            gp.GPSpec(gp.Logarithmic(1.0, 0.5), 3, np.eye(2), mean=[1 / 3, 2.0], dt=0.1),
            gp.GPSpec(gp.PoweredExponential(2.0, 1.0), 3, np.eye(1), times=[0, 1, 2.5]),
            gp.GPSpec(with_jitter(tail, 1e-3), 5, np.eye(1)),
            gp.GPSpec(gp.from_sklearn(RBF(2.0)), 3, np.eye(2))]


@pytest.mark.parametrize("index", range(6))
def test_gpspec_repr_pastes_back(index):
    spec = _specs_to_paste()[index]
    text = repr(spec)
    assert "..." not in text and "mean=" in text
    ns: dict = {}
    exec(PASTE, ns)  # the imports the docstring names
    back = eval(text, ns)
    assert repr(back) == text
    np.testing.assert_array_equal(back.Sigma, spec.Sigma)
    np.testing.assert_array_equal(back.mean_array, spec.mean_array)
    np.testing.assert_array_equal(back.gamma_dense(), spec.gamma_dense())
    assert back.dt == spec.dt and back.N == spec.N


@pytest.mark.integration
def test_failing_hypothesis_example_prints_a_spec_that_pastes_back(tmp_path):
    pytest.importorskip("hypothesis")
    (tmp_path / "test_fail.py").write_text(
        "from hypothesis import given, settings\n"
        "import gpdtheory.testing.strategies as gst\n"
        "@settings(max_examples=50, database=None, derandomize=True)\n"
        "@given(gst.specs(max_N=4, max_d=2, with_mean=True))\n"
        "def test_fails(spec):\n"
        "    assert spec.mean is None\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "test_fail.py"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout
    import re

    # hypothesis prints "    spec=GPSpec(...),  # or any other generated value"
    found = [re.search(r"spec=(GPSpec\(.*\)),?(\s+#.*)?$", t) for t in proc.stdout.splitlines()]
    text = next(m.group(1) for m in found if m)
    assert "..." not in text
    ns: dict = {}
    exec(PASTE, ns)
    spec = eval(text, ns)
    assert spec.mean is not None
