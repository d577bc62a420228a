"""Every notebook executes without error (nbclient, kernel ``python3`` of this interpreter).

The kernel is this test's own interpreter: jupyter_client maps a ``python3`` spec whose
command is ``python`` to ``sys.executable``, and the venv's ipykernel provides one. The
Jupyter and IPython directories are redirected to a temporary folder, so a kernelspec or
profile in the user's home can neither be picked up nor be written to.

The committed notebooks must be clean: outputs cleared, no shell magics, no ``os.chdir``,
no ``sys.path`` edits.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import ipykernel  # noqa: F401 - the kernel the notebooks run on ([test] extra)
import nbclient
import nbformat
import pytest

# Integration: executes every notebook in a Jupyter kernel.
pytestmark = pytest.mark.integration

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
#: Per-cell limit; a notebook is meant to run in about 20 s.
CELL_TIMEOUT_S = 300
FORBIDDEN = [(re.compile(r"^\s*[!%]", re.M), "shell or line magic"),
             (re.compile(r"os\.chdir"), "os.chdir"), (re.compile(r"sys\.path"), "sys.path edit"),
             (re.compile(r"\.cuda\(\)"), "hard-coded .cuda()")]


@pytest.fixture
def isolated_jupyter(tmp_path, monkeypatch):
    """Jupyter/IPython paths in tmp_path; the kernel's matplotlib draws off-screen."""
    for var, sub in (("JUPYTER_DATA_DIR", "data"), ("JUPYTER_CONFIG_DIR", "config"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "mpl")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return tmp_path


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 1


def test_kernel_is_this_interpreter(isolated_jupyter):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    km = KernelManager(kernel_name="python3")
    cmd = km.format_kernel_cmd()
    assert cmd[0] == sys.executable, (spec.resource_dir, cmd)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not cell.outputs and cell.execution_count is None, f"{path.name}: outputs kept"
        for pattern, what in FORBIDDEN:
            assert not pattern.search(cell.source), f"{path.name}: {what} in\n{cell.source}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, isolated_jupyter):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT_S,
                                     resources={"metadata": {"path": str(isolated_jupyter)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
