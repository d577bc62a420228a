"""The README's scenario walkthrough runs as written: Matérn-3/2 from scikit-learn, a
measured rho array and a kernel whose hard truncation is not PSD, each through
``gpdtheory check --scenario``."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

# Integration: runs the README's scenario walkthrough on the command line.
pytestmark = pytest.mark.integration

README = Path(__file__).parents[1] / "README.md"
SECTION = "## Your own kernel, your own scenario, your own CI"
END = "**Claims from your package.**"


def _blocks() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    return re.findall(r"```(\w+)\n(.*?)```", text[start:text.index(END, start)], re.S)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Run the walkthrough's blocks in order in a fresh folder; the output of each command."""
    cwd = tmp_path_factory.mktemp("walkthrough")
    exe = str(Path(sys.executable).with_name("gpdtheory"))
    out = {}
    for lang, code in _blocks():
        if lang == "toml":
            name = code.splitlines()[0].lstrip("# ").strip()
            (cwd / name).write_text(code, encoding="utf-8")
        elif lang == "python":
            subprocess.run([sys.executable, "-c", code], cwd=cwd, check=True, timeout=120)
        elif lang == "bash":
            for line in code.strip().splitlines():
                argv = shlex.split(line)
                assert argv[0] == "gpdtheory"
                done = subprocess.run([exe, *argv[1:]], cwd=cwd, capture_output=True,
                                      text=True, timeout=300)
                out[argv[argv.index("--scenario") + 1]] = done
    return out


def test_walkthrough_has_three_scenarios():
    langs = [lang for lang, _ in _blocks()]
    assert langs.count("toml") == 3 and langs.count("bash") == 3 and "python" in langs


def test_matern_has_finite_n_free_bounds(outputs):
    done = outputs["matern.toml"]
    assert done.returncode == 0, done.stdout + done.stderr
    text = done.stdout
    assert "Matern" in text and "certified" in text
    m = re.search(r"N-free: sum\|rho\| <= ([\d.]+), lmax\(Gamma_N\) <= ([\d.]+)", text)
    assert m and 0 < float(m.group(1)) < 10 and float(m.group(2)) == pytest.approx(
        1 + 2 * float(m.group(1)), rel=1e-5)
    assert "N-free: sum|rho| <= 2.96463, lmax(Gamma_N) <= 6.92926" in text  # as the README says
    assert "psd.frontier" in text and "not applicable" in text
    assert "0 fail or error" in text


def test_measured_array(outputs):
    done = outputs["measured.toml"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rho.npy (M=48, beyond=zero) + jitter 1e-06" in done.stdout
    assert "0 fail or error" in done.stdout


def test_not_psd_truncation_is_explained(outputs):
    done = outputs["notpsd.toml"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not PSD at J=2" in done.stdout and "use taper or shift" in done.stdout
