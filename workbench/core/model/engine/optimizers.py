"""Optimisers: separate objects that update parameters in place from their gradients with ``step()``.

They take the same name -> array dicts as the modules (``params`` and ``grads`` with matching keys). The
trainer passes a single key holding the network's whole flat parameter vector, so one update is a handful
of numpy calls however many layers there are.

Formulas (tests check them exactly):

- SGD:       θ ← θ − η·g
- Momentum:  Δ ← μ·Δ + g,  θ ← θ − η·Δ            (the lecture's form: Δ accumulates raw gradients)
- Adam:      m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ),
             θ ← θ − η·m̂ / (√v̂ + ε)                 (Kingma & Ba; the same as PyTorch's Adam)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench.core.model.spec import SpecError, TrainingSettings


class Optimizer:
    """Base class; subclasses define ``step`` and the names of their per-parameter state arrays."""

    name = ""
    state_names: tuple[str, ...] = ()

    def __init__(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], learning_rate: float):
        if params.keys() != grads.keys():
            raise ValueError("params and grads must have the same keys")
        for key in params:
            if params[key].shape != grads[key].shape:
                raise ValueError(f"parameter {key!r} and its gradient differ in shape")
        self.params = params
        self.grads = grads
        self.learning_rate = float(learning_rate)
        self._pairs = [(params[k], grads[k], np.empty_like(params[k])) for k in params]
        self.state: dict[str, dict[str, np.ndarray]] = {
            name: {k: np.zeros_like(v) for k, v in params.items()} for name in self.state_names
        }
        self.t = 0  # number of updates so far

    def step(self) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Plain dict (str -> numbers / array copies) for the project file."""
        out: dict[str, Any] = {"name": self.name, "t": self.t}
        for name, arrays in self.state.items():
            for key, value in arrays.items():
                out[f"{name}.{key}"] = value.copy()
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore `state_dict()` output; ValueError says what does not match."""
        if state.get("name") != self.name:
            raise ValueError(f"optimizer state is for {state.get('name')!r}, not {self.name!r}")
        for name, arrays in self.state.items():
            for key, value in arrays.items():
                saved = np.asarray(state.get(f"{name}.{key}", np.zeros(0)))
                if saved.shape != value.shape:
                    raise ValueError(
                        f"optimizer state {name}.{key} has shape {saved.shape}; "
                        f"the network needs {value.shape}"
                        " (was it saved for another architecture?)"
                    )
        for name, arrays in self.state.items():
            for key, value in arrays.items():
                value[...] = state[f"{name}.{key}"]
        self.t = int(state.get("t", 0))

    def copy_state_to(self, other: Optimizer) -> None:
        """Copy state arrays into another optimizer of the same kind (no allocation; for checkpoints)."""
        for name, arrays in self.state.items():
            for key, value in arrays.items():
                np.copyto(other.state[name][key], value)
        other.t = self.t


class SGD(Optimizer):
    """Plain gradient descent: θ ← θ − η·g."""

    name = "sgd"

    def step(self) -> None:
        lr = self.learning_rate
        for theta, grad, tmp in self._pairs:
            np.multiply(grad, lr, out=tmp)
            theta -= tmp
        self.t += 1


class Momentum(Optimizer):
    """Δ ← μ·Δ + g, θ ← θ − η·Δ."""

    name = "momentum"
    state_names = ("velocity",)

    def __init__(
        self,
        params: dict[str, np.ndarray],
        grads: dict[str, np.ndarray],
        learning_rate: float,
        momentum: float = 0.9,
    ):
        super().__init__(params, grads, learning_rate)
        self.momentum = float(momentum)
        self._velocity = [self.state["velocity"][k] for k in params]

    def step(self) -> None:
        lr, mu = self.learning_rate, self.momentum
        for (theta, grad, tmp), delta in zip(self._pairs, self._velocity, strict=True):
            delta *= mu
            delta += grad
            np.multiply(delta, lr, out=tmp)
            theta -= tmp
        self.t += 1


class Adam(Optimizer):
    """Standard Adam with bias correction (see the module docstring)."""

    name = "adam"
    state_names = ("m", "v")

    def __init__(
        self,
        params: dict[str, np.ndarray],
        grads: dict[str, np.ndarray],
        learning_rate: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ):
        super().__init__(params, grads, learning_rate)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self._moments = [(self.state["m"][k], self.state["v"][k]) for k in params]

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        correction1 = 1.0 - b1**self.t
        root_correction2 = math.sqrt(1.0 - b2**self.t)
        # η·m̂/(√v̂ + ε) = (η·√c₂/c₁) · m / (√v + ε·√c₂): the same number with two fewer array operations.
        step_size = self.learning_rate * root_correction2 / correction1
        eps = self.eps * root_correction2
        for (theta, grad, tmp), (m, v) in zip(self._pairs, self._moments, strict=True):
            m *= b1
            np.multiply(grad, 1.0 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(grad, grad, out=tmp)
            tmp *= 1.0 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            theta -= tmp


#: Optimizer name -> class; names match `workbench.core.model.spec.OPTIMIZERS`.
OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Momentum, Adam)}


def make_optimizer(
    settings: TrainingSettings, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]
) -> Optimizer:
    """The optimizer named in the settings, with their hyper-parameters."""
    if settings.optimizer == "sgd":
        return SGD(params, grads, settings.learning_rate)
    if settings.optimizer == "momentum":
        return Momentum(params, grads, settings.learning_rate, settings.momentum)
    if settings.optimizer == "adam":
        return Adam(params, grads, settings.learning_rate, settings.beta1, settings.beta2)
    raise SpecError(f"unknown optimizer {settings.optimizer!r}; choose from {', '.join(OPTIMIZERS)}")


def apply_settings(optimizer: Optimizer, settings: TrainingSettings) -> None:
    """Change hyper-parameters of a running optimizer in place (its state is kept)."""
    optimizer.learning_rate = float(settings.learning_rate)
    if isinstance(optimizer, Momentum):
        optimizer.momentum = float(settings.momentum)
    if isinstance(optimizer, Adam):
        optimizer.beta1, optimizer.beta2 = float(settings.beta1), float(settings.beta2)
