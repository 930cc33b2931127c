"""The formula parser refuses code: random text never runs anything and never raises anything but
FormulaError; known attacks are named in the message; what it accepts evaluates like numpy."""

from __future__ import annotations

import ast
import builtins
import contextlib
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.core.data import formula as formula_module
from workbench.core.data.formula import MAX_LENGTH, FormulaError, parse_formula

X = np.linspace(-3, 3, 7)
Y = np.linspace(2, -2, 7)


class Ran(AssertionError):
    """Raised by the traps: something tried to run code or touch the system."""


def _trap(*args, **kwargs):
    raise Ran("a trapped function was called")


BUILTIN_TRAPS = ("eval", "exec", "open", "breakpoint", "input")
_COMPILE = builtins.compile
_IMPORT = builtins.__import__


def _import_loaded_only(name, *args, **kwargs):
    """numpy's own lazy ``import`` of modules it already loaded runs nothing; importing anything new does."""
    if name not in sys.modules:
        raise Ran(f"import {name}")
    return _IMPORT(name, *args, **kwargs)


def _compile_to_tree_only(source, filename, mode, flags=0, *args, **kwargs):
    """`ast.parse` compiles to a syntax tree (PyCF_ONLY_AST), which runs nothing; compiling to code does."""
    if not flags & ast.PyCF_ONLY_AST:
        raise Ran(f"compile({source!r}) to code")
    return _COMPILE(source, filename, mode, flags, *args, **kwargs)


OS_TRAPS = ("system", "popen", "remove", "unlink", "execv", "execvp", "fork", "kill", "rmdir")


@contextlib.contextmanager
def traps():
    """While parsing and evaluating, anything a formula could use to run code raises `Ran` (set only around
    the call: pytest itself imports and opens files between tests)."""
    saved = [(builtins, name, getattr(builtins, name)) for name in BUILTIN_TRAPS]
    saved += [(os, name, getattr(os, name)) for name in OS_TRAPS if hasattr(os, name)]
    saved.append((subprocess, "Popen", subprocess.Popen))
    for owner, name, _ in saved:
        setattr(owner, name, _trap)
    saved += [(builtins, "compile", _COMPILE), (builtins, "__import__", _IMPORT)]
    builtins.compile = _compile_to_tree_only
    builtins.__import__ = _import_loaded_only
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def _use(text: str) -> None:
    """Parse and evaluate; only FormulaError may come out (Ran or anything else fails the test)."""
    with traps(), contextlib.suppress(FormulaError):
        parse_formula(text)(X, Y)


def _parse_and_run(text: str) -> np.ndarray:
    with traps():
        return parse_formula(text)(X, Y)


def test_the_traps_catch_code_that_runs():
    with pytest.raises(Ran), traps():
        eval("1")


# Characters of Python code and of formulas, so random strings hit both syntax and the whitelist's edges.
ALPHABET = st.sampled_from(list("xyepi0123456789.+-*/%^()[]{},:;'\"_ =<>!&|~@#\\\n\tabcdfghjklmnoqrstuvwz"))
TOKENS = st.sampled_from(
    ["x", "y", "pi", "e", "sin", "cos", "exp", "log", "sqrt", "atan2", "max", "(", ")", ",", "+", "-", "*",
     "/", "**", "^", "%", "1", "0", "2.5", "1e308", "__import__", "os", ".", "system", "lambda", ":", "[",
     "]", "'ls'", "__class__", "__subclasses__", "globals", "open", "if", "else", "for", "in", "not", "and",
     "==", "<", "**9", "9" * 20]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_random_characters_never_run_anything_and_raise_only_formula_errors(text):
    _use(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(TOKENS, max_size=25).map(" ".join))
def test_random_token_soup_never_runs_anything_and_raises_only_formula_errors(text):
    _use(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_unicode_text_raises_only_formula_errors(text):
    _use(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('echo hacked')", "no methods"),
        ("__import__('os')", "'__import__' is not one of the functions"),
        ("x.__class__", "Attribute is not allowed"),
        ("().__class__.__bases__[0].__subclasses__()", "no methods"),
        ("open('/etc/passwd')", "'open' is not one of the functions"),
        ("eval('1')", "'eval' is not one of the functions"),
        ("lambda: 1", "Lambda is not allowed"),
        ("[x for x in (1, 2)]", "ListComp is not allowed"),
        ("'text'", "is not a number"),
        ("z + 1", "unknown name 'z'"),
        ("sin(x, y)", "sin takes 1 plain argument"),
        ("sin(*[x])", "sin takes 1 plain argument"),
        ("max(x)", "max takes 2 plain arguments"),
        ("sin(x=1)", "sin takes 1 plain argument"),
        ("x if y else 1", "IfExp is not allowed"),
        ("x < y", "Compare is not allowed"),
        ("x & 1", r"only \+ - \* / \*\* and % are allowed"),
        ("not x", "only a minus or plus sign"),
        ("True + x", "is not a number"),
        ("(x := 3)", "NamedExpr is not allowed"),
        ("x; y", "is not a formula"),
        ("sin(x", "is not a formula"),
        ("", "the formula is empty"),
        ("x" + " + x" * MAX_LENGTH, f"longer than {MAX_LENGTH}"),
        ("10 ** 10 ** 10", "no finite value"),
        ("log(x)", "no finite value at 4 of 7 points"),
        ("1 / (x - x)", "no finite value"),
        ("9" * 17, "too large"),
    ],
)
def test_known_bad_formulas_are_refused_with_a_clear_message(text, message):
    with pytest.raises(FormulaError, match=message):
        _parse_and_run(text)


def test_deep_nesting_is_bounded_by_the_length_limit_not_a_crash():
    np.testing.assert_allclose(_parse_and_run("(" * 149 + "x" + ")" * 149), X)
    np.testing.assert_allclose(_parse_and_run("-" * 299 + "x"), -X)
    with pytest.raises(FormulaError, match="longer than"):
        _parse_and_run("(" * 150 + "x" + ")" * 150)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sin(x) * cos(y)", np.sin(X) * np.cos(Y)),
        ("x^2 + y**2", X**2 + Y**2),
        ("atan2(y, x) / pi", np.arctan2(Y, X) / math.pi),
        ("max(x, y) - min(x, 0.5) + abs(-x) % 2", np.maximum(X, Y) - np.minimum(X, 0.5) + np.abs(-X) % 2),
        ("exp(-(x*x + y*y) / 4) * e", np.exp(-(X * X + Y * Y) / 4) * math.e),
        ("3", np.full_like(X, 3.0)),
    ],
)
def test_accepted_formulas_evaluate_like_numpy(text, expected):
    np.testing.assert_allclose(_parse_and_run(text), expected)


def test_every_whitelisted_function_is_callable_by_name():
    for name, (_, arity) in formula_module.FUNCTIONS.items():
        arguments = ", ".join(["abs(x) / 10 + 0.1", "abs(y) / 10 + 0.2"][:arity])
        values = parse_formula(f"{name}({arguments})")(X, Y)
        assert values.shape == X.shape


@pytest.mark.parametrize(
    ("text", "advice"),
    [("2x", "write products with *"), ("(x+1)(y)", "write *"), ("x.real()", "no methods")],
)
def test_a_missing_multiplication_sign_is_named(text, advice):
    with pytest.raises(FormulaError, match=re.escape(advice)):
        parse_formula(text)
