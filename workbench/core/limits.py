"""The one table of limits and ranges: the core's validation, the project loader, the CLI and every widget
read their bounds from here, so a value one of them accepts is accepted by all of them.

The limits are where the app would become unusable or a widget could not hold the value (a Qt spin box
holds 32-bit integers), not arbitrary caps; the README lists them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class LimitError(ValueError):
    """A value outside its range; the message names the value and the range."""


@dataclass(frozen=True)
class Limit:
    """An inclusive range [minimum, maximum] of one setting, with the words to name it in messages."""

    name: str
    minimum: float
    maximum: float
    whole: bool = False  # a whole number (counts, sizes, seeds)

    def contains(self, value: object) -> bool:
        if isinstance(value, bool):
            return False
        if self.whole:
            return isinstance(value, int) and self.minimum <= value <= self.maximum
        return (
            isinstance(value, (int, float))
            and math.isfinite(value)
            and self.minimum <= value <= self.maximum
        )

    def check(self, value: object, error: type[ValueError] = LimitError) -> None:
        """Raise `error` with a message a user can act on when `value` is outside the range."""
        if not self.contains(value):
            raise error(self.message)

    @property
    def message(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        return f"the {self.name} must be {kind} from {_show(self.minimum)} to {_show(self.maximum)}"


def _show(value: float) -> str:
    if float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:g}"


#: Networks compute in float32: larger coordinates would overflow to infinity.
MAX_COORDINATE = 3.4028234663852886e38

LEARNING_RATE = Limit("learning rate", 1e-6, 100.0)
MOMENTUM = Limit("momentum", 0.0, 0.999)
#: ``None`` (the whole training set) is allowed besides this range.
BATCH_SIZE = Limit("batch size", 1, 1_000_000, whole=True)
L2 = Limit("L2 strength", 0.0, 10.0)
ADAM_BETA = Limit("Adam beta", 0.0, 0.9999)
SEED = Limit("seed", 0, 2**63 - 1, whole=True)
CLASSES = Limit("number of classes", 1, 20, whole=True)
HIDDEN_LAYERS = Limit("number of hidden layers", 0, 32, whole=True)
LAYER_WIDTH = Limit("layer width", 1, 1024, whole=True)
POINTS = Limit("number of points", 0, 1_000_000, whole=True)
TEST_FRACTION = Limit("test fraction", 0.0, 0.9)
STEPS = Limit("number of steps", 0, 10**12, whole=True)
EPOCHS = Limit("number of epochs", 0, 10**9, whole=True)
#: "Compare runs": how many runs side by side (a 3 x 3 grid of pictures at most) and how long each one is.
RUNS = Limit("number of runs to compare", 2, 9, whole=True)
COMPARISON_STEPS = Limit("number of steps of each run", 1, 10**9, whole=True)
#: Class names (and CSV labels) longer than this are refused: they would not fit anywhere on screen.
CLASS_NAME_LENGTH = Limit("class name length", 1, 200, whole=True)

#: Every entry, for tests and documentation.
TABLE: dict[str, Limit] = {
    "learning_rate": LEARNING_RATE,
    "momentum": MOMENTUM,
    "batch_size": BATCH_SIZE,
    "l2": L2,
    "adam_beta": ADAM_BETA,
    "seed": SEED,
    "classes": CLASSES,
    "hidden_layers": HIDDEN_LAYERS,
    "layer_width": LAYER_WIDTH,
    "points": POINTS,
    "test_fraction": TEST_FRACTION,
    "steps": STEPS,
    "epochs": EPOCHS,
    "runs": RUNS,
    "comparison_steps": COMPARISON_STEPS,
    "class_name_length": CLASS_NAME_LENGTH,
}
