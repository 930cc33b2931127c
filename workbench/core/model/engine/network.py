"""A feed-forward classifier from a `NetworkSpec`: features -> [Linear -> activation]* -> Linear -> softmax.

Zero hidden layers is logistic regression (multinomial). Weights are seeded: layer i is initialised from
``(seed, i)`` alone, so one layer can be re-initialised without disturbing the others. Xavier/Glorot
uniform for layers followed by sigmoid, tanh, step or linear (and the output layer), He normal for layers
followed by ReLU or leaky ReLU; biases start at zero.

All parameters live in one flat vector (``flat_params``) and all gradients in another (``flat_grads``);
each Linear's W and b are views into them. Optimisers and L2 therefore touch every parameter with a few
numpy calls, which is what makes small networks fast.

Conventions: the data loss is the cross-entropy **averaged over the mini-batch**; L2 adds
(λ/2)·Σ‖W‖² over weight matrices only, not biases (so its gradient is λ·W). Training runs in float32 by
default; ``dtype=np.float64`` is supported (gradient checks use it).
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Sequence

import numpy as np

from workbench.core.model.activations import activation_info
from workbench.core.model.engine.modules import (
    Activation,
    Linear,
    SoftmaxCrossEntropy,
    make_activation,
    one_hot,
)
from workbench.core.model.features import compute_features
from workbench.core.model.spec import NetworkSpec

Weights = list[tuple[np.ndarray, np.ndarray]]


class Network:
    """The model: Linear layers, hidden activations and a fused softmax + cross-entropy loss."""

    def __init__(self, spec: NetworkSpec, seed: int = 0, dtype: np.dtype | type = np.float32) -> None:
        self.spec = spec.validate()
        self.dtype = np.dtype(dtype)
        self.seed = int(seed)
        sizes = spec.layer_sizes
        shapes = [(a + 1, b) for a, b in itertools.pairwise(sizes)]
        total = sum(rows * cols for rows, cols in shapes)
        self.flat_params = np.zeros(total, dtype=self.dtype)
        self.flat_grads = np.zeros(total, dtype=self.dtype)
        #: 1 for entries of weight matrices, 0 for biases: L2 is λ·weight_mask·θ on the flat vector.
        self.weight_mask = np.zeros(total, dtype=self.dtype)
        self.layers: list[Linear] = []
        offset = 0
        for rows, cols in shapes:
            end = offset + rows * cols
            wb = self.flat_params[offset:end].reshape(rows, cols)
            grad_wb = self.flat_grads[offset:end].reshape(rows, cols)
            self.layers.append(Linear(rows - 1, cols, self.dtype, wb, grad_wb))
            self.weight_mask[offset : end - cols] = 1
            offset = end
        self.activations: list[Activation] = [make_activation(layer.activation) for layer in spec.hidden]
        self.loss = SoftmaxCrossEntropy()
        self._workspaces: dict[int, Workspace] = {}
        for index in range(len(self.layers)):
            self.initialize_layer(index, self.seed)

    # ------------------------------------------------------------------------------------ parameters
    @property
    def params(self) -> dict[str, np.ndarray]:
        """``layer1.W``, ``layer1.b``, ... (views into `flat_params`)."""
        return {f"layer{i}.{k}": v for i, layer in enumerate(self.layers, 1) for k, v in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """Same keys as `params` (views into `flat_grads`)."""
        return {f"layer{i}.{k}": v for i, layer in enumerate(self.layers, 1) for k, v in layer.grads.items()}

    @property
    def n_parameters(self) -> int:
        return len(self.flat_params)

    def initialize_layer(self, index: int, seed: int) -> None:
        """(Re-)initialise layer ``index`` (0-based) from ``(seed, index)``; see the module docstring."""
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
        layer.W[...] = values
        layer.b[...] = 0

    def get_weights(self) -> Weights:
        """Copies of ``(W (in, out), b (out,))`` per Linear layer, input to output."""
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
        """Take over the weights of ``other``'s layers whose shapes match at the same position.

        Returns the 0-based indices that were copied (the others keep their fresh initialisation).
        """
        kept = []
        for index, (mine, theirs) in enumerate(zip(self.layers, other.layers, strict=False)):
            if mine.wb.shape == theirs.wb.shape:
                mine.wb[...] = theirs.wb
                kept.append(index)
        return kept

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
        return compute_features(points, self.spec.features, self.dtype)

    def forward(self, features: np.ndarray) -> np.ndarray:
        """Logits (N, C) of a feature matrix (N, F); every module caches what its backward needs."""
        h = np.asarray(features, dtype=self.dtype)
        for layer, activation in zip(self.layers, self.activations, strict=False):
            h = activation.forward(layer.forward(h))
        return self.layers[-1].forward(h)

    def backward(self, dlogits: np.ndarray) -> None:
        """Backpropagate ∂L/∂logits through the layers cached by `forward`, filling `flat_grads`."""
        g = self.layers[-1].backward(dlogits)
        for layer, activation in zip(reversed(self.layers[:-1]), reversed(self.activations), strict=True):
            g = layer.backward(activation.backward(g))

    def loss_and_gradients(self, features: np.ndarray, labels: np.ndarray, l2: float = 0.0) -> float:
        """Mean cross-entropy + (λ/2)·Σ‖W‖² for a batch; fills `flat_grads` (= `grads`) with its gradient."""
        loss = self.loss.forward(self.forward(features), np.asarray(labels))
        self.backward(self.loss.backward())
        if l2:
            theta = self.flat_params * self.weight_mask
            loss += 0.5 * l2 * float(np.dot(theta, theta))
            self.flat_grads += l2 * theta
        return loss

    # --------------------------------------------------------------------------------------- inference
    def predict_proba(self, points: np.ndarray) -> np.ndarray:
        """Raw (N, 2) points -> (N, C) class probabilities."""
        return softmax(self.forward(self.features(points)))

    def predict(self, points: np.ndarray) -> np.ndarray:
        return np.argmax(self.forward(self.features(points)), axis=1)

    def layer_outputs(self, points: np.ndarray) -> list[np.ndarray]:
        """``[features, hidden_1, ..., hidden_L, probabilities]``; hidden outputs are after activation."""
        h = self.features(points)
        outputs = [h]
        for layer, activation in zip(self.layers, self.activations, strict=False):
            h = activation.forward(layer.forward(h))
            outputs.append(h)
        outputs.append(softmax(self.layers[-1].forward(h)))
        return outputs

    # ----------------------------------------------------------------------------- training hot path
    def training_table(self, points: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Feature-major ``[features.T ; 1 ; onehot.T]`` (F + 1 + C, N): one gather of columns fetches a
        whole mini-batch (inputs with their ones row, and targets)."""
        features = self.features(points)
        n, f = features.shape
        table = np.empty((f + 1 + self.spec.n_classes, n), dtype=self.dtype)
        table[:f] = features.T
        table[f] = 1
        table[f + 1 :] = one_hot(labels, self.spec.n_classes, self.dtype).T
        return table

    def workspace(self, batch_size: int) -> Workspace:
        """Preallocated buffers for one batch size (cached)."""
        workspace = self._workspaces.get(batch_size)
        if workspace is None:
            if len(self._workspaces) >= 2:  # an epoch needs at most two sizes (full and remainder batch)
                self.release_buffers()
            workspace = self._workspaces[batch_size] = Workspace(self, batch_size)
        return workspace

    def release_buffers(self) -> None:
        """Forget the preallocated training buffers (they are rebuilt on demand)."""
        self._workspaces.clear()
        self.loss.release_buffers()

    def compute_gradients(self, workspace: Workspace) -> None:
        """Forward and backward on ``workspace.batch`` (columns of `training_table`), filling `flat_grads`.

        The same modules as `forward`/`backward`, called with preallocated ``out=`` buffers and the folded
        bias (`Linear.forward_folded`), so nothing is allocated. L2 is added by the caller.
        """
        for linear_forward, x1, z, activation_forward, a in workspace.forward_plan:
            activation_forward(linear_forward(x1, z), a)
        output_forward, x1, z, dz = workspace.output_plan
        g = self.loss.forward_backward(output_forward(x1, z), workspace.y, dz)
        for linear_backward, da, activation_backward, dz in workspace.backward_plan:
            g = activation_backward(linear_backward(g, da), dz)
        self.layers[0].backward_folded(g, need_dx=False)


class Workspace:
    """Buffers for one batch size: the gathered batch, pre-activations, activations and their gradients.

    Everything is feature-major (one column per sample, see `Linear`). Hidden activations are written into
    ``x1[i + 1][:width]`` whose last row is constant 1, so the next Linear folds its bias into its matmul.
    """

    def __init__(self, network: Network, batch_size: int) -> None:
        dtype = network.dtype
        n_features = len(network.spec.features)
        sizes = network.spec.layer_sizes
        self.batch_size = batch_size
        rows = n_features + 1 + 3 * sizes[-1] + sum(4 * width + 1 for width in sizes[1:-1])
        check_memory(rows * batch_size * dtype.itemsize)
        self.batch = np.zeros((n_features + 1 + sizes[-1], batch_size), dtype=dtype)
        self.y = self.batch[n_features + 1 :]
        self.x1: list[np.ndarray] = [self.batch[: n_features + 1]]
        self.a: list[np.ndarray] = []
        for width in sizes[1:-1]:
            h = np.ones((width + 1, batch_size), dtype=dtype)
            self.x1.append(h)
            self.a.append(h[:width])
        self.z = [np.empty((width, batch_size), dtype=dtype) for width in sizes[1:]]
        self.dz = [np.empty((width, batch_size), dtype=dtype) for width in sizes[1:]]
        self.da = [np.empty((width, batch_size), dtype=dtype) for width in sizes[1:-1]]
        # The order of calls in `Network.compute_gradients`, with bound methods and buffers looked up once:
        # tiny networks are bound by per-call overhead, not arithmetic.
        layers, activations = network.layers, network.activations
        self.forward_plan = [
            (layers[i].forward_folded, self.x1[i], self.z[i], activations[i].forward, self.a[i])
            for i in range(len(activations))
        ]
        last = len(layers) - 1
        self.output_plan = (layers[last].forward_folded, self.x1[last], self.z[last], self.dz[last])
        self.backward_plan = [
            (layers[i].backward_folded, self.da[i - 1], activations[i - 1].backward, self.dz[i - 1])
            for i in range(last, 0, -1)
        ]


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
