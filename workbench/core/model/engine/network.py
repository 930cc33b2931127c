"""A network from a `NetworkSpec`: a DAG of modules, run forward in node order and backward in reverse.

Nodes are numbered as in the spec: 0 = input features, 1..L hidden layers, L + 1 = output. Node j reads
its sources (``spec.sources(j)``: the previous node first, then extra connections) through one Linear,
applies its activation (none for the output: logits) and adds the outputs of its residual sources:

    h_j = g_j(W_j^T [h_s for s in sources(j)] + b_j) + Σ_{r in residual_sources(j)} h_r

A chain (no links) is the classic features -> [Linear -> activation]* -> Linear -> softmax; zero hidden
layers is logistic regression. Node numbers go forward, so 1..L+1 is a topological order.

Weights: one (W, b) per node 1..L+1, W of shape (spec.fan_in(j), width_j) whose rows are the blocks of
``spec.sources(j)`` stacked in that order (`source_slices`). Node j is initialised from ``(seed, j - 1)``
alone (so one layer can be re-initialised without disturbing the others) with fan_in = spec.fan_in(j):
Xavier/Glorot uniform where the registry says ``xavier`` (and for the output), He normal for ``he``;
biases start at zero. A node that adds residual links starts with its W scaled by 1/sqrt(R), R = the
number of residual links in the network: each residual sum adds its block's variance to what it passes on,
so unscaled He-initialised ReLU blocks grow the signal ~2x per link (10 layers of 8 with links 1>2 ... 9>10
reached values ~250 and stayed at chance); scaled, the sum stays near unit scale and the same net trains to
92-99 % on the starting spiral. A chain therefore initialises exactly as before graphs existed.

All parameters live in one flat vector (``flat_params``) and all gradients in another (``flat_grads``);
each Linear's W and b are views into them. Optimisers and L2 therefore touch every parameter with a few
numpy calls, which is what makes small networks fast.

Two ways through the same modules:

- the textbook one (`forward`, `backward`, `loss_and_gradients`) on row-major (N, F) arrays, allocating
  freely: what the gradient checks and readers use;
- the fused one (`Workspace`, `compute_gradients`, `iter_forward`): feature-major buffers allocated once,
  the bias folded into each matmul, every module called with ``out=``. Training uses it, and so does every
  inference (`node_outputs`, `layer_outputs`, `predict_proba`, the views): one forward path.

Conventions: the data loss is the cross-entropy **averaged over the mini-batch**; L2 adds
(λ/2)·Σ‖W‖² over weight matrices only, not biases (so its gradient is λ·W). Training runs in float32 by
default; ``dtype=np.float64`` is supported (gradient checks use it).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from workbench.core.model.activations import activation_info
from workbench.core.model.engine.modules import (
    Activation,
    Concat,
    Linear,
    ResidualAdd,
    make_activation,
    make_loss,
    one_hot,
)
from workbench.core.model.features import compute_features
from workbench.core.model.spec import NetworkSpec

Weights = list[tuple[np.ndarray, np.ndarray]]

#: Points per chunk of an inference pass: the chunk's buffers stay in the CPU cache.
INFERENCE_CHUNK = 4096


def source_slices(spec: NetworkSpec, node: int) -> dict[int, slice]:
    """Source node -> the rows of node's W that read it (in ``spec.sources(node)`` order)."""
    sizes = spec.layer_sizes
    slices, start = {}, 0
    for source in spec.sources(node):
        slices[source] = slice(start, start + sizes[source])
        start += sizes[source]
    return slices


def kept_layers(old: NetworkSpec, new: NetworkSpec) -> list[int]:
    """0-based indices of the Linear layers of ``new`` that `Network.copy_fitting_layers` fills entirely from
    a network of ``old`` (no fresh random values): same node width, and every source either read by the
    old node with the same width, or new (its block starts at zero). Lets an editor say in advance which
    layers a change re-initialises, without building networks."""
    old_sizes, new_sizes = old.layer_sizes, new.layer_sizes
    kept = []
    for node in range(1, min(old.output_node, new.output_node) + 1):
        if old_sizes[node] != new_sizes[node]:
            continue
        old_sources = set(old.sources(node))
        if all(s not in old_sources or old_sizes[s] == new_sizes[s] for s in new.sources(node)):
            kept.append(node - 1)
    return kept


class Network:
    """The model: a Linear per node, hidden activations, merges, residual adds, softmax + cross-entropy."""

    def __init__(
        self,
        spec: NetworkSpec,
        seed: int = 0,
        dtype: np.dtype | type = np.float32,
        loss: str | None = None,
    ) -> None:
        self.spec = spec.validate()
        self.dtype = np.dtype(dtype)
        self.seed = int(seed)
        sizes = spec.layer_sizes
        self.output_node = spec.output_node
        nodes = range(1, self.output_node + 1)
        #: Indexed by node number (entry 0, the input, reads nothing).
        self.sources: list[list[int]] = [[], *(spec.sources(node) for node in nodes)]
        self.residual_sources: list[list[int]] = [[], *(spec.residual_sources(node) for node in nodes)]
        shapes = [(spec.fan_in(node) + 1, sizes[node]) for node in nodes]
        total = sum(rows * cols for rows, cols in shapes)
        self.flat_params = np.zeros(total, dtype=self.dtype)
        self.flat_grads = np.zeros(total, dtype=self.dtype)
        #: 1 for entries of weight matrices, 0 for biases: L2 is λ·weight_mask·θ on the flat vector.
        self.weight_mask = np.zeros(total, dtype=self.dtype)
        #: layers[j - 1] is node j's Linear.
        self.layers: list[Linear] = []
        offset = 0
        for rows, cols in shapes:
            end = offset + rows * cols
            wb = self.flat_params[offset:end].reshape(rows, cols)
            grad_wb = self.flat_grads[offset:end].reshape(rows, cols)
            self.layers.append(Linear(rows - 1, cols, self.dtype, wb, grad_wb))
            self.weight_mask[offset : end - cols] = 1
            offset = end
        #: activations[j - 1] is hidden node j's activation (the output has none).
        self.activations: list[Activation] = [make_activation(layer.activation) for layer in spec.hidden]
        self.merges = [Concat() for _ in nodes]
        self.adds = [ResidualAdd() for _ in nodes]
        #: Softmax + cross-entropy for classification, the Euclidean loss for regression (the default by
        #: task); ``loss="euclidean"`` on a classifier trains the logits towards the one-hot targets. Both
        #: have the fused `forward_backward` of the hot path.
        if loss is None:
            loss = "euclidean" if spec.is_regression else "cross_entropy"
        self.loss = make_loss(loss)
        self._workspaces: dict[int, Workspace] = {}
        self._inference: Workspace | None = None
        for index in range(len(self.layers)):
            self.initialize_layer(index, self.seed)

    # ------------------------------------------------------------------------------------ parameters
    @property
    def params(self) -> dict[str, np.ndarray]:
        """``layer1.W``, ``layer1.b``, ... (views into `flat_params`; layer j = node j)."""
        return {f"layer{i}.{k}": v for i, layer in enumerate(self.layers, 1) for k, v in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """Same keys as `params` (views into `flat_grads`)."""
        return {f"layer{i}.{k}": v for i, layer in enumerate(self.layers, 1) for k, v in layer.grads.items()}

    @property
    def n_parameters(self) -> int:
        return len(self.flat_params)

    def initialize_layer(self, index: int, seed: int) -> None:
        """(Re-)initialise layer ``index`` (0-based, = node index + 1) from ``(seed, index)``; see the module
        docstring."""
        layer = self.layers[index]
        hidden = self.spec.hidden
        activation = hidden[index].activation if index < len(hidden) else "linear"
        rng = np.random.default_rng([index, seed % 2**63])
        fan_in, fan_out = layer.in_features, layer.out_features
        if activation_info(activation).initialization == "he":
            values = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        else:
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            values = rng.uniform(-limit, limit, size=(fan_in, fan_out))
        if self.spec.residual_sources(index + 1):
            values /= math.sqrt(len(self.spec.residuals))
        layer.W[...] = values
        layer.b[...] = 0

    def get_weights(self) -> Weights:
        """Copies of ``(W (fan_in, out), b (out,))`` per node 1..L+1 (see the module docstring)."""
        return [(layer.W.copy(), layer.b.copy()) for layer in self.layers]

    def set_weights(self, weights: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        """Copy weights in after checking every shape; ValueError names the first layer that does not fit."""
        if len(weights) != len(self.layers):
            raise ValueError(f"expected weights for {len(self.layers)} layers, got {len(weights)}")
        checked = []
        for i, (pair, layer) in enumerate(zip(weights, self.layers, strict=True), 1):
            try:
                w, b = pair
            except (TypeError, ValueError):
                raise ValueError(f"layer {i}: expected a (W, b) pair") from None
            w, b = np.asarray(w), np.asarray(b)
            if w.shape != layer.W.shape:
                raise ValueError(f"layer {i}: W has shape {w.shape}, expected {layer.W.shape}")
            if b.shape != layer.b.shape:
                raise ValueError(f"layer {i}: b has shape {b.shape}, expected {layer.b.shape}")
            checked.append((w, b))
        for (w, b), layer in zip(checked, self.layers, strict=True):
            layer.W[...] = w
            layer.b[...] = b

    def copy_fitting_layers(self, other: Network) -> list[int]:
        """Take over ``other``'s weights wherever they still fit, block by block (for a changed spec).

        Node j (by number) of both networks with the same width keeps its bias and the weight block of
        every source that both have with the same width. A source that ``other``'s node j did not read (a
        connection the user just added) gets a block of **zeros**: the network then computes exactly what
        it computed before, and the new weights grow from there with training, instead of the function
        jumping when a link is added mid-training. (Adding a residual link cannot be made smooth: it has no
        weights.) A source whose width changed keeps its fresh random block.

        Returns the 0-based indices of the layers that start from no fresh random values at all
        (`kept_layers`).
        """
        mine_sizes, their_sizes = self.spec.layer_sizes, other.spec.layer_sizes
        for node in range(1, min(self.output_node, other.output_node) + 1):
            layer, theirs = self.layers[node - 1], other.layers[node - 1]
            if layer.out_features != theirs.out_features:
                continue
            their_rows = source_slices(other.spec, node)
            for source, rows in source_slices(self.spec, node).items():
                old = their_rows.get(source)
                if old is None:
                    layer.W[rows] = 0
                elif mine_sizes[source] == their_sizes[source]:
                    layer.W[rows] = theirs.W[old]
            layer.b[...] = theirs.b
        return kept_layers(other.spec, self.spec)

    @classmethod
    def from_weights(
        cls,
        spec: NetworkSpec,
        weights: Sequence[tuple[np.ndarray, np.ndarray]],
        dtype: np.dtype | type = np.float32,
    ) -> Network:
        """A network holding the given weights (ValueError naming the layer if they do not fit)."""
        network = cls(spec, 0, dtype)
        network.set_weights(weights)
        return network

    # --------------------------------------------------------------------------- textbook forward/backward
    def features(self, points: np.ndarray) -> np.ndarray:
        return compute_features(points, self.spec.features, self.dtype, self.spec.input_scaling)

    def forward(self, features: np.ndarray) -> np.ndarray:
        """Logits (N, C) of a feature matrix (N, F); every module caches what its backward needs."""
        h = [np.asarray(features, dtype=self.dtype)]
        out = self.output_node
        for node in range(1, out + 1):
            x = self.merges[node - 1].forward([h[s] for s in self.sources[node]])
            value = self.layers[node - 1].forward(x)
            if node < out:
                value = self.activations[node - 1].forward(value)
            residual = self.residual_sources[node]
            if residual:
                value = self.adds[node - 1].forward([value, *(h[r] for r in residual)])
            h.append(value)
        return h[out]

    def backward(self, dlogits: np.ndarray) -> None:
        """Backpropagate ∂L/∂logits through the modules cached by `forward` in reverse node order, filling
        `flat_grads`; a node's gradient is the sum of what each of its consumers hands back."""
        out = self.output_node
        grads: list[np.ndarray | None] = [None] * (out + 1)
        grads[out] = dlogits

        def add(node: int, grad: np.ndarray) -> None:
            if node:  # nothing needs the gradient of the input features
                previous = grads[node]
                grads[node] = grad if previous is None else previous + grad

        for node in range(out, 0, -1):
            g = grads[node]
            assert g is not None  # every node feeds the next one
            residual = self.residual_sources[node]
            if residual:
                for source, part in zip(residual, self.adds[node - 1].backward(g)[1:], strict=True):
                    add(source, part)
            if node < out:
                g = self.activations[node - 1].backward(g)
            dx = self.layers[node - 1].backward(g)
            for source, part in zip(self.sources[node], self.merges[node - 1].backward(dx), strict=True):
                add(source, part)

    def loss_and_gradients(self, features: np.ndarray, labels: np.ndarray, l2: float = 0.0) -> float:
        """Mean data loss + (λ/2)·Σ‖W‖² for a batch; fills `flat_grads` (= `grads`) with its gradient.

        ``labels`` are class numbers (B,) for classification, target values (B,) or (B, 1) for regression.
        """
        target = np.asarray(labels)
        if self.spec.is_regression:
            target = target.reshape(-1, 1).astype(self.dtype)
        loss = self.loss.forward(self.forward(features), target)
        self.backward(self.loss.backward())
        if l2:
            theta = self.flat_params * self.weight_mask
            loss += 0.5 * l2 * float(np.dot(theta, theta))
            self.flat_grads += l2 * theta
        return loss

    # --------------------------------------------------------------------------------------- inference
    def iter_forward(
        self,
        points: np.ndarray | None = None,
        *,
        features_t: np.ndarray | None = None,
        last: int | None = None,
        chunk: int = INFERENCE_CHUNK,
    ) -> Iterator[tuple[int, int, Workspace]]:
        """The one inference pass: nodes 0..``last`` (default: the output) chunk by chunk, feature-major.

        Give raw (N, 2) ``points`` or a feature-major (F, N) ``features_t``. Yields ``(start, rows,
        workspace)``; ``workspace.value(node)[:, :rows]`` is node's output (width, rows) for points
        start..start+rows (logits for the output node). The buffers are reused: use them before the next
        chunk, and give each thread its own network. Runs the same modules and buffer layout as training
        (`Workspace.forward`).
        """
        last = self.output_node if last is None else int(last)
        n = len(points) if points is not None else features_t.shape[1]  # type: ignore[union-attr]
        if n == 0:
            return
        size = max(1, min(int(chunk), n))
        workspace = self._inference
        if workspace is None or workspace.batch_size != size:
            workspace = self._inference = Workspace(self, size, training=False)
        n_features = len(self.spec.features)
        target = workspace.batch[:n_features]
        for start in range(0, n, size):
            rows = min(size, n - start)
            if points is not None:
                target[:, :rows] = self.features(points[start : start + rows]).T
            else:
                target[:, :rows] = features_t[:, start : start + rows]  # type: ignore[index]
            workspace.forward(last)
            yield start, rows, workspace

    def node_outputs(
        self,
        points: np.ndarray | None = None,
        nodes: Sequence[int] | None = None,
        *,
        features_t: np.ndarray | None = None,
        logits: bool = False,
        chunk: int = INFERENCE_CHUNK,
    ) -> list[np.ndarray]:
        """Outputs (N, width) of the given nodes (default: all, 0..L+1), computing only up to the last one
        asked for. Node 0 is the features, hidden nodes are after activation and residual adds, the output
        node gives class probabilities (or its logits with ``logits=True``); for regression it gives the
        predicted values (N, 1) either way."""
        nodes = list(range(self.output_node + 1)) if nodes is None else [int(node) for node in nodes]
        sizes = self.spec.layer_sizes
        n = len(points) if points is not None else features_t.shape[1]  # type: ignore[union-attr]
        results = [np.empty((n, sizes[node]), dtype=self.dtype) for node in nodes]
        for start, rows, workspace in self.iter_forward(
            points, features_t=features_t, last=max(nodes), chunk=chunk
        ):
            for result, node in zip(results, nodes, strict=True):
                result[start : start + rows] = workspace.value(node)[:, :rows].T
        if not logits and self.output_node in nodes and not self.spec.is_regression:
            index = nodes.index(self.output_node)
            results[index] = softmax(results[index])
        return results

    def layer_outputs(self, points: np.ndarray) -> list[np.ndarray]:
        """``[features, h_1, ..., h_L, probabilities]``; hidden outputs after activation and residual adds."""
        return self.node_outputs(points)

    def predict_proba(self, points: np.ndarray) -> np.ndarray:
        """Raw (N, 2) points -> (N, C) class probabilities."""
        if self.spec.is_regression:
            raise ValueError("a regression network predicts values, not class probabilities")
        return self.node_outputs(points, [self.output_node])[0]

    def predict(self, points: np.ndarray) -> np.ndarray:
        """Raw (N, 2) points -> the class numbers (N,), or for regression the predicted values (N,)."""
        output = self.node_outputs(points, [self.output_node], logits=True)[0]
        if self.spec.is_regression:
            return output[:, 0]
        return np.argmax(output, axis=1)

    # ----------------------------------------------------------------------------- training hot path
    def training_table(self, points: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Feature-major ``[features.T ; 1 ; targets]`` (F + 1 + outputs, N): one gather of columns fetches a
        whole mini-batch (inputs with their ones row, and targets). ``labels`` are class numbers (one-hot
        rows in the table) or, for regression, the target values (one row)."""
        features = self.features(points)
        n, f = features.shape
        table = np.empty((f + 1 + self.spec.n_outputs, n), dtype=self.dtype)
        table[:f] = features.T
        table[f] = 1
        if self.spec.is_regression:
            table[f + 1] = np.asarray(labels, dtype=np.float64).reshape(-1)
        else:
            table[f + 1 :] = one_hot(labels, self.spec.n_classes, self.dtype).T
        return table

    def workspace(self, batch_size: int) -> Workspace:
        """Preallocated training buffers for one batch size (cached)."""
        workspace = self._workspaces.get(batch_size)
        if workspace is None:
            if len(self._workspaces) >= 2:  # an epoch needs at most two sizes (full and remainder batch)
                self._workspaces.clear()
            workspace = self._workspaces[batch_size] = Workspace(self, batch_size)
        return workspace

    def release_buffers(self) -> None:
        """Forget the preallocated buffers (they are rebuilt on demand)."""
        self._workspaces.clear()
        self._inference = None
        self.loss.release_buffers()

    def compute_gradients(self, workspace: Workspace) -> None:
        """Forward and backward on ``workspace.batch`` (columns of `training_table`), filling `flat_grads`.

        The same modules as `forward`/`backward`, called with preallocated ``out=`` buffers and the folded
        bias (`Linear.forward_folded`), in the order `Workspace` planned, so nothing is allocated. L2 is
        added by the caller.
        """
        for function, args in workspace.training_plan:
            function(*args)


Op = tuple[Callable[..., Any], tuple[Any, ...]]


class Workspace:
    """Buffers for one batch size and the plan of calls that runs the graph on them.

    Everything is feature-major (one column per sample, see `Linear`). Node j's Linear reads ``inputs[j]``
    (fan_in + 1, B): its sources' blocks stacked in ``spec.sources(j)`` order with a constant row of ones at
    the bottom, so the bias rides in the matmul. Each node's output lives in one place (``value(j)``): the
    first block of node j+1's input (the chain needs no copies at all); a node that also feeds extra
    connections is copied into their input blocks once per step. Backward mirrors this: node j's gradient
    is the first block of node j+1's input gradient, plus the block of every connection it feeds, plus the
    gradient of every node it is a residual source of; the sum is taken once all consumers are done
    (reverse node order guarantees that).

    The plan is a flat list of (bound method, argument tuple): tiny networks are bound by per-call
    overhead, so nothing is looked up during a step.
    """

    def __init__(self, network: Network, batch_size: int, training: bool = True) -> None:
        dtype = network.dtype
        spec = network.spec
        sizes = spec.layer_sizes
        out = spec.output_node
        n_features = sizes[0]
        self.batch_size = batch_size
        fan_ins = [0, *(spec.fan_in(node) for node in range(1, out + 1))]
        with_residual = [node for node in range(1, out) if network.residual_sources[node]]
        rows = n_features + 1 + sizes[-1] + sum(fan_ins[2:]) + out - 1 + sum(sizes[1:])
        rows += sum(sizes[node] for node in with_residual)
        if training:
            rows += sum(fan_ins[2:]) + sum(sizes[1:])
        check_memory(rows * batch_size * dtype.itemsize)
        self.batch = np.zeros((n_features + 1 + sizes[-1], batch_size), dtype=dtype)
        self.batch[n_features] = 1  # the ones row (training overwrites it with the table's, also ones)
        self.y = self.batch[n_features + 1 :]
        inputs: list[np.ndarray] = [self.batch[:0], self.batch[: n_features + 1]]
        inputs += [np.ones((fan_ins[node] + 1, batch_size), dtype=dtype) for node in range(2, out + 1)]
        self.inputs = inputs
        self.z = [
            self.batch[:0],
            *(np.empty((sizes[node], batch_size), dtype=dtype) for node in range(1, out + 1)),
        ]
        #: Where each node's output lives (index = node).
        self.values: list[np.ndarray] = [self.batch[:n_features]]
        self.values += [inputs[node + 1][: sizes[node]] for node in range(1, out)]
        self.values.append(self.z[out])
        slices = [source_slices(spec, node) for node in range(out + 1)]
        layers, activations = network.layers, network.activations

        # ------------------------------------------------------------------------------------ forward
        self.node_plans: list[list[Op]] = [[] for _ in range(out + 1)]
        # consumers[s]: (node, rows of node's input) for every extra connection that reads s.
        consumers = [
            [(node, slices[node][source]) for node in range(source + 2, out + 1) if source in slices[node]]
            for source in range(out + 1)
        ]
        self.node_plans[0] = [
            (np.copyto, (inputs[node][rows], self.values[0])) for node, rows in consumers[0]
        ]
        for node in range(1, out + 1):
            plan = self.node_plans[node]
            residual = network.residual_sources[node]
            plan.append((layers[node - 1].forward_folded, (inputs[node], self.z[node])))
            if node < out:
                if residual:
                    activated = np.empty((sizes[node], batch_size), dtype=dtype)
                    plan.append((activations[node - 1].forward, (self.z[node], activated)))
                    first, *rest = residual
                    plan.append((np.add, (activated, self.values[first], self.values[node])))
                else:
                    plan.append((activations[node - 1].forward, (self.z[node], self.values[node])))
                    rest = []
            else:
                rest = residual
            for source in rest:
                plan.append((np.add, (self.values[node], self.values[source], self.values[node])))
            plan += [
                (np.copyto, (inputs[target][rows], self.values[node])) for target, rows in consumers[node]
            ]
        self.training_plan: list[Op] = []
        if not training:
            return

        # ----------------------------------------------------------------------------------- backward
        # dx[j]: the gradient of node j's stacked input (none for node 1: it reads only the features).
        dx: list[np.ndarray | None] = [None, None]
        dx += [np.empty((fan_ins[node], batch_size), dtype=dtype) for node in range(2, out + 1)]
        dz = [
            self.batch[:0],
            *(np.empty((sizes[node], batch_size), dtype=dtype) for node in range(1, out + 1)),
        ]
        #: ∂L/∂z of every node (width, batch) after a training step: the δ messages (gradient flow).
        self.dz = dz
        # The gradient of each node's output: for the output the loss's gradient, else the first block of
        # the next node's input gradient (accumulated in place).
        grad: list[np.ndarray] = [self.batch[:0]]
        grad += [dx[node + 1][: sizes[node]] for node in range(1, out)]  # type: ignore[index]
        grad.append(dz[out])
        residual_consumers = [
            [node for node in range(out + 1) if source in network.residual_sources[node]]
            for source in range(out + 1)
        ]
        backward: list[Op] = [(network.loss.forward_backward, (self.z[out], self.y, dz[out]))]
        for node in range(out, 0, -1):
            if node < out:
                for target, rows in consumers[node]:
                    backward.append((np.add, (grad[node], dx[target][rows], grad[node])))
                for target in residual_consumers[node]:
                    backward.append((np.add, (grad[node], grad[target], grad[node])))
                backward.append((activations[node - 1].backward, (grad[node], dz[node])))
            need_dx = dx[node] is not None
            backward.append((layers[node - 1].backward_folded, (dz[node], dx[node], need_dx)))
        self.training_plan = [op for plan in self.node_plans for op in plan] + backward

    def forward(self, last: int) -> None:
        """Run nodes 0..``last`` on ``batch`` (inference: their outputs are then in `value`)."""
        for plan in self.node_plans[: last + 1]:
            for function, args in plan:
                function(*args)

    def value(self, node: int) -> np.ndarray:
        """Node's output (width, batch) after `forward` (logits for the output node)."""
        return self.values[node]


def available_memory() -> int | None:
    """Bytes of memory the system can still give without swapping (Linux, macOS); None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def check_memory(needed: int) -> None:
    """MemoryError before allocating more than the system has: a huge batch would otherwise be found out
    only while its pages are touched, by the kernel's out-of-memory killer, with no message at all."""
    available = available_memory()
    if available is not None and needed > available:
        raise MemoryError(f"{needed / 2**30:.1f} GB needed, {available / 2**30:.1f} GB available")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for any finite logits."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e
