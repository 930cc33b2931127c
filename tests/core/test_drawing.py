"""Drawing geometry: sprays stay inside the brush, erasers and rubber bands hit the right points."""

import numpy as np
import pytest

from workbench.core.data.drawing import (
    nearest_point,
    points_in_rect,
    points_near_segment,
    spray,
    stroke_centers,
)


def test_spray_stays_inside_the_brush_and_is_centred():
    rng = np.random.default_rng(1)
    cloud = spray((2.0, -1.0), 0.5, 2000, rng)
    assert cloud.shape == (2000, 2)
    assert np.hypot(*(cloud - [2.0, -1.0]).T).max() <= 0.5
    assert np.allclose(cloud.mean(axis=0), [2.0, -1.0], atol=0.03)


def test_spray_is_reproducible_with_the_same_seed():
    a = spray((0, 0), 1.0, 50, np.random.default_rng(7))
    b = spray((0, 0), 1.0, 50, np.random.default_rng(7))
    assert np.array_equal(a, b)
    assert spray((0, 0), 1.0, 0, np.random.default_rng(7)).shape == (0, 2)


def test_spray_rejects_a_zero_radius():
    with pytest.raises(ValueError, match="radius"):
        spray((0, 0), 0.0, 3, np.random.default_rng())


def test_stroke_centers_fill_a_long_jump_evenly():
    centers = stroke_centers((0, 0), (1, 0), 0.25)
    assert np.allclose(centers, [[0.25, 0], [0.5, 0], [0.75, 0], [1, 0]])
    assert np.allclose(stroke_centers((3, 3), (3, 3), 0.1), [[3, 3]])


def test_eraser_hits_points_along_the_whole_segment_only():
    points = np.array([[0.0, 0.0], [5.0, 0.2], [10.0, 0.0], [5.0, 1.0], [-0.4, 0.0], [10.6, 0.0]])
    hit = points_near_segment(points, (0, 0), (10, 0), 0.5)
    assert hit.tolist() == [0, 1, 2, 4]
    assert points_near_segment(points, (5, 1), (5, 1), 0.1).tolist() == [3]
    assert points_near_segment(np.zeros((0, 2)), (0, 0), (1, 1), 1).tolist() == []


def test_rubber_band_selects_inside_regardless_of_corner_order():
    points = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [1.0, -1.0]])
    assert points_in_rect(points, (1.5, 1.5), (0.5, -0.5)).tolist() == [1]
    assert points_in_rect(points, (-1, -2), (3, 3)).tolist() == [0, 1, 2, 3]


def test_nearest_point_respects_the_pick_distance():
    points = np.array([[0.0, 0.0], [1.0, 0.0]])
    assert nearest_point(points, (0.9, 0.05), 0.2) == 1
    assert nearest_point(points, (0.5, 0.5), 0.2) is None
    assert nearest_point(np.zeros((0, 2)), (0, 0), 1) is None
