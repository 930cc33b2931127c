"""Ready-made network architectures a user can pick from the network panel (or the CLI).

Presets are plain data: input features and hidden layers. Applying one keeps the spec's class count, which
always follows the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from workbench.core.model.spec import LayerSpec, NetworkSpec, SpecError


@dataclass(frozen=True)
class Preset:
    """A named architecture; `apply` turns it into a spec for the current number of classes."""

    name: str
    label: str
    description: str
    features: tuple[str, ...]
    hidden: tuple[LayerSpec, ...]

    def apply(self, spec: NetworkSpec) -> NetworkSpec:
        return replace(spec, features=self.features, hidden=self.hidden).validate()


PRESETS: tuple[Preset, ...] = (
    Preset(
        "perceptron",
        "Perceptron / logistic regression",
        "No hidden layer: a linear decision boundary in the input features.",
        ("x", "y"),
        (),
    ),
    Preset(
        "one_hidden",
        "1 hidden layer",
        "One hidden layer of 8 tanh neurons: enough for most simple shapes.",
        ("x", "y"),
        (LayerSpec(8, "tanh"),),
    ),
    Preset(
        "deep_narrow",
        "Deep narrow",
        "Six hidden layers of 4 ReLU neurons: shows how depth composes simple pieces.",
        ("x", "y"),
        tuple(LayerSpec(4, "relu") for _ in range(6)),
    ),
    Preset(
        "playground",
        "Playground default",
        "Two hidden tanh layers of 4 and 2 neurons, like TensorFlow Playground's start page.",
        ("x", "y"),
        (LayerSpec(4, "tanh"), LayerSpec(2, "tanh")),
    ),
    Preset(
        "bottleneck",
        "2-unit bottleneck",
        "The last hidden layer has 2 neurons, so the hidden-space view shows exactly what the output sees.",
        ("x", "y"),
        (LayerSpec(8, "tanh"), LayerSpec(8, "tanh"), LayerSpec(2, "tanh")),
    ),
)


def get_preset(name: str) -> Preset:
    """Look a preset up by its short name; SpecError lists the valid names."""
    for preset in PRESETS:
        if preset.name == name:
            return preset
    raise SpecError(f"unknown preset {name!r}; choose from {', '.join(p.name for p in PRESETS)}")
