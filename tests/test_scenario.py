"""A scenario is data: files, flags, the safe kernel grammar, and what runs on a user's case."""

from __future__ import annotations

import json

import gpdtheory_checks
import numpy as np
import pytest
from gpdtheory_checks.cli import main
from gpdtheory_checks.runner import select
from gpdtheory_checks.scenario import (
    applicability,
    load_scenario,
    parse_kernel,
    run_scenario,
    scenario_from_dict,
)
from gpdtheory_checks.table import CLAIMS

from gpdtheory.errors import InvalidArgumentError
from gpdtheory.kernels import SklearnKernel

SMALL = {"N": [6, 12], "d": 1, "t": [0.5], "J": [1, 3], "L": [3]}


def _write(tmp_path, text: str, name: str = "s.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("text", [
    "Matern(length_scale=3, nu=1.5)", "Matern(3, 1.5)", "RBF(2.0) + WhiteKernel(1e-3)",
    "2.0 * RBF(length_scale=1.5)", "RationalQuadratic(length_scale=1, alpha=2) ** 2",
    "C(1.0) * Matern(nu=inf)", "Exponentiation(Matern(2.0, nu=0.5), 1.5)",
    "Matern(length_scale=3, nu=1.5, length_scale_bounds='fixed')",
    "RBF(length_scale=-(-2.0))",
])
def test_grammar_accepts(text):
    assert isinstance(parse_kernel(text), SklearnKernel)


def test_grammar_builds_families():
    k = parse_kernel("PoweredExponential(ell=2, nu=1)")
    assert k.family == "powered_exponential" and k.params == {"ell": 2.0, "nu": 1.0}


@pytest.mark.parametrize("text", [
    "__import__('os')", "__import__('os').system('echo hacked')", "Matern.__class__",
    "lambda x: x", "sklearn.gaussian_process.kernels.RBF(1.0)", "RBF(1.0)[0]",
    "RBF(length_scale=open('/etc/passwd'))", "[RBF(1.0) for _ in range(3)]", "RBF(*[1.0])",
    "RBF(**{'length_scale': 1.0})", "RBF(1.0) - RBF(2.0)", "eval('1')", "RBF(x)", "3 * 4",
    "RBF(length_scale='1')", "RBF(1.0) if True else RBF(2.0)", "Matern(nu=(lambda: 1)())",
])
def test_grammar_refuses(text):
    with pytest.raises(InvalidArgumentError, match="kernel.sklearn") as info:
        scenario_from_dict({"kernel": {"sklearn": text}})
    assert "Fix:" in str(info.value)


def test_grammar_executes_nothing(tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidArgumentError):
        parse_kernel(f"__import__('pathlib').Path('{marker}').touch()")
    assert not marker.exists()


@pytest.mark.parametrize("text, key", [
    ('colour = "red"\n[kernel]\nsklearn = "RBF(1.0)"', "colour"),
    ('N = "many"\n[kernel]\nsklearn = "RBF(1.0)"', "N"),
    ('N = [8, 2.5]\n[kernel]\nsklearn = "RBF(1.0)"', "N"),
    ('t = [-1.0]\n[kernel]\nsklearn = "RBF(1.0)"', "t"),
    ('truncation = ["soft"]\n[kernel]\nsklearn = "RBF(1.0)"', "truncation"),
    ('[kernel]\nsklearn = "RBF(1.0)"\nwiggle = 1', "kernel.wiggle"),
    ('[kernel]\nfamily = "gaussianish"\nell = 1.0\nnu = 1.0', "kernel.family"),
    ('[kernel]\nfamily = "polynomial"\nell = "long"\nnu = 1.0', "kernel.ell"),
    ('[kernel]\nsklearn = "RBF(1.0)"\nfamily = "polynomial"', "kernel"),
    ('[kernel]\nsklearn = "RBF(1.0)"\njitter = -1', "kernel.jitter"),
    ('[kernel]\nsklearn = "RBF(1.0)"\ndecay = {kind = "fast"}', "kernel.decay.kind"),
    ('[kernel]\nfile = "missing.npy"', "kernel.file"),
    ('seed = true\n[kernel]\nsklearn = "RBF(1.0)"', "seed"),
    ('name = "x"', "kernel"),
])
def test_bad_files_name_key_value_fix(tmp_path, text, key):
    with pytest.raises(InvalidArgumentError) as info:
        load_scenario(_write(tmp_path, text))
    assert info.value.argument == key and "Fix:" in str(info.value)


def test_diffusion_times_follow_the_schedule_bound(tmp_path):
    """The scenario's bound on t is the library's: T_MAX accepted, beyond it refused by value."""
    from gpdtheory.schedule import T_MAX

    ok = load_scenario(_write(tmp_path, f't = [0.5, {T_MAX}]\n[kernel]\nsklearn = "RBF(1.0)"'))
    assert ok.t == (0.5, T_MAX)
    with pytest.raises(InvalidArgumentError) as info:
        load_scenario(_write(tmp_path, 't = [0.5, 800.0]\n[kernel]\nsklearn = "RBF(1.0)"'))
    err = info.value
    assert err.argument == "t" and err.value == [0.5, 800.0]
    assert f"T_MAX = {T_MAX:g}" in str(err) and "800" in err.problem and "Fix:" in str(err)


def test_array_kernel_errors(tmp_path):
    np.save(tmp_path / "bad.npy", np.r_[1.0, 0.99, 0.0, 0.99])  # Gamma_4 indefinite
    with pytest.raises(InvalidArgumentError, match="not positive definite at N=4") as info:
        load_scenario(_write(tmp_path, 'N = [4]\nJ = [1]\n[kernel]\nfile = "bad.npy"'))
    assert info.value.argument == "kernel.file"
    np.save(tmp_path / "rho.npy", 0.6 ** np.arange(10))
    with pytest.raises(InvalidArgumentError, match="exceeds the 10 lags") as info:
        load_scenario(_write(tmp_path, 'N = [8, 64]\n[kernel]\nfile = "rho.npy"'))
    assert info.value.argument == "N" and "beyond = 'zero'" in str(info.value)
    ok = load_scenario(_write(tmp_path, 'N = [8, 64]\n[kernel]\nfile = "rho.npy"\n'
                                        'beyond = "zero"'))
    assert ok.kernel.always_positive_definite  # zero extension certified PSD
    np.savetxt(tmp_path / "sigma.csv", np.array([[1.0, 2.0], [2.0, 1.0]]), delimiter=",")
    with pytest.raises(InvalidArgumentError) as info:
        load_scenario(_write(tmp_path, 'sigma = "sigma.csv"\n[kernel]\nsklearn = "RBF(1.0)"'))
    assert info.value.argument == "sigma"


def test_scenario_runs_what_applies_and_says_why_not(tmp_path):
    np.save(tmp_path / "rho.npy", 0.7 ** np.arange(20))
    np.savetxt(tmp_path / "sigma.csv", np.diag([1.0, 2.0]), delimiter=",")
    scn = load_scenario(_write(tmp_path, """
name = "measured"
N = [6, 12]
sigma = "sigma.csv"
mean = "random"
t = [0.5]
J = [1, 3]
L = [3]
[kernel]
file = "rho.npy"
jitter = 0.01
"""))
    res = run_scenario(scn, only=["score", "kappa.bound", "psd", "scenario", "trained",
                                  "video"])
    claims = {r.claim for r in res.rows}
    assert claims == {"score.exact", "kappa.bound", "psd.per_n", "psd.all_n", "scenario.bounds"}
    assert all(r.ok for r in res.rows), [r for r in res.rows if not r.ok]
    # the nugget and the user's Sigma reach every row built from the kernel
    kernel_rows = [r for r in res.rows if r.case.get("family") == "sampled"]
    assert kernel_rows and all(r.case["jitter"] == 0.01 for r in kernel_rows)
    assert {r.case["N"] for r in res.rows if r.claim == "score.exact"} == {6, 12}
    assert res.applicability["psd.frontier"].startswith("not applicable: ")
    assert res.applicability["trained.score"].startswith("not applicable: ")
    assert res.applicability["score.exact"] == "runs"


def test_not_summable_kernel_is_explained():
    scn = scenario_from_dict({**SMALL, "kernel": {"family": "logarithmic", "ell": 1.0,
                                                  "nu": 1.0}})
    app = applicability(scn)
    # a built-in family refuses a declared decay, so the advice must not ask for one
    assert "is not summable" in app["kappa.bound"] and "declare" not in app["kappa.bound"]
    res = run_scenario(scn, only=["scenario"])
    assert all(r.info for r in res.rows)  # only the truncation certificates: no N-free rows
    assert any("no N-free bounds" in a for a in res.advice)


def test_default_selection_is_unchanged():
    assert "scenario.bounds" not in select()
    assert select(["psd"]) == ["psd.per_n", "psd.all_n", "psd.frontier"]
    with_scn = select(scenario=True)
    assert "psd.frontier" not in with_scn and "scenario.bounds" in with_scn
    assert all(CLAIMS[c].scenario for c in with_scn)


def test_checks_run_takes_a_scenario():
    scn = scenario_from_dict({**SMALL, "kernel": {"sklearn": "Matern(length_scale=3, nu=1.5)"}})
    rows = gpdtheory_checks.run(["kappa.bound"], scenario=scn)
    assert rows and all(r.case["family"] == "sklearn" for r in rows)
    assert any(r.case.get("bound") == "symbol" for r in rows)  # the N-free bound is finite


def test_cli_scenario_json(tmp_path, capsys):
    p = _write(tmp_path, 'N = [6]\nd = 1\nt = [0.5]\nJ = [1, 2]\n[kernel]\n'
                         'sklearn = "Matern(length_scale=3, nu=1.5)"\n')
    out = tmp_path / "r.json"
    rc = main(["check", "--scenario", str(p), "--only", "scenario", "--only", "psd.frontier",
               "--no-progress", "--json", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "psd.frontier" in text and "not applicable" in text
    assert "not PSD at J=1" in text and "use taper or shift" in text
    doc = json.loads(out.read_text())
    assert doc["header"]["config"]["scenario"]["kernel"] == "Matern(length_scale=3, nu=1.5)"
    assert {r["claim"] for r in doc["rows"]} == {"scenario.bounds"}


def test_cli_flags_override_and_bad_flags(tmp_path, capsys):
    rc = main(["check", "--kernel", "RBF(2.0)", "--N", "5", "--J", "1", "--t", "0.5",
               "--only", "score", "--no-progress"])
    assert rc == 0 and "scenario 'scenario': RBF(2.0)" in capsys.readouterr().out
    rc = main(["check", "--kernel", "__import__('os')", "--only", "score"])
    err = capsys.readouterr().err
    assert rc == 2 and "kernel.expr" in err and "Fix:" in err
