"""Read and write datasets as ``x,y,label`` (classification) or ``x,y,target`` (regression) CSV files.

Reading is forgiving about the things spreadsheets vary in and strict about the data itself:

- separators ``,``, ``;`` or tab (detected from the first line); with ``;`` a decimal comma (``1,5``) is
  accepted too, as European spreadsheets write it;
- UTF-8 with or without a byte-order mark; blank lines and lines starting with ``#`` are skipped;
- an optional header line: when it names columns ``x``, ``y`` and ``label`` (or ``class``, ``y_true``,
  ``target``) in any order those columns are used, otherwise the first three columns are; columns after them
  are ignored;
- wider files: ``columns=(x, y, label)`` picks the three columns by header name (case-insensitive) or by
  0-based index (`parse_columns` turns the CLI's ``X,Y,T`` with 1-based numbers into that);
  `preview_csv` gives the header and first rows so the window can show them before choosing;
- the task is guessed from the third column: text or whole numbers are classes, numbers of which some are
  fractional (``2.5``) are target values (regression), and so are whole numbers with more distinct values
  than `MAX_CLASSES`. ``task="regression"`` reads any numbers as values (whole ones too);
  ``task="classification"`` refuses fractional numbers with a message saying so;
- class labels may be any text. When *every* label is a whole number (``0``, ``1``, ``-3``) the classes are
  ordered numerically, so class ids follow the numbers a user already has; otherwise classes are numbered in
  the order they first appear. The label text becomes the class name either way;
- target values must be finite numbers within float32 range (the network computes in float32);
- ``write_csv`` adds a ``# classes: [...]`` comment (a JSON list of the class names) so that a round trip
  keeps class order and empty classes exactly, or for regression ``# task: regression`` (so whole-number
  values stay values); the reader honours those lines, other tools skip them as comments.

Anything unusable raises `DatasetFormatError` whose message starts with the line number.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from workbench.core import limits
from workbench.core.data.dataset import Dataset, DatasetFormatError
from workbench.core.files.atomic import atomic_write_text
from workbench.core.model.spec import MAX_CLASSES

#: A column chosen by header name or by 0-based index.
Column = str | int

#: More rows than this is refused: the canvas and the trainer become unusable well before that.
MAX_ROWS = int(limits.POINTS.maximum)
#: Networks compute in float32; larger coordinates would overflow to infinity.
MAX_COORDINATE = limits.MAX_COORDINATE
#: Longer labels are refused (they become class names, which must fit on screen).
MAX_LABEL_LENGTH = int(limits.CLASS_NAME_LENGTH.maximum)
_CLASSES_COMMENT = re.compile(r"^#\s*classes:\s*(\[.*\])\s*$")
_TASK_COMMENT = re.compile(r"^#\s*task:\s*(\w+)\s*$")
#: The tasks a CSV file can be read as (None: guess from the column).
TASKS = ("classification", "regression")
_INTEGER = re.compile(r"^[+-]?\d+$")


def read_csv(
    source: str | os.PathLike[str] | TextIO,
    *,
    test_fraction: float = 0.2,
    split_seed: int = 0,
    columns: tuple[Column, Column, Column] | None = None,
    task: str | None = None,
) -> Dataset:
    """Read a dataset from a CSV file path or an open text stream (`task`: see `parse_csv`)."""
    text = source.read() if hasattr(source, "read") else read_text(source)  # type: ignore[union-attr]
    return parse_csv(text, test_fraction=test_fraction, split_seed=split_seed, columns=columns, task=task)


def read_text(source: str | os.PathLike[str]) -> str:
    """A CSV file's text, with clear messages for unreadable or non-UTF-8 files."""
    path = Path(source)  # type: ignore[arg-type]
    if path.exists() and not path.is_file():  # a FIFO would block the read forever
        raise DatasetFormatError(f"cannot read {str(path)!r}: not a regular file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetFormatError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DatasetFormatError(f"line {line}: the file is not UTF-8 text") from None
    return text


def parse_columns(text: str) -> tuple[Column, Column, Column]:
    """``"X,Y,T"`` (header names or 1-based column numbers) as the `columns` argument of `parse_csv`."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 3 or not all(parts):
        raise DatasetFormatError(
            f"--columns needs three columns x,y,label (names or 1-based numbers), got {text!r}"
        )
    out: list[Column] = []
    for part in parts:
        if part.isdigit():
            if int(part) < 1:
                raise DatasetFormatError(f"column numbers start at 1, got {part}")
            out.append(int(part) - 1)
        else:
            out.append(part)
    return out[0], out[1], out[2]


@dataclass(frozen=True)
class CsvPreview:
    """The first rows of a CSV file, for choosing its columns: header names (numbers when it has none)."""

    header: list[str]
    has_header: bool
    rows: list[list[str]]
    n_columns: int


def preview_csv(text: str, max_rows: int = 10) -> CsvPreview:
    """Header and the first `max_rows` data rows of CSV text (comments and blank lines skipped)."""
    text, delimiter, decimal_comma = _prepare(text)
    header: list[str] | None = None
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            if header is None and not rows and not _is_number(row[0], decimal_comma):
                header = [h.strip() for h in row]
                continue
            rows.append([field.strip() for field in row])
            if len(rows) >= max_rows:
                break
    except csv.Error as exc:
        raise DatasetFormatError(f"line {reader.line_num}: {exc}") from None
    n_columns = max([len(header or [])] + [len(r) for r in rows])
    names = list(header or [])
    names += [str(i + 1) for i in range(len(names), n_columns)]
    return CsvPreview(names, header is not None, rows, n_columns)


def _prepare(text: str) -> tuple[str, str, bool]:
    """Text without a byte-order mark, its delimiter and whether it uses decimal commas."""
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise DatasetFormatError("the file contains NUL bytes; it does not look like a CSV text file")
    first = next((ln for ln in io.StringIO(text) if ln.strip() and not ln.lstrip().startswith("#")), None)
    if first is None:
        raise DatasetFormatError("the file has no data rows")
    delimiter = "\t" if "\t" in first else ";" if ";" in first else ","
    return text, delimiter, delimiter == ";"


def parse_csv(
    text: str,
    *,
    test_fraction: float = 0.2,
    split_seed: int = 0,
    columns: tuple[Column, Column, Column] | None = None,
    task: str | None = None,
) -> Dataset:
    """Parse CSV text (see the module docstring for what is accepted).

    ``task`` None guesses classification or regression from the label column; "classification" or
    "regression" forces it (with a clear message when the column cannot be read that way).
    """
    if task is not None and task not in TASKS:
        raise DatasetFormatError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    text, delimiter, decimal_comma = _prepare(text)

    declared_task = _declared_task(text)
    if task is None:
        task = declared_task
    declared = _declared_classes(text) if task != "regression" else []
    if declared:
        task = task or "classification"
    class_of: dict[str, int] = {name: i for i, name in enumerate(declared)}  # provisional ids
    first_line: dict[str, int] = {}
    xs: list[float] = []
    ys: list[float] = []
    ids: list[int] = []
    #: The label column as numbers while every label is one (None once a label is not a number).
    values: list[float] | None = [] if task != "classification" else None
    fractional = False
    too_many_classes = 0  # line of the first class over MAX_CLASSES (whole numbers may still be values)
    ix, iy, il = 0, 1, 2
    n_columns = 3
    header_possible = True
    limit = MAX_COORDINATE
    role = "target" if task == "regression" else "label"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            if header_possible:
                header_possible = False
                has_header = not _is_number(row[0], decimal_comma)
                if columns is not None:
                    ix, iy, il = _chosen_columns(columns, row if has_header else None, len(row))
                elif has_header:
                    ix, iy, il = _header_columns(row)
                n_columns = max(ix, iy, il) + 1
                if has_header:
                    continue
            if len(row) < n_columns:
                raise DatasetFormatError(
                    f"line {reader.line_num}: expected {n_columns} columns (x, y, {role}), found {len(row)}"
                )
            try:  # fast path; float() accepts surrounding spaces
                x = float(row[ix])
                y = float(row[iy])
            except ValueError:
                x = _number(row[ix], "x", reader.line_num, decimal_comma)
                y = _number(row[iy], "y", reader.line_num, decimal_comma)
            if not (-limit <= x <= limit and -limit <= y <= limit):  # also catches NaN
                _number(row[ix], "x", reader.line_num, decimal_comma)
                _number(row[iy], "y", reader.line_num, decimal_comma)
            label = row[il].strip()
            if values is not None:
                try:
                    value: float | None = float(label)
                except ValueError:
                    value = _label_value(label, decimal_comma)
                if value is None or not -limit <= value <= limit:  # also NaN
                    if task == "regression" or (value is not None and fractional):  # an unusable value
                        _number(row[il], "the target", reader.line_num, decimal_comma)
                    values = None
                    if too_many_classes:
                        raise DatasetFormatError(_too_many_message(too_many_classes, first_line))
                else:
                    values.append(value)
                    fractional = fractional or not value.is_integer()
            class_id = class_of.get(label) if task != "regression" else 0
            if class_id is None and too_many_classes:
                class_id = 0  # the label column is being read as values (checked at the end)
            if class_id is None:
                line = reader.line_num
                if not label:
                    raise DatasetFormatError(f"line {line}: the label is empty")
                first_line[label] = line
                if len(class_of) >= MAX_CLASSES:
                    if values is None and task == "classification" and _looks_continuous([*class_of, label]):
                        raise DatasetFormatError(_measurement_message([*class_of, label]))
                    if values is None:
                        raise DatasetFormatError(_too_many_message(line, first_line))
                    too_many_classes = line
                    class_id = 0
                else:
                    class_id = class_of[label] = len(class_of)
            if len(xs) >= MAX_ROWS:
                raise DatasetFormatError(
                    f"line {reader.line_num}: more than {MAX_ROWS:,} rows; use a smaller dataset"
                )
            xs.append(x)
            ys.append(y)
            ids.append(class_id)
    except csv.Error as exc:
        raise DatasetFormatError(f"line {reader.line_num}: {exc}") from None
    if not xs:
        raise DatasetFormatError("the file has no data rows")

    points = np.column_stack([np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)])
    if task == "regression" or (task is None and values is not None and (fractional or too_many_classes)):
        assert values is not None
        targets = np.array(values, dtype=np.float64)
        return Dataset.regression(points, targets, test_fraction=test_fraction, split_seed=split_seed)
    if task == "classification" and not declared and _looks_continuous(list(first_line)):
        raise DatasetFormatError(_measurement_message(list(first_line)))
    long = next((name for name in first_line if len(name) > MAX_LABEL_LENGTH), None)
    if long is not None:
        raise DatasetFormatError(
            f"line {first_line[long]}: the label {long[:20]!r}… is {len(long):,} characters long; "
            f"labels (class names) may have at most {MAX_LABEL_LENGTH}"
        )
    names = _class_order(declared, list(first_line))
    remap = np.array([names.index(name) for name in class_of], dtype=np.int64)
    labels = remap[np.array(ids, dtype=np.int64)]
    return Dataset(points, labels, tuple(names), test_fraction=test_fraction, split_seed=split_seed)


def _label_value(label: str, decimal_comma: bool) -> float | None:
    """A label as a number (None when it is not one): ``2,5`` is 2.5 in files with decimal commas."""
    if decimal_comma and "," in label and "." not in label:
        try:
            return float(label.replace(",", "."))
        except ValueError:
            return None
    return None


def _too_many_message(line: int, first_line: dict[str, int]) -> str:
    label = next((name for name, at in first_line.items() if at == line), "?")
    return (
        f"line {line}: label {label[:40]!r} is a class too many; "
        f"Workbench supports at most {MAX_CLASSES} classes"
    )


def write_csv(dataset: Dataset, path: str | os.PathLike[str]) -> None:
    """Write ``x,y,label`` with shortest round-trip floats and class names as labels, or ``x,y,target`` for
    regression data (atomically)."""
    atomic_write_text(path, format_csv(dataset))


def format_csv(dataset: Dataset) -> str:
    """The CSV text `write_csv` writes."""
    if dataset.targets is not None:
        rows = [
            f"{x!r},{y!r},{t!r}\n"
            for (x, y), t in zip(dataset.points.tolist(), dataset.targets.tolist(), strict=True)
        ]
        return "# task: regression\nx,y,target\n" + "".join(rows)
    names = [_csv_field(name) for name in dataset.class_names]  # quoted once, as csv would
    header = "# classes: " + json.dumps(list(dataset.class_names), ensure_ascii=False) + "\nx,y,label\n"
    rows = [
        f"{x!r},{y!r},{names[label]}\n"
        for (x, y), label in zip(dataset.points.tolist(), dataset.labels.tolist(), strict=True)
    ]
    return header + "".join(rows)


def _csv_field(text: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([text])
    return out.getvalue()


# ------------------------------------------------------------------------------------------------------------
def _is_number(field: str, decimal_comma: bool) -> bool:
    try:
        float(_normalise(field, decimal_comma))
    except ValueError:
        return False
    return True


def _normalise(field: str, decimal_comma: bool) -> str:
    field = field.strip()
    if decimal_comma and "," in field and "." not in field:
        field = field.replace(",", ".")
    return field


def _number(field: str, column: str, line: int, decimal_comma: bool) -> float:
    try:
        value = float(_normalise(field, decimal_comma))
    except ValueError:
        shown = field.strip()[:40]
        raise DatasetFormatError(f"line {line}: {column} is not a number: {shown!r}") from None
    if not math.isfinite(value):
        raise DatasetFormatError(f"line {line}: {column} must be a finite number, not {field.strip()!r}")
    if abs(value) > MAX_COORDINATE:
        raise DatasetFormatError(f"line {line}: {column} is too large ({field.strip()[:40]})")
    return value


def _header_columns(header: list[str]) -> tuple[int, int, int]:
    """Column indices of x, y and label from a header; the first three columns when it does not name them."""
    names = [h.strip().lower() for h in header]
    label_name = next((n for n in ("label", "class", "y_true", "target") if n in names), None)
    if "x" in names and "y" in names and label_name is not None:
        return names.index("x"), names.index("y"), names.index(label_name)
    return 0, 1, 2


def _chosen_columns(
    columns: tuple[Column, Column, Column], header: list[str] | None, width: int
) -> tuple[int, int, int]:
    """0-based indices of the chosen x, y and label columns, with a clear message for unknown ones."""
    names = [h.strip().lower() for h in header] if header is not None else []
    out: list[int] = []
    for role, column in zip(("x", "y", "label"), columns, strict=True):
        if isinstance(column, int):
            if not 0 <= column < width:
                raise DatasetFormatError(
                    f"the {role} column number {column + 1} does not exist; the file has {width} columns"
                )
            out.append(column)
        elif column.strip().lower() in names:
            out.append(names.index(column.strip().lower()))
        elif header is None:
            raise DatasetFormatError(
                f"the {role} column {column!r} is a name but the file has no header; use column numbers"
            )
        else:
            shown = ", ".join(h.strip() for h in header)
            raise DatasetFormatError(
                f"the file has no column {column!r} for {role}; its columns are: {shown}"
            )
    if len(set(out)) != 3:
        raise DatasetFormatError("x, y and label must be three different columns")
    return out[0], out[1], out[2]


def _measurement_message(labels: list[str]) -> str:
    return (
        f"the label column holds measurements ({', '.join(labels[:3])}, …), not class labels; choose a "
        "column of class labels, or read it as regression targets"
    )


def _looks_continuous(labels: list[str]) -> bool:
    """True when the labels are numbers and some are fractional: a measurement, not a class."""
    try:
        values = [float(label if "." in label else label.replace(",", ".")) for label in labels]
    except ValueError:
        return False
    return any(not value.is_integer() for value in values if math.isfinite(value))


def _declared_task(text: str) -> str | None:
    """The task of a ``# task: ...`` comment among the leading comment lines (None if there is none)."""
    for line, raw in enumerate(io.StringIO(text), start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            return None
        match = _TASK_COMMENT.match(stripped)
        if match:
            if match.group(1) not in TASKS:
                raise DatasetFormatError(
                    f"line {line}: unknown task {match.group(1)!r}; choose from {', '.join(TASKS)}"
                )
            return match.group(1)
    return None


def _declared_classes(text: str) -> list[str]:
    """Class names from a ``# classes: [...]`` comment among the leading comment lines (empty if none)."""
    for line, raw in enumerate(io.StringIO(text), start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            return []
        match = _CLASSES_COMMENT.match(stripped)
        if match:
            return _parse_declared(match.group(1), line)
    return []


def _parse_declared(text: str, line: int) -> list[str]:
    try:
        names = json.loads(text)
    except ValueError:
        raise DatasetFormatError(f"line {line}: the '# classes:' line is not a JSON list of names") from None
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise DatasetFormatError(f"line {line}: the '# classes:' line is not a JSON list of names")
    if len(set(names)) != len(names):
        raise DatasetFormatError(f"line {line}: the '# classes:' line names a class twice")
    if len(names) > MAX_CLASSES:
        raise DatasetFormatError(
            f"line {line}: more than {MAX_CLASSES} classes; Workbench supports up to {MAX_CLASSES}"
        )
    return [n.strip() for n in names]


def _class_order(declared: list[str], first_seen: list[str]) -> list[str]:
    """Class names in id order (see the module docstring): declared ones, then new ones."""
    new = [label for label in first_seen if label not in declared]
    if all(_INTEGER.match(label) for label in new):
        new.sort(key=int)  # safe: labels are at most MAX_LABEL_LENGTH characters
    return declared + new
