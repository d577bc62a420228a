"""The pytest plugin by every documented route, each run as a user runs it (a subprocess).

Routes: autoloading on (the ``pytest11`` entry point), on with ``-p
gpdtheory.testing.pytest_plugin``, and off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`` or
``--disable-plugin-autoload``) with that ``-p`` alone; each also under ``-W error``. The
user's test checks that the chosen profile is active with the stated example count, and
draws from ``st.from_type(GPSpec)`` (registered by the plugin).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("hypothesis")

from gpdtheory._pytest_plugin import PROFILES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

USER_TEST = '''
from hypothesis import given, settings, strategies as st

import gpdtheory as gp


@given(st.from_type(gp.GPSpec))
def test_spec(spec):
    assert spec.N >= 1


def test_profile():
    assert settings.get_current_profile_name() == "{profile}"
    assert settings().max_examples == {count}
'''

ROUTES = {
    "autoload": ([], {}),
    "autoload + -p": (["-p", "gpdtheory.testing.pytest_plugin"], {}),
    "no autoload (env) + -p": (["-p", "gpdtheory.testing.pytest_plugin"],
                               {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}),
    "no autoload (flag) + -p": (["--disable-plugin-autoload", "-p",
                                 "gpdtheory.testing.pytest_plugin"], {}),
}


def _pytest(tmp_path: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items()
            if k not in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_ADDOPTS",
                         "GPDTHEORY_HYPOTHESIS_PROFILE")}
    full.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *args], cwd=tmp_path, env=full, capture_output=True, text=True,
                          timeout=300)


def _routes():
    """Every (profile, route, -W error) case; each is a pytest run in a fresh process (3-12 s:
    "thorough" draws 2000 examples), so one case stays in the fast loop and the rest are
    integration."""
    for profile in ("ci", "thorough"):
        for route in ROUTES:
            for werror in (False, True):
                fast = (profile, route, werror) == ("ci", "autoload", False)
                yield pytest.param(profile, route, werror,
                                   id=f"{profile}-{route}-{'-W error' if werror else ''}",
                                   marks=() if fast else pytest.mark.integration)


@pytest.mark.parametrize("profile, route, werror", list(_routes()))
def test_route(tmp_path, route, werror, profile):
    (tmp_path / "test_user.py").write_text(USER_TEST.format(
        profile=profile, count=PROFILES[profile]["max_examples"]))
    args, env = ROUTES[route]
    r = _pytest(tmp_path, [*args, *(["-W", "error"] if werror else []),
                           f"--hypothesis-profile={profile}"], env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "2 passed" in r.stdout


def test_environment_variable_selects_the_profile_with_autoload_off(tmp_path):
    (tmp_path / "test_user.py").write_text(USER_TEST.format(profile="ci", count=25))
    r = _pytest(tmp_path, ["-p", "gpdtheory.testing.pytest_plugin", "-W", "error"],
                {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "GPDTHEORY_HYPOTHESIS_PROFILE": "ci"})
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def test_an_unknown_profile_in_the_environment_is_a_usage_error(tmp_path):
    """A mistyped ``GPDTHEORY_HYPOTHESIS_PROFILE`` ends the run with one line naming the
    variable, its value and the profiles there are, not hypothesis's INTERNALERROR."""
    (tmp_path / "test_user.py").write_text(USER_TEST.format(profile="ci", count=25))
    r = _pytest(tmp_path, [], {"GPDTHEORY_HYPOTHESIS_PROFILE": "nightly"})
    out = r.stdout + r.stderr
    assert r.returncode == pytest.ExitCode.USAGE_ERROR, out[-3000:]
    assert "INTERNALERROR" not in out
    assert re.search(r"GPDTHEORY_HYPOTHESIS_PROFILE='nightly'.*Fix:.*'ci', 'thorough'", out), out


def test_the_hypothesis_stub_given_first_still_works(tmp_path):
    """The workaround some users already have: ``-p hypothesis.extra.pytestplugin`` first."""
    (tmp_path / "test_user.py").write_text(USER_TEST.format(profile="ci", count=25))
    r = _pytest(tmp_path, ["-p", "hypothesis.extra.pytestplugin", "-p",
                           "gpdtheory.testing.pytest_plugin", "-W", "error",
                           "--hypothesis-profile=ci"], {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def test_one_stated_example_count_per_profile():
    """README, the plugin's docstring and the code give the same count for each profile."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    doc = (ROOT / "gpdtheory" / "testing" / "pytest_plugin.py").read_text(encoding="utf-8")
    for name, kw in PROFILES.items():
        n = kw["max_examples"]
        stated = re.findall(rf"--hypothesis-profile={name}\s+#[^\n]*?(\d[\d,]*) ", readme)
        assert stated and {int(s.replace(",", "")) for s in stated} == {n}, (name, stated)
        assert re.search(rf"``{name}``\s+[^\n]*?\b{n}\b", doc), name
    # a README line that names the thorough profile and another count says whose count it is
    n = PROFILES["thorough"]["max_examples"]
    for line in readme.splitlines():
        counts = {int(c.replace(",", "")) for c in re.findall(r"\b\d{1,3}(?:,\d{3})+\b|\b\d{4,}\b",
                                                              line)}
        if "thorough" in line and counts - {n}:
            assert "fuzz suite" in line, line
