"""The kernel expression grammar of scenarios and ``--kernel``: parsed, never evaluated.

An expression is parsed with :func:`ast.parse` and walked against a whitelist
(:data:`GRAMMAR`): calls of scikit-learn kernel classes or gpdtheory families by bare name,
numeric literals, ``inf``, tuples of numbers, ``+``, ``*`` and ``**`` with a numeric
exponent. Anything else is refused, naming what was found, before any object is built.
"""

from __future__ import annotations

import ast
import math
from typing import Any

import gpdtheory as gp
from gpdtheory.errors import InvalidArgumentError
from gpdtheory.kernels import Kernel

__all__ = ["parse_kernel", "GRAMMAR", "SKLEARN_NAMES", "NOT_STATIONARY", "FAMILY_NAMES",
           "MAX_EXPR"]

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
