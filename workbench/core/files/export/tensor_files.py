"""The three formats that hold the state_dict tensors directly: npz, safetensors and JSON.

These are also the formats Workbench reads back, so each has a writer (bytes in memory, written atomically by
the caller) and a reader that turns any unreadable input into `WeightsImportError`.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.files.export.layout import WeightsImportError

#: Metadata keys stored as plain strings in safetensors; everything else is JSON-encoded.
_PLAIN_STRING_KEYS = ("format", "weight_layout", "output", "step")


def npz_bytes(state: dict[str, np.ndarray]) -> bytes:
    """Exactly the state_dict tensors, float32, no pickled objects."""
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    return buffer.getvalue()


def read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise WeightsImportError(
                f"{path.name} holds a single array, not an .npz archive of named tensors"
            )
        with loaded:
            return {key: loaded[key] for key in loaded.files}
    except OSError as exc:
        raise WeightsImportError(f"cannot read {path.name}: {exc}") from None
    except WeightsImportError:
        raise
    except (
        Exception
    ) as exc:  # zipfile and numpy raise many types for damaged archives (even NotImplementedError)
        raise WeightsImportError(f"{path.name} is not a readable .npz archive ({exc})") from None


def safetensors_bytes(state: dict[str, np.ndarray], metadata: dict[str, Any]) -> bytes:
    from safetensors.numpy import save

    return save(state, metadata=_metadata_to_strings(metadata))


def read_safetensors(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="np") as handle:
            raw_metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118 (not a dict)
    except FileNotFoundError as exc:
        raise WeightsImportError(f"cannot read {path.name}: {exc}") from None
    except Exception as exc:  # safetensors raises its own error types for every kind of damage
        raise WeightsImportError(f"{path.name} is not a readable .safetensors file ({exc})") from None
    return _metadata_from_strings(raw_metadata), tensors


def json_bytes(state: dict[str, np.ndarray], metadata: dict[str, Any]) -> bytes:
    """Human-readable strict JSON: one matrix row per line, each float32 in its shortest exact form."""
    document = dict(metadata)
    document["state_dict"] = {key: _Tensor(value) for key, value in state.items()}
    return (_to_json(document, "") + "\n").encode("utf-8")


class _Tensor:
    """Marks a float32 array so `_to_json` prints it row by row."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


def _to_json(value: Any, indent: str) -> str:
    inner = indent + "  "
    if isinstance(value, _Tensor):
        if value.array.ndim == 1:
            return _float_row(value.array)
        rows = (_float_row(row) for row in value.array)
        return "[\n" + ",\n".join(inner + row for row in rows) + "\n" + indent + "]"
    if isinstance(value, dict) and all(isinstance(v, (str, int, float, type(None))) for v in value.values()):
        return json.dumps(value, ensure_ascii=False, allow_nan=False)  # small records fit on one line
    if isinstance(value, dict):
        items = (
            f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_to_json(v, inner)}" for k, v in value.items()
        )
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        return "[\n" + ",\n".join(inner + _to_json(item, inner) for item in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _float_row(values: np.ndarray) -> str:
    # str() of a float32 is the shortest text that reads back to the same float32.
    return "[" + ", ".join(str(np.float32(v)) for v in values) + "]"


def read_json(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise WeightsImportError(f"cannot read {path.name}: {exc}") from None
    except UnicodeDecodeError:
        raise WeightsImportError(f"{path.name} is not UTF-8 text, so not a JSON weights file") from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise WeightsImportError(f"{path.name} is not valid JSON: {exc}") from None
    except RecursionError:
        raise WeightsImportError(f"{path.name} is nested too deeply to be a weights file") from None
    if not isinstance(document, dict):
        raise WeightsImportError(f"{path.name} must hold a JSON object, not {type(document).__name__}")
    state = document.get("state_dict")
    if not isinstance(state, dict):
        raise WeightsImportError(f"{path.name} has no 'state_dict' object with the tensors")
    metadata = {key: value for key, value in document.items() if key != "state_dict"}
    return metadata, state


def _refuse_constant(name: str) -> Any:
    raise WeightsImportError(f"the file contains {name}, which strict JSON does not allow")


def _metadata_to_strings(metadata: dict[str, Any]) -> dict[str, str]:
    return {
        key: value if key in _PLAIN_STRING_KEYS else json.dumps(value, ensure_ascii=False)
        for key, value in metadata.items()
    }


def _metadata_from_strings(raw: dict[str, str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _PLAIN_STRING_KEYS:
            metadata[key] = value
            continue
        try:
            metadata[key] = json.loads(value, parse_constant=_refuse_constant)
        except (json.JSONDecodeError, RecursionError):
            raise WeightsImportError(f"the file's metadata entry {key!r} is not valid JSON") from None
    return metadata
