"""Claims from a user's package (entry points) and gpdtheory.testing in a user's CI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from gpdtheory_checks.strategies import scenarios
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import gpdtheory as gp
from gpdtheory.testing import call_clean
from gpdtheory.testing import strategies as gst

ROOT = Path(__file__).parents[1]
PLUGIN = '''
"""Claims of mylab, registered through the gpdtheory.claims entry point."""
from gpdtheory_checks.table import Measurement, claim


@claim("mylab.tail", "3", "mylab: the tail of my kernel is below 1", scenario=True)
def tail(cfg):
    """measured: my tail sum; bound: 1."""
    import gpdtheory as gp
    from gpdtheory_checks.cases import default_kernels
    for k in (default_kernels(cfg) if cfg.scenario is not None else [gp.Polynomial(1.0, 3.0)]):
        yield Measurement({"family": k.family, "J": 8}, k.tail_sum(8, 64), 1.0)
'''


def _fake_install(tmp: Path, name: str, value: str, module: str | None = None) -> dict:
    """A package on a tmp sys.path folder with a dist-info entry point (no pip)."""
    if module is not None:
        (tmp / f"{value.split(':')[0]}.py").write_text(module)
    info = tmp / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[gpdtheory.claims]\n{name} = {value}\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp), str(ROOT)])
    return env


def _gpd(args, env, cwd):
    exe = Path(sys.executable).with_name("gpdtheory")
    return subprocess.run([str(exe), "check", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.integration
def test_entry_point_claims_are_listed_and_run(tmp_path):
    env = _fake_install(tmp_path, "mylab", "mylab_claims", PLUGIN)
    listed = _gpd(["--list"], env, tmp_path)
    assert listed.returncode == 0 and "mylab.tail" in listed.stdout
    ran = _gpd(["--only", "mylab", "--no-progress", "--json", "out.json"], env, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "mylab.tail" in ran.stdout and "holds" in ran.stdout
    assert '"claim": "mylab.tail"' in (tmp_path / "out.json").read_text()


@pytest.mark.integration
def test_broken_entry_point_is_an_error_row(tmp_path):
    env = _fake_install(tmp_path, "broken", "does_not_exist_mod")
    ran = _gpd(["--only", "plugin.broken", "--no-progress", "--json", "o.json"], env, tmp_path)
    assert ran.returncode == 1 and "ERROR" in ran.stdout
    assert "No module named 'does_not_exist_mod'" in (tmp_path / "o.json").read_text()


def test_strategies_validate_like_hypothesis():
    with pytest.raises(InvalidArgument, match="family='nonsense'"):
        gst.kernels(family="nonsense")
    with pytest.raises(InvalidArgument, match="ell"):
        gst.kernels(ell=(5.0, 1.0))
    with pytest.raises(InvalidArgument, match="nu"):
        gst.kernels(family="powered_exponential", nu=(1.0, 3.0))  # nu > 2: not PD every N
    with pytest.raises(InvalidArgument, match="max_N"):
        gst.specs(max_N=0)
    with pytest.raises(InvalidArgument, match="kinds"):
        gst.sklearn_kernels(kinds=["spline"])
    from gpdtheory.testing import strategies as old  # the compatibility alias

    assert old.kernels is gst.kernels


@settings(max_examples=10, deadline=None)
@given(st.from_type(gp.GPSpec), st.from_type(gp.Kernel), st.from_type(gp.SklearnKernel))
def test_from_type(spec, kernel, sk):
    assert isinstance(spec, gp.GPSpec) and isinstance(kernel, gp.Kernel)
    assert sk.summable and sk.tail_bound(3) >= 0


@settings(max_examples=15, deadline=None)
@given(gst.user_arrays(max_M=24))
def test_user_arrays_are_positive_definite(rho):
    gp.SampledKernel(rho).check_valid(rho.size)


@settings(max_examples=5, deadline=None)
@given(scenarios(max_N=8))
def test_drawn_scenarios_run(scn):
    import gpdtheory_checks

    rows = gpdtheory_checks.run(["score.exact"], scenario=scn)
    assert rows and all(r.ok for r in rows)


def test_call_clean_accepts_the_users_exceptions():
    class MyLabError(Exception):
        """A user's own exception type."""

    def wrapper(x):
        if x < 0:
            raise MyLabError("x must be >= 0")
        return gp.PoweredExponential(1.0, 1.0)(x)

    assert isinstance(call_clean(wrapper, -1.0, accept=MyLabError), MyLabError)
    with pytest.raises(MyLabError):
        call_clean(wrapper, -1.0)  # not declared: it propagates
    assert call_clean(wrapper, 2.0, accept=(MyLabError,)) > 0


USER_TEST = '''
from hypothesis import given, strategies as st, settings
import gpdtheory as gp
from gpdtheory.testing import call_clean, strategies as gst


def test_profile_is_thorough():
    assert settings.default.max_examples == 2000 and settings.default.deadline is None


@given(st.from_type(gp.GPSpec), gst.diffusion_times(1e-2, 5.0))
@settings(max_examples=20)
def test_my_score_is_finite(spec, t):
    call_clean(gp.score, spec, spec.sample(1, seed=0)[0], t)


@given(gst.sklearn_kernels(kinds=["matern"]))
@settings(max_examples=20)
def test_my_matern_is_summable(k):
    assert k.summable and k.abs_sum() < float("inf")
'''


@pytest.mark.parametrize("how", ["-p", "entry point"])
@pytest.mark.integration
def test_users_ci_outside_the_repository(tmp_path, how):
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TEST))
    args = [sys.executable, "-m", "pytest", str(tmp_path), "-q", "-p", "no:cacheprovider",
            "--hypothesis-profile=thorough", "--rootdir", str(tmp_path)]
    env = dict(os.environ)
    if how == "-p":  # plugin autoloading off: the plugin named explicitly
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        args += ["-p", "gpdtheory.testing.pytest_plugin"]  # it loads hypothesis's own plugin
    done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
