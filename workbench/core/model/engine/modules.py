"""The engine's building blocks: a linear layer, activations and losses, each with forward and backward.

Every module follows the contract the lecture teaches:

- ``forward(x, out=None)`` computes the output and caches exactly what ``backward`` will need;
- ``backward(dy, out=None)`` receives ∂L/∂output, fills the module's ``grads`` (a name -> array dict with the
  same keys as ``params``) and returns ∂L/∂input.

``out=`` lets the trainer hand in preallocated buffers, so a training step allocates nothing; without it the
methods allocate a fresh array (what tests, the GUI and readers of this file use). ``out`` must never be
the same array as the input.

Conventions (tests rely on them):

- Losses are **averaged over the mini-batch**: cross-entropy is ``mean_i(-log p_i[label_i])``, so its
  gradient with respect to the logits is ``(p - onehot) / B``; the lecture's Euclidean loss is
  ``mean_i ½‖ŷ_i − y_i‖²``, gradient ``(ŷ − y) / B``.
- Modules with several inputs (`Concat`, `ResidualAdd`) take a list in ``forward`` and return a list of
  gradients, one per input, from ``backward``: that is all a graph needs besides the chain's modules.
- The **step** activation (the perceptron's threshold, 1 if x > 0 else 0) has derivative zero wherever it is
  defined, so its backward returns zeros: no error signal passes through a step layer and the layers below it
  never learn. That is the reason the lecture moves on to sigmoid; the engine shows it rather than hiding it.
- ReLU's derivative at exactly 0 is taken as 0; leaky ReLU uses slope 0.01 for x <= 0.
"""

from __future__ import annotations

import numpy as np

from workbench.core.model.activations import ACTIVATION_INFO, LEAKY_SLOPE
from workbench.core.model.spec import SpecError


class Module:
    """Base class: ``params`` and ``grads`` are name -> array dicts with matching keys (empty if none)."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError


# ------------------------------------------------------------------------------------------------ Linear
class Linear(Module):
    """y = x @ W + b with W of shape (in, out) and b of shape (out,).

    W and b live in one (in + 1, out) matrix ``wb`` (W on top, b as the last row). Besides the textbook
    ``forward``/``backward`` on (N, in) rows, the trainer's hot path uses ``forward_folded`` and
    ``backward_folded`` on *feature-major* arrays (one column per sample) with a row of ones appended:
    ``x1t = [x.T ; 1]`` (in + 1, N). Then ``wb.T @ x1t = (x @ W + b).T`` is one matmul, and
    ``x1t @ dyt.T = [x.T @ dy ; sum_i dy_i]`` yields dW and db in one matmul too. Feature-major keeps every
    activation a contiguous block (the ones row is simply the last row), so element-wise work never runs
    on strided memory.
    ``wb`` and ``grad_wb`` may be views into a network's flat parameter and gradient vectors.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        dtype: np.dtype | type = np.float32,
        wb: np.ndarray | None = None,
        grad_wb: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        shape = (in_features + 1, out_features)
        self.wb = np.zeros(shape, dtype=dtype) if wb is None else wb
        self.grad_wb = np.zeros(shape, dtype=dtype) if grad_wb is None else grad_wb
        if self.wb.shape != shape or self.grad_wb.shape != shape:
            raise ValueError(f"Linear storage must have shape {shape}")
        self.in_features = in_features
        self.out_features = out_features
        self.W = self.wb[:-1]
        self.b = self.wb[-1]
        self.params = {"W": self.W, "b": self.b}
        self.grads = {"W": self.grad_wb[:-1], "b": self.grad_wb[-1]}
        self._x: np.ndarray | None = None
        self._x1t: np.ndarray | None = None

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        self._x = x
        y = np.matmul(x, self.W, out=out)
        y += self.b
        return y

    def backward(self, dy: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        np.matmul(self._x.T, dy, out=self.grads["W"])
        np.sum(dy, axis=0, out=self.grads["b"])
        return np.matmul(dy, self.W.T, out=out)

    def forward_folded(self, x1t: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """(out, N) outputs of feature-major inputs ``x1t = [x.T ; 1]`` (in + 1, N): bias folded in."""
        self._x1t = x1t
        return np.matmul(self.wb.T, x1t, out=out)

    def backward_folded(
        self, dyt: np.ndarray, out: np.ndarray | None = None, need_dx: bool = True
    ) -> np.ndarray | None:
        """Backward after `forward_folded` (dyt is (out, N)): one matmul fills dW and db; returns dx.T.

        The first layer skips dx (``need_dx=False``): nothing below it needs a gradient.
        """
        np.matmul(self._x1t, dyt.T, out=self.grad_wb)
        if not need_dx:
            return None
        return np.matmul(self.W, dyt, out=out)


# -------------------------------------------------------------------------------------- graph modules
class Concat(Module):
    """The merge in front of a Linear that reads several sources: their outputs side by side, (N, Σ widths).

    Backward splits the gradient back into one block per source, in the same order; a node whose output
    feeds several consumers receives (and sums) one such block from each. A Linear after a Concat is the
    lecture's z = Σ_s W_s h_s + b with the W_s stacked: one matmul instead of one per source.
    """

    def forward(self, xs: list[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:  # type: ignore[override]
        self._widths = [x.shape[1] for x in xs]
        if len(xs) == 1 and out is None:
            return xs[0]
        return np.concatenate(xs, axis=1, out=out)

    def backward(self, dy: np.ndarray, out: np.ndarray | None = None) -> list[np.ndarray]:  # type: ignore[override]
        parts, start = [], 0
        for width in self._widths:
            parts.append(dy[:, start : start + width])
            start += width
        return parts


class ResidualAdd(Module):
    """The identity residual link: the sum of equally wide inputs; backward hands the gradient to each."""

    def forward(self, xs: list[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:  # type: ignore[override]
        self._n = len(xs)
        total = np.add(xs[0], xs[1], out=out)
        for x in xs[2:]:
            total += x
        return total

    def backward(self, dy: np.ndarray, out: np.ndarray | None = None) -> list[np.ndarray]:  # type: ignore[override]
        return [dy] * self._n


# ------------------------------------------------------------------------------------------- activations
_ACTIVATION_MODULES: dict[str, type[Activation]] = {}


class Activation(Module):
    """An element-wise function without parameters; ``name`` is its key in `activations.ACTIVATION_INFO`.

    Defining a subclass with a ``name`` registers it, so an activation is one registry entry plus its class.
    """

    name = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            _ACTIVATION_MODULES[cls.name] = cls


class Step(Activation):
    """Perceptron threshold: 1 where x > 0, else 0. Zero gradient everywhere (see the module docstring)."""

    name = "step"

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            return (x > 0).astype(x.dtype)
        return np.greater(x, 0, out=out)

    def backward(self, dy: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            return np.zeros_like(dy)
        out.fill(0)
        return out


class Sigmoid(Activation):
    """σ(x) = 1 / (1 + e^-x), computed as (1 + tanh(x/2)) / 2, which never overflows; σ' = σ(1 - σ)."""

    name = "sigmoid"

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        a = np.multiply(x, 0.5, out=out)
        np.tanh(a, out=a)
        a *= 0.5
        a += 0.5
        self._a = a
        return a

    def backward(self, dy: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        g = np.subtract(1, self._a, out=out)
        g *= self._a
        g *= dy
        return g


class Tanh(Activation):
    """tanh(x); tanh' = 1 - tanh²."""

    name = "tanh"

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        self._a = np.tanh(x, out=out)
        return self._a

    def backward(self, dy: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        g = np.multiply(self._a, self._a, out=out)
        np.subtract(1, g, out=g)
        g *= dy
        return g


class ReLU(Activation):
    """max(x, 0); the derivative is 1 where the output is positive, else 0."""

    name = "relu"

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        self._a = np.maximum(x, 0, out=out)
        return self._a

    def backward(self, dy: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        g = np.greater(self._a, 0, out=out) if out is not None else (self._a > 0).astype(dy.dtype)
        g *= dy
        return g


class LeakyReLU(Activation):
    """x for x > 0, 0.01·x otherwise (= max(x, 0.01·x)), so negative inputs still pass a little gradient."""

    name = "leaky_relu"

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        a = np.multiply(x, LEAKY_SLOPE, out=out)
        np.maximum(a, x, out=a)
        self._a = a
        return a

    def backward(self, dy: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        g = np.greater(self._a, 0, out=out) if out is not None else (self._a > 0).astype(dy.dtype)
        g *= 1.0 - LEAKY_SLOPE
        g += LEAKY_SLOPE
        g *= dy
        return g


class Identity(Activation):
    """The linear activation f(x) = x: a network of only linear layers stays a linear model."""

    name = "linear"

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            return x.copy()
        np.copyto(out, x)
        return out

    def backward(self, dy: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            return dy.copy()
        np.copyto(out, dy)
        return out


#: Activation name -> module class, filled by `Activation.__init_subclass__` (one per registry entry in
#: `activations.ACTIVATION_INFO`; a test checks).
ACTIVATIONS: dict[str, type[Activation]] = {name: _ACTIVATION_MODULES[name] for name in ACTIVATION_INFO}


def make_activation(name: str) -> Activation:
    """A new activation module by registry name; SpecError lists the valid names otherwise."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise SpecError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}") from None


# ------------------------------------------------------------------------------------------------ losses
class Loss:
    """A loss: ``forward(prediction, target) -> float`` caches, ``backward() -> ∂L/∂prediction``."""

    name = ""

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self, dloss: float = 1.0, out: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def release_buffers(self) -> None:
        """Forget scratch buffers kept for the hot path (none by default)."""


def one_hot(labels: np.ndarray, n_classes: int, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """(N,) integer labels -> (N, n_classes) rows with a single 1."""
    labels = np.asarray(labels, dtype=np.int64)
    out = np.zeros((len(labels), n_classes), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out


class SoftmaxCrossEntropy(Loss):
    """Softmax of the logits followed by cross-entropy, fused so that it is stable and cheap.

    p = softmax(z) is computed from z - max(z) (no overflow); the loss uses log-sum-exp, so it stays finite
    even when a probability underflows to 0; the gradient is simply (p - onehot) / B.
    """

    name = "cross_entropy"

    def __init__(self) -> None:
        self._scratch: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        """Mean cross-entropy of logits (B, C) against integer labels (B,) or one-hot rows (B, C)."""
        logits = prediction
        onehot = target if target.ndim == 2 else one_hot(target, logits.shape[1], logits.dtype)
        shift = logits.max(axis=1, keepdims=True)
        exp = np.exp(logits - shift)
        total = exp.sum(axis=1, keepdims=True)
        self._p = exp / total
        self._onehot = onehot
        log_sum_exp = shift[:, 0] + np.log(total[:, 0])
        return float(np.mean(log_sum_exp - np.sum(onehot * logits, axis=1)))

    def backward(self, dloss: float = 1.0, out: np.ndarray | None = None) -> np.ndarray:
        g = np.subtract(self._p, self._onehot, out=out)
        g *= dloss / len(g)
        return g

    def release_buffers(self) -> None:
        self._scratch.clear()

    def forward_backward(self, logits_t: np.ndarray, onehot_t: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Hot path on feature-major (C, B) arrays: the gradient (p - onehot) / B into ``out`` (C, B).

        The loss itself is computed only on demand (`last_loss`). Scratch buffers are kept per batch shape,
        so a training step allocates nothing.
        """
        scratch = self._scratch.get(logits_t.shape)
        if scratch is None:
            c, n = logits_t.shape
            dtype = logits_t.dtype
            scratch = (np.empty((1, n), dtype), np.empty((1, n), dtype), np.ones((1, c), dtype))
            self._scratch[logits_t.shape] = scratch
        shift, total, ones = scratch
        p = out
        if len(logits_t) == 2:  # for tiny batches a binary maximum is cheaper than a reduction
            np.maximum(logits_t[:1], logits_t[1:], out=shift)
        else:
            np.maximum.reduce(logits_t, axis=0, keepdims=True, out=shift)
        np.subtract(logits_t, shift, out=p)
        np.exp(p, out=p)
        np.matmul(ones, p, out=total)  # sums over classes as a matmul: cheaper than a reduction
        np.divide(p, total, out=p)
        self._fused = (logits_t, onehot_t, shift, total)
        np.subtract(p, onehot_t, out=out)
        out *= 1.0 / out.shape[1]
        return out

    def last_loss(self) -> float:
        """The mean cross-entropy of the last `forward_backward` batch (from cached log-sum-exp terms)."""
        logits_t, onehot_t, shift, total = self._fused
        batch = logits_t.shape[1]
        return float((np.log(total).sum() + shift.sum() - (onehot_t * logits_t).sum()) / batch)


class EuclideanLoss(Loss):
    """The lecture's Euclidean loss averaged over the batch: mean_i ½‖ŷ_i − y_i‖²; gradient (ŷ − y) / B.

    Ready for regression targets (B, K); for classification the target is the one-hot rows.
    """

    name = "euclidean"

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        if target.ndim == 1:
            target = one_hot(target, prediction.shape[1], prediction.dtype)
        self._diff = prediction - target
        return float(0.5 * np.sum(self._diff * self._diff) / len(self._diff))

    def backward(self, dloss: float = 1.0, out: np.ndarray | None = None) -> np.ndarray:
        return np.multiply(self._diff, dloss / len(self._diff), out=out)

    def forward_backward(self, prediction_t: np.ndarray, target_t: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Hot path on feature-major (K, B) arrays: the gradient (ŷ − y) / B into ``out``."""
        np.subtract(prediction_t, target_t, out=out)
        self._fused = out
        out *= 1.0 / out.shape[1]
        return out

    def last_loss(self) -> float:
        """The loss of the last `forward_backward` batch (from the gradient it left: diff = B·out)."""
        grad = self._fused
        batch = grad.shape[1]
        return float(0.5 * batch * np.dot(grad.ravel(), grad.ravel()))


#: Loss name -> class.
LOSSES: dict[str, type[Loss]] = {cls.name: cls for cls in (SoftmaxCrossEntropy, EuclideanLoss)}


def make_loss(name: str) -> Loss:
    """A new loss module by name (``cross_entropy`` or ``euclidean``); SpecError lists the names otherwise."""
    try:
        return LOSSES[name]()
    except KeyError:
        raise SpecError(f"unknown loss {name!r}; choose from {', '.join(LOSSES)}") from None
