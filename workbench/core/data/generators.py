"""Classic toy datasets to start from: moons, circles, XOR, Gaussian blobs, spirals and a checkerboard, and
for regression a plane, six Gaussian bumps and a typed formula (TensorFlow Playground's two regression
datasets plus one the user writes).

Every generator takes the same knobs (number of points, number of classes where that makes sense, noise and a
seed), returns a `Dataset` with balanced classes (class sizes differ by at most one) and is deterministic per
seed. Coordinates span about ±5 so a fresh dataset fills the canvas's default [-6, 6]² view.

``noise`` is always the standard deviation of Gaussian jitter in data units, added after the clean shape and
its labels are drawn; each generator's default keeps the classes learnable. `GENERATORS` maps the registry
name to a `GeneratorInfo`, which carries what the GUI needs to build a dialog (label, class-count range,
default noise, task) and the function itself.

Regression generators draw points uniformly over [-6, 6]² and compute each target at the point moved by the
noise (so noise blurs the target, as in Playground, while the points still fill the square).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workbench.core import limits
from workbench.core.data.dataset import DEFAULT_CLASS_NAMES, Dataset
from workbench.core.data.formula import FormulaError, parse_formula
from workbench.core.model.spec import SpecError

#: Half the width of the region the generators fill; the canvas shows [-6, 6]² by default.
EXTENT = 5.0
#: Up to this many classes every generator uses its default noise; more classes get proportionally less.
CROWDED_CLASSES = 8
MAX_POINTS = int(limits.POINTS.maximum)


def _class_sizes(n_points: int, n_classes: int) -> list[int]:
    """Balanced class sizes: the first ``n_points % n_classes`` classes get one extra point."""
    base, extra = divmod(n_points, n_classes)
    return [base + (1 if c < extra else 0) for c in range(n_classes)]


def _finish(parts: list[np.ndarray], rng: np.random.Generator, noise: float, seed: int) -> Dataset:
    """Concatenate per-class point arrays, add jitter, shuffle, and wrap them in a Dataset."""
    points = np.concatenate(parts) if parts else np.zeros((0, 2))
    labels = np.concatenate([np.full(len(p), c, dtype=np.int64) for c, p in enumerate(parts)])
    if noise > 0:
        points = points + rng.normal(0.0, noise, size=points.shape)
    order = rng.permutation(len(points))
    return Dataset(points[order], labels[order], DEFAULT_CLASS_NAMES[: len(parts)], split_seed=seed)


def moons(n_points: int, n_classes: int, noise: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Two interleaving half circles (scikit-learn's shape, centred and scaled to about ±5)."""
    sizes = _class_sizes(n_points, 2)
    t0 = rng.uniform(0.0, math.pi, sizes[0])
    t1 = rng.uniform(0.0, math.pi, sizes[1])
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    centre, scale = np.array([0.5, 0.25]), EXTENT / 1.6
    return [(upper - centre) * scale, (lower - centre) * scale]


def circles(n_points: int, n_classes: int, noise: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Concentric rings, one per class, evenly spaced between the centre and the edge."""
    parts = []
    for c, size in enumerate(_class_sizes(n_points, n_classes)):
        radius = EXTENT * (c + 0.5) / n_classes
        angle = rng.uniform(0.0, 2 * math.pi, size)
        parts.append(radius * np.column_stack([np.cos(angle), np.sin(angle)]))
    return parts


def xor(n_points: int, n_classes: int, noise: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Quadrants: class 1 where x·y > 0, class 2 where x·y < 0; a small gap keeps points off the axes."""
    gap = 0.3
    parts = []
    for c, size in enumerate(_class_sizes(n_points, 2)):
        magnitude = rng.uniform(gap, EXTENT, (size, 2))
        sign_x = rng.choice([-1.0, 1.0], size)
        sign_y = sign_x if c == 0 else -sign_x
        parts.append(magnitude * np.column_stack([sign_x, sign_y]))
    return parts


def gaussians(n_points: int, n_classes: int, noise: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Round blobs centred evenly on a circle; here ``noise`` is each blob's spread (standard deviation)."""
    radius = 0.75 * EXTENT
    parts = []
    for c, size in enumerate(_class_sizes(n_points, n_classes)):
        angle = math.pi / 4 + 2 * math.pi * c / n_classes
        parts.append(np.tile([radius * math.cos(angle), radius * math.sin(angle)], (size, 1)))
    return parts


def spiral(n_points: int, n_classes: int, noise: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Interleaved spiral arms, one per class.

    The number of turns shrinks as arms are added so that neighbouring arms stay about 1.25 units apart:
    the default noise then leaves a clear gap even with eight arms.
    """
    turns = min(1.5, 4.0 / n_classes)
    parts = []
    for c, size in enumerate(_class_sizes(n_points, n_classes)):
        r = np.sqrt(rng.uniform(0.0, 1.0, size)) * (EXTENT - 0.3) + 0.3  # sqrt: even density along the arm
        angle = 2 * math.pi * (turns * r / EXTENT + c / n_classes)
        parts.append(np.column_stack([r * np.cos(angle), r * np.sin(angle)]))
    return parts


def checkerboard(n_points: int, n_classes: int, noise: float, rng: np.random.Generator) -> list[np.ndarray]:
    """A 4×4 board over [-5, 5]²; cell (i, j) belongs to class (i + j) mod k (k = 2 is the usual board)."""
    cells_per_side = 4
    cell = 2 * EXTENT / cells_per_side
    ij = np.array([(i, j) for i in range(cells_per_side) for j in range(cells_per_side)])
    cell_class = ij.sum(axis=1) % n_classes
    parts = []
    for c, size in enumerate(_class_sizes(n_points, n_classes)):
        own = ij[cell_class == c]
        chosen = own[rng.integers(0, len(own), size)]
        parts.append(-EXTENT + (chosen + rng.uniform(0.0, 1.0, (size, 2))) * cell)
    return parts


ShapeFunction = Callable[[int, int, float, np.random.Generator], list[np.ndarray]]
#: (points (N, 2), formula text) -> target values (N,), for regression generators.
TargetFunction = Callable[[np.ndarray, str], np.ndarray]

#: Half the width of the square regression generators fill (Playground's).
REGRESSION_EXTENT = 6.0
#: What the formula generator draws when no formula is given.
DEFAULT_FORMULA = "sin(x) * cos(y)"


def plane(points: np.ndarray, formula: str = "") -> np.ndarray:
    """x + y rescaled to [-1, 1] over [-6, 6]²."""
    return (points[:, 0] + points[:, 1]) / (2 * REGRESSION_EXTENT)


#: (centre x, centre y, sign) of the six bumps of the multi-Gaussian dataset.
_BUMPS = (
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
)


def gauss(points: np.ndarray, formula: str = "") -> np.ndarray:
    """Six signed bumps, each ±(1 − distance / 2) within distance 2 of its centre; where bumps meet, the
    one with the larger magnitude wins."""
    values = np.stack(
        [
            sign * np.clip(1.0 - np.hypot(points[:, 0] - cx, points[:, 1] - cy) / 2.0, 0.0, 1.0)
            for cx, cy, sign in _BUMPS
        ]
    )
    strongest = np.argmax(np.abs(values), axis=0)
    return values[strongest, np.arange(len(points))]


def formula_targets(points: np.ndarray, formula: str) -> np.ndarray:
    """The user's formula at the points (SpecError with the parser's message when it cannot be used)."""
    try:
        return parse_formula(formula or DEFAULT_FORMULA)(points[:, 0], points[:, 1])
    except FormulaError as exc:
        raise SpecError(str(exc)) from None


@dataclass(frozen=True)
class GeneratorInfo:
    """What a dialog needs to offer one generator, plus the function that draws its clean shape."""

    name: str
    label: str
    description: str
    shape: ShapeFunction
    takes_classes: bool
    min_classes: int
    max_classes: int
    default_classes: int
    default_noise: float
    default_points: int = 400
    #: "classification" (the shape function draws classes) or "regression" (`targets` gives values).
    task: str = "classification"
    targets: TargetFunction | None = None

    def noise_for(self, n_classes: int) -> float:
        """The default noise for `n_classes`: up to eight classes `default_noise`; beyond, the classes sit
        closer together (twenty blobs share one circle), so the noise shrinks with them to stay learnable."""
        return round(self.default_noise * min(1.0, CROWDED_CLASSES / n_classes), 2)

    def generate(
        self,
        n_points: int | None = None,
        n_classes: int | None = None,
        noise: float | None = None,
        seed: int = 0,
        test_fraction: float = 0.2,
        formula: str | None = None,
    ) -> Dataset:
        """Draw a dataset; None means the generator's default. Raises SpecError for unusable values.

        ``formula`` is the target of the "formula" generator (default `DEFAULT_FORMULA`); others refuse it.
        """
        n_points = self.default_points if n_points is None else n_points
        if formula is not None and self.name != "formula":
            raise SpecError(f"{self.label} has no formula; --formula goes with the formula dataset")
        if self.task == "regression":
            return self._regression(n_points, n_classes, noise, seed, test_fraction, formula)
        n_classes = self.default_classes if n_classes is None else n_classes
        noise = self.noise_for(n_classes) if noise is None else noise
        if isinstance(n_points, bool) or not isinstance(n_points, int) or not 0 <= n_points <= MAX_POINTS:
            raise SpecError(f"the number of points must be a whole number from 0 to {MAX_POINTS:,}")
        if not self.takes_classes and n_classes != self.default_classes:
            raise SpecError(f"{self.label} always has {self.default_classes} classes")
        if not isinstance(n_classes, int) or not self.min_classes <= n_classes <= self.max_classes:
            raise SpecError(
                f"{self.label} takes {self.min_classes} to {self.max_classes} classes, not {n_classes}"
            )
        if not (math.isfinite(noise) and 0 <= noise <= EXTENT):
            raise SpecError(f"the noise must be between 0 and {EXTENT:g}")
        rng = np.random.default_rng([seed & 0xFFFFFFFF, 0x6E4])
        parts = self.shape(n_points, n_classes, noise, rng)
        return _finish(parts, rng, noise, seed).replace(test_fraction=test_fraction)

    def _regression(
        self,
        n_points: int,
        n_classes: int | None,
        noise: float | None,
        seed: int,
        test_fraction: float,
        formula: str | None,
    ) -> Dataset:
        noise = self.default_noise if noise is None else noise
        if isinstance(n_points, bool) or not isinstance(n_points, int) or not 0 <= n_points <= MAX_POINTS:
            raise SpecError(f"the number of points must be a whole number from 0 to {MAX_POINTS:,}")
        if n_classes not in (None, 1):
            raise SpecError(f"{self.label} is a regression dataset: its points have values, not classes")
        if not (math.isfinite(noise) and 0 <= noise <= EXTENT):
            raise SpecError(f"the noise must be between 0 and {EXTENT:g}")
        assert self.targets is not None
        text = (formula or DEFAULT_FORMULA) if self.name == "formula" else ""
        self.targets(np.zeros((1, 2)), text)  # a formula error shows before any drawing
        rng = np.random.default_rng([seed & 0xFFFFFFFF, 0x6E5])
        points = rng.uniform(-REGRESSION_EXTENT, REGRESSION_EXTENT, size=(n_points, 2))
        measured_at = points + rng.normal(0.0, noise, size=points.shape) if noise > 0 else points
        targets = self.targets(measured_at, text)
        return Dataset.regression(points, targets, split_seed=seed, test_fraction=test_fraction)


def _no_shape(n_points: int, n_classes: int, noise: float, rng: np.random.Generator) -> list[np.ndarray]:
    raise AssertionError("regression generators draw through their target function")


def _info(
    name: str, label: str, description: str, shape: ShapeFunction, classes: tuple[int, int, int], noise: float
) -> GeneratorInfo:
    low, default, high = classes
    return GeneratorInfo(name, label, description, shape, low < high, low, high, default, noise)


#: name -> info; (min, default, max) classes and the default noise are chosen so the classes stay learnable.
GENERATORS: dict[str, GeneratorInfo] = {
    info.name: info
    for info in (
        _info("moons", "Two moons", "two interleaving half circles", moons, (2, 2, 2), 0.4),
        _info("circles", "Concentric circles", "one ring per class", circles, (2, 2, 5), 0.2),
        _info("xor", "XOR quadrants", "opposite quadrants share a class", xor, (2, 2, 2), 0.2),
        _info("gaussians", "Gaussian blobs", "one round blob per class", gaussians, (2, 3, 20), 0.7),
        _info("spiral", "Spiral", "one spiral arm per class", spiral, (2, 2, 8), 0.2),
        _info(
            "checkerboard", "Checkerboard", "4×4 board of alternating cells", checkerboard, (2, 2, 4), 0.05
        ),
        *(
            GeneratorInfo(
                name, label, description, _no_shape, False, 1, 1, 1, 0.0, 400, "regression", targets
            )
            for name, label, description, targets in (
                ("plane", "Plane", "target x + y, scaled to [-1, 1] (regression)", plane),
                ("gauss", "Multi-Gaussian", "six bumps, three up and three down (regression)", gauss),
                (
                    "formula",
                    "Formula",
                    "target = a formula of x and y you type (regression)",
                    formula_targets,
                ),
            )
        ),
    )
}


#: What the window opens with, and `workbench train --dataset spiral` without --classes/--points: one
#: default for both, the generator's own (400 points, 2 classes).
STARTING_DATASET = "spiral"


def generate(
    name: str,
    n_points: int | None = None,
    n_classes: int | None = None,
    noise: float | None = None,
    seed: int = 0,
    test_fraction: float = 0.2,
    formula: str | None = None,
) -> Dataset:
    """Draw the named dataset (see `GENERATORS`); raises SpecError for an unknown name or unusable values."""
    info = GENERATORS.get(name)
    if info is None:
        raise SpecError(f"unknown dataset {name!r}; choose from {', '.join(GENERATORS)}")
    return info.generate(n_points, n_classes, noise, seed, test_fraction, formula)
