"""The lecture's F-pass and B-pass for one point (or the mean over a mini-batch), every number kept.

The backprop inspector and ``workbench backprop`` show what training computes, so this module recomputes it
in float64 with the engine's own activation and loss modules, node by node, keeping what the fused training
path throws away: z and g(z) of every neuron, the loss, δ = ∂L/∂z, the δ that arrives at a node through
each of its outgoing paths (a weighted connection hands back Wᵀδ, a residual link hands on ∂L/∂h
unchanged), ∂L/∂W and ∂L/∂b, and the update the current optimizer would make from them.

Layout of the numbers (the `workbench backprop --json` contract): one `LayerTrace` per Linear, node 1..L+1
(hidden layers, then the output). ``weight_grad`` has PyTorch's (out_features, in_features) layout. For a
node with extra connections the in_features are its sources side by side in `NetworkSpec.sources` order,
so ``weight_grad[:, rows]`` for the rows of source s (`source_blocks`) is exactly the gradient of the
exported tensor of that arrow: ``linear.{node}.weight`` for the previous layer, ``connections.{s}_to_{node}
.weight`` for an extra connection. For a chain it is simply the gradient of ``{index}.weight``.

Regression (``spec.is_regression``): the "labels" are target values, the output is the predicted value ŷ
(one linear neuron) and the loss the lecture's Euclidean module ½(ŷ − y)², so the output's δ is ŷ − y.

Mini-batch mode: the loss is the batch mean (as in training), δ and the gradients are of that mean, so the
per-neuron δ shown is Σ_i ∂L/∂z_i (= ∂L/∂b) and z, g(z) are batch means. `next_batch` reproduces the batch the
trainer draws next from its saved batch order, so the update shown is the very next training step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.core.model.activations import activation_info
from workbench.core.model.engine.modules import make_activation, make_loss
from workbench.core.model.features import compute_features
from workbench.core.model.spec import FEATURES, NetworkSpec, SpecError, TrainingSettings

Weights = Sequence[tuple[np.ndarray, np.ndarray]]

#: Loss name -> what the inspector calls it.
LOSS_LABELS = {"cross_entropy": "softmax + cross-entropy", "euclidean": "Euclidean ½‖ŷ − y‖²"}


class BackpropError(ValueError):
    """A point, label, batch or weights the trace cannot use; the message says what to change."""


@dataclass(frozen=True)
class Arrival:
    """The part of ∂L/∂h_node that comes back along one outgoing path of the node."""

    consumer: int
    kind: str  # "connection" (weighted: W_{node→consumer}ᵀ δ_consumer) or "residual" (∂L/∂h_consumer as is)
    value: np.ndarray  # (width,)


@dataclass(frozen=True)
class Update:
    """What the optimizer's next step does to one Linear (same layouts as the gradients)."""

    weight_step: np.ndarray  # (out, in): θ_new − θ
    bias_step: np.ndarray  # (out,)
    #: The optimizer's new state after this step, by the lecture's name: "Δ" (momentum), "m" and "v" (Adam).
    state: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerTrace:
    """Everything about one node's Linear (node 1..L+1); vectors are (width,), matrices (out, in)."""

    node: int
    name: str  # "1".."L" or "out"
    activation: str | None  # registry name; None for the output (logits)
    sources: tuple[int, ...]
    residual_sources: tuple[int, ...]
    weight: np.ndarray  # (out, in), the current weights in the export layout
    bias: np.ndarray
    z: np.ndarray
    a: np.ndarray  # g(z); for the output the softmax probabilities (the Euclidean loss: the outputs)
    h: np.ndarray  # what the node passes on: g(z) + residual sources (for the output: the logits z)
    slope: np.ndarray  # g'(z) (ones for the output)
    dh: np.ndarray  # ∂L/∂h, the sum of `arrivals` (for the output: ∂L/∂z)
    arrivals: tuple[Arrival, ...]
    delta: np.ndarray  # ∂L/∂z
    weight_grad: np.ndarray  # (out, in)
    bias_grad: np.ndarray
    update: Update | None = None

    @property
    def width(self) -> int:
        return len(self.z)


@dataclass(frozen=True)
class BackpropTrace:
    """The whole F-pass and B-pass of one point or one batch."""

    spec: NetworkSpec
    loss_name: str
    points: np.ndarray  # (B, 2)
    labels: np.ndarray  # (B,) class numbers (int64), or for regression the target values (float64)
    features: np.ndarray  # (F,) the inputs (batch: mean)
    feature_names: tuple[str, ...]
    loss: float
    layers: tuple[LayerTrace, ...]
    batch_note: str = ""  # where a batch came from ("" for one point)
    optimizer: str | None = None
    update_note: str = ""

    @property
    def batch_size(self) -> int:
        return len(self.points)

    @property
    def is_regression(self) -> bool:
        """True when `labels` are target values and the output is the predicted value."""
        return self.spec.is_regression

    def layer(self, node: int) -> LayerTrace:
        return self.layers[node - 1]

    def inputs_of(self, node: int) -> np.ndarray:
        """The in_features of node's Linear (its sources side by side; batch: mean)."""
        return np.concatenate([self.output_of(s) for s in self.spec.sources(node)])

    def output_of(self, node: int) -> np.ndarray:
        """h of a node (node 0: the features)."""
        return self.features if node == 0 else self.layers[node - 1].h

    def source_blocks(self, node: int) -> dict[int, slice]:
        """Source node -> its columns in node's (out, in) matrices."""
        sizes, start, out = self.spec.layer_sizes, 0, {}
        for source in self.spec.sources(node):
            out[source] = slice(start, start + sizes[source])
            start += sizes[source]
        return out

    def to_json(self, tensor_names: Mapping[int, Sequence[tuple[str, int]]] | None = None) -> dict[str, Any]:
        """The `workbench backprop --json` object. ``tensor_names`` (node -> (tensor key, rows) per block,
        from the export layout) adds ``weight_grad_tensors`` for nodes with extra connections."""
        layers = []
        for layer in self.layers:
            entry: dict[str, Any] = {
                "node": layer.name,
                "z": _floats(layer.z),
                "a": _floats(layer.a),
                "delta": _floats(layer.delta),
                "weight_grad": _floats(layer.weight_grad),
                "bias_grad": _floats(layer.bias_grad),
            }
            if layer.residual_sources:
                entry["h"] = _floats(layer.h)
            if tensor_names is not None and len(layer.sources) > 1:
                tensors, start = {}, 0
                for key, rows in tensor_names[layer.node]:
                    tensors[key] = _floats(layer.weight_grad[:, start : start + rows])
                    start += rows
                entry["weight_grad_tensors"] = tensors
            layers.append(entry)
        return {"loss": float(self.loss), "layers": layers}


def _floats(array: np.ndarray) -> Any:
    return np.asarray(array, dtype=np.float64).tolist()


# ------------------------------------------------------------------------------------------------ trace
def trace(
    spec: NetworkSpec,
    weights: Weights,
    points: np.ndarray,
    labels: np.ndarray | Sequence[float],
    *,
    loss: str | None = None,
    settings: TrainingSettings | None = None,
    optimizer_state: Mapping[str, Any] | None = None,
    batch_note: str = "",
) -> BackpropTrace:
    """F-pass and B-pass of the mean loss over ``points`` (B, 2) with integer ``labels`` (B,), or for a
    regression network their target values (B,). ``loss`` None is the task's loss (cross-entropy or, for
    regression, the Euclidean loss, the only one a regression network has).

    With ``settings`` each layer also gets the `Update` its optimizer would make (L2 included, as in
    training); ``optimizer_state`` is the trainer's saved state (`Trainer.optimizer_state()`), used when it
    belongs to that optimizer and network, else the state starts at zero (``update_note`` says which).
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    labels = np.asarray(labels).reshape(-1)
    if len(points) == 0:
        raise BackpropError("no points to trace")
    if len(labels) != len(points):
        raise BackpropError(f"{len(points)} points but {len(labels)} labels")
    if not np.all(np.isfinite(points)):
        raise BackpropError("the point must be two finite numbers")
    if loss is None:
        loss = "euclidean" if spec.is_regression else "cross_entropy"
    if loss not in LOSS_LABELS:
        raise SpecError(f"unknown loss {loss!r}; choose from {', '.join(LOSS_LABELS)}")
    if spec.is_regression:
        if labels.dtype.kind not in "iuf" or not np.all(np.isfinite(labels)):
            raise BackpropError("target values must be finite numbers")
        if loss != "euclidean":
            raise BackpropError("a regression network learns with the Euclidean loss ½(ŷ − y)²")
        labels = labels.astype(np.float64)
        target = labels.reshape(-1, 1)
    else:
        n_classes = spec.n_classes
        if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= n_classes:
            raise BackpropError(f"labels must be class numbers 0 to {n_classes - 1}")
        labels = labels.astype(np.int64)
        target = labels
    out = spec.output_node
    sizes = spec.layer_sizes
    if len(weights) != out:
        raise BackpropError(f"expected weights for {out} layers, got {len(weights)}")
    ws, bs = [], []
    for node, (w, b) in enumerate(weights, start=1):
        w, b = np.asarray(w, np.float64), np.asarray(b, np.float64)
        if w.shape != (spec.fan_in(node), sizes[node]) or b.shape != (sizes[node],):
            raise BackpropError(f"the weights of layer {spec.node_name(node)} do not fit the network")
        ws.append(w)
        bs.append(b)

    # F-pass, row-major (B, width), with the engine's modules.
    x = compute_features(points, spec.features, np.float64, spec.input_scaling)
    h: list[np.ndarray] = [x]
    zs, acts, slopes = [], [], []
    for node in range(1, out + 1):
        inputs = np.concatenate([h[s] for s in spec.sources(node)], axis=1)
        z = inputs @ ws[node - 1] + bs[node - 1]
        if node < out:
            module = make_activation(spec.hidden[node - 1].activation)
            a = module.forward(z)
            slope = module.backward(np.ones_like(z))
            value = a + sum((h[r] for r in spec.residual_sources(node)), np.zeros_like(a))
        else:
            a, slope, value = z, np.ones_like(z), z
        zs.append(z)
        acts.append(a)
        slopes.append(slope)
        h.append(value)
    loss_module = make_loss(loss)
    loss_value = loss_module.forward(zs[-1], target)
    if loss == "cross_entropy":
        acts[-1] = loss_module._p  # the probabilities the loss computed (stable softmax)
    dlogits = loss_module.backward()

    # B-pass: δ of each node from what its consumers hand back, per path.
    dh: list[np.ndarray | None] = [None] * (out + 1)
    deltas: list[np.ndarray | None] = [None] * (out + 1)
    arrivals: list[list[tuple[int, str, np.ndarray]]] = [[] for _ in range(out + 1)]
    dh[out] = dlogits
    for node in range(out, 0, -1):
        parts = arrivals[node]
        if node < out:
            dh[node] = np.sum([p for _, _, p in parts], axis=0)
        delta = dh[node] * slopes[node - 1]  # type: ignore[operator]
        deltas[node] = delta
        start = 0
        for source in spec.sources(node):
            rows = slice(start, start + sizes[source])
            start += sizes[source]
            if source:
                arrivals[source].append((node, "connection", delta @ ws[node - 1][rows].T))
        for source in spec.residual_sources(node):
            if source:
                arrivals[source].append((node, "residual", dh[node]))

    # Gradients, updates, and the per-layer records (batch: sums of per-point δ carry the 1/B of the mean).
    update_plan = _UpdatePlan(spec, settings, optimizer_state) if settings is not None else None
    layers = []
    for node in range(1, out + 1):
        inputs = np.concatenate([h[s] for s in spec.sources(node)], axis=1)
        delta = deltas[node]
        weight_grad = (inputs.T @ delta).T  # (out, in)
        bias_grad = delta.sum(axis=0)
        weight = ws[node - 1].T
        layers.append(
            LayerTrace(
                node=node,
                name=spec.node_name(node),
                activation=spec.hidden[node - 1].activation if node < out else None,
                sources=tuple(spec.sources(node)),
                residual_sources=tuple(spec.residual_sources(node)),
                weight=weight,
                bias=bs[node - 1],
                z=zs[node - 1].mean(axis=0),
                a=acts[node - 1].mean(axis=0),
                h=h[node].mean(axis=0),
                slope=slopes[node - 1].mean(axis=0),
                dh=dh[node].sum(axis=0),  # type: ignore[union-attr]
                arrivals=tuple(Arrival(c, kind, v.sum(axis=0)) for c, kind, v in arrivals[node]),
                delta=bias_grad.copy(),
                weight_grad=weight_grad,
                bias_grad=bias_grad,
                update=None
                if update_plan is None
                else update_plan.layer(node, weight, bs[node - 1], weight_grad, bias_grad),
            )
        )
    return BackpropTrace(
        spec=spec,
        loss_name=loss,
        points=points,
        labels=labels,
        features=x.mean(axis=0),
        feature_names=tuple(FEATURES[f] for f in spec.features),
        loss=float(loss_value),
        layers=tuple(layers),
        batch_note=batch_note,
        optimizer=None if settings is None else settings.optimizer,
        update_note="" if update_plan is None else update_plan.note,
    )


class _UpdatePlan:
    """The optimizer's step per layer from the gradients (the formulas of `engine.optimizers`)."""

    def __init__(
        self, spec: NetworkSpec, settings: TrainingSettings, state: Mapping[str, Any] | None
    ) -> None:
        self.settings = settings
        sizes = spec.layer_sizes
        self.offsets, offset = {}, 0
        for node in range(1, spec.output_node + 1):
            rows, cols = spec.fan_in(node) + 1, sizes[node]
            self.offsets[node] = (offset, rows, cols)
            offset += rows * cols
        total = offset
        names = {"sgd": (), "momentum": ("velocity",), "adam": ("m", "v")}[settings.optimizer]
        self.flat: dict[str, np.ndarray] = {}
        self.t = 0
        usable = (
            state is not None
            and state.get("name") == settings.optimizer
            and all(np.shape(state.get(f"{n}.all", ())) == (total,) for n in names)
        )
        if usable:
            self.flat = {n: np.asarray(state[f"{n}.all"], np.float64) for n in names}  # type: ignore[index]
            self.t = int(state.get("t", 0))  # type: ignore[union-attr]
            self.note = f"the optimizer's state after {self.t:,} steps" if names else ""
        else:
            self.flat = {n: np.zeros(total) for n in names}
            self.note = "no saved optimizer state: it starts at zero" if names else ""

    def _state(self, name: str, node: int) -> tuple[np.ndarray, np.ndarray]:
        offset, rows, cols = self.offsets[node]
        block = self.flat[name][offset : offset + rows * cols].reshape(rows, cols)
        return block[:-1].T, block[-1]

    def layer(
        self, node: int, weight: np.ndarray, bias: np.ndarray, weight_grad: np.ndarray, bias_grad: np.ndarray
    ) -> Update:
        s = self.settings
        lr = s.learning_rate
        gw = weight_grad + s.l2 * weight if s.l2 > 0 else weight_grad  # L2 on weights only, as in training
        gb = bias_grad
        if s.optimizer == "sgd":
            return Update(-lr * gw, -lr * gb)
        if s.optimizer == "momentum":
            vw, vb = self._state("velocity", node)
            vw, vb = s.momentum * vw + gw, s.momentum * vb + gb
            return Update(-lr * vw, -lr * vb, {"Δ": (vw, vb)})
        (mw, mb), (qw, qb) = self._state("m", node), self._state("v", node)
        b1, b2, t = s.beta1, s.beta2, self.t + 1
        mw, mb = b1 * mw + (1 - b1) * gw, b1 * mb + (1 - b1) * gb
        qw, qb = b2 * qw + (1 - b2) * gw * gw, b2 * qb + (1 - b2) * gb * gb
        c1, c2 = 1 - b1**t, 1 - b2**t
        eps = 1e-8

        def step(m: np.ndarray, v: np.ndarray) -> np.ndarray:
            return -lr * (m / c1) / (np.sqrt(v / c2) + eps)

        return Update(step(mw, qw), step(mb, qb), {"m": (mw, mb), "v": (qw, qb)})


# ------------------------------------------------------------------------------------------------ batches
def next_batch(
    train_indices: np.ndarray, batch_size: int | None, shuffle_state: Mapping[str, Any] | None
) -> np.ndarray | None:
    """The indices of the mini-batch the trainer draws next from its saved batch order
    (`Trainer.shuffle_state()`), or None when there is no usable state."""
    train_indices = np.asarray(train_indices, dtype=np.intp)
    n = len(train_indices)
    if shuffle_state is None or n == 0:
        return None
    try:
        rng = np.random.default_rng()
        rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int(shuffle_state["state"], 16), "inc": int(shuffle_state["inc"], 16)},
            "has_uint32": int(shuffle_state["has_uint32"]),
            "uinteger": int(shuffle_state["uinteger"]),
        }
        position = int(shuffle_state["position"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    size = min(batch_size or n, n)
    perm = train_indices[rng.permutation(n)]
    if position < 0:
        position = 0
    elif position >= n:
        perm, position = train_indices[rng.permutation(n)], 0
    return perm[position : position + size]


def seeded_batch(train_indices: np.ndarray, batch_size: int | None, seed: int) -> np.ndarray:
    """A reproducible batch of the batch size (the full set for 'all'), when the trainer's is not known."""
    train_indices = np.asarray(train_indices, dtype=np.intp)
    n = len(train_indices)
    size = min(batch_size or n, n)
    rng = np.random.default_rng([int(seed) % 2**63, 14])
    return np.sort(train_indices[rng.choice(n, size, replace=False)])


# ------------------------------------------------------------------------------------------------ the walk
@dataclass(frozen=True)
class WalkStep:
    """One step of the lecture's walk: what the diagram shows and the sentence above it."""

    kind: str  # "forward", "loss", "backward", "gradients", "update"
    node: int | None  # the node this step is about (forward/backward), else None
    title: str


def walk(trace_: BackpropTrace) -> list[WalkStep]:
    """Forward node by node, the loss, δ node by node backwards, all gradients, the optimizer's update."""
    spec = trace_.spec
    out = spec.output_node
    steps = []
    for node in range(1, out + 1):
        output = "the predicted value ŷ" if spec.is_regression else "the logits z"
        what = output if node == out else f"z and g(z) of layer {node}"
        steps.append(WalkStep("forward", node, f"F-pass {node}/{out}: {what}"))
    steps.append(WalkStep("loss", out, f"Loss: {LOSS_LABELS[trace_.loss_name]} = {trace_.loss:.4g}"))
    for i, node in enumerate(range(out, 0, -1), start=1):
        name = "the output" if node == out else f"layer {node}"
        steps.append(WalkStep("backward", node, f"B-pass {i}/{out}: δ = ∂L/∂z of {name}"))
    steps.append(WalkStep("gradients", None, "Gradients: ∂L/∂w on every edge, ∂L/∂b on every neuron"))
    if trace_.optimizer is not None:
        steps.append(WalkStep("update", None, f"Update: what {OPTIMIZER_LABELS[trace_.optimizer]} does next"))
    return steps


OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "momentum", "adam": "Adam"}


# ------------------------------------------------------------------------------------------------ formulas
def fmt(value: float) -> str:
    """A number as the inspector prints it: 4 significant digits, a real minus sign."""
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.4g}"
    if "e" not in text and abs(value) >= 1e-4:
        text = f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 1000 else text
    return text.replace("-", "−")


def top_neurons(values: np.ndarray, k: int) -> list[int]:
    """Indices of the k largest |values| (all of them, in order, when there are at most k)."""
    values = np.asarray(values)
    if len(values) <= k:
        return list(range(len(values)))
    order = np.argsort(-np.abs(values), kind="stable")[:k]
    return sorted(int(i) for i in order)


def _factor(value: float) -> str:
    """A number inside a product: negative ones in parentheses."""
    text = fmt(value)
    return f"({text})" if text.startswith("−") else text


def _terms(weights: np.ndarray, inputs: np.ndarray, limit: int = 4) -> str:
    order = top_neurons(weights * inputs, limit)
    parts = [f"{_factor(weights[i])}·{_factor(inputs[i])}" for i in order]
    more = len(weights) - len(order)
    return " + ".join(parts) + (f" + … ({more} more)" if more > 0 else "")


def formulas(trace_: BackpropTrace, step: WalkStep, neuron: int | None = None) -> list[str]:
    """The modules' formulas with live numbers for one neuron of the step's node (default: largest |δ|)."""
    spec = trace_.spec
    out = spec.output_node
    mean = " (batch means)" if trace_.batch_size > 1 else ""
    if step.kind in ("gradients", "update"):
        return _gradient_lines(trace_, step)
    node = step.node or out
    layer = trace_.layer(node)
    k = neuron if neuron is not None and 0 <= neuron < layer.width else top_neurons(layer.delta, 1)[0]
    label = f"{layer.name}.{k + 1}"  # neurons count from 1, as the diagram's hover texts do
    inputs = trace_.inputs_of(node)
    lines = []
    if step.kind == "forward":
        lines.append(
            f"Linear{mean}: z_{label} = Σ_i w_i·x_i + b = {_terms(layer.weight[k], inputs)} + "
            f"{fmt(layer.bias[k])} = {fmt(layer.z[k])}"
        )
        if node < out:
            info = activation_info(layer.activation or "linear")
            lines.append(
                f"{info.label} with bias: a = {info.formula.split('=')[0].strip()} → "
                f"g({fmt(layer.z[k])}) = {fmt(layer.a[k])},  g'(z) = {fmt(layer.slope[k])}"
            )
            if layer.residual_sources:
                names = ", ".join(spec.node_name(r) for r in layer.residual_sources)
                lines.append(f"Residual add: h = g(z) + h_{{{names}}} = {fmt(layer.h[k])}")
        elif trace_.is_regression:
            lines.append("Output: the predicted value ŷ = z, linear (no activation, no softmax)")
        else:
            lines.append("Output: the logits z, no activation; softmax turns them into probabilities")
        return lines
    if step.kind == "loss":
        return _loss_lines(trace_)
    # backward
    if node == out:
        if trace_.is_regression:
            sign = " (÷B, summed over the batch)" if trace_.batch_size > 1 else ""
            lines.append(
                f"Euclidean: δ_{label} = ŷ − y = {fmt(layer.a[k])} − {fmt(float(np.mean(trace_.labels)))} = "
                f"{fmt(layer.delta[k])}{sign}"
            )
        elif trace_.loss_name == "cross_entropy":
            lines.append(
                f"Softmax + cross-entropy: δ_{label} = p_{k} − [y = {k}] = {fmt(layer.a[k])} − "
                f"{fmt(float(np.mean(trace_.labels == k)))} = {fmt(layer.delta[k])}"
                + (" (÷B, summed over the batch)" if trace_.batch_size > 1 else "")
            )
        else:
            lines.append(f"Euclidean: δ_{label} = ŷ_{k} − y_{k} = {fmt(layer.delta[k])}")
        return lines
    parts = []
    for arrival in layer.arrivals:
        via = "Wᵀδ" if arrival.kind == "connection" else "residual, passed on as is"
        parts.append(f"from {spec.node_name(arrival.consumer)} ({via}) {fmt(arrival.value[k])}")
    lines.append(f"δ arriving at h_{label}: " + " + ".join(parts) + f" = ∂L/∂h = {fmt(layer.dh[k])}")
    lines.append(
        f"Through g: δ_{label} = g'(z)·∂L/∂h = {_factor(layer.slope[k])}·{_factor(layer.dh[k])} = "
        f"{fmt(layer.delta[k])}"
    )
    return lines


def _loss_lines(trace_: BackpropTrace) -> list[str]:
    last = trace_.layers[-1]
    batch = trace_.batch_size
    if trace_.is_regression:
        if batch == 1:
            y, y_hat = float(trace_.labels[0]), float(last.a[0])
            return [f"Euclidean: L = ½(ŷ − y)² = ½({fmt(y_hat)} − {_factor(y)})² = {fmt(trace_.loss)}"]
        return [f"Euclidean: L = mean over {batch} points of ½(ŷ − y)² = {fmt(trace_.loss)}"]
    if trace_.loss_name == "cross_entropy":
        if batch == 1:
            c = int(trace_.labels[0])
            return [
                "Softmax: p_c = e^{z_c} / Σ_j e^{z_j} = "
                + ", ".join(fmt(p) for p in last.a[:6])
                + (" …" if len(last.a) > 6 else ""),
                f"Cross-entropy: L = −log p_label = −log {fmt(last.a[c])} = {fmt(trace_.loss)}",
            ]
        return [f"Cross-entropy: L = mean over {batch} points of −log p_label = {fmt(trace_.loss)}"]
    return [f"Euclidean: L = mean ½‖ŷ − onehot(y)‖² = {fmt(trace_.loss)}"]


def _gradient_lines(trace_: BackpropTrace, step: WalkStep) -> list[str]:
    lines = []
    for layer in trace_.layers:
        r, c = np.unravel_index(int(np.argmax(np.abs(layer.weight_grad))), layer.weight_grad.shape)
        x = trace_.inputs_of(layer.node)[c]
        if step.kind == "gradients":
            batch = " (Σ over the batch)" if trace_.batch_size > 1 else ""
            lines.append(
                f"layer {layer.name}: ∂L/∂w = x·δ{batch}, largest {_factor(x)}·{_factor(layer.delta[r])} = "
                f"{fmt(layer.weight_grad[r, c])};  ∂L/∂b = δ, "
                f"‖∂L/∂b‖ = {fmt(float(np.linalg.norm(layer.bias_grad)))}"
            )
        elif layer.update is not None:
            lines.append(_update_line(trace_, layer, int(r), int(c)))
    if step.kind == "update" and trace_.update_note:
        lines.append(trace_.update_note)
    return lines


def _update_line(trace_: BackpropTrace, layer: LayerTrace, r: int, c: int) -> str:
    """The update of the layer's weight with the largest gradient, with the optimizer's own formula."""
    update = layer.update
    assert update is not None
    g = fmt(layer.weight_grad[r, c])
    w = layer.weight[r, c]
    step = update.weight_step[r, c]
    moved = f"w {fmt(w)} → {fmt(w + step)} (step {fmt(step)})"
    if trace_.optimizer == "momentum":
        d = fmt(update.state["Δ"][0][r, c])
        return f"layer {layer.name}: Δ ← μΔ + g = {d},  w ← w − ηΔ: {moved}"
    if trace_.optimizer == "adam":
        m, v = fmt(update.state["m"][0][r, c]), fmt(update.state["v"][0][r, c])
        return f"layer {layer.name}: g = {g}, m = {m}, v = {v},  w ← w − η·m̂/(√v̂ + ε): {moved}"
    return f"layer {layer.name}: w ← w − η·g with g = {g}: {moved}"
