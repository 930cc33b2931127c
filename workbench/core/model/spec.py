"""Plain, serialisable descriptions of a network and of its training settings.

Specs hold names, not objects: activations, features and optimizers are registry keys, so a spec can be
written to a project file, compared, and undone like any other value. Validation happens in `validate()`,
which raises `SpecError` with a message a user can act on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from workbench.core import limits
from workbench.core.model.activations import ACTIVATION_INFO

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

#: Activation names in menu order, from the one registry (`activations`).
ACTIVATIONS: tuple[str, ...] = tuple(ACTIVATION_INFO)

OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "adam")

#: What the network learns: classes (softmax output, cross-entropy) or a number (one linear output, the
#: lecture's Euclidean loss mean ½(ŷ − y)²).
TASKS: tuple[str, ...] = ("classification", "regression")

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


#: Node numbers in links: 0 is the input features, 1..L the hidden layers, L + 1 the output.
INPUT_NODE = 0


@dataclass(frozen=True, order=True)
class Link:
    """An edge of the network graph besides the chain, between node numbers (see `INPUT_NODE`).

    In `NetworkSpec.connections` it is weighted: the target's Linear also reads the source's output through
    its own weight matrix. In `NetworkSpec.residuals` it has no weights: the source's output is added to the
    target's output (after the target's activation), which needs equal widths.
    """

    source: int
    target: int


@dataclass(frozen=True)
class InputScaling:
    """Standardization of the raw coordinates: the network sees ((x - mean_x) / std_x, (y - mean_y) / std_y).

    Part of the spec because it is part of the function: the weights were trained on scaled inputs, so
    spec + weights define the model only with these numbers. They are measured once, on the training points
    when standardization is switched on or the network is reset, and then stay frozen while points are edited.
    """

    mean: tuple[float, float] = (0.0, 0.0)
    std: tuple[float, float] = (1.0, 1.0)

    @classmethod
    def of_points(cls, points: Any) -> InputScaling:
        """Mean and standard deviation of (N, 2) points; a constant coordinate (or no points) keeps std 1."""
        import numpy as np

        array = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(array) == 0:
            return cls()
        mean = array.mean(axis=0)
        std = array.std(axis=0)
        std = np.where(std > 1e-12, std, 1.0)
        return cls((float(mean[0]), float(mean[1])), (float(std[0]), float(std[1])))

    def validate(self) -> InputScaling:
        import math

        if len(self.mean) != 2 or len(self.std) != 2:
            raise SpecError("input standardization needs a mean and a std for x and for y")
        if not all(math.isfinite(v) for v in (*self.mean, *self.std)) or min(self.std) <= 0:
            raise SpecError("input standardization needs finite means and positive standard deviations")
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, data: Any) -> InputScaling:
        try:
            mean = tuple(float(v) for v in data["mean"])
            std = tuple(float(v) for v in data["std"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"malformed input standardization: {exc}") from None
        return cls(mean, std).validate()  # type: ignore[arg-type]


#: Names of the input-scaling setting (CLI ``--standardize``, training panel).
INPUT_SCALINGS: tuple[str, ...] = ("none", "standardize")


@dataclass(frozen=True)
class NetworkSpec:
    """Input features, hidden layers, the number of classes and the extra links of the graph.

    Without links it is the chain features -> [Linear -> activation]* -> Linear -> softmax. With them, node j
    (a hidden layer or the output) computes z_j = Σ_{s ∈ sources(j)} W_{s→j} h_s + b_j, h_j = g_j(z_j) plus
    the outputs of its residual sources. Links only go forward, so a cycle cannot be written down.
    """

    features: tuple[str, ...] = ("x", "y")
    hidden: tuple[LayerSpec, ...] = (LayerSpec(8, "tanh"), LayerSpec(8, "tanh"))
    n_classes: int = 2
    connections: tuple[Link, ...] = ()
    residuals: tuple[Link, ...] = ()
    #: None = raw coordinates; otherwise the frozen statistics the inputs are standardized with.
    input_scaling: InputScaling | None = None
    #: "classification" (``n_classes`` softmax outputs) or "regression" (one linear output; ``n_classes`` is
    #: then ignored).
    task: str = "classification"

    @property
    def is_regression(self) -> bool:
        return self.task == "regression"

    @property
    def n_outputs(self) -> int:
        """Width of the output layer: one value for regression, one logit per class otherwise."""
        return 1 if self.task == "regression" else self.n_classes

    @property
    def layer_sizes(self) -> list[int]:
        """Widths from input to output, e.g. [2, 8, 8, 2]; index = node number."""
        return [len(self.features), *(layer.width for layer in self.hidden), self.n_outputs]

    @property
    def output_node(self) -> int:
        return len(self.hidden) + 1

    @property
    def is_chain(self) -> bool:
        return not self.connections and not self.residuals

    def sources(self, node: int) -> list[int]:
        """The nodes node's Linear reads, in the order of its weight rows: the previous node first, then
        the extra connections by ascending source."""
        extra = sorted(link.source for link in self.connections if link.target == node)
        return [node - 1, *extra]

    def residual_sources(self, node: int) -> list[int]:
        """The nodes whose outputs are added to node's output, ascending."""
        return sorted(link.source for link in self.residuals if link.target == node)

    def fan_in(self, node: int) -> int:
        """Inputs of node's Linear: the summed widths of its sources (without the bias)."""
        sizes = self.layer_sizes
        return sum(sizes[source] for source in self.sources(node))

    @property
    def n_parameters(self) -> int:
        sizes = self.layer_sizes
        return sum((self.fan_in(node) + 1) * sizes[node] for node in range(1, len(sizes)))

    def node_name(self, node: int) -> str:
        """``in``, ``1``..``L`` or ``out``: the names the command line and the project file use."""
        if node == INPUT_NODE:
            return "in"
        return "out" if node == self.output_node else str(node)

    def link_text(self, link: Link) -> str:
        return f"{self.node_name(link.source)}>{self.node_name(link.target)}"

    def with_hidden(self, hidden: tuple[LayerSpec, ...] | list[LayerSpec]) -> NetworkSpec:
        """New hidden layers; the links are kept only if the layer count stays (see `network_edits` for
        edits that renumber them)."""
        hidden = tuple(hidden)
        if len(hidden) != len(self.hidden):
            return replace(self, hidden=hidden, connections=(), residuals=())
        return replace(self, hidden=hidden)

    def with_links(self, connections: Iterable[Link] = (), residuals: Iterable[Link] = ()) -> NetworkSpec:
        return replace(self, connections=tuple(sorted(connections)), residuals=tuple(sorted(residuals)))

    def validate(self) -> NetworkSpec:
        if self.task not in TASKS:
            raise SpecError(f"unknown task {self.task!r}; choose from {', '.join(TASKS)}")
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
        self._validate_links()
        if self.input_scaling is not None:
            self.input_scaling.validate()
        return self

    def with_input_scaling(self, scaling: InputScaling | None) -> NetworkSpec:
        return replace(self, input_scaling=scaling)

    def _validate_links(self) -> None:
        sizes, out = self.layer_sizes, self.output_node
        for kind, links in (("connection", self.connections), ("residual link", self.residuals)):
            if len(set(links)) != len(links):
                raise SpecError(f"a {kind} is listed twice")
            for link in links:
                if not (0 <= link.source <= out and 0 <= link.target <= out):
                    raise SpecError(
                        f"{kind} {link.source}>{link.target}: the network has hidden layers 1 to "
                        f"{len(self.hidden)} (plus 'in' and 'out')"
                    )
                text = self.link_text(link)
                if link.source == out:
                    raise SpecError(f"{kind} {text}: nothing comes after the output")
                if link.target <= link.source:
                    raise SpecError(
                        f"{kind} {text}: links go forward, to a later layer (a network cannot feed back "
                        "into itself)"
                    )
                if kind == "connection" and link.target == link.source + 1:
                    raise SpecError(f"connection {text}: every layer already reads the one before it")
                if kind == "residual link" and sizes[link.source] != sizes[link.target]:
                    raise SpecError(
                        f"residual link {text}: it adds {sizes[link.source]} values to "
                        f"{sizes[link.target]}; a residual link needs equal widths (use a connection, "
                        "which has weights, instead)"
                    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "hidden": [layer.to_dict() for layer in self.hidden],
            "n_classes": self.n_classes,
            "task": self.task,
            "connections": [self.link_text(link) for link in self.connections],
            "residuals": [self.link_text(link) for link in self.residuals],
            **({"input_scaling": self.input_scaling.to_dict()} if self.input_scaling is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkSpec:
        """Build and validate a spec from `to_dict()` output (the link lists are optional: files written
        before graphs have none); raises SpecError on anything malformed."""
        try:
            features = tuple(str(f) for f in data["features"])
            hidden = tuple(
                LayerSpec(_strict_int(layer["width"]), str(layer["activation"])) for layer in data["hidden"]
            )
            n_classes = _strict_int(data["n_classes"])
            task = str(data.get("task", "classification"))  # files from before regression have none
            texts = {key: data.get(key, []) for key in ("connections", "residuals")}
            for key, value in texts.items():
                if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                    raise ValueError(f"{key} must be a list of texts like '1>3'")
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise SpecError(f"malformed network spec: {exc}") from None
        raw_scaling = data.get("input_scaling")  # optional: older files have raw inputs
        scaling = None if raw_scaling is None else InputScaling.from_dict(raw_scaling)
        spec = cls(features, hidden, n_classes, input_scaling=scaling, task=task)
        return spec.with_links(
            parse_links(",".join(texts["connections"]), len(hidden), "connection"),
            parse_links(",".join(texts["residuals"]), len(hidden), "residual link"),
        ).validate()


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


def parse_links(text: str, n_hidden: int, kind: str = "link") -> tuple[Link, ...]:
    """Parse the CLI's ``in>3,1>out`` into links for a network with ``n_hidden`` hidden layers.

    Only the syntax is checked here (names, numbers); `NetworkSpec.validate` checks direction and widths.
    """
    links = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            if text.strip():
                raise SpecError(f"empty {kind}: write links like in>3,1>out separated by single commas")
            continue
        source_text, arrow, target_text = part.partition(">")
        if not arrow:
            raise SpecError(f"{kind} {part!r}: write it as A>B, e.g. in>3 or 1>out")
        links.append(Link(_node(source_text, n_hidden, kind, part), _node(target_text, n_hidden, kind, part)))
    return tuple(links)


def _node(text: str, n_hidden: int, kind: str, part: str) -> int:
    text = text.strip().lower()
    if text == "in":
        return INPUT_NODE
    if text == "out":
        return n_hidden + 1
    try:
        number = int(text)
    except ValueError:
        raise SpecError(f"{kind} {part!r}: {text!r} is not 'in', 'out' or a hidden layer number") from None
    if not 1 <= number <= n_hidden:
        layers = f"1 to {n_hidden}" if n_hidden else "none"
        raise SpecError(f"{kind} {part!r}: there is no hidden layer {number} (hidden layers: {layers})")
    return number


def _strict_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(value)
