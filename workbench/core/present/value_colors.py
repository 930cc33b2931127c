"""The diverging colour map of target values (regression): orange below 0, near-white at 0, blue above.

One map colours everything that shows a value: the prediction surface under the canvas points, the points
themselves, the colour bar beside the canvas, the generator preview and the animation frames. Its anchors
are the palette's `value_*` colours (orange and blue like the weight signs, an Okabe-Ito pair that stays
apart for every common colour-vision deficiency; lightness falls monotonically from the white middle to
both ends, so the map also reads in grey).

The scale is symmetric around 0 (0 is always the white middle: the sign of a prediction is what one looks
for first) and comes from the *targets*, not the predictions, so the colour bar stands still while a network
trains: `value_range` takes the 99th percentile of |target| (one stray value does not wash the map out) and
rounds it up to a 1-2-2.5-5 step, so painting a few values more does not change the scale either.
Values beyond the range take the end colours.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from workbench.core.palette import palette, rgba

#: Entries of the lookup table (an 8-bit index: pyqtgraph's fast path and one byte per pixel).
N_COLORS = 256
#: The anchors' names in the palette's "views", from the most negative value to the most positive.
ANCHOR_NAMES = ("value_negative_end", "value_negative", "value_zero", "value_positive", "value_positive_end")
#: Share of |target| values the scale covers (the rest take the end colours).
RANGE_PERCENTILE = 99.0
_NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def anchors() -> list[tuple[float, tuple[int, int, int]]]:
    """(position in -1..1, RGB) of the map's anchors, evenly spaced."""
    views = palette().views
    positions = np.linspace(-1.0, 1.0, len(ANCHOR_NAMES))
    return [(float(p), rgba(views[name])[:3]) for p, name in zip(positions, ANCHOR_NAMES, strict=True)]


@functools.cache
def value_lut() -> np.ndarray:
    """(N_COLORS, 4) uint8 RGBA, opaque: entry 0 is -range, the middle 0, the last +range (read-only)."""
    points = anchors()
    where = np.linspace(-1.0, 1.0, N_COLORS)
    positions = [p for p, _ in points]
    lut = np.empty((N_COLORS, 4), dtype=np.uint8)
    for channel in range(3):
        lut[:, channel] = np.round(np.interp(where, positions, [c[channel] for _, c in points]))
    lut[:, 3] = 255
    lut.setflags(write=False)
    return lut


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `value` (> 0)."""
    exponent = math.floor(math.log10(value))
    for step in _NICE_STEPS:
        candidate = step * 10.0**exponent
        if candidate >= value * (1 - 1e-12):
            return float(candidate)
    return float(10.0 ** (exponent + 1))


def value_range(targets: np.ndarray | None) -> float:
    """The half-width R of the colour scale [-R, R] for these targets: a nice number ≥ the 99th percentile
    of |target|; 1 without targets (or all zero)."""
    if targets is None or not len(targets):
        return 1.0
    magnitude = float(np.percentile(np.abs(np.asarray(targets, dtype=np.float64)), RANGE_PERCENTILE))
    if not math.isfinite(magnitude) or magnitude <= 1e-12:
        return 1.0
    return nice_ceiling(magnitude)


def value_index(values: np.ndarray, half_range: float) -> np.ndarray:
    """Lookup-table index (uint8) of each value on the scale [-half_range, half_range] (clipped)."""
    middle = (N_COLORS - 1) / 2.0 + 0.5  # +0.5 rounds on the cast
    scaled = np.asarray(values, dtype=np.float32) * np.float32((N_COLORS - 1) / (2.0 * half_range))
    scaled += np.float32(middle)
    np.clip(scaled, 0.0, N_COLORS - 1, out=scaled)
    np.nan_to_num(scaled, copy=False, nan=middle)
    return scaled.astype(np.uint8)


def values_to_rgba(values: np.ndarray, half_range: float, alpha: float = 1.0) -> np.ndarray:
    """(N,) values -> (N, 4) uint8 RGBA of the map with opacity `alpha`."""
    out = value_lut()[value_index(np.reshape(values, -1), half_range)]
    out[:, 3] = round(alpha * 255.0)
    return out


def value_color(value: float, half_range: float) -> str:
    """'#RRGGBB' of one value (swatches, labels)."""
    r, g, b, _ = value_lut()[int(value_index(np.array([value]), half_range)[0])]
    return f"#{int(r):02X}{int(g):02X}{int(b):02X}"


def bucket_of(values: np.ndarray, half_range: float, n_buckets: int) -> np.ndarray:
    """Which of `n_buckets` equal bins of [-half_range, half_range] each value falls in (clipped; odd
    counts give 0 a bin of its own): the canvas draws one uniformly coloured scatter per bin."""
    scaled = (np.asarray(values, dtype=np.float64) / half_range + 1.0) * (n_buckets / 2.0)
    return np.clip(np.floor(scaled), 0, n_buckets - 1).astype(np.intp)


def bucket_colors(n_buckets: int) -> np.ndarray:
    """(n_buckets, 4) uint8 RGBA: the map's colour at the middle of each bin of `bucket_of`."""
    centres = (np.arange(n_buckets) + 0.5) / n_buckets * 2.0 - 1.0
    return values_to_rgba(centres, 1.0)


def scale_ticks(half_range: float) -> list[float]:
    """Five tick values of the colour bar: -R, -R/2, 0, R/2, R."""
    return [float(v) for v in np.linspace(-half_range, half_range, 5)]


def format_value(value: float) -> str:
    """A value as a colour bar or a tooltip shows it (short, no trailing zeros)."""
    if value == 0:
        return "0"
    return f"{value:.3g}"


__all__ = [
    "ANCHOR_NAMES",
    "N_COLORS",
    "anchors",
    "bucket_colors",
    "bucket_of",
    "format_value",
    "nice_ceiling",
    "scale_ticks",
    "value_color",
    "value_index",
    "value_lut",
    "value_range",
    "values_to_rgba",
]
