"""GPyTorch's stationary kernels, wrapped like scikit-learn's: GPyTorch itself is the oracle.

For each kernel the wrapped correlation's ``Gamma_N`` must equal GPyTorch's own evaluation
``kernel(x, x).to_dense()`` at ``x = 0, 1, ..., N-1`` divided by its diagonal.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

gpytorch = pytest.importorskip("gpytorch")
import torch  # noqa: E402

import gpdtheory as gp  # noqa: E402
from gpdtheory.errors import InvalidArgumentError  # noqa: E402
from gpdtheory.kernel_adapters_gpytorch import from_gpytorch  # noqa: E402

GK = gpytorch.kernels
ROOT = Path(__file__).resolve().parents[1]


def _set(kernel, **values):
    for name, v in values.items():
        setattr(kernel, name, v)
    return kernel


def _nan_raw(kernel, name):
    """GPyTorch refuses a NaN through the property; a diverged optimiser leaves one raw."""
    with torch.no_grad():
        getattr(kernel, name).fill_(float("nan"))
    return kernel


def _kernels():
    rbf = _set(GK.RBFKernel(), lengthscale=2.0)
    m12 = _set(GK.MaternKernel(nu=0.5), lengthscale=3.0)
    m32 = _set(GK.MaternKernel(nu=1.5), lengthscale=2.5)
    m52 = _set(GK.MaternKernel(nu=2.5), lengthscale=3.0)
    rq = _set(GK.RQKernel(), lengthscale=1.5, alpha=0.7)
    return {
        "rbf": rbf, "matern12": m12, "matern32": m32, "matern52": m52, "rq": rq,
        "scale": _set(GK.ScaleKernel(_set(GK.MaternKernel(nu=2.5), lengthscale=3.0)),
                      outputscale=4.0),
        "sum": _set(GK.ScaleKernel(_set(GK.MaternKernel(nu=1.5), lengthscale=4.0)),
                    outputscale=2.0) + _set(GK.ScaleKernel(_set(GK.RBFKernel(),
                                                                lengthscale=1.0)),
                                            outputscale=0.5),
        "product": _set(GK.RBFKernel(), lengthscale=5.0) * _set(GK.MaternKernel(nu=0.5),
                                                               lengthscale=2.0),
        "default": GK.ScaleKernel(GK.RBFKernel()),
    }


def _oracle(kernel, N: int) -> np.ndarray:
    x = torch.arange(N, dtype=torch.float64).reshape(-1, 1)
    with torch.no_grad():
        K = kernel.double()(x, x).to_dense().numpy()
    return K / K[0, 0]


@pytest.mark.parametrize("name", list(_kernels()))
def test_gamma_equals_gpytorchs_own_evaluation(name):
    kernel = _kernels()[name]
    k = from_gpytorch(kernel)
    for N in (2, 17, 60):
        np.testing.assert_allclose(k.gamma_dense(N), _oracle(kernel, N), rtol=0, atol=1e-12)
    # the N-free machinery applies: these decays are certified
    assert k.summable and math.isfinite(k.abs_sum())
    assert 2 * k.tail_sum(3, 60) <= 2 * k.tail_bound(3) * (1 + 1e-9)


def test_gpspec_takes_a_wrapped_gpytorch_kernel_and_names_the_adapter():
    kernel = _kernels()["sum"]
    spec = gp.GPSpec(gp.from_gpytorch(kernel), 12, np.eye(2))
    np.testing.assert_allclose(spec.gamma_dense(), _oracle(kernel, 12), rtol=0, atol=1e-12)
    with pytest.raises(InvalidArgumentError, match=r"Fix: pass gpdtheory.from_gpytorch\(kernel\)"):
        gp.GPSpec(kernel, 12, np.eye(2))


@pytest.mark.parametrize("make, where, why", [
    (lambda: GK.MaternKernel(nu=2.5, ard_num_dims=2), "MaternKernel.ard_num_dims",
     "anisotropic"),
    (lambda: GK.RBFKernel(batch_shape=torch.Size([3])), "RBFKernel.batch_shape",
     "batch of kernels"),
    (lambda: GK.ScaleKernel(GK.RBFKernel(), batch_shape=torch.Size([2])),
     "ScaleKernel.batch_shape", "batch of kernels"),
    (lambda: GK.RBFKernel(active_dims=[1]), "RBFKernel.active_dims", "time axis"),
    (lambda: GK.LinearKernel(), "LinearKernel", "not stationary"),
    (lambda: GK.RBFKernel() + GK.PolynomialKernel(power=2), "AdditiveKernel.kernels[1]."
     "PolynomialKernel", "not stationary"),
    (lambda: GK.PeriodicKernel(), "PeriodicKernel", "is not one of the GPyTorch kernels"),
    (lambda: _set(GK.RBFKernel(), lengthscale=float("inf")), "RBFKernel.lengthscale",
     "not a finite positive"),
    (lambda: _nan_raw(GK.ScaleKernel(GK.RBFKernel()), "raw_outputscale"),
     "ScaleKernel.outputscale", "not a finite positive"),
    (lambda: "RBFKernel()", "kernel", "is not a GPyTorch kernel"),
])
def test_refused_with_the_part_and_the_fix(make, where, why):
    with pytest.raises(InvalidArgumentError) as info:
        from_gpytorch(make())
    msg = str(info.value)
    assert msg.startswith(where) and why in msg and "Fix:" in msg


def test_hyperparameters_are_read_when_wrapped():
    kernel = _set(GK.MaternKernel(nu=1.5), lengthscale=2.0)
    k = from_gpytorch(kernel)
    kernel.lengthscale = 7.0  # training on: the wrapped correlation keeps what it read
    assert k.params["length_scale"] == pytest.approx(2.0)
    assert from_gpytorch(kernel).params["length_scale"] == pytest.approx(7.0)


def test_a_missing_gpytorch_extra_names_it():
    code = textwrap.dedent("""
        import sys
        sys.modules["gpytorch"] = None  # unimportable, as if not installed
        import gpdtheory as gp
        from gpdtheory.errors import MissingExtraError
        try:
            gp.from_gpytorch(object())
        except MissingExtraError as e:
            print(e)
        else:
            raise SystemExit("no error")
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert "pip install 'gpdtheory[gpytorch]'" in r.stdout
