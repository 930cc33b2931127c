"""An animation of a recorded run for slides: frames of the decision regions or the hidden space, and writers.

Frames are C-contiguous (H, W, 4) uint8 RGBA arrays with row 0 at the *top* (a picture, unlike the canvas
images of `views`, whose row 0 is the bottom). They are drawn from the same Qt-free computations as the live
views (`views.decision_image`, `views.hidden_space`), so a slide shows what the window showed, plus the
dataset's points and a caption with the step. Whole-window frames (grabbed by the Qt layer) go through the
same writers: `write_animation` takes any sequence of equally sized RGBA (or RGB) arrays.

Regression runs (a spec whose task is regression) draw the prediction surface instead of the regions
(`views.value_image`), the points coloured by their `targets` with the same diverging map, and a small colour
bar with the scale in the corner; the scale comes from the targets (`value_colors.value_range`), so it is
the same in every frame, as in the window.

Which records become frames: evenly over the *recorded snapshots*, not evenly over training steps. The
recording is already dense early and sparse later (geometric), which is where a network changes fastest; even
spacing in steps would spend nearly every frame on the long, quiet end of a run and show the moment it "gets
it" in one frame. The caption names each frame's step, so the speeding up of time is visible. A frame count
above the number of records gives one frame per record (repeating a picture shows nothing new, and a GIF
merges repeated pictures into one frame anyway).

Writers: GIF with Pillow (well kept, already needed for the caption; adaptive palette per frame, loops
forever) and MP4 (H.264, yuv420p, which slide programs and browsers play) with imageio-ffmpeg, whose wheel
ships an ffmpeg binary, so nothing needs installing besides the Python package. Files are written to a
temporary file beside the target and then moved over it, so a failed export never leaves half a file.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.model.spec import NetworkSpec
from workbench.core.palette import palette, rgba
from workbench.core.present import value_colors
from workbench.core.present.views import (
    Bounds,
    HiddenSpaceRequest,
    HiddenSpaceView,
    ViewError,
    decision_image,
    hidden_space,
    value_image,
)

VIEWS = ("regions", "hidden")
FORMATS = (".gif", ".mp4")
#: Frame sides in pixels: big enough to read a caption, small enough for a slide (and for memory: a GIF keeps
#: every frame until it is written).
MIN_SIDE, MAX_SIDE = 32, 4096
MAX_FRAMES = 5000
#: Frames per second. GIF stores delays in hundredths of a second and browsers slow down delays below 2/100 s,
#: so a GIF is at most 50 fps.
MIN_FPS, MAX_FPS, MAX_GIF_FPS = 0.1, 60.0, 50.0
#: Points drawn on a frame at most (evenly thinned): a denser scatter only hides the regions.
MAX_POINTS = 3000
#: Decision images are computed at most this wide and scaled up: they are smooth at that resolution.
MAX_RESOLUTION = 512


class AnimationError(ValueError):
    """An animation that cannot be made as asked (path, size, frame rate, frames); says what to change."""


@dataclass(frozen=True)
class FrameStyle:
    """How frames look: the background (a slide's white by default), points, caption."""

    background: str = "#FFFFFF"
    point_radius: float | None = None  # None: scaled with the frame
    draw_points: bool = True
    caption: bool = True


# ------------------------------------------------------------------------------------------------------------
# Choosing frames
# ------------------------------------------------------------------------------------------------------------
def frame_indices(n_records: int, count: int | None = None) -> np.ndarray:
    """Indices of the records that become frames: `count` of them evenly over the records (the first and
    the last included), each at most once; all records when `count` is None or larger (module docstring)."""
    if n_records < 1:
        raise AnimationError("the run has no recorded steps to animate: train it first")
    if count is None or count >= n_records:
        return np.arange(n_records)
    if count < 1:
        raise AnimationError(f"an animation needs at least 1 frame, not {count}")
    if count == 1:
        return np.array([n_records - 1])
    positions = np.linspace(0.0, n_records - 1, count)
    return np.floor(positions + 0.5).astype(np.intp)  # distinct: the spacing is at least 1


def fit_bounds(bounds: Bounds, width: int, height: int) -> Bounds:
    """`bounds` widened along one axis so that its aspect ratio is the frame's (data units stay square)."""
    x0, x1, y0, y1 = (float(v) for v in bounds)
    span_x, span_y = x1 - x0, y1 - y0
    if span_x <= 0 or span_y <= 0:
        raise AnimationError(f"the area to draw is empty: {bounds}")
    if span_x / span_y < width / height:
        grow = (span_y * width / height - span_x) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = (span_x * height / width - span_y) / 2
        y0, y1 = y0 - grow, y1 + grow
    return (x0, x1, y0, y1)


# ------------------------------------------------------------------------------------------------------------
# Drawing frames
# ------------------------------------------------------------------------------------------------------------
def render_frames(
    spec: NetworkSpec,
    records: Sequence[Any],
    *,
    view: str = "regions",
    size: tuple[int, int] = (480, 480),
    count: int | None = None,
    points: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    bounds: Bounds | None = None,
    hidden: HiddenSpaceRequest | None = None,
    style: FrameStyle | None = None,
    discrete: bool = False,
    targets: np.ndarray | None = None,
) -> Iterator[np.ndarray]:
    """The frames of a recorded run, one (H, W, 4) uint8 RGBA picture per chosen record, made lazily.

    `records` are a recording's records (anything with `step`, `epoch` and `weights`; `train_loss` is shown
    when present) of the network `spec`. `view` is "regions" (decision regions over `bounds`, by default the
    points' area) or "hidden" (a hidden layer's space, `hidden` says which; it needs the points). `points` and
    `labels` are the dataset's (drawn on top); `size` is (width, height) in pixels. For a regression `spec`
    give the points' `targets`: they colour the points and set the colour scale (without them the points
    are grey and the scale is ±1). Errors (AnimationError) come before the first frame is drawn.
    """
    from PIL import Image  # local: only slides and exports need Pillow

    width, height = check_size(size)
    style = style or FrameStyle()
    if view not in VIEWS:
        raise AnimationError(f"unknown view {view!r}; choose from {', '.join(VIEWS)}")
    points, labels = _checked_points(points, labels)
    half_range = None
    if spec.is_regression:
        if targets is not None:
            targets = np.asarray(targets, dtype=np.float64).reshape(-1)
            if points is None or len(targets) != len(points):
                raise AnimationError(
                    f"{0 if points is None else len(points)} points but {len(targets)} targets"
                )
        half_range = value_colors.value_range(targets)
    chosen = [records[i] for i in frame_indices(len(records), count)]
    network = _network(spec)
    if view == "hidden":
        if points is None or not len(points):
            raise AnimationError("the hidden-space view needs the dataset's points")
        try:
            request = (hidden or HiddenSpaceRequest()).validate(network.spec)
        except ViewError as exc:
            raise AnimationError(str(exc)) from None
    else:
        request = None
    area = bounds if bounds is not None else _points_bounds(points)
    area = fit_bounds(area, width, height)
    drawer = _Drawer(width, height, style, network.spec.n_classes)
    if half_range is not None:
        drawer.use_values(targets, half_range, 0 if points is None else len(points))
    return _frames(network, chosen, drawer, area, points, labels, request, discrete, Image)


def _frames(
    network: Any,
    chosen: list[Any],
    drawer: _Drawer,
    area: Bounds,
    points: np.ndarray | None,
    labels: np.ndarray | None,
    request: HiddenSpaceRequest | None,
    discrete: bool,
    image_module: Any,
) -> Iterator[np.ndarray]:
    previous: HiddenSpaceView | None = None
    for record in chosen:
        try:
            network.set_weights(record.weights)
        except ValueError as exc:
            raise AnimationError(f"the recorded weights do not fit the network: {exc}") from None
        if request is None:
            resolution = min(max(drawer.width, drawer.height), MAX_RESOLUTION)
            if drawer.half_range is not None:
                image, _ = value_image(network, area, resolution, drawer.half_range)
            else:
                image, _ = decision_image(network, area, resolution, discrete=discrete)
            picture = drawer.start(np.flipud(image), image_module)
            drawer.points(picture, points, labels, area)
        else:
            assert points is not None
            previous = hidden_space(
                network, points, _points_bounds(points), request, previous, spec=network.spec, labels=labels
            )
            picture = drawer.start(None, image_module)
            # Class regions only: a regression output has no classes to draw in the hidden plane.
            if previous.output_rgba is not None and drawer.half_range is None:
                drawer.overlay(picture, np.flipud(previous.output_rgba), image_module)
            drawer.lines(picture, previous.grid_lines, previous.bounds)
            drawer.points(picture, previous.points, previous.labels, previous.bounds, kept=_kept(len(points)))
        drawer.color_bar(picture)
        drawer.caption(picture, _caption(record))
        yield np.ascontiguousarray(np.asarray(picture.convert("RGBA")))


def _kept(n_points: int, max_points: int = 5000) -> np.ndarray | None:
    """Which points `views.hidden_space` keeps (it thins more than `max_points` evenly), or None: all."""
    if n_points <= max_points:
        return None
    return np.linspace(0, n_points - 1, max_points).astype(np.intp)


def _network(spec: NetworkSpec) -> Any:
    from workbench.core.model.engine import Network

    return Network(spec)


def _caption(record: Any) -> str:
    text = f"step {int(record.step):,}  ·  epoch {int(record.epoch):,}"
    loss = getattr(record, "train_loss", math.nan)
    if isinstance(loss, float) and math.isfinite(loss):
        text += f"  ·  loss {loss:.3f}"
    return text


def _checked_points(
    points: np.ndarray | None, labels: np.ndarray | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    if points is None:
        return None, None
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    labels = np.zeros(len(points), np.intp) if labels is None else np.asarray(labels, np.intp).reshape(-1)
    if len(labels) != len(points):
        raise AnimationError(f"{len(points)} points but {len(labels)} labels")
    return points, labels


def _points_bounds(points: np.ndarray | None, margin: float = 0.1) -> Bounds:
    """The points' area with a margin (like `Dataset.bounds`); a default box without points."""
    if points is None or not len(points):
        return (-6.0, 6.0, -6.0, 6.0)
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    lo, hi = lo - margin * span, hi + margin * span
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


class _Drawer:
    """Draws one frame's layers with Pillow: background, images, grid lines, points, caption."""

    def __init__(self, width: int, height: int, style: FrameStyle, n_classes: int) -> None:
        from PIL import ImageFont

        self.width, self.height, self.style = width, height, style
        self.background = _color(style.background, "the background")
        views = palette().views
        self.grid_color = rgba(views["hidden_grid"])
        self.caption_fill = rgba(views["caption_background"])
        self.caption_text = rgba(views["caption_text"])
        self.caption_border = rgba(views["caption_border"])
        self.class_colors = [rgba(c) for c in CLASS_COLORS[: max(1, n_classes)]]
        #: Regression: the colour scale's half-width and each point's colour (None: classes colour them).
        self.half_range: float | None = None
        self.value_fills: np.ndarray | None = None
        side = min(width, height)
        self.radius = style.point_radius if style.point_radius is not None else max(1.5, side / 160)
        font_size = max(9, round(side / 26))
        try:
            self.font = ImageFont.load_default(size=font_size)
        except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
            self.font = ImageFont.load_default()

    def use_values(self, targets: np.ndarray | None, half_range: float, n_points: int) -> None:
        """Colour the points by value (regression); without targets they are grey."""
        self.half_range = half_range
        if targets is None:
            self.value_fills = np.tile(np.array([150, 150, 150, 255], np.uint8), (n_points, 1))
        else:
            self.value_fills = value_colors.values_to_rgba(targets, half_range)

    def start(self, rgba_image: np.ndarray | None, image_module: Any) -> Any:
        """An opaque picture (a slide's): translucent layers and drawings blend into it."""
        picture = image_module.new("RGB", (self.width, self.height), self.background[:3])
        if rgba_image is not None:
            self.overlay(picture, rgba_image, image_module)
        return picture

    def overlay(self, picture: Any, rgba_image: np.ndarray, image_module: Any) -> None:
        layer = image_module.fromarray(np.ascontiguousarray(rgba_image), "RGBA")
        if layer.size != picture.size:
            layer = layer.resize(picture.size, image_module.Resampling.BILINEAR)
        picture.paste(layer, (0, 0), layer)  # the layer's alpha as the mask: blends

    def _to_pixels(self, xy: np.ndarray, area: Bounds) -> np.ndarray:
        x0, x1, y0, y1 = area
        px = (xy[..., 0] - x0) * (self.width / (x1 - x0))
        py = (y1 - xy[..., 1]) * (self.height / (y1 - y0))
        return np.stack([px, py], axis=-1)

    def lines(self, picture: Any, lines: np.ndarray, area: Bounds) -> None:
        from PIL import ImageDraw

        draw = ImageDraw.Draw(picture, "RGBA")
        width = max(1, round(min(self.width, self.height) / 400))
        for line in self._to_pixels(np.asarray(lines, np.float64), area):
            finite = line[np.isfinite(line).all(axis=1)]
            if len(finite) > 1:
                draw.line([tuple(p) for p in finite.tolist()], fill=self.grid_color, width=width)

    def points(
        self,
        picture: Any,
        points: np.ndarray | None,
        labels: np.ndarray | None,
        area: Bounds,
        kept: np.ndarray | None = None,
    ) -> None:
        """Draw the points in their class colours, or in regression their value colours (`kept`: which of
        the dataset's points `points` are, when a view thinned them)."""
        if points is None or not len(points) or not self.style.draw_points:
            return
        from PIL import ImageDraw

        fills = self.value_fills
        if fills is not None and kept is not None:
            fills = fills[kept]
        if len(points) > MAX_POINTS:
            keep = np.linspace(0, len(points) - 1, MAX_POINTS).astype(np.intp)
            points = points[keep]
            labels = labels[keep] if labels is not None else None
            fills = fills[keep] if fills is not None else None
        draw = ImageDraw.Draw(picture, "RGBA")
        r = self.radius
        outline = (255, 255, 255, 255) if self.background[:3] != (255, 255, 255) else (40, 40, 40, 255)
        if fills is not None:
            colors = [tuple(c) for c in fills.tolist()]
        else:
            label_list = labels.tolist() if labels is not None else [0] * len(points)
            colors = [self.class_colors[int(label) % len(self.class_colors)] for label in label_list]
        pixels = self._to_pixels(np.asarray(points, np.float64), area).tolist()
        for (px, py), fill in zip(pixels, colors, strict=True):
            if not (math.isfinite(px) and math.isfinite(py)):
                continue
            draw.ellipse((px - r, py - r, px + r, py + r), fill=fill, outline=outline)

    def color_bar(self, picture: Any) -> None:
        """Regression: a small vertical colour bar with its scale in the bottom-right corner."""
        if self.half_range is None or not self.style.caption:
            return
        from PIL import ImageDraw

        side = min(self.width, self.height)
        pad = max(3, round(side / 80))
        bar_w, bar_h = max(6, round(side / 40)), max(30, round(side / 4))
        labels = [value_colors.format_value(v) for v in (self.half_range, 0.0, -self.half_range)]
        draw = ImageDraw.Draw(picture, "RGBA")
        text_w = max(draw.textlength(text, font=self.font) for text in labels)
        text_h = draw.textbbox((0, 0), "0", font=self.font)[3]
        x1 = self.width - 2 * pad - text_w - pad
        x0, y1 = x1 - bar_w, self.height - 2 * pad - text_h // 2
        y0 = y1 - bar_h
        draw.rectangle(
            (x0 - pad, y0 - pad - text_h // 2, self.width - pad, y1 + pad + text_h // 2),
            fill=self.caption_fill,
            outline=self.caption_border,
        )
        lut = value_colors.value_lut()
        for row in range(bar_h):
            color = lut[round((1.0 - row / max(1, bar_h - 1)) * (len(lut) - 1))]
            draw.line((x0, y0 + row, x1, y0 + row), fill=tuple(int(c) for c in color))
        draw.rectangle((x0 - 1, y0 - 1, x1 + 1, y0 + bar_h), outline=self.caption_border)
        for text, y in zip(labels, (y0, (y0 + y1) / 2, y1), strict=True):
            draw.text((x1 + pad, y - text_h / 2), text, font=self.font, fill=self.caption_text)

    def caption(self, picture: Any, text: str) -> None:
        if not self.style.caption:
            return
        from PIL import ImageDraw

        draw = ImageDraw.Draw(picture, "RGBA")
        pad = max(3, round(min(self.width, self.height) / 80))
        left, top, right, bottom = draw.textbbox((2 * pad, 2 * pad), text, font=self.font)
        draw.rectangle(
            (left - pad, top - pad, right + pad, bottom + pad),
            fill=self.caption_fill,
            outline=self.caption_border,
        )
        draw.text((2 * pad, 2 * pad), text, font=self.font, fill=self.caption_text)


def _color(value: str, what: str) -> tuple[int, int, int, int]:
    try:
        return rgba(value)
    except ValueError:
        raise AnimationError(f"{what} must be a colour like '#FFFFFF', not {value!r}") from None


# ------------------------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------------------------
def check_size(size: Any) -> tuple[int, int]:
    """(width, height) in pixels, each from MIN_SIDE to MAX_SIDE; also parses 'WxH' text."""
    if isinstance(size, str):
        parts = size.lower().replace(" ", "").split("x")
        try:
            if len(parts) != 2:
                raise ValueError(size)
            size = tuple(int(p) for p in parts)
        except ValueError:
            raise AnimationError(f"a size is WIDTHxHEIGHT in pixels, like 640x480, not {size!r}") from None
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise AnimationError(f"a size is (width, height) in pixels, not {size!r}") from None
    for side, name in ((width, "width"), (height, "height")):
        if not MIN_SIDE <= side <= MAX_SIDE:
            raise AnimationError(f"the {name} must be {MIN_SIDE} to {MAX_SIDE} pixels, not {side}")
    return width, height


def check_output_path(path: str | os.PathLike[str], extensions: Sequence[str] = FORMATS) -> Path:
    """The output path, if it can be written: a known extension, an existing folder, not a folder itself."""
    target = Path(os.fspath(path)).expanduser()
    suffix = target.suffix.lower()
    if suffix not in extensions:
        shown = f"{suffix!r}" if suffix else "no extension"
        raise AnimationError(
            f"{os.fspath(path)!r} has {shown}: choose a file ending in {' or '.join(extensions)}"
        )
    if target.is_dir():
        raise AnimationError(f"{os.fspath(path)!r} is a folder: give a file name")
    folder = target.parent
    if not folder.is_dir():
        raise AnimationError(f"the folder {os.fspath(folder)!r} does not exist")
    if target.exists() and not target.is_file():
        raise AnimationError(f"{os.fspath(path)!r} is not a regular file: choose another name")
    return target


def write_animation(
    path: str | os.PathLike[str],
    frames: Iterable[np.ndarray],
    fps: float = 10.0,
    *,
    background: str = "#FFFFFF",
) -> int:
    """Write equally sized RGBA or RGB uint8 frames (row 0 at the top) as a GIF or MP4, by the extension.

    Transparent pixels are laid over `background`. Returns the number of frames written. AnimationError for a
    bad path, frame rate, frame or an encoder failure (the previous file, if any, stays as it was).
    """
    target = check_output_path(path)
    fps = float(fps)
    top = MAX_GIF_FPS if target.suffix.lower() == ".gif" else MAX_FPS
    if not (math.isfinite(fps) and MIN_FPS <= fps <= top):
        raise AnimationError(f"the frame rate must be {MIN_FPS:g} to {top:g} frames a second, not {fps:g}")
    back = _color(background, "the background")[:3]
    opaque = _opaque_frames(frames, back)
    try:
        first = next(opaque)
    except StopIteration:
        raise AnimationError("there are no frames to write") from None
    if target.suffix.lower() == ".gif":
        return _write_atomically(target, lambda temp: _write_gif(temp, first, opaque, fps))
    return _write_atomically(target, lambda temp: _write_mp4(temp, first, opaque, fps, back))


def write_image(path: str | os.PathLike[str], frame: np.ndarray, *, background: str | None = None) -> None:
    """One frame as a PNG (transparency kept unless `background` is given), e.g. a view at one step."""
    from PIL import Image

    target = check_output_path(path, (".png",))
    array = _checked_frame(frame, 0, None)
    if background is not None:
        array = _flatten(array, _color(background, "the background")[:3])
    image = Image.fromarray(array, "RGBA" if array.shape[2] == 4 else "RGB")
    _write_atomically(target, lambda temp: (image.save(temp, format="PNG"), 1)[1])


def _checked_frame(frame: Any, index: int, shape: tuple[int, ...] | None) -> np.ndarray:
    array = np.asarray(frame)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in (3, 4):
        raise AnimationError(
            f"frame {index + 1} is not an (height, width, 4) RGBA or (height, width, 3) RGB uint8 picture "
            f"(got {array.dtype} {array.shape})"
        )
    if shape is not None and array.shape[:2] != shape[:2]:
        raise AnimationError(
            f"frame {index + 1} is {array.shape[1]}x{array.shape[0]} pixels, the first "
            f"{shape[1]}x{shape[0]}: all frames must have one size"
        )
    check_size((array.shape[1], array.shape[0]))
    return array


def _flatten(array: np.ndarray, background: tuple[int, ...]) -> np.ndarray:
    """RGB uint8 of `array` laid over an opaque background."""
    if array.shape[2] == 3:
        return np.ascontiguousarray(array)
    alpha = array[..., 3:4].astype(np.float32) / 255.0
    mixed = array[..., :3] * alpha + np.asarray(background, np.float32) * (1.0 - alpha)
    return np.ascontiguousarray(np.clip(mixed + 0.5, 0, 255).astype(np.uint8))


def _opaque_frames(frames: Iterable[np.ndarray], background: tuple[int, ...]) -> Iterator[np.ndarray]:
    shape = None
    for index, frame in enumerate(frames):
        if index >= MAX_FRAMES:
            raise AnimationError(f"an animation has at most {MAX_FRAMES} frames")
        array = _checked_frame(frame, index, shape)
        shape = array.shape
        yield _flatten(array, background)


def _write_atomically(target: Path, write: Any) -> int:
    """Call write(temporary path) beside `target`, then move it over `target`; clean up on any failure."""
    # Created 0o666 minus the umask like an ordinary new file (mkstemp would make it private to the owner);
    # the extension stays last so that ffmpeg knows the container.
    temp = target.parent / f".{target.stem}.tmp{secrets.token_hex(6)}{target.suffix}"
    try:
        os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        count = write(os.fspath(temp))
        with contextlib.suppress(OSError):  # a replaced file keeps its permissions
            os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temp, target)
    except OSError as exc:
        raise AnimationError(f"cannot write {os.fspath(target)!r}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    return count


def _write_gif(temp: str, first: np.ndarray, rest: Iterator[np.ndarray], fps: float) -> int:
    from PIL import Image

    count = 1

    def images() -> Iterator[Any]:
        nonlocal count
        for frame in rest:
            count += 1
            yield Image.fromarray(frame, "RGB")

    duration = max(20, round(100.0 / fps) * 10)  # GIF delays are in hundredths of a second
    Image.fromarray(first, "RGB").save(
        temp, format="GIF", save_all=True, append_images=images(), duration=duration, loop=0, optimize=False
    )
    return count


def _write_mp4(
    temp: str, first: np.ndarray, rest: Iterator[np.ndarray], fps: float, background: tuple[int, ...]
) -> int:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise AnimationError(
            "writing MP4 needs the imageio-ffmpeg package (pip install imageio-ffmpeg); GIF works without it"
        ) from None
    height, width = first.shape[:2]
    even = (width + width % 2, height + height % 2)  # H.264 in yuv420p needs even sides

    def padded(frame: np.ndarray) -> bytes:
        if frame.shape[:2] == (even[1], even[0]):
            return frame.tobytes()
        out = np.empty((even[1], even[0], 3), np.uint8)
        out[...] = background
        out[:height, :width] = frame
        return out.tobytes()

    writer = imageio_ffmpeg.write_frames(
        temp,
        even,
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",
        quality=8,
        macro_block_size=1,
        ffmpeg_log_level="error",
        output_params=["-movflags", "+faststart"],
    )
    count = 0
    try:
        writer.send(None)  # starts ffmpeg
        writer.send(padded(first))
        count = 1
        for frame in rest:
            writer.send(padded(frame))
            count += 1
    except (RuntimeError, OSError, BrokenPipeError) as exc:
        writer.close()
        raise AnimationError(f"the MP4 encoder failed: {exc}") from None
    except BaseException:
        writer.close()
        raise
    try:
        writer.close()
    except (RuntimeError, OSError) as exc:
        raise AnimationError(f"the MP4 encoder failed: {exc}") from None
    return count


__all__ = [
    "FORMATS",
    "MAX_FRAMES",
    "VIEWS",
    "AnimationError",
    "FrameStyle",
    "check_output_path",
    "check_size",
    "fit_bounds",
    "frame_indices",
    "render_frames",
    "write_animation",
    "write_image",
]
