"""A user's case as data: a scenario file or flags point the claim table at it.

A *scenario* names a kernel (a built-in family, a scikit-learn kernel expression, or an
array of measured ``rho``), the sizes ``N``, the features (``d`` or a ``Sigma`` file), a
mean, the diffusion times ``t``, the truncation lags ``J``, the depths ``L``, the
truncations and a seed. ``gpdtheory check --scenario FILE`` (or :func:`run_scenario`)
runs every claim registered with ``scenario=True`` on it, plus ``scenario.bounds`` (the
kernel's N-free bounds and truncation PSD certificates, docs/theory.md §§2-4), and says
for every other claim why it does not apply.

The file is TOML, read with :mod:`tomllib`; nothing in it is executed. A scikit-learn
expression is parsed with :mod:`ast` against a whitelist grammar (:func:`parse_kernel`)::

    name = "matern32"
    N = [8, 32, 128]          # frames
    d = 2                     # or: sigma = "sigma.npy" (an SPD d x d array)
    mean = "zero"             # "zero", "random" or a .npy/.csv file of shape (N, d) or (d,)
    t = [0.01, 0.5, 2.0]
    J = [1, 2, 4, 8]
    L = [5, 40]
    truncation = ["hard", "taper", "shift"]
    seed = 0

    [kernel]
    sklearn = "Matern(length_scale=3, nu=1.5)"
    # or: family = "powered_exponential", ell = 2.0, nu = 1.0
    # or: file = "rho.npy", beyond = "refuse" | "zero" | "tail", decay = {...}
    jitter = 0.0              # a nugget, reported in every row (0: none)
    # decay = {kind = "exponential", rate = 0.5, C = 1.0}  (declared; see gpdtheory.kernels.Decay)

Every error names the key, the value and the fix (:class:`~gpdtheory.errors.InvalidArgumentError`).
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import gpdtheory as gp
from gpdtheory.errors import GPDTheoryError, InvalidArgumentError, NotPositiveDefiniteError
from gpdtheory.kernels import Decay, Kernel, SampledKernel, SklearnKernel, with_jitter

from .table import CLAIMS, CheckConfig, Measurement, claim

__all__ = ["Scenario", "load_scenario", "scenario_from_dict", "parse_kernel", "applicability",
           "run_scenario", "ScenarioResult", "scenario_from_args",
           "truncation_advice", "decay_text", "DEMO"]

#: Grids of a scenario that leaves them out.
DEFAULTS: dict[str, Any] = {"N": (8, 32, 128), "d": 2, "t": (0.01, 0.5, 2.0), "J": (1, 2, 4, 8),
                            "L": (5, 40), "truncation": ("hard", "taper", "shift"), "seed": 0,
                            "mean": "zero"}
TOP_KEYS = ("name", "N", "d", "sigma", "mean", "t", "J", "L", "truncation", "seed", "kernel")
KERNEL_KEYS = ("family", "ell", "nu", "sklearn", "expr", "file", "beyond", "decay", "jitter")
#: Largest N a scenario may ask for (dense oracles run at the smallest N; the engine at all).
N_MAX = 4096

# ----------------------------------------------------------------------------- grammar
#: scikit-learn kernel classes an expression may call (``C`` is ``ConstantKernel``).
SKLEARN_NAMES = ("Matern", "RBF", "RationalQuadratic", "ExpSineSquared", "ConstantKernel", "C",
                 "WhiteKernel", "Exponentiation", "Sum", "Product")
#: scikit-learn kernels refused with a reason: they are not stationary.
NOT_STATIONARY = {"DotProduct": "it is not stationary (k(x, y) = sigma_0**2 + x*y depends on x "
                                "and y, not only on the lag x - y)"}
#: gpdtheory families an expression may call.
FAMILY_NAMES = {"PoweredExponential": gp.PoweredExponential, "Polynomial": gp.Polynomial,
                "Logarithmic": gp.Logarithmic}
GRAMMAR = ("calls of " + ", ".join(SKLEARN_NAMES + tuple(FAMILY_NAMES))
           + " with numeric literals (or inf, or a tuple of numbers, or 'fixed' for *_bounds) "
           "as arguments, combined with +, * and ** (a number exponent)")
MAX_EXPR = 2000


def _refuse(key: str, text: str, what: str) -> InvalidArgumentError:
    return InvalidArgumentError(key, text, f"{what} is outside the kernel grammar ({GRAMMAR})",
                                "write e.g. Matern(length_scale=3, nu=1.5) or "
                                "1.0 * RBF(2.0) + WhiteKernel(1e-3)")


def parse_kernel(text: str, key: str = "kernel") -> Kernel:
    """A kernel from a safe expression: scikit-learn kernels or gpdtheory families.

    The expression is parsed with :func:`ast.parse` and walked against a whitelist
    (:data:`GRAMMAR`): calls of known kernel classes by bare name, numeric literals, ``inf``,
    tuples of numbers, ``+``, ``*`` and ``**`` with a numeric exponent. Anything else (names,
    attributes, lambdas, subscripts, comprehensions, strings outside ``*_bounds``) is refused
    before any object is built; nothing is evaluated with ``eval``.

    Parameters
    ----------
    text : str
        E.g. ``"Matern(length_scale=3, nu=1.5)"`` or ``"PoweredExponential(ell=2, nu=1)"``.
    key : str
        The name of the setting, for error messages.

    Returns
    -------
    Kernel
        :class:`~gpdtheory.SklearnKernel` for a scikit-learn expression, the family otherwise.
    """
    if not isinstance(text, str):
        raise InvalidArgumentError(key, text, "is not a string", "write the expression in quotes")
    if len(text) > MAX_EXPR:
        raise InvalidArgumentError(key, text, f"is longer than {MAX_EXPR} characters",
                                   "write a shorter expression")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise InvalidArgumentError(key, text, f"is not an expression ({exc.msg})",
                                   "write e.g. Matern(length_scale=3, nu=1.5)") from None
    body = tree.body
    if (isinstance(body, ast.Call) and isinstance(body.func, ast.Name)
            and body.func.id in FAMILY_NAMES):
        args, kwargs = _call_args(body, key, text)
        try:
            return FAMILY_NAMES[body.func.id](*args, **kwargs)
        except TypeError as exc:
            raise InvalidArgumentError(key, text, f"bad arguments ({exc})",
                                       "write e.g. PoweredExponential(ell=2, nu=1)") from None
    sk = _build(body, key, text)
    if isinstance(sk, (int, float)):
        raise _refuse(key, text, "a bare number")
    try:
        return gp.from_sklearn(sk)
    except InvalidArgumentError as exc:  # a hyperparameter: say where it came from
        if exc.argument == "kernel":
            raise
        raise InvalidArgumentError(f"{key} {text!r}: {exc.argument}", exc.value, exc.problem,
                                   exc.fix) from None


def _number(node: ast.AST, key: str, text: str) -> float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name) and node.id == "inf":
        return math.inf
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _number(node.operand, key, text)
        return -v if isinstance(node.op, ast.USub) else v
    raise _refuse(key, text, f"{ast.unparse(node)!r} (not a number)")


def _value(node: ast.AST, name: str, key: str, text: str) -> Any:
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(_number(e, key, text) for e in node.elts)
    if (isinstance(node, ast.Constant) and node.value == "fixed" and name.endswith("_bounds")):
        return "fixed"
    if isinstance(node, (ast.Call, ast.BinOp)):
        return _build(node, key, text)
    return _number(node, key, text)


def _call_args(node: ast.Call, key: str, text: str) -> tuple[list, dict]:
    args = []
    for a in node.args:
        if isinstance(a, ast.Starred):
            raise _refuse(key, text, "a starred argument")
        args.append(_value(a, "", key, text))
    kwargs = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise _refuse(key, text, "a ** argument")
        kwargs[kw.arg] = _value(kw.value, kw.arg, key, text)
    return args, kwargs


def _build(node: ast.AST, key: str, text: str) -> Any:
    from sklearn.gaussian_process import kernels as K

    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            base = _build(node.left, key, text)
            p = _number(node.right, key, text)
            if isinstance(base, (int, float)):
                raise _refuse(key, text, "a power of a number")
            return K.Exponentiation(base, p)
        if isinstance(node.op, (ast.Add, ast.Mult)):
            left, right = _build(node.left, key, text), _build(node.right, key, text)
            if isinstance(left, (int, float)) and isinstance(right, (int, float)):
                raise _refuse(key, text, "arithmetic on numbers only")
            return left + right if isinstance(node.op, ast.Add) else left * right
        raise _refuse(key, text, f"the operator {type(node.op).__name__}")
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in NOT_STATIONARY:
            raise InvalidArgumentError(key, text, f"{node.func.id} is refused: "
                                       f"{NOT_STATIONARY[node.func.id]}, so Gamma would not be "
                                       "Toeplitz and no claim of docs/theory.md applies",
                                       "use a stationary kernel (RBF, Matern, RationalQuadratic, "
                                       "ExpSineSquared, sums and products of them)")
        if not isinstance(node.func, ast.Name) or node.func.id not in SKLEARN_NAMES:
            what = (f"a call of {node.func.id!r}" if isinstance(node.func, ast.Name)
                    else f"a call of {ast.unparse(node.func)!r}")
            raise _refuse(key, text, what)
        name = "ConstantKernel" if node.func.id == "C" else node.func.id
        args, kwargs = _call_args(node, key, text)
        try:
            return getattr(K, name)(*args, **kwargs)
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(key, text, f"{name}: bad arguments ({exc})",
                                       f"check the parameters of sklearn's {name}") from None
    if isinstance(node, (ast.Constant, ast.UnaryOp, ast.Name)):
        return _number(node, key, text)
    raise _refuse(key, text, f"{type(node).__name__} {ast.unparse(node)!r}")


# ----------------------------------------------------------------------------- the data
@dataclasses.dataclass(frozen=True, eq=False)
class Scenario:
    """A user's case, validated (see the module docstring for the file format).

    Attributes
    ----------
    name : str
    kernel : Kernel
        With the nugget applied when ``jitter > 0`` (its ``params`` then carry ``jitter``).
    kernel_text : str
        How the kernel was given (reports).
    N, t, J, L, truncation : tuple
        The grids claims take from it.
    d : int
    Sigma : (d, d) ndarray or None
        ``None``: each claim draws its own well-conditioned ``Sigma`` of size ``d``.
    mean : "zero", "random" or (N_max, d) ndarray
    seed : int
    jitter : float
    source : str
        The file it came from, or ``"flags"``.
    """

    name: str
    kernel: Kernel
    kernel_text: str
    N: tuple[int, ...]
    d: int
    Sigma: np.ndarray | None
    mean: Any
    t: tuple[float, ...]
    J: tuple[int, ...]
    L: tuple[int, ...]
    truncation: tuple[str, ...]
    seed: int = 0
    jitter: float = 0.0
    source: str = "flags"

    def mean_for(self, N: int, rng: np.random.Generator) -> np.ndarray | None:
        """The mean of N frames: None, a draw from ``rng``, or the user's first N rows."""
        if isinstance(self.mean, str):
            return None if self.mean == "zero" else rng.standard_normal((N, self.d))
        return self.mean[:N] if self.mean.ndim == 2 else self.mean

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary for the report header (the kernel's decay included)."""
        k = self.kernel
        base = k.base if hasattr(k, "base") else k
        decay = getattr(base, "decay", None)
        return {"name": self.name, "source": self.source, "kernel": self.kernel_text,
                "family": k.family, "params": k.params, "summable": bool(k.summable),
                "decay": decay.describe() if decay is not None else None,
                "N": list(self.N), "d": self.d, "sigma": "given" if self.Sigma is not None
                else "drawn per claim", "mean": self.mean if isinstance(self.mean, str)
                else f"array {self.mean.shape}", "t": list(self.t), "J": list(self.J),
                "L": list(self.L), "truncation": list(self.truncation), "seed": self.seed,
                "jitter": self.jitter}

    def fingerprint(self) -> str:
        """A digest of everything the rows depend on (journals refuse a different one)."""
        h = hashlib.sha256(repr(sorted(self.describe().items())).encode())
        h.update(repr(self.kernel).encode())
        for arr in (self.Sigma, None if isinstance(self.mean, str) else self.mean,
                    getattr(self.kernel, "values", None)):
            if arr is not None:
                h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()[:16]


def _ints(key: str, value: Any, lo: int, hi: int) -> tuple[int, ...]:
    vals = value if isinstance(value, (list, tuple)) else [value]
    if not vals:
        raise InvalidArgumentError(key, value, "is empty", f"give at least one integer in "
                                   f"[{lo}, {hi}]")
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise InvalidArgumentError(key, value, f"holds {v!r}, not an integer in [{lo}, {hi}]",
                                       f"write e.g. {key} = [{lo}, {min(hi, lo + 8)}]")
    return tuple(sorted(set(vals)))


def _floats(key: str, value: Any) -> tuple[float, ...]:
    vals = value if isinstance(value, (list, tuple)) else [value]
    if not vals:
        raise InvalidArgumentError(key, value, "is empty", "give at least one positive number")
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 < v < 1e3):
            raise InvalidArgumentError(key, value, f"holds {v!r}, not a number in (0, 1000)",
                                       f"write e.g. {key} = [0.01, 0.5, 2.0]")
    return tuple(sorted({float(v) for v in vals}))


def _load_array(key: str, path: Any, base: Path, where: str = "the scenario file's folder"
                ) -> np.ndarray:
    """A finite float64 array from a .npy or .csv file; ``where`` says what ``base`` is."""
    if not isinstance(path, str):
        raise InvalidArgumentError(key, path, "is not a file name",
                                   f'write {key} = "values.npy" (or .csv)')
    p = (base / path) if not Path(path).is_absolute() else Path(path)
    if p.suffix not in (".npy", ".csv"):
        raise InvalidArgumentError(key, path, "is neither .npy nor .csv",
                                   "save the array with numpy.save or as comma-separated text")
    if not p.is_file():
        fix = ("give the path of an existing .npy or .csv file (a relative path on the "
               "command line is read from the current folder)" if Path(path).is_absolute()
               else f"give a path relative to {where} ({base}), or an absolute one")
        raise InvalidArgumentError(key, path, f"does not exist (looked at {p})", fix)
    try:
        arr = (np.load(p, allow_pickle=False) if p.suffix == ".npy"
               else np.loadtxt(p, delimiter=",", ndmin=1))
    except (ValueError, OSError) as exc:
        raise InvalidArgumentError(key, path, f"cannot be read as numbers ({exc})",
                                   "write plain float64 values") from None
    arr = np.asarray(arr)
    if arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)):
        raise InvalidArgumentError(key, path, "holds non-numeric or non-finite values",
                                   "write finite float64 values")
    return arr.astype(np.float64)


def _kernel(table: Any, base: Path, where: str = "the scenario file's folder"
            ) -> tuple[Kernel, str, float]:
    if not isinstance(table, dict):
        raise InvalidArgumentError("kernel", table, "is not a table",
                                   'write [kernel] with sklearn = "..." or family = "..."')
    unknown = sorted(set(table) - set(KERNEL_KEYS))
    if unknown:
        raise InvalidArgumentError(f"kernel.{unknown[0]}", table[unknown[0]],
                                   "is not a kernel setting", "use only " + ", ".join(KERNEL_KEYS))
    given = [k for k in ("family", "sklearn", "expr", "file") if k in table]
    if len(given) != 1:
        raise InvalidArgumentError("kernel", sorted(table), "must name exactly one of family, "
                                   "sklearn (or expr), file", 'write e.g. sklearn = "Matern('
                                   'length_scale=3, nu=1.5)"')
    how = given[0]
    decay = Decay.from_dict(table["decay"], "kernel.decay") if "decay" in table else None
    if "beyond" in table and how != "file":
        raise InvalidArgumentError("kernel.beyond", table["beyond"], "applies to a file of rho",
                                   "drop it, or give file = ...")
    for k in ("ell", "nu"):
        if k in table and how != "family":
            raise InvalidArgumentError(f"kernel.{k}", table[k], "applies to a family",
                                       "drop it, or give family = ...")
    if how == "family":
        fam = table["family"]
        if fam not in gp.FAMILIES:
            raise InvalidArgumentError("kernel.family", fam, "is not a built-in family",
                                       "pick one of " + ", ".join(gp.FAMILIES))
        params = {}
        for k in ("ell", "nu"):
            v = table.get(k)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise InvalidArgumentError(f"kernel.{k}", v, "is missing or not a number",
                                           f"write {k} = <positive number>")
            params[k] = float(v)
        if decay is not None:
            raise InvalidArgumentError("kernel.decay", table["decay"], "is certified for a "
                                       "built-in family", "drop it")
        kernel = gp.FAMILIES[fam](**params)
        text = f"{fam}(ell={params['ell']:g}, nu={params['nu']:g})"
    elif how in ("sklearn", "expr"):
        key = f"kernel.{how}"
        kernel = parse_kernel(table[how], key)
        if decay is not None:
            if not isinstance(kernel, SklearnKernel):
                raise InvalidArgumentError("kernel.decay", table["decay"],
                                           "is certified for a built-in family", "drop it")
            kernel = SklearnKernel(kernel.kernel, decay)
        text = table[how]
    else:
        values = _load_array("kernel.file", table["file"], base, where)
        if values.ndim != 1 or values.size < 1:
            raise InvalidArgumentError("kernel.file", table["file"],
                                       f"holds an array of shape {values.shape}",
                                       "write one rho per lag: rho[0] = 1, rho[1], ...")
        beyond = table.get("beyond", "refuse")
        try:
            kernel = SampledKernel(values, beyond=beyond, decay=decay)
        except InvalidArgumentError as exc:
            key = "kernel.file" if exc.argument == "rho" else f"kernel.{exc.argument}"
            raise InvalidArgumentError(key,
                                       table.get(exc.argument, table["file"]), exc.problem,
                                       exc.fix) from None
        text = f"{table['file']} (M={values.size}, beyond={beyond})"
    jitter = table.get("jitter", 0.0)
    if isinstance(jitter, bool) or not isinstance(jitter, (int, float)) or not 0 <= jitter <= 1e6:
        raise InvalidArgumentError("kernel.jitter", jitter, "is not a number in [0, 1e6]",
                                   "write e.g. jitter = 1e-6, or leave it out")
    if jitter:
        kernel = with_jitter(kernel, float(jitter))
        text += f" + jitter {jitter:g}"
    return kernel, text, float(jitter)


def scenario_from_dict(data: dict[str, Any], base: str | Path = ".", source: str = "flags"
                       ) -> Scenario:
    """Validate a scenario mapping (the parsed TOML, or flags) and build a :class:`Scenario`.

    Parameters
    ----------
    data : dict
        Keys of :data:`TOP_KEYS`; ``kernel`` a table of :data:`KERNEL_KEYS`.
    base : path
        Folder that relative file names are read from.
    source : str
        Where it came from (reports).

    Raises
    ------
    InvalidArgumentError
        Naming the key, the value and the fix: unknown key, wrong type, a kernel expression
        outside the grammar, a file that is missing or unreadable, an N beyond the data, a
        ``Gamma_N`` that is not positive definite, an indefinite ``Sigma``.
    """
    base = Path(base)
    if not isinstance(data, dict):
        raise InvalidArgumentError("scenario", data, "is not a table", "write key = value lines")
    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise InvalidArgumentError(unknown[0], data[unknown[0]], "is not a scenario key",
                                   "use only " + ", ".join(TOP_KEYS))
    if "kernel" not in data:
        raise InvalidArgumentError("kernel", None, "is missing",
                                   'add a [kernel] table, e.g. sklearn = "Matern(length_scale=3,'
                                   ' nu=1.5)"')
    where = ("the current folder" if source in ("flags", "demo")
             else "the scenario file's folder")
    kernel, text, jitter = _kernel(data["kernel"], base, where)
    name = data.get("name", "scenario")
    if not isinstance(name, str):
        raise InvalidArgumentError("name", name, "is not a string", 'write name = "my case"')
    N, J, L, t, trunc = _grids(data, kernel, text)
    seed = data.get("seed", DEFAULTS["seed"])
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InvalidArgumentError("seed", seed, "is not an integer in [0, 2**63)",
                                   "write seed = 0")
    Sigma, d = _sigma_and_d(data, base, where)
    mean = _mean(data, base, d, N, where)
    _check_positive_definite(kernel, text, N)
    return Scenario(name, kernel, text, N, d, Sigma, mean, t, J, L, tuple(trunc), seed, jitter,
                    source)


def _grids(data: dict[str, Any], kernel: Kernel, text: str):
    """The grids ``N, J, L, t`` and the truncation methods, each within what the kernel allows."""
    N = _ints("N", data.get("N", DEFAULTS["N"]), 1, N_MAX)
    if kernel.max_lag < max(N) - 1:
        M = int(kernel.max_lag) + 1
        raise InvalidArgumentError("N", list(N), f"exceeds the {M} lags of the data "
                                   f"({text})", f"use N <= {M}, or set kernel.beyond = 'zero' "
                                   "(zero extension, PSD certified) to go further")
    J = _ints("J", data.get("J", DEFAULTS["J"]), 0, 256)
    if kernel.max_lag < max(J):
        raise InvalidArgumentError("J", list(J), f"exceeds the largest lag of the data "
                                   f"({int(kernel.max_lag)})",
                                   f"use J <= {int(kernel.max_lag)}")
    L = _ints("L", data.get("L", DEFAULTS["L"]), 1, 10_000)
    t = _floats("t", data.get("t", DEFAULTS["t"]))
    trunc = data.get("truncation", DEFAULTS["truncation"])
    trunc = [trunc] if isinstance(trunc, str) else trunc
    from gpdtheory.truncation import METHODS

    if not isinstance(trunc, (list, tuple)) or not trunc or any(m not in METHODS for m in trunc):
        raise InvalidArgumentError("truncation", trunc, "is not a list of truncation methods",
                                   "write truncation = [" + ", ".join(f'"{m}"' for m in METHODS)
                                   + "]")
    return N, J, L, t, trunc


def _sigma_and_d(data: dict[str, Any], base: Path, where: str = "the scenario file's folder"):
    """``Sigma`` (None when not given) and the feature dimension ``d``."""
    Sigma = None
    if "d" in data and not isinstance(data["d"], (list, tuple)):
        d = data["d"]
        if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 64:
            raise InvalidArgumentError("d", d, "is not a positive integer (the number of "
                                       "features per frame, at most 64)",
                                       "pass a positive integer, e.g. d = 2 (--d 2)")
    if "sigma" in data:
        S = _load_array("sigma", data["sigma"], base, where)
        try:
            from gpdtheory.validation import check_spd

            Sigma = check_spd(S, "sigma")
        except GPDTheoryError as exc:
            raise InvalidArgumentError("sigma", data["sigma"], f"is not a valid Sigma ({exc})",
                                       "give a symmetric positive definite d x d array") from None
        if "d" in data and data["d"] != Sigma.shape[0]:
            raise InvalidArgumentError("d", data["d"], f"disagrees with sigma's size "
                                       f"{Sigma.shape[0]}", "drop d or make them agree")
        d = Sigma.shape[0]
    else:
        d = _ints("d", data.get("d", DEFAULTS["d"]), 1, 64)
        if len(d) != 1:
            raise InvalidArgumentError("d", data.get("d"), "is a list", "write one integer")
        d = d[0]
    return Sigma, d


def _mean(data: dict[str, Any], base: Path, d: int, N: tuple[int, ...],
          where: str = "the scenario file's folder"):
    """The mean: ``"zero"``, ``"random"`` or a read-only array of shape ``(d,)`` or ``(N, d)``."""
    mean = data.get("mean", DEFAULTS["mean"])
    if mean not in ("zero", "random"):
        if isinstance(mean, str) and Path(mean).suffix not in (".npy", ".csv"):
            raise InvalidArgumentError("mean", mean, "is not zero, random or an existing "
                                       ".npy/.csv file", "pass mean = \"zero\", \"random\" or "
                                       f"the path of a .npy/.csv array of shape (N, {d}) or "
                                       f"({d},)")
        arr = _load_array("mean", mean, base, where)
        if arr.shape not in ((d,),) and not (arr.ndim == 2 and arr.shape[1] == d):
            raise InvalidArgumentError("mean", mean, f"has shape {arr.shape}, expected "
                                       f"(N, {d}) or ({d},)", "one row per frame, one column "
                                       "per feature")
        if arr.ndim == 2 and arr.shape[0] < max(N):
            raise InvalidArgumentError("N", list(N), f"exceeds the {arr.shape[0]} frames of the "
                                       f"mean file {mean!r}", f"use N <= {arr.shape[0]}")
        arr.setflags(write=False)
        mean = arr
    return mean


def _check_positive_definite(kernel: Kernel, text: str, N: tuple[int, ...]) -> None:
    """Refuse a kernel whose ``Gamma_N`` is not positive definite at some N of the grid."""
    for n in N:
        try:
            gp.GPSpec(kernel, n, np.eye(1))
        except NotPositiveDefiniteError as exc:
            key = {"sampled": "kernel.file", "sklearn": "kernel.sklearn"}.get(kernel.family,
                                                                              "kernel")
            raise InvalidArgumentError(key, text, f"Gamma_N is not positive definite at N={n} "
                                       f"({exc.detail})", exc.fix) from None


def load_scenario(path: str | Path, **overrides: Any) -> Scenario:
    """Read and validate a TOML scenario file (see the module docstring).

    Parameters
    ----------
    path : path
    **overrides
        Top-level keys that replace the file's (the command line's flags).
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the same parser, as the tomli package
        import tomli as tomllib

    p = Path(path)
    if not p.is_file():
        raise InvalidArgumentError("--scenario", str(path), "is not a file",
                                   "give the path of a .toml scenario")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError("--scenario", str(path), f"is not valid TOML ({exc})",
                                   "fix the syntax (key = value, [kernel] table)") from None
    data.update(overrides)
    if "kernel" in overrides and isinstance(overrides["kernel"], dict):
        data["kernel"] = overrides["kernel"]
    return scenario_from_dict(data, p.parent, str(p))


#: The scenario ``scenario.bounds`` runs on when no scenario is given (tests, listings).
DEMO = {"name": "demo Matern-3/2", "kernel": {"sklearn": "Matern(length_scale=3, nu=1.5)"},
        "N": [8, 64], "J": [1, 2, 4], "t": [0.5]}


# ----------------------------------------------------------------------------- applicability
#: Why a claim that does not read ``cfg.scenario`` cannot take a user's case, by id prefix.
REASONS = {
    "kappa.asymptotics": "needs a closed-form family: the asymptotic growth exponent of "
                         "lmax(Gamma_N) is derived per family",
    "psd.frontier": "a property of the powered-exponential family (frontier constants), "
                    "not of one kernel",
    "construct": "builds torch networks on its own grid of built-in kernels",
    "girsanov": "closed-form KL on its own grid of built-in kernels",
    "lyapunov": "ODE integration on its own grid of built-in kernels",
    "sampler": "Monte Carlo of the samplers on its own grid of built-in kernels",
    "trained": "trains models on three built-in decay families",
    "sample_complexity": "trains models at growing sample sizes on a built-in kernel",
    "video": "moving-ball videos, not a Gaussian-process kernel",
}


def _base(kernel: Kernel) -> Kernel:
    """The kernel under a nugget (``Jittered``), else the kernel."""
    return kernel.base if hasattr(kernel, "base") else kernel


def decay_text(kernel: Kernel) -> str:
    """What the package knows of the kernel's decay, in one line (the ``decay:`` line)."""
    base = _base(kernel)
    decay = getattr(base, "decay", None)
    if isinstance(base, SampledKernel):
        M = base.values.size
        if base.beyond == "zero":
            return (f"zero beyond the {M} measured lags (beyond='zero'): finitely many nonzero "
                    "lags, summable")
        if base.beyond == "refuse":
            return f"the {M} measured lags only (beyond='refuse'): N <= {M}, sums over the data"
    if decay is not None:
        return decay.describe()
    reason = getattr(base, "not_summable_reason", "")
    if not isinstance(base, (SampledKernel, SklearnKernel)):
        return "closed form (proved)" + ("" if kernel.summable else ": not summable")
    if reason:
        return f"{reason} (certified)" + ("" if "not summable" in reason else ": not summable")
    return "none certified or declared: not summable"


def _not_summable(kernel: Kernel) -> tuple[str, bool]:
    """Why the kernel is not summable, and whether declaring a decay could change that."""
    base = _base(kernel)
    certified = getattr(base, "not_summable_reason", "")
    if certified:
        return certified, False
    if not isinstance(base, (SampledKernel, SklearnKernel)):  # a closed form: proved
        return f"{base!r} is not summable (a closed form, proved)", False
    decay = getattr(base, "decay", None)
    if decay is not None:  # declared, but not summable (a polynomial exponent <= 1)
        return f"the declared decay ({decay.describe()}) is not summable", True
    why = getattr(base, "uncertified_reason", "")
    return (why + ", so its decay is unknown" if why else "its decay is unknown"), True


def applicability(scenario: Scenario | None = None) -> dict[str, str]:
    """``{claim id: "runs" | "runs; <note>" | "not applicable: <reason>"}`` for a scenario."""
    out = {}
    summable = scenario is None or scenario.kernel.summable
    for cid, c in CLAIMS.items():
        if c.scenario:
            note = ""
            if not summable and cid in ("kappa.bound", "truncation.error", "scenario.bounds"):
                why, declarable = _not_summable(scenario.kernel)
                note = ("; N-free rows skipped: needs a summable kernel (declare its decay, "
                        "e.g. decay = {kind = \"exponential\", rate = ...})" if declarable
                        else f"; N-free rows skipped: {why}, so N-free bounds do not exist")
            out[cid] = "runs" + note
            continue
        reason = next((r for p, r in REASONS.items() if cid == p or cid.startswith(p + ".")),
                      "its grid is fixed: the claim does not read cfg.scenario (register it "
                      "with scenario=True to take one)")
        out[cid] = "not applicable: " + reason
    return out


def truncation_advice(kernel: Kernel, Js: Sequence[int]) -> list[str]:
    """One line per hard truncation lag whose ``Gamma_bar`` is not PSD for every N."""
    from gpdtheory.psd import certify_all_n

    out = []
    for J in Js:
        cert = certify_all_n(kernel, J)
        if cert.verdict == "not_psd":
            out.append(f"hard truncation is not PSD at J={J} (certified: min f_J = "
                       f"{cert.min_value:.3g} < 0 at w = {cert.witness_w:.3f}; Gamma_bar_N is "
                       "indefinite for large N): use taper or shift (truncation = \"taper\" or "
                       "\"shift\"), or a larger J")
    return out


@dataclasses.dataclass
class ScenarioResult:
    """Rows of a scenario run, what applied and the advice for the user."""

    scenario: Scenario
    rows: list
    applicability: dict[str, str]
    advice: list[str]
    timings: dict[str, float]

    def text(self) -> str:
        """The applicability list and the advice, for the command line."""
        lines = [f"scenario {self.scenario.name!r}: {self.scenario.kernel_text}"]
        lines.append(f"  decay: {decay_text(self.scenario.kernel)}")
        for cid, what in self.applicability.items():
            lines.append(f"  {cid:24s} {what}")
        lines += [f"advice: {a}" for a in self.advice]
        return "\n".join(lines)


def advice_for(scenario: Scenario) -> list[str]:
    """Advice for a scenario: indefinite hard truncations, singular kernels, no decay."""
    k = scenario.kernel
    base = k.base if hasattr(k, "base") else k
    out = truncation_advice(k, scenario.J) if "hard" in scenario.truncation else []
    if getattr(base, "advice", "") and not scenario.jitter:
        out.append(base.advice)
    if not k.summable:
        why, declarable = _not_summable(k)
        if not declarable:
            out.append(f"no N-free bounds: {why}, so sum|rho| diverges and N-free bounds do not "
                       "exist (lmax(Gamma_N) grows with N); the per-N rows still hold")
        elif isinstance(base, SampledKernel):
            out.append(f"no N-free bounds: {why}; declare a summable tail beyond the data "
                       "(beyond = \"tail\", decay = {kind = \"exponential\", rate = ...}) or "
                       "measure more lags")
        else:
            out.append(f"no N-free bounds: {why}; declare a decay ([kernel] decay = "
                       "{kind = \"exponential\", rate = ...}) if the process has one")
    return out


def run_scenario(scenario: Scenario | str | Path, only: list[str] | None = None,
                 cfg: CheckConfig | None = None, **run_kw: Any) -> ScenarioResult:
    """Run every claim that applies to ``scenario``; say why the others do not.

    Parameters
    ----------
    scenario : Scenario or path of a TOML file
    only : list of str, optional
        Claim ids or prefixes (as ``--only``).
    cfg : CheckConfig, optional
        Its ``seed`` is replaced by the scenario's.
    **run_kw
        Passed to :func:`checks.runner.run` (``executor``, ``progress``, ``on_claim``, ``done``).
    """
    from . import runner

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    cfg = dataclasses.replace(cfg or CheckConfig(), scenario=scenario, seed=scenario.seed)
    timings: dict[str, float] = run_kw.pop("timings", None) or {}
    rows = runner.run(only, cfg, timings=timings, **run_kw)
    app = applicability(scenario)
    if only:  # the claims --only names, run or not
        app = {c: w for c, w in app.items() if any(c == p or c.startswith(p + ".") for p in only)}
    return ScenarioResult(scenario, rows, app, advice_for(scenario), timings)


# ----------------------------------------------------------------------------- the claim
@claim("scenario.bounds", "2", "for the scenario's kernel: lmax(Gamma_N) <= 1 + 2 sum|rho| "
       "(N-free, certified or declared decay); sum_{J<m<N} |rho(m)| <= tail_bound(J); the hard "
       "truncation at each J is PSD for every N or refuted (exact certificate)",
       scenario="only")
def scenario_bounds(cfg: CheckConfig):
    """N-free bounds and truncation certificates for one user's kernel (docs/theory.md §§2-4).

    Runs on ``cfg.scenario`` (``gpdtheory check --scenario``), or on :data:`DEMO` without one.

    measured: ``lmax(Gamma_N)`` from the Toeplitz engine (dense ``eigvalsh`` for N <= 256)
    at each N of the grid; the finite tail sums ``sum_{J<m<N} |rho(m)|`` from the kernel's
    values. bound: ``1 + 2 abs_sum()`` (the head summed exactly plus the certified or declared
    closed-form tail: no eigenvalues) and ``tail_bound(J)`` (closed form). Not summable: the
    N-free rows are skipped (see :func:`applicability`). Truncation rows (info): ``min f_J``
    of the exact all-N certificate (:func:`gpdtheory.psd.certify_all_n`), with the verdict
    and, when refuted, the advice to use taper or shift.
    """
    scn = cfg.scenario or scenario_from_dict(DEMO, source="demo")
    k = scn.kernel
    if k.summable:
        S = k.abs_sum()
        for N in scn.N:
            r = k.autocovariance(N)
            if N <= 256:
                import scipy.linalg

                lmax = float(np.linalg.eigvalsh(scipy.linalg.toeplitz(r))[-1])
            else:
                lmax = float(gp.toeplitz.max_eig(r))
            yield Measurement(_case_of(k, N=N, quantity="lmax(Gamma_N) vs 1 + 2 sum|rho|"),
                              lmax, 1.0 + 2.0 * S, note="N-free bound")
            for J in scn.J:
                if J < N - 1:
                    yield Measurement(_case_of(k, N=N, J=J, quantity="tail sum vs tail_bound"),
                                      float(np.sum(np.abs(r[J + 1:]))), k.tail_bound(J))
    from gpdtheory.psd import certify_all_n

    for J in scn.J:
        cert = certify_all_n(k, J)
        note = {"psd": f"hard truncation PSD for every N at J={J}",
                "not_psd": f"not PSD at J={J}: use taper or shift",
                "inconclusive": "certificate inconclusive (min f_J within rounding slack)"}
        yield Measurement(_case_of(k, J=J, certificate=cert.verdict, quantity="min f_J"),
                          cert.min_value, math.nan, kind="info", note=note[cert.verdict])


def _case_of(kernel: Kernel, **extra: Any) -> dict[str, Any]:
    from .cases import case_params

    return case_params(kernel, **extra)


# ----------------------------------------------------------------------------- flags
def _list(key: str, text: str, cast) -> list:
    try:
        return [cast(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InvalidArgumentError(f"--{key}", text, "is not a comma-separated list of numbers",
                                   f"write e.g. --{key} 1,2,4") from None


def scenario_from_args(args: Any) -> Scenario | None:
    """The scenario the flags of ``gpdtheory check`` describe (None without scenario flags).

    The flags (``--scenario``, ``--kernel``, ``--rho``, ``--beyond``, ``--jitter``, ``--N``,
    ``--d``, ``--sigma``, ``--mean``, ``--t``, ``--J``, ``--L``, ``--truncation``) are
    defined in :mod:`checks.cli`; each overrides the scenario file's key.
    """
    over: dict[str, Any] = {}
    kernel: dict[str, Any] = {}
    if args.kernel:
        kernel["expr"] = args.kernel
    if args.rho:
        kernel["file"] = str(Path(args.rho).resolve())
    if args.beyond:
        kernel["beyond"] = args.beyond
    if args.jitter is not None:
        kernel["jitter"] = args.jitter
    for key, cast in (("N", int), ("t", float), ("J", int), ("L", int)):
        text = getattr(args, f"scn_{key}")
        if text:
            over[key] = _list(key, text, cast)
    if args.scn_d is not None:
        over["d"] = args.scn_d
    if args.sigma:
        over["sigma"] = str(Path(args.sigma).resolve())
    if args.mean:  # a file is read from the current folder; other words are refused as such
        over["mean"] = str(Path(args.mean).resolve()) if Path(args.mean).suffix in (
            ".npy", ".csv") else args.mean
    if args.truncation:
        over["truncation"] = _list("truncation", args.truncation, str)
    if not (args.scenario or over or kernel):
        return None
    if args.scenario:
        if kernel:
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10: the same parser, as the tomli package
                import tomli as tomllib

            try:
                file_kernel = tomllib.loads(Path(args.scenario).read_text(encoding="utf-8")).get(
                    "kernel", {})
            except (OSError, tomllib.TOMLDecodeError):
                file_kernel = {}
            if any(k in kernel for k in ("expr", "file")):
                file_kernel = {k: v for k, v in file_kernel.items()
                               if k not in ("family", "ell", "nu", "sklearn", "expr", "file",
                                            "beyond", "decay")}
            over["kernel"] = {**file_kernel, **kernel}
        return load_scenario(args.scenario, **over)
    if not kernel or not any(k in kernel for k in ("expr", "file")):
        raise InvalidArgumentError("--kernel", None, "is missing (scenario flags need a kernel)",
                                   "pass --kernel EXPR, --rho FILE or --scenario FILE")
    return scenario_from_dict({**over, "kernel": kernel}, Path.cwd(), "flags")
