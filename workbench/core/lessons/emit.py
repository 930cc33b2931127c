"""Writing lessons: a small TOML emitter for the format `format.py` reads, and the lesson of a window's state.

Why our own: the standard library reads TOML but does not write it, and the lesson format needs only
texts, numbers, booleans, lists, tables and arrays of tables. "Save as Lesson" writes the current data (as
rows, so hand-drawn points survive), network and settings plus the teacher's text; `parse_lesson` of the
result gives the same set-up back (tests/core/test_lessons.py checks the round trip).
"""

from __future__ import annotations

import math
import re
from typing import Any

from workbench.core.data.dataset import Dataset
from workbench.core.lessons.format import Goal
from workbench.core.model.spec import NetworkSpec, TrainingSettings

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def lesson_text(
    title: str,
    step_title: str,
    text: str,
    dataset: Dataset,
    spec: NetworkSpec,
    settings: TrainingSettings,
    *,
    summary: str = "",
    goals: tuple[Goal, ...] | list[Goal] = (),
    budget: int | None = None,
    views: tuple[str, ...] | list[str] = (),
    hidden: tuple[str, ...] | list[str] = (),
    locked: tuple[str, ...] | list[str] = (),
) -> str:
    """A one-step lesson that starts from exactly this data, network and settings."""
    step: dict[str, Any] = {"title": step_title, "text": text}
    if budget is not None:
        step["budget"] = int(budget)
    if views:
        step["views"] = list(views)
    step.update(setup_tables(dataset, spec, settings))
    if hidden or locked:
        step["classroom"] = {"hidden": list(hidden), "locked": list(locked)}
    if goals:
        step["goals"] = [goal.to_dict() for goal in goals]
    document: dict[str, Any] = {"title": title}
    if summary:
        document["summary"] = summary
    document["steps"] = [step]
    return to_toml(document)


def setup_tables(dataset: Dataset, spec: NetworkSpec, settings: TrainingSettings) -> dict[str, Any]:
    """The data, network and training tables of a set-up (the data as rows with their split keys)."""
    if dataset.targets is not None:  # regression: [x, y, target value, split key]
        rows = [
            [_number(x), _number(y), _number(t), _number(key)]
            for (x, y), t, key in zip(dataset.points, dataset.targets, dataset.split_keys, strict=True)
        ]
        data: dict[str, Any] = {"task": "regression"}
    else:
        rows = [
            [_number(x), _number(y), int(label), _number(key)]
            for (x, y), label, key in zip(dataset.points, dataset.labels, dataset.split_keys, strict=True)
        ]
        data = {"class_names": list(dataset.class_names)}
    data.update({"test_fraction": dataset.test_fraction, "seed": dataset.split_seed, "rows": rows})
    network: dict[str, Any] = {
        "features": list(spec.features),
        "layers": ",".join(f"{layer.width}:{layer.activation}" for layer in spec.hidden),
        "connections": [spec.link_text(link) for link in spec.connections],
        "residuals": [spec.link_text(link) for link in spec.residuals],
        "standardize": spec.input_scaling is not None,
    }
    training = settings.to_dict()
    if training["batch_size"] is None:
        training["batch_size"] = "all"
    return {"data": data, "network": network, "training": training}


def _number(value: float) -> float:
    """Coordinates to 6 significant digits: the file stays readable and the points stay where they were."""
    return float(f"{float(value):.6g}")


# ----------------------------------------------------------------------------------------------------------
# The emitter


def to_toml(document: dict[str, Any]) -> str:
    """TOML text for nested dicts of texts, numbers, booleans and lists (a list of dicts: an array of
    tables)."""
    lines: list[str] = []
    _table_body(document, [], lines)
    return "\n".join(lines).strip() + "\n"


def _table_body(table: dict[str, Any], path: list[str], lines: list[str]) -> None:
    plain = {k: v for k, v in table.items() if not _is_table(v) and not _is_table_array(v)}
    for key, value in plain.items():
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        if _is_table(value):
            lines.extend(["", f"[{'.'.join(_key(p) for p in [*path, key])}]"])
            _table_body(value, [*path, key], lines)
        elif _is_table_array(value):
            for item in value:
                lines.extend(["", f"[[{'.'.join(_key(p) for p in [*path, key])}]]"])
                _table_body(item, [*path, key], lines)


def _is_table(value: Any) -> bool:
    return isinstance(value, dict)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML cannot hold {value}")
        return repr(value)
    if isinstance(value, str):
        return _multiline(value) if "\n" in value else _string(value)
    if isinstance(value, (list, tuple)):
        items = [_value(item) for item in value]
        if any(isinstance(item, (list, tuple)) for item in value):  # rows: one per line
            return "[\n" + "".join(f"  {item},\n" for item in items) + "]"
        return "[" + ", ".join(items) + "]"
    raise ValueError(f"cannot write {type(value).__name__} to TOML")


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    escaped = "".join(ch if ord(ch) >= 0x20 and ch != "\x7f" else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'


def _multiline(text: str) -> str:
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').replace("\r\n", "\n")
    body = "".join(
        ch if ch == "\n" or (ord(ch) >= 0x20 and ch != "\x7f") else f"\\u{ord(ch):04x}" for ch in body
    )
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    return f'"""\n{body}"""'
