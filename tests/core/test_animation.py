"""Animations of a recorded run for slides: frame choice, drawn frames, GIF and MP4 files that open again."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from workbench.core.data.generators import generate
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.present.animation import (
    AnimationError,
    FrameStyle,
    check_size,
    fit_bounds,
    frame_indices,
    render_frames,
    write_animation,
    write_image,
)
from workbench.core.present.views import HiddenSpaceRequest
from workbench.core.training.recording import Recording
from workbench.core.training.trainer import Trainer

SIZE = (96, 72)


@pytest.fixture(scope="module")
def run() -> tuple[Trainer, Recording]:
    """A short recorded run of the moons: it changes a lot early, as the schedule expects."""
    dataset = generate("moons", 200, 2, seed=1)
    spec = NetworkSpec(("x", "y"), (LayerSpec(6, "tanh"), LayerSpec(2, "tanh")))
    trainer = Trainer(dataset, spec, TrainingSettings(learning_rate=0.05, optimizer="adam", batch_size=16))
    recording = Recording(trainer.spec)
    while trainer.step_count < 600:
        wait = recording.steps_until_due(trainer.step_count)
        if wait == 0:
            recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
        else:
            trainer.step(min(wait, 600 - trainer.step_count))
    return trainer, recording


def frames_of(run: tuple[Trainer, Recording], **kwargs) -> list[np.ndarray]:
    trainer, recording = run
    dataset = trainer.dataset
    options = {"size": SIZE, "count": 6, "points": dataset.points, "labels": dataset.labels, **kwargs}
    return list(render_frames(trainer.spec, recording.records, **options))


def assert_all_differ(frames: list[np.ndarray]) -> None:
    for i, (a, b) in enumerate(itertools.pairwise(frames)):
        assert not np.array_equal(a, b), f"frames {i} and {i + 1} are the same picture"


# ------------------------------------------------------------------------------------------------ choosing
def test_frames_are_spread_evenly_over_the_records_first_and_last_included() -> None:
    assert frame_indices(100, 5).tolist() == [0, 25, 50, 74, 99]  # 24.75 rounds up, 74.25 down
    chosen = frame_indices(57, 56)
    assert len(set(chosen.tolist())) == 56 and chosen[0] == 0 and chosen[-1] == 56
    assert frame_indices(5, 40).tolist() == [0, 1, 2, 3, 4]  # one frame per record at most
    assert frame_indices(5).tolist() == [0, 1, 2, 3, 4]
    assert frame_indices(5, 1).tolist() == [4]  # the end of the run
    with pytest.raises(AnimationError, match="no recorded steps"):
        frame_indices(0, 3)
    with pytest.raises(AnimationError, match="at least 1 frame"):
        frame_indices(10, 0)


def test_fit_bounds_keeps_data_units_square() -> None:
    x0, x1, y0, y1 = fit_bounds((-1.0, 1.0, -1.0, 1.0), 200, 100)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(2.0) and (y0, y1) == (-1.0, 1.0)
    x0, x1, y0, y1 = fit_bounds((0.0, 4.0, 0.0, 1.0), 100, 100)
    assert (x0, x1) == (0.0, 4.0) and (y0, y1) == (-1.5, 2.5)


# ------------------------------------------------------------------------------------------------ frames
def test_decision_region_frames_count_as_requested_and_differ(run) -> None:
    frames = frames_of(run)
    assert len(frames) == 6
    for frame in frames:
        assert frame.shape == (SIZE[1], SIZE[0], 4) and frame.dtype == np.uint8 and frame.flags.c_contiguous
    assert_all_differ(frames)
    bare = frames_of(run, style=FrameStyle(caption=False, draw_points=False), count=2)
    assert_all_differ(bare)  # the regions themselves moved, not only the caption
    # Opaque pictures for a slide: the regions laid over the white background.
    assert (frames[0][..., 3] == 255).all()


def test_the_caption_names_the_step(run) -> None:
    with_caption = frames_of(run, count=2)
    without = frames_of(run, count=2, style=FrameStyle(caption=False))
    changed = np.any(with_caption[1] != without[1], axis=2)
    rows, cols = np.nonzero(changed)
    assert len(rows) and rows.max() < SIZE[1] / 2 and cols.min() < SIZE[0] / 4  # a label at the top left


def test_hidden_space_frames_count_as_requested_and_differ(run) -> None:
    frames = frames_of(run, view="hidden", count=5, hidden=HiddenSpaceRequest(layer=2))
    assert len(frames) == 5 and frames[0].shape == (SIZE[1], SIZE[0], 4)
    assert_all_differ(frames)


def test_bad_frame_requests_get_clear_errors(run) -> None:
    trainer, recording = run
    with pytest.raises(AnimationError, match="unknown view 'loss'; choose from regions, hidden"):
        frames_of(run, view="loss")
    with pytest.raises(AnimationError, match="needs the dataset's points"):
        list(render_frames(trainer.spec, recording.records, view="hidden", size=SIZE))
    with pytest.raises(AnimationError, match="hidden layer 3 does not exist"):
        frames_of(run, view="hidden", hidden=HiddenSpaceRequest(layer=3))
    with pytest.raises(AnimationError, match="no recorded steps"):
        list(render_frames(trainer.spec, [], size=SIZE))
    with pytest.raises(AnimationError, match="200 points but 3 labels"):
        frames_of(run, labels=np.zeros(3))
    other = NetworkSpec(("x", "y"), (LayerSpec(5, "tanh"),))
    with pytest.raises(AnimationError, match="do not fit the network"):
        list(render_frames(other, recording.records, size=SIZE, count=2))


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ("640", "WIDTHxHEIGHT"),
        ("axb", "WIDTHxHEIGHT"),
        ((10, 100), "width must be 32 to 4096 pixels, not 10"),
        ("100x5000", "height must be 32 to 4096 pixels, not 5000"),
        (None, "(width, height)"),
    ],
)
def test_bad_sizes_are_refused(size, message) -> None:
    with pytest.raises(AnimationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_size(size)


def test_sizes_parse_from_text() -> None:
    assert check_size("640x480") == (640, 480) and check_size(" 64 X 48 ") == (64, 48)


# ------------------------------------------------------------------------------------------------ writing
def test_a_gif_opens_with_the_requested_frames_and_rate(run, tmp_path: Path) -> None:
    frames = frames_of(run, count=7)
    path = tmp_path / "run.gif"
    assert write_animation(path, frames, fps=5) == 7
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.size == SIZE and gif.n_frames == 7
        assert gif.info["duration"] == 200 and gif.info["loop"] == 0
        gif.seek(6)
        last = np.asarray(gif.convert("RGB"), dtype=np.int16)
    assert np.abs(last - frames[-1][..., :3].astype(np.int16)).mean() < 6  # a 256-colour palette, close


def current_umask() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return None


def test_exports_get_ordinary_permissions_and_keep_those_of_a_replaced_file(tmp_path: Path) -> None:
    frames = [np.zeros((40, 40, 4), np.uint8)] * 2
    umask = current_umask()
    if umask is not None:  # a new file like any other (not private to the owner, as a temporary file is)
        write_animation(tmp_path / "new.gif", frames)
        assert os.stat(tmp_path / "new.gif").st_mode & 0o777 == 0o666 & ~umask
    old = tmp_path / "old.gif"
    old.write_bytes(b"x")
    old.chmod(0o640)
    write_animation(old, frames)
    assert os.stat(old).st_mode & 0o777 == 0o640


def test_an_mp4_opens_with_the_requested_frames(run, tmp_path: Path) -> None:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    frames = frames_of(run, count=6)
    path = tmp_path / "run.mp4"
    assert write_animation(path, frames, fps=12) == 6
    assert imageio_ffmpeg.count_frames_and_secs(str(path)) == (6, pytest.approx(0.5, abs=0.01))
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    assert tuple(meta["size"]) == SIZE and meta["codec"] == "h264"
    decoded = [np.frombuffer(raw, np.uint8).reshape(SIZE[1], SIZE[0], 3) for raw in reader]
    assert len(decoded) == 6
    assert not np.array_equal(decoded[0], decoded[-1])
    assert np.abs(decoded[-1].astype(np.int16) - frames[-1][..., :3]).mean() < 8  # lossy, but the picture


def test_an_mp4_of_odd_size_is_padded_to_even_sides(tmp_path: Path) -> None:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    frames = [np.full((41, 57, 3), value, np.uint8) for value in (0, 120, 240)]
    path = tmp_path / "odd.mp4"
    assert write_animation(path, frames, fps=3) == 3
    reader = imageio_ffmpeg.read_frames(str(path))
    assert tuple(next(reader)["size"]) == (58, 42)
    assert sum(1 for _ in reader) == 3


def test_the_writers_take_any_rgba_frames_and_lay_them_over_the_background(tmp_path: Path) -> None:
    """Whole-window pictures from the Qt layer arrive as plain RGBA arrays, possibly translucent."""
    frames = []
    for i in range(4):
        frame = np.zeros((40, 50, 4), np.uint8)
        frame[:, : 10 * (i + 1)] = (200, 30, 30, 255)  # a growing opaque bar
        frame[30:, :, 3] = 0  # a transparent strip shows the background
        frames.append(frame)
    path = tmp_path / "window.gif"
    assert write_animation(path, frames, fps=2, background="#000000") == 4
    with Image.open(path) as gif:
        assert gif.n_frames == 4
        gif.seek(3)
        picture = np.asarray(gif.convert("RGB"))
    assert tuple(picture[35, 5]) == (0, 0, 0) and tuple(picture[5, 35]) == (200, 30, 30)


def test_a_single_view_saves_as_png(run, tmp_path: Path) -> None:
    frame = frames_of(run, count=1)[0]
    write_image(tmp_path / "step.png", frame)
    with Image.open(tmp_path / "step.png") as png:
        assert png.size == SIZE and np.array_equal(np.asarray(png.convert("RGBA")), frame)
    with pytest.raises(AnimationError, match=r"ending in \.png"):
        write_image(tmp_path / "step.jpg", frame)


def test_bad_outputs_are_refused_and_never_leave_half_a_file(tmp_path: Path) -> None:
    frames = [np.zeros((40, 40, 4), np.uint8) for _ in range(3)]
    with pytest.raises(AnimationError, match=r"'.avi'.*choose a file ending in .gif or .mp4"):
        write_animation(tmp_path / "run.avi", frames)
    with pytest.raises(AnimationError, match="no extension"):
        write_animation(tmp_path / "run", frames)
    with pytest.raises(AnimationError, match="does not exist"):
        write_animation(tmp_path / "missing" / "run.gif", frames)
    (tmp_path / "folder.gif").mkdir()
    with pytest.raises(AnimationError, match="is a folder"):
        write_animation(tmp_path / "folder.gif", frames)
    with pytest.raises(AnimationError, match=r"frame rate must be 0\.1 to 50"):
        write_animation(tmp_path / "run.gif", frames, fps=60)
    with pytest.raises(AnimationError, match="frame rate"):
        write_animation(tmp_path / "run.mp4", frames, fps=0)
    with pytest.raises(AnimationError, match="no frames"):
        write_animation(tmp_path / "run.gif", [])
    with pytest.raises(AnimationError, match="frame 1 is not an"):
        write_animation(tmp_path / "run.gif", [np.zeros((40, 40), np.float32)])
    with pytest.raises(AnimationError, match="must be 32 to 4096 pixels"):
        write_animation(tmp_path / "run.gif", [np.zeros((8, 40, 4), np.uint8)])
    with pytest.raises(AnimationError, match="colour like"):
        write_animation(tmp_path / "run.gif", frames, background="white")
    # A frame of another size halfway through: an error, and the earlier file is untouched.
    for name in ("keep.gif", "keep.mp4"):
        target = tmp_path / name
        target.write_bytes(b"earlier export")
        mixed = [*frames[:2], np.zeros((50, 40, 4), np.uint8)]
        with pytest.raises(AnimationError, match="frame 3 is 40x50 pixels, the first 40x40"):
            write_animation(target, mixed)
        assert target.read_bytes() == b"earlier export"
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == ["folder.gif", "keep.gif", "keep.mp4"]
