"""A scenario's data: the :class:`Scenario` record, read from TOML or from command-line flags.

The file format is described in :mod:`gpdtheory_checks.scenario`; every key is validated here and
every error names the key, the value and the fix
(:class:`~gpdtheory.errors.InvalidArgumentError`). Nothing in a file is executed: a kernel
expression goes through :func:`gpdtheory_checks.kernel_grammar.parse_kernel`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import numpy as np

import gpdtheory as gp
from gpdtheory.errors import GPDTheoryError, InvalidArgumentError, NotPositiveDefiniteError
from gpdtheory.kernels import Decay, Kernel, SampledKernel, SklearnKernel, with_jitter
from gpdtheory.schedule import check_diffusion_time

from .kernel_grammar import parse_kernel

__all__ = ["Scenario", "load_scenario", "scenario_from_dict", "scenario_from_args", "DEMO",
           "DEFAULTS", "TOP_KEYS", "KERNEL_KEYS", "N_MAX"]

#: Grids of a scenario that leaves them out.
DEFAULTS: dict[str, Any] = {"N": (8, 32, 128), "d": 2, "t": (0.01, 0.5, 2.0), "J": (1, 2, 4, 8),
                            "L": (5, 40), "truncation": ("hard", "taper", "shift"), "seed": 0,
                            "mean": "zero"}
TOP_KEYS = ("name", "N", "d", "sigma", "mean", "t", "J", "L", "truncation", "seed", "kernel")
KERNEL_KEYS = ("family", "ell", "nu", "sklearn", "expr", "file", "beyond", "decay", "jitter")
#: Largest N a scenario may ask for (dense oracles run at the smallest N; the engine at all).
N_MAX = 4096


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



def _toml():
    """The TOML reader: :mod:`tomllib` (Python >= 3.11), or ``tomli`` where it is missing."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the tomli dependency (pyproject.toml)
        import tomli as tomllib
    return tomllib

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


def _times(key: str, value: Any) -> tuple[float, ...]:
    """Diffusion times, bounded by the library's rule (``0 < t <= T_MAX``, from
    :func:`gpdtheory.schedule.check_diffusion_time`): a scenario accepts exactly the times the
    library computes at, and says why in the library's words."""
    vals = value if isinstance(value, (list, tuple)) else [value]
    example = f"write e.g. {key} = [0.01, 0.5, 2.0]"
    if not vals:
        raise InvalidArgumentError(key, value, "is empty", "give at least one positive number")
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InvalidArgumentError(key, value, f"holds {v!r}, not a number", example)
        try:
            check_diffusion_time(v, key)
        except InvalidArgumentError as exc:
            # Re-raised with the whole value the file gave, and the file's own fix first.
            raise InvalidArgumentError(key, value, f"holds {v!r}, which {exc.problem}",
                                       f"{example} ({exc.fix})") from None
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
    t = _times("t", data.get("t", DEFAULTS["t"]))
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
    tomllib = _toml()

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
    defined in :mod:`gpdtheory_checks.cli`; each overrides the scenario file's key.
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
            tomllib = _toml()
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
