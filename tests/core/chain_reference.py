"""A frozen copy of the chain engine as it was before graphs (commit 404c9d3), for the bit-for-bit test.

Only what decides the numbers is copied: the seeded initialisation and the fused training step
(feature-major buffers, bias folded into each matmul, fused softmax + cross-entropy) with the same numpy
calls in the same order. Activations are the engine's modules (they are not what the graph changed).
Do not "improve" this file: its purpose is to stay what the engine computed then.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from workbench.core.model.activations import activation_info
from workbench.core.model.engine import make_activation
from workbench.core.model.spec import NetworkSpec


def initial_params(spec: NetworkSpec, seed: int, dtype=np.float32) -> np.ndarray:
    """The flat parameter vector of a fresh chain network: per layer [W; b] (in + 1, out), row-major."""
    sizes = spec.layer_sizes
    parts = []
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        hidden = spec.hidden
        activation = hidden[index].activation if index < len(hidden) else "linear"
        rng = np.random.default_rng([index, seed % 2**63])
        if activation_info(activation).initialization == "he":
            values = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        else:
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            values = rng.uniform(-limit, limit, size=(fan_in, fan_out))
        wb = np.zeros((fan_in + 1, fan_out), dtype=dtype)
        wb[:-1] = values
        parts.append(wb.ravel())
    return np.concatenate(parts)


class ChainStep:
    """Today's `Network.compute_gradients` + `Workspace` for one batch size, on given flat vectors."""

    def __init__(self, spec: NetworkSpec, params: np.ndarray, grads: np.ndarray, batch_size: int) -> None:
        dtype = params.dtype
        sizes = spec.layer_sizes
        n_features = sizes[0]
        self.wb, self.gwb = [], []
        offset = 0
        for a, b in itertools.pairwise(sizes):
            end = offset + (a + 1) * b
            self.wb.append(params[offset:end].reshape(a + 1, b))
            self.gwb.append(grads[offset:end].reshape(a + 1, b))
            offset = end
        self.activations = [make_activation(layer.activation) for layer in spec.hidden]
        self.batch = np.zeros((n_features + 1 + sizes[-1], batch_size), dtype=dtype)
        self.y = self.batch[n_features + 1 :]
        self.x1 = [self.batch[: n_features + 1]]
        self.a = []
        for width in sizes[1:-1]:
            h = np.ones((width + 1, batch_size), dtype=dtype)
            self.x1.append(h)
            self.a.append(h[:width])
        self.z = [np.empty((width, batch_size), dtype=dtype) for width in sizes[1:]]
        self.dz = [np.empty((width, batch_size), dtype=dtype) for width in sizes[1:]]
        self.da = [np.empty((width, batch_size), dtype=dtype) for width in sizes[1:-1]]
        c = sizes[-1]
        self.shift = np.empty((1, batch_size), dtype)
        self.total = np.empty((1, batch_size), dtype)
        self.ones = np.ones((1, c), dtype)

    def _softmax_ce(self, logits_t: np.ndarray, onehot_t: np.ndarray, out: np.ndarray) -> np.ndarray:
        shift, total, ones = self.shift, self.total, self.ones
        p = out
        if len(logits_t) == 2:
            np.maximum(logits_t[:1], logits_t[1:], out=shift)
        else:
            np.maximum.reduce(logits_t, axis=0, keepdims=True, out=shift)
        np.subtract(logits_t, shift, out=p)
        np.exp(p, out=p)
        np.matmul(ones, p, out=total)
        np.divide(p, total, out=p)
        self.last = (logits_t, onehot_t)
        np.subtract(p, onehot_t, out=out)
        out *= 1.0 / out.shape[1]
        return out

    def loss(self) -> float:
        logits_t, onehot_t = self.last
        batch = logits_t.shape[1]
        return float((np.log(self.total).sum() + self.shift.sum() - (onehot_t * logits_t).sum()) / batch)

    def compute_gradients(self) -> None:
        n = len(self.activations)
        for i in range(n):
            z = np.matmul(self.wb[i].T, self.x1[i], out=self.z[i])
            self.activations[i].forward(z, self.a[i])
        logits = np.matmul(self.wb[n].T, self.x1[n], out=self.z[n])
        g = self._softmax_ce(logits, self.y, self.dz[n])
        for i in range(n, 0, -1):
            np.matmul(self.x1[i], g.T, out=self.gwb[i])
            da = np.matmul(self.wb[i][:-1], g, out=self.da[i - 1])
            g = self.activations[i - 1].backward(da, self.dz[i - 1])
        np.matmul(self.x1[0], g.T, out=self.gwb[0])
