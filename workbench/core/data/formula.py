"""Target formulas a user types, ``target = f(x, y)``, read by a parser that can only do arithmetic.

Why not `eval`: a lesson file or a shared project can carry a formula, and evaluating Python from either
would run anything. Here the text is parsed into Python's syntax tree (parsing never runs code) and every
node is checked against a short whitelist: numbers, the names ``x``, ``y``, ``pi`` and ``e``, the operators
``+ - * / ** %`` (``^`` is read as a power, as in a calculator) and calls of the functions in `FUNCTIONS`
with plain arguments. Anything else (attribute access, other names, strings, keywords, comprehensions...)
raises `FormulaError` naming it, and nothing runs. Evaluation then walks the checked tree with numpy.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Longer formulas are refused: nobody types them, and they only make deep trees.
MAX_LENGTH = 300

#: Function name -> (numpy function, number of arguments).
FUNCTIONS: dict[str, tuple[Callable[..., np.ndarray], int]] = {
    "sin": (np.sin, 1),
    "cos": (np.cos, 1),
    "tan": (np.tan, 1),
    "asin": (np.arcsin, 1),
    "acos": (np.arccos, 1),
    "atan": (np.arctan, 1),
    "atan2": (np.arctan2, 2),
    "sinh": (np.sinh, 1),
    "cosh": (np.cosh, 1),
    "tanh": (np.tanh, 1),
    "exp": (np.exp, 1),
    "log": (np.log, 1),
    "sqrt": (np.sqrt, 1),
    "abs": (np.abs, 1),
    "sign": (np.sign, 1),
    "floor": (np.floor, 1),
    "ceil": (np.ceil, 1),
    "min": (np.minimum, 2),
    "max": (np.maximum, 2),
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")

_BINARY: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
    ast.Mod: np.mod,
}
_UNARY: dict[type, Callable[[np.ndarray], np.ndarray]] = {ast.USub: np.negative, ast.UAdd: np.positive}


class FormulaError(ValueError):
    """A formula that cannot be used; the message says what is not allowed or what went wrong."""


@dataclass(frozen=True)
class Formula:
    """A checked formula; call it with arrays of x and y to get the target values."""

    text: str
    _tree: ast.expr

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Values at the points (float64, same shape as x); FormulaError if any is not a finite number."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        with np.errstate(all="ignore"):
            values = np.broadcast_to(_evaluate(self._tree, x, y), x.shape).astype(np.float64)
        if not np.isfinite(values).all():
            bad = int(np.count_nonzero(~np.isfinite(values)))
            raise FormulaError(
                f"{self.text!r} gives no finite value at {bad} of {values.size} points "
                "(e.g. log or sqrt of a negative number, or a division by zero)"
            )
        return values


def parse_formula(text: str) -> Formula:
    """Check `text` and return a callable `Formula`; FormulaError for anything outside the whitelist."""
    if not isinstance(text, str):
        raise FormulaError("a formula is text, e.g. sin(x) * cos(y)")
    source = text.strip()
    if not source:
        raise FormulaError("the formula is empty: write the target in terms of x and y, e.g. sin(x) * cos(y)")
    if len(source) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    try:
        with warnings.catch_warnings():  # e.g. "2x" warns "invalid decimal literal" on stderr before failing
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source.replace("^", "**"), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        implied = re.search(r"\d\s*[A-Za-z(]|\)\s*[\w(]", source)
        hint = f" (write products with *, e.g. {implied.group(0)[0]}*...)" if implied else ""
        raise FormulaError(f"{source!r} is not a formula: check the brackets and operators{hint}") from None
    try:
        _check(tree.body)
    except RecursionError:
        raise FormulaError(f"{source!r} is nested too deeply") from None
    return Formula(source, tree.body)


def _check(node: ast.AST) -> None:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FormulaError(f"{value!r} is not a number; a formula uses only numbers, x and y")
        if isinstance(value, int) and abs(value) > 10**15:
            raise FormulaError(f"the number {value} is too large")
        return
    if isinstance(node, ast.Name):
        if node.id not in VARIABLES and node.id not in CONSTANTS:
            raise FormulaError(
                f"unknown name {node.id!r}: a formula may use x, y, pi, e and the functions "
                f"{', '.join(FUNCTIONS)}"
            )
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise FormulaError("only + - * / ** and % are allowed between values")
        _check(node.left)
        _check(node.right)
        return
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise FormulaError("only a minus or plus sign may stand before a value")
        _check(node.operand)
        return
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            raise FormulaError("call only the listed functions, e.g. sin(x): no methods or attributes")
        if not isinstance(node.func, ast.Name):
            raise FormulaError("a bracket right after a value is not a product: write *, e.g. (x+1)*y")
        if node.func.id not in FUNCTIONS:
            raise FormulaError(f"{node.func.id!r} is not one of the functions {', '.join(FUNCTIONS)}")
        _, arity = FUNCTIONS[node.func.id]
        if node.keywords or len(node.args) != arity or any(isinstance(a, ast.Starred) for a in node.args):
            plural = "s" if arity > 1 else ""
            raise FormulaError(f"{node.func.id} takes {arity} plain argument{plural}")
        for argument in node.args:
            _check(argument)
        return
    raise FormulaError(
        f"{type(node).__name__} is not allowed in a formula; use numbers, x, y, + - * / ** and functions"
    )


def _evaluate(node: ast.expr, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Walk a tree `_check` accepted (so every node is one of the kinds handled here)."""
    if isinstance(node, ast.Constant):
        return np.asarray(float(node.value))
    if isinstance(node, ast.Name):
        if node.id == "x":
            return x
        if node.id == "y":
            return y
        return np.asarray(CONSTANTS[node.id])
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, x, y), _evaluate(node.right, x, y))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, x, y))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    function, _ = FUNCTIONS[node.func.id]
    return function(*(_evaluate(argument, x, y) for argument in node.args))
