"""The core's subpackages form layers: each may import only the layers below it, so there are no import loops
and the folder layout tells the truth about what depends on what."""

import ast
import pathlib

import workbench.core

#: Bottom to top. `base` is the two leaf modules directly in workbench/core (limits, palette).
LAYERS = ("base", "model", "data", "present", "training", "files", "lessons")
CORE = pathlib.Path(workbench.core.__file__).parent


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 3 or parts[:2] != ["workbench", "core"]:
        raise ValueError(module)
    return parts[2] if parts[2] in LAYERS else "base"


def core_imports(path: pathlib.Path) -> set[str]:
    """Every workbench.core module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("workbench.core"):
            if node.module == "workbench.core":
                found.update(f"workbench.core.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("workbench.core."))
    return found


def test_every_core_module_imports_only_its_own_layer_or_lower() -> None:
    violations = []
    modules = sorted(CORE.rglob("*.py"))
    assert len(modules) > 20
    for path in modules:
        relative = path.relative_to(CORE)
        own = relative.parts[0] if len(relative.parts) > 1 else "base"
        if path.name == "__init__.py" and len(relative.parts) == 1:
            continue
        for imported in core_imports(path):
            if LAYERS.index(layer_of(imported)) > LAYERS.index(own):
                violations.append(f"{relative} ({own}) imports {imported} ({layer_of(imported)})")
    assert not violations, "\n".join(violations)


def test_every_core_module_lives_in_a_layer_package() -> None:
    base = ("__init__.py", "limits.py", "palette.py", "controls.py")
    loose = sorted(p.name for p in CORE.glob("*.py") if p.name not in base)
    assert loose == [], f"put these into one of {LAYERS[1:]}: {loose}"
