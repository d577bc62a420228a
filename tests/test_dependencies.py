"""Dependencies by need: the core imports no optional package, a missing extra is an error
naming it, and a venv with the core alone runs the README's first example."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# Integration: installs the core into a fresh venv and spawns interpreters.
pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[1]
OPTIONAL = ("torch", "hypothesis", "matplotlib", "sklearn", "gpdtheory_checks", "dask",
            "distributed", "tqdm", "safetensors", "diffusers")


def _python(code: str, executable: str = sys.executable, cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env=env)


def test_library_core_imports_no_optional_package():
    code = f"""
    import sys
    import gpdtheory
    import gpdtheory.toeplitz, gpdtheory.truncation, gpdtheory.gd, gpdtheory.distribution
    import gpdtheory.psd
    loaded = sorted(m for m in {OPTIONAL!r} if m in sys.modules)
    assert not loaded, loaded
    """
    r = _python(code)
    assert r.returncode == 0, r.stderr


def test_library_never_imports_checks():
    pattern = re.compile(r"^\s*(import|from) (gpdtheory_)?checks\b", re.MULTILINE)
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "gpdtheory").rglob("*.py")
                 if pattern.search(p.read_text(encoding="utf-8"))]
    assert not offenders, offenders


@pytest.mark.parametrize(("blocked", "statement", "extra"), [
    ("torch", "import gpdtheory.models", "torch"),
    ("torch", "import gpdtheory.construct", "torch"),
    ("torch", "import gpdtheory; gpdtheory.train", "torch"),
    ("matplotlib", "import gpdtheory_checks.plots", "report"),
    ("hypothesis", "import gpdtheory.testing", "testing"),
    ("sklearn", "import gpdtheory as gp; gp.SklearnKernel(None)", "sklearn"),
])
def test_a_missing_extra_names_it(blocked, statement, extra):
    code = f"""
    import sys
    sys.modules[{blocked!r}] = None  # unimportable, as if not installed
    from gpdtheory.errors import GPDTheoryError, MissingExtraError
    try:
        {statement}
    except MissingExtraError as e:
        assert isinstance(e, GPDTheoryError) and isinstance(e, ImportError)
        print(e)
    else:
        raise SystemExit("no error")
    """
    r = _python(code)
    assert r.returncode == 0, r.stderr + r.stdout
    assert f"pip install 'gpdtheory[{extra}]'" in r.stdout
    assert "ModuleNotFoundError" not in r.stdout


def test_hidden_progress_bar_needs_no_tqdm():
    code = """
    import sys
    sys.modules['tqdm'] = None
    from gpdtheory.sweeps import run_sweep
    assert run_sweep(dict, [{"x": 3}], executor="serial", progress=False) == [{"x": 3}]
    """
    r = _python(code)
    assert r.returncode == 0, r.stderr


def _readme_first_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## The API in five examples"):]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_core_install_runs_the_readme_exact_score_example(tmp_path):
    """A venv with gpdtheory and no extras (numpy, scipy, numba, ducc0, sympy) runs example 1.

    Installs from a copy of the working tree so the build leaves nothing in the repository.
    About 40 s here (pip's cache and local wheels).
    """
    example = _readme_first_example()
    assert "gp.score(" in example and "gp.condition_number(" in example
    src = tmp_path / "src"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        p = ROOT / name
        if p.is_file() and not name.startswith("notebooks/"):
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes(p.read_bytes())
    venv = tmp_path / "venv"
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "-c",
                        str(ROOT / "constraints.txt"), str(src)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    check = _python(f"""
    import sys
    exec({example!r})
    loaded = sorted(m for m in {OPTIONAL!r} if m in sys.modules)
    assert not loaded, loaded
    """, executable=str(py), cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    freeze = subprocess.run([str(py), "-m", "pip", "freeze"], capture_output=True, text=True)
    for pkg in ("torch", "hypothesis", "matplotlib", "scikit-learn", "tqdm"):
        assert not re.search(rf"^{pkg}==", freeze.stdout, re.MULTILINE | re.IGNORECASE), pkg
    print(f"core venv + example: {time.monotonic() - start:.0f} s")
