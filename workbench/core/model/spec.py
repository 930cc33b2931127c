"""Plain, serialisable descriptions of a network and of its training settings.

Specs hold names, not objects: activations, features and optimizers are registry keys, so a spec can be
written to a project file, compared, and undone like any other value. Validation happens in `validate()`,
which raises `SpecError` with a message a user can act on.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from workbench.core import limits

#: Input features the network can be given, in display order: CLI name -> label shown to the user.
FEATURES: dict[str, str] = {
    "x": "x",
    "y": "y",
    "x2": "x²",
    "y2": "y²",
    "xy": "x·y",
    "sinx": "sin x",
    "siny": "sin y",
}

#: Activation names the engine implements (the registry in engine.modules must match; a test checks).
ACTIVATIONS: tuple[str, ...] = ("step", "sigmoid", "tanh", "relu", "leaky_relu", "linear")

OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "adam")

#: Limits where the app would become unusable, not arbitrary caps: from the one table in `limits`.
MAX_CLASSES = int(limits.CLASSES.maximum)
MAX_HIDDEN_LAYERS = int(limits.HIDDEN_LAYERS.maximum)
MAX_LAYER_WIDTH = int(limits.LAYER_WIDTH.maximum)


class SpecError(ValueError):
    """A network spec or training setting that cannot be used; the message says what to change."""


@dataclass(frozen=True)
class LayerSpec:
    """One hidden layer: how many neurons and which activation."""

    width: int
    activation: str = "tanh"

    def to_dict(self) -> dict[str, Any]:
        return {"width": self.width, "activation": self.activation}


@dataclass(frozen=True)
class NetworkSpec:
    """Input features, hidden layers and the number of classes; the output layer is linear + softmax."""

    features: tuple[str, ...] = ("x", "y")
    hidden: tuple[LayerSpec, ...] = (LayerSpec(8, "tanh"), LayerSpec(8, "tanh"))
    n_classes: int = 2

    @property
    def layer_sizes(self) -> list[int]:
        """Widths from input to output, e.g. [2, 8, 8, 2]."""
        return [len(self.features), *(layer.width for layer in self.hidden), self.n_classes]

    @property
    def n_parameters(self) -> int:
        sizes = self.layer_sizes
        return sum((a + 1) * b for a, b in itertools.pairwise(sizes))

    def with_hidden(self, hidden: tuple[LayerSpec, ...] | list[LayerSpec]) -> NetworkSpec:
        return replace(self, hidden=tuple(hidden))

    def validate(self) -> NetworkSpec:
        if not self.features:
            raise SpecError("the network needs at least one input feature")
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown:
            raise SpecError(f"unknown input feature {unknown[0]!r}; choose from {', '.join(FEATURES)}")
        if len(set(self.features)) != len(self.features):
            raise SpecError("an input feature is listed twice")
        limits.CLASSES.check(self.n_classes, SpecError)
        limits.HIDDEN_LAYERS.check(len(self.hidden), SpecError)
        for i, layer in enumerate(self.hidden, start=1):
            if not limits.LAYER_WIDTH.contains(layer.width):
                raise SpecError(f"hidden layer {i}: {limits.LAYER_WIDTH.message}")
            if layer.activation not in ACTIVATIONS:
                raise SpecError(
                    f"hidden layer {i}: unknown activation {layer.activation!r}; "
                    f"choose from {', '.join(ACTIVATIONS)}"
                )
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "hidden": [layer.to_dict() for layer in self.hidden],
            "n_classes": self.n_classes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkSpec:
        """Build and validate a spec from `to_dict()` output; raises SpecError on anything malformed."""
        try:
            features = tuple(str(f) for f in data["features"])
            hidden = tuple(
                LayerSpec(_strict_int(layer["width"]), str(layer["activation"])) for layer in data["hidden"]
            )
            n_classes = _strict_int(data["n_classes"])
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise SpecError(f"malformed network spec: {exc}") from None
        return cls(features, hidden, n_classes).validate()


@dataclass(frozen=True)
class TrainingSettings:
    """Hyper-parameters; all of them may change between steps without losing weights.

    Conventions: the data loss is cross-entropy averaged over the mini-batch; L2 adds (λ/2)·Σ‖W‖² over
    weight matrices only (not biases); momentum is Δ ← μΔ + ∂L/∂θ, θ ← θ − ηΔ; Adam is the standard one.
    ``batch_size=None`` means the full training set.
    """

    # Defaults: SGD with momentum at 0.03 on mini-batches of 16 reaches >= 97 % on the default spiral within
    # ~3,000 steps and stays there for a minute of training (1.35 M steps), seeds 0-6; Adam at 0.03 (and at
    # 0.01 or 0.003) spiked back to 81-95 % now and then, because its normalised steps do not shrink as the
    # loss goes to zero.
    learning_rate: float = 0.03
    optimizer: str = "momentum"
    momentum: float = 0.9
    batch_size: int | None = 16
    l2: float = 0.0
    seed: int = 0
    beta1: float = field(default=0.9)
    beta2: float = field(default=0.999)

    def validate(self) -> TrainingSettings:
        limits.LEARNING_RATE.check(self.learning_rate, SpecError)
        if self.optimizer not in OPTIMIZERS:
            raise SpecError(f"unknown optimizer {self.optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
        limits.MOMENTUM.check(self.momentum, SpecError)
        if self.batch_size is not None and not limits.BATCH_SIZE.contains(self.batch_size):
            raise SpecError(f"{limits.BATCH_SIZE.message}, or 'all'")
        limits.L2.check(self.l2, SpecError)
        limits.ADAM_BETA.check(self.beta1, SpecError)
        limits.ADAM_BETA.check(self.beta2, SpecError)
        limits.SEED.check(self.seed, SpecError)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "optimizer": self.optimizer,
            "momentum": self.momentum,
            "batch_size": self.batch_size,
            "l2": self.l2,
            "seed": self.seed,
            "beta1": self.beta1,
            "beta2": self.beta2,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingSettings:
        try:
            batch = data.get("batch_size")
            settings = cls(
                learning_rate=float(data["learning_rate"]),
                optimizer=str(data["optimizer"]),
                momentum=float(data.get("momentum", 0.9)),
                batch_size=None if batch is None else _strict_int(batch),
                l2=float(data.get("l2", 0.0)),
                seed=_strict_int(data.get("seed", 0)),
                beta1=float(data.get("beta1", 0.9)),
                beta2=float(data.get("beta2", 0.999)),
            )
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise SpecError(f"malformed training settings: {exc}") from None
        return settings.validate()


def parse_layers(text: str, default_activation: str = "tanh") -> tuple[LayerSpec, ...]:
    """Parse the CLI's ``16,16`` or ``16:tanh,8:relu`` (empty string = no hidden layer)."""
    if not text.strip():
        return ()
    layers = []
    for number, part in enumerate((p.strip() for p in text.split(",")), start=1):
        if not part:
            raise SpecError(f"layer {number} is empty: write widths separated by single commas, e.g. 16,16")
        width_text, _, act = part.partition(":")
        try:
            width = int(width_text)
        except ValueError:
            raise SpecError(f"layer {part!r}: width must be a whole number") from None
        layers.append(LayerSpec(width, act.strip() or default_activation))
    return tuple(layers)


def _strict_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(value)
