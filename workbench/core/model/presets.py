"""Ready-made network architectures a user can pick from the network panel (or the CLI).

Presets are plain data: input features, hidden layers and links (connections and residual links, written
like the command line's ``--connect`` / ``--residual``: ``in>3``, ``1>out``). Applying one keeps the spec's
class count, which always follows the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from workbench.core.model.spec import LayerSpec, NetworkSpec, SpecError, parse_links


@dataclass(frozen=True)
class Preset:
    """A named architecture; `apply` turns it into a spec for the current number of classes."""

    name: str
    label: str
    description: str
    features: tuple[str, ...]
    hidden: tuple[LayerSpec, ...]
    connections: str = ""  # e.g. "in>2,in>out"
    residuals: str = ""

    def apply(self, spec: NetworkSpec) -> NetworkSpec:
        n = len(self.hidden)
        links = (
            parse_links(self.connections, n, "connection"),
            parse_links(self.residuals, n, "residual link"),
        )
        return replace(spec, features=self.features, hidden=self.hidden).with_links(*links).validate()


#: "Deep narrow + skips": ten sigmoid layers of 8. As a chain the gradient fades through the sigmoids and
#: training stays at chance on the starting spiral; when every layer after the first also adds the output
#: of the one before it (residual links 1>2 ... 9>10), it reaches 91-98 % training accuracy within 3,500
#: steps of the default settings (seeds 0-4; tests/core/test_presets.py checks seed 0).
#: "Inputs to every layer" reaches 99-100 % within 500 steps (seeds 0-2); the same four layers as a chain
#: wobble between 63 and 97 % for 4,000 steps.
DEEP_SKIP_LAYERS = 10
DEEP_SKIP_WIDTH = 8


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
    Preset(
        "deep_skips",
        "Deep narrow + skips",
        f"{DEEP_SKIP_LAYERS} sigmoid layers of {DEEP_SKIP_WIDTH}; each layer after the first also adds the "
        "output of the one before it (residual links). Without the links the gradient fades through the "
        "layers and training stalls at chance; with them it trains. Click links away to compare.",
        ("x", "y"),
        tuple(LayerSpec(DEEP_SKIP_WIDTH, "sigmoid") for _ in range(DEEP_SKIP_LAYERS)),
        residuals=",".join(f"{i}>{i + 1}" for i in range(1, DEEP_SKIP_LAYERS)),
    ),
    Preset(
        "inputs_everywhere",
        "Inputs to every layer",
        "Four tanh layers of 6; every layer after the first and the output also read the input features "
        "through weights of their own (connections from 'in'), so deep layers need not pass x and y along. "
        "Learns the spiral in a few hundred steps.",
        ("x", "y"),
        tuple(LayerSpec(6, "tanh") for _ in range(4)),
        connections="in>2,in>3,in>4,in>out",
    ),
)


def get_preset(name: str) -> Preset:
    """Look a preset up by its short name; SpecError lists the valid names."""
    for preset in PRESETS:
        if preset.name == name:
            return preset
    raise SpecError(f"unknown preset {name!r}; choose from {', '.join(p.name for p in PRESETS)}")
