"""Pure geometry of the drawing tools: where a brush sprays, which points an eraser or a rubber band hits.

The Qt tools only translate mouse positions into calls to these functions and the resulting indices or
points into dataset edits, so everything that decides *which* points change is testable without a mouse.
Positions are data coordinates; radii are in data units.
"""

from __future__ import annotations

import math

import numpy as np

Point = tuple[float, float]


def stroke_centers(start: Point, end: Point, spacing: float) -> np.ndarray:
    """Centres along the segment start→end, `spacing` apart, excluding `start` and including `end`.

    A fast mouse move arrives as one long jump; spraying or erasing at each centre keeps the stroke
    continuous instead of leaving blobs at the sampled mouse positions.
    """
    if spacing <= 0:
        raise ValueError("the spacing between stroke centres must be positive")
    a = np.asarray(start, dtype=np.float64)
    b = np.asarray(end, dtype=np.float64)
    steps = max(1, math.ceil(float(np.hypot(*(b - a))) / spacing))
    t = np.arange(1, steps + 1, dtype=np.float64)[:, None] / steps
    return a + t * (b - a)


def spray(center: Point, radius: float, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` points of a Gaussian cloud around `center`, all within `radius` (σ = radius / 2).

    Points that would land outside the brush circle are redrawn, so what the user sees as the brush is
    exactly where points can appear.
    """
    if radius <= 0:
        raise ValueError("the brush radius must be positive")
    if count <= 0:
        return np.zeros((0, 2))
    sigma = radius / 2.0
    out = np.empty((0, 2))
    while len(out) < count:
        candidates = rng.normal(0.0, sigma, size=(2 * count, 2))
        inside = candidates[np.einsum("ij,ij->i", candidates, candidates) <= radius * radius]
        out = np.concatenate([out, inside])
    return out[:count] + np.asarray(center, dtype=np.float64)


def points_near_segment(points: np.ndarray, start: Point, end: Point, radius: float) -> np.ndarray:
    """Indices of the points within `radius` of the segment start→end (a swept eraser circle)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if not len(pts):
        return np.zeros(0, dtype=np.int64)
    a = np.asarray(start, dtype=np.float64)
    b = np.asarray(end, dtype=np.float64)
    ab = b - a
    length2 = float(ab @ ab)
    if length2 == 0.0:
        nearest = np.broadcast_to(a, pts.shape)
    else:
        t = np.clip(((pts - a) @ ab) / length2, 0.0, 1.0)
        nearest = a + t[:, None] * ab
    d = pts - nearest
    return np.flatnonzero(np.einsum("ij,ij->i", d, d) <= radius * radius)


def points_in_rect(points: np.ndarray, corner_a: Point, corner_b: Point) -> np.ndarray:
    """Indices of the points inside the axis-aligned rectangle spanned by two opposite corners."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    lo = np.minimum(corner_a, corner_b)
    hi = np.maximum(corner_a, corner_b)
    inside = (pts >= lo).all(axis=1) & (pts <= hi).all(axis=1)
    return np.flatnonzero(inside)


def nearest_point(points: np.ndarray, position: Point, max_distance: float) -> int | None:
    """Index of the point closest to `position` if it is within `max_distance`, else None."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if not len(pts):
        return None
    d = pts - np.asarray(position, dtype=np.float64)
    dist2 = np.einsum("ij,ij->i", d, d)
    best = int(np.argmin(dist2))
    return best if dist2[best] <= max_distance * max_distance else None
