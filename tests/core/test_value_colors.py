"""The diverging value map of regression: its scale, the prediction surface and the animation frames."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.model.engine import Network
from workbench.core.model.network_edits import with_outputs
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.present import value_colors, views
from workbench.core.present.animation import FrameStyle, render_frames
from workbench.core.present.value_colors import (
    bucket_colors,
    bucket_of,
    nice_ceiling,
    value_color,
    value_lut,
    value_range,
    values_to_rgba,
)
from workbench.core.training.recording import Recording
from workbench.core.training.trainer import Trainer

BOUNDS = (-6.0, 6.0, -6.0, 6.0)


def lightness(rgb: np.ndarray) -> np.ndarray:
    """Relative luminance (sRGB weights): enough to compare how light two colours are."""
    return np.asarray(rgb, dtype=np.float64)[..., :3] @ np.array([0.2126, 0.7152, 0.0722])


@pytest.fixture(scope="module")
def plane_run() -> tuple[Trainer, Recording]:
    """The plane (target (x + y) / 12) trained a while, recorded like the window records."""
    dataset = generate("plane", 300, seed=2)
    spec = with_outputs(NetworkSpec(("x", "y"), (LayerSpec(4, "tanh"),)), "regression", 1).validate()
    trainer = Trainer(dataset, spec, TrainingSettings(learning_rate=0.03, optimizer="adam", batch_size=16))
    recording = Recording(trainer.spec)
    while trainer.step_count < 400:
        wait = recording.steps_until_due(trainer.step_count)
        if wait == 0:
            recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
        else:
            trainer.step(min(wait, 400 - trainer.step_count))
    recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
    return trainer, recording


# --------------------------------------------------------------------------------------------- the map
def test_the_map_is_orange_below_zero_white_at_zero_and_blue_above() -> None:
    lut = value_lut()
    low, middle, high = lut[0, :3].astype(int), lut[len(lut) // 2, :3].astype(int), lut[-1, :3].astype(int)
    assert low[0] > low[2] + 80  # orange: much more red than blue
    assert high[2] > high[0] + 80  # blue
    assert middle.min() > 230  # near white
    # Lightness falls from the white middle to both ends, so the map reads in grey too.
    light = lightness(lut)
    half = len(lut) // 2
    assert np.all(np.diff(light[: half + 1]) >= -0.5) and np.all(np.diff(light[half:]) <= 0.5)
    assert lut.flags.writeable is False and np.all(lut[:, 3] == 255)


def test_the_scale_is_symmetric_nice_and_ignores_one_stray_value() -> None:
    assert value_range(None) == 1.0 and value_range(np.zeros(0)) == 1.0 and value_range(np.zeros(5)) == 1.0
    assert value_range(np.array([-0.3, 0.8, 1.0])) == 1.0
    assert value_range(np.array([0.0, 3.2])) == 5.0
    assert value_range(np.array([-140.0, 20.0])) == 200.0
    assert value_range(np.linspace(-0.5, 0.5, 11)) == 0.5
    values = np.concatenate([np.linspace(-1, 1, 999), [1000.0]])
    assert value_range(values) == 1.0  # the 99th percentile, not the maximum
    assert [nice_ceiling(v) for v in (0.9, 1.0, 1.1, 2.2, 3.0, 7.0, 0.013)] == [1, 1, 2, 2.5, 5, 10, 0.02]


def test_values_beyond_the_scale_take_the_end_colours() -> None:
    rgba = values_to_rgba(np.array([-5.0, -1.0, 0.0, 1.0, 5.0, np.nan]), 1.0, alpha=0.5)
    np.testing.assert_array_equal(rgba[0], rgba[1])
    np.testing.assert_array_equal(rgba[3], rgba[4])
    np.testing.assert_array_equal(rgba[2, :3], value_lut()[128, :3])
    np.testing.assert_array_equal(rgba[5], rgba[2])  # NaN shows as the middle, not as garbage
    assert set(rgba[:, 3].tolist()) == {128}
    assert value_color(-1.0, 1.0) != value_color(1.0, 1.0)


def test_buckets_give_zero_its_own_bin_and_their_colours_follow_the_map() -> None:
    buckets = bucket_of(np.array([-9.0, -1.0, -0.01, 0.0, 0.01, 1.0, 9.0]), 1.0, 21)
    assert buckets.tolist() == [0, 0, 10, 10, 10, 20, 20]
    colors = bucket_colors(21)
    assert colors[0, 0] > colors[0, 2] and colors[-1, 2] > colors[-1, 0]
    assert colors[10, :3].min() > 230


# ------------------------------------------------------------------------------------- the prediction surface
def test_a_trained_plane_surface_is_orange_bottom_left_and_blue_top_right(plane_run) -> None:
    trainer, _ = plane_run
    network = Network(trainer.spec)
    network.set_weights(trainer.get_weights())
    image, rect = views.value_image(network, BOUNDS, 32, 1.0)
    assert image.shape == (32, 32, 4) and image.dtype == np.uint8 and image.flags.c_contiguous
    assert rect == (-6.0, -6.0, 12.0, 12.0)
    bottom_left, top_right = image[0, 0].astype(int), image[-1, -1].astype(int)  # row 0 is the bottom
    assert bottom_left[0] > bottom_left[2] + 60  # orange: the plane's -1 corner
    assert top_right[2] > top_right[0] + 60  # blue: its +1 corner
    # The middle of the diagonal (x + y = 0) is close to the map's white.
    assert image[16, 15, :3].min() > 170
    # The colours are the map's colours of the network's predictions.
    predicted = views.predicted_values(network, views.grid_points(BOUNDS, 32))
    np.testing.assert_allclose(
        predicted, network.predict(views.grid_points(BOUNDS, 32)), rtol=1e-5, atol=1e-6
    )
    expected = values_to_rgba(predicted, 1.0, alpha=views.DECISION_ALPHA).reshape(32, 32, 4)
    assert np.abs(image.astype(int) - expected.astype(int)).max() <= 1


def test_compute_frame_draws_the_surface_on_the_targets_scale(plane_run) -> None:
    trainer, _ = plane_run
    network = Network(trainer.spec)
    network.set_weights(trainer.get_weights())
    dataset = trainer.dataset
    request = views.ViewRequest(bounds=BOUNDS, resolution=24)
    frame = views.compute_frame(trainer.snapshot(), network, dataset, request)
    assert frame.value_range == value_range(dataset.targets) == 1.0
    expected, _ = views.value_image(network, BOUNDS, 24, 1.0)
    np.testing.assert_array_equal(frame.decision_rgba, expected)
    # Doubling the targets doubles the scale: the same surface looks paler.
    doubled = dataset.replace(targets=dataset.targets * 2)
    paler = views.compute_frame(trainer.snapshot(), network, doubled, request)
    assert paler.value_range == 2.0
    distance = np.abs(paler.decision_rgba[..., :3].astype(int) - 243).sum()
    assert distance < np.abs(frame.decision_rgba[..., :3].astype(int) - 243).sum()


def test_classification_frames_have_no_value_scale() -> None:
    dataset = generate("moons", 50, 2)
    network = Network(NetworkSpec(("x", "y"), (LayerSpec(3, "tanh"),)))
    frame = views.compute_frame(None, network, dataset, views.ViewRequest(resolution=8))
    assert frame.value_range is None and frame.decision_rgba is not None


def test_regression_thumbnails_of_the_output_use_its_own_range(plane_run) -> None:
    trainer, _ = plane_run
    network = Network(trainer.spec)
    network.set_weights(trainer.get_weights())
    maps = views.neuron_maps(network, BOUNDS, 16)
    output = maps[-1][0]
    assert output.min() < 40 and output.max() > 215  # the whole grey range, not a clipped 0..1


# ----------------------------------------------------------------------------------------------- animation
def test_regression_animation_frames_show_the_surface_points_and_a_colour_bar(plane_run) -> None:
    trainer, recording = plane_run
    dataset = trainer.dataset
    frames = list(
        render_frames(
            trainer.spec,
            recording.records,
            size=(160, 120),
            count=3,
            points=dataset.points,
            labels=dataset.labels,
            targets=dataset.targets,
            bounds=BOUNDS,
        )
    )
    assert len(frames) == 3 and all(f.shape == (120, 160, 4) for f in frames)
    assert not np.array_equal(frames[0], frames[-1])  # the surface changes as the network learns
    last = frames[-1].astype(int)
    # The trained surface: orange towards the bottom-left, blue towards the top-right (away from the
    # caption at the top-left and the colour bar at the bottom-right).
    low = last[110:118, 2:10, :3].mean(axis=(0, 1))
    high = last[2:10, 150:158, :3].mean(axis=(0, 1))
    assert low[0] > low[2] + 30 and high[2] > high[0] + 30
    # The colour bar in the corner has both ends of the map.
    corner = frames[-1][60:, 110:, :3].reshape(-1, 3).astype(int)
    lut = value_lut()[:, :3].astype(int)
    assert (np.abs(corner - lut[0]).sum(axis=1) <= 6).any()
    assert (np.abs(corner - lut[-1]).sum(axis=1) <= 6).any()


def test_regression_points_take_their_value_colours(plane_run) -> None:
    trainer, recording = plane_run
    points = np.array([[-4.0, -4.0], [2.0, 1.0]])  # clear of the caption and the colour bar
    style_kwargs = {
        "size": (100, 100),
        "count": 1,
        "points": points,
        "bounds": BOUNDS,
        "style": FrameStyle(point_radius=5),
    }
    frame = next(
        render_frames(trainer.spec, recording.records, targets=np.array([-1.0, 1.0]), **style_kwargs)
    )
    grey = next(render_frames(trainer.spec, recording.records, **style_kwargs))
    # Pixel of each point's centre: x = (px + 6) / 12 * 100, y from the top.
    for (x, y), value in zip(points, (-1.0, 1.0), strict=True):
        px, py = round((x + 6) / 12 * 100), round((6 - y) / 12 * 100)
        np.testing.assert_array_equal(frame[py, px, :3], value_colors.values_to_rgba([value], 1.0)[0, :3])
        assert len(set(grey[py, px, :3].tolist())) == 1  # without targets: grey
