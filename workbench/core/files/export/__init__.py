"""Export trained weights in formats other tools load, and import them back.

Every format uses one layout, the state_dict of a PyTorch ``nn.Sequential`` (see `layout`), so a model
trained here can be loaded by PyTorch, onnxruntime (including onnxruntime-web in a browser) or plain numpy.
docs/export-formats.md shows how to load each one elsewhere.

Writing is all-or-nothing: everything is checked and serialised in memory first, then each file is written
to a temporary name and moved into place. Importing returns new arrays and never touches a network, so a file
that does not fit cannot leave anything half-applied.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from workbench.core.files.atomic import atomic_write_files
from workbench.core.files.export.layout import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Weights,
    WeightsExportError,
    WeightsImportError,
    build_metadata,
    check_metadata,
    validate_for_export,
    weights_from_state,
)
from workbench.core.model.spec import NetworkSpec

#: Format name (also the file extension) -> what it is for.
EXPORT_FORMATS: dict[str, str] = {
    "npz": "numpy archive of the PyTorch state_dict tensors (float32)",
    "safetensors": "safetensors file of the same tensors, with the network description as metadata",
    "onnx": "ONNX model (opset 17): raw (x, y) points in, class probabilities out",
    "json": "human-readable JSON: network description, class names and weights as nested lists",
    "py": "standalone PyTorch script with predict(points), plus the weights in a sibling .npz",
}

#: Formats `import_weights` reads.
IMPORT_FORMATS: tuple[str, ...] = ("npz", "safetensors", "json")


def export_weights(
    path: str | os.PathLike[str],
    spec: NetworkSpec,
    weights: Sequence[tuple[np.ndarray, np.ndarray]],
    class_names: Sequence[str] | None,
    fmt: str | None = None,
) -> Path:
    """Write the network's weights to `path` in `fmt` (default: from the extension); returns the path written.

    For ``py`` the script is written to `path` and its weights to the same stem with ``.npz``.
    Raises `WeightsExportError` (a ValueError) for an unknown format, weights that do not fit the spec,
    non-finite weights or a file that cannot be written.
    """
    path = Path(path)
    fmt = _format_for(path, fmt, EXPORT_FORMATS, "export")
    state, names = validate_for_export(spec, weights, class_names)
    metadata = build_metadata(spec, names)
    files: dict[Path, bytes] = {}
    if fmt == "npz":
        from workbench.core.files.export.tensor_files import npz_bytes

        files[path] = npz_bytes(state)
    elif fmt == "safetensors":
        from workbench.core.files.export.tensor_files import safetensors_bytes

        files[path] = safetensors_bytes(state, metadata)
    elif fmt == "json":
        from workbench.core.files.export.tensor_files import json_bytes

        files[path] = json_bytes(state, metadata)
    elif fmt == "onnx":
        from workbench.core.files.export.onnx_model import onnx_bytes

        files[path] = onnx_bytes(spec, state, metadata)
    else:  # py
        from workbench.core.files.export.tensor_files import npz_bytes
        from workbench.core.files.export.torch_script import torch_script_text

        weights_path = path.with_suffix(".npz")
        if weights_path == path:
            raise WeightsExportError(
                f"a PyTorch script cannot be written to {path.name}: its weights go to the same stem "
                "with .npz; choose a name ending in .py"
            )
        files[path] = torch_script_text(spec, names, weights_path).encode("utf-8")
        files[weights_path] = npz_bytes(state)
    _write_all(files)
    return path


def import_weights(path: str | os.PathLike[str], spec: NetworkSpec) -> Weights:
    """Read weights exported by `export_weights` (npz, safetensors or json) for a network built from `spec`.

    Returns ``[(W (in, out) float32, b (out,) float32), ...]`` ready for ``Network.set_weights``. Raises
    `WeightsImportError` naming the first thing that does not match: unreadable or truncated file, another
    network's features, layer widths, activations or class count, a missing or misshapen tensor.
    """
    path = Path(path)
    fmt = _format_for(path, None, dict.fromkeys(IMPORT_FORMATS), "import", error=WeightsImportError)
    if not path.is_file():
        raise WeightsImportError(f"cannot read {path}: {'not a file' if path.exists() else 'no such file'}")
    if fmt == "npz":
        from workbench.core.files.export.tensor_files import read_npz

        state = read_npz(path)  # holds tensors only: the shapes are all it can be checked against
    elif fmt == "safetensors":
        from workbench.core.files.export.tensor_files import read_safetensors

        metadata, state = read_safetensors(path)
        check_metadata(metadata, spec)
    else:
        from workbench.core.files.export.tensor_files import read_json

        metadata, state = read_json(path)
        check_metadata(metadata, spec)
    return weights_from_state(state, spec)


def _format_for(
    path: Path,
    fmt: str | None,
    formats: dict[str, object],
    verb: str,
    error: type[ValueError] = WeightsExportError,
) -> str:
    name = (fmt if fmt is not None else path.suffix).lower().lstrip(".")
    if name in formats:
        return name
    known = ", ".join(f".{known}" for known in formats)
    if fmt is not None:
        raise error(f"cannot {verb} format {fmt!r}; choose one of {known}")
    if not path.suffix:
        raise error(f"cannot tell the format of {path.name!r} without an extension; use one of {known}")
    raise error(f"cannot {verb} {path.suffix!r} files; use one of {known}")


def _write_all(files: dict[Path, bytes]) -> None:
    """Write every file to a temporary sibling first, then move them all into place (`atomic`)."""
    try:
        atomic_write_files(files)
    except OSError as exc:
        where = exc.filename or next(iter(files))
        raise WeightsExportError(f"cannot write {where}: {exc.strerror or exc}") from None


__all__ = [
    "EXPORT_FORMATS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "IMPORT_FORMATS",
    "WeightsExportError",
    "WeightsImportError",
    "export_weights",
    "import_weights",
]
