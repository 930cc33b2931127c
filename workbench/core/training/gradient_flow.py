"""Gradient flow of a training run: per-layer gradient norms and update/weight ratios over the steps, and
the latest per-neuron |δ|, measured in the training process at the history's record points.

Why: vanishing gradients are invisible in the loss curve (it just stays flat); they are obvious in
‖∂L/∂W‖ per layer, which falls by orders of magnitude from the output back to the first layer of a deep
sigmoid chain, and in ‖ΔW‖/‖W‖ (how much a step changes a layer relative to its size; ~1e-3 is the
folklore healthy value, 1e-7 means the layer is frozen).

What is measured, once every ``record_every`` steps (the step just before a history entry):

- ``grad_norms[i, k]``: the Frobenius norm of the data loss's gradient for layer k's weight matrix W (the
  mini-batch's, before L2 is added; biases left out, as in the usual plots), layer k = node k + 1;
- ``update_ratios[i, k]``: ‖W_after − W_before‖ / ‖W_before‖ of the optimizer step taken with it;
- `deltas`: for the last measurement only, per node 1..L+1 the mean over the batch of |δ| = |∂ℓ/∂z| of
  each neuron (ℓ a single point's loss: the batch gradient times the batch size), for the diagram's glow.

Cost: a handful of numpy calls every ``record_every`` (50) steps, reading the gradients the step computed
anyway (`Workspace.dz`, `Network.flat_grads`); benchmarks/gradient_flow_speed.py measures it.

Bounded like `history.TrainingHistory`: at most `MAX_ENTRIES` rows; a full record is thinned to half by
keeping every other row (and always the last), so the resolution stays uniform over the run. The same
owner/frozen-view discipline: the owner only writes rows past its length; thinning and cuts make new
arrays and change `revision`, so a receiver of only new rows (`tail`) knows when to take it whole.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from workbench.core.training.history import MAX_ENTRIES

_revisions = itertools.count(1)
_MIN_ENTRIES = 8


class GradientFlow:
    """Per-layer gradient norms and update ratios (rows = record points) plus the latest per-neuron |δ|."""

    def __init__(self, n_layers: int, max_entries: int = MAX_ENTRIES) -> None:
        self.n_layers = int(n_layers)
        self._max = max(_MIN_ENTRIES, int(max_entries))
        self._steps = np.empty(0, np.int64)
        self._norms = np.empty((0, self.n_layers))
        self._ratios = np.empty((0, self.n_layers))
        self._length = 0
        self._frozen = False
        self._revision = next(_revisions)
        #: Per node 1..L+1 the mean |δ| of each neuron at `deltas_step` (read-only arrays), or empty.
        self.deltas: tuple[np.ndarray, ...] = ()
        self.deltas_step = -1

    # --- reading ----------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._length

    @property
    def revision(self) -> int:
        return self._revision

    @property
    def max_entries(self) -> int:
        return self._max

    @property
    def steps(self) -> np.ndarray:
        return _read_only(self._steps[: self._length])

    @property
    def grad_norms(self) -> np.ndarray:
        """(entries, layers): ‖∂L/∂W‖ of each layer at each recorded step."""
        return _read_only(self._norms[: self._length])

    @property
    def update_ratios(self) -> np.ndarray:
        """(entries, layers): ‖ΔW‖/‖W‖ of the step taken at each recorded step."""
        return _read_only(self._ratios[: self._length])

    def frozen(self) -> GradientFlow:
        """A read-only view sharing the rows so far (safe on any thread, never changes)."""
        if self._frozen:
            return self
        return self._view(0, self._revision)

    def tail(self, start: int) -> GradientFlow:
        """The rows from `start` on, frozen (pickled as just those rows), with the latest deltas."""
        start = min(max(0, int(start)), self._length)
        return self._view(start, next(_revisions))

    def _view(self, start: int, revision: int) -> GradientFlow:
        view = GradientFlow.__new__(GradientFlow)
        view.n_layers, view._max = self.n_layers, self._max
        view._steps = _read_only(self._steps[start : self._length])
        view._norms = _read_only(self._norms[start : self._length])
        view._ratios = _read_only(self._ratios[start : self._length])
        view._length = self._length - start
        view._frozen = True
        view._revision = revision
        view.deltas, view.deltas_step = self.deltas, self.deltas_step
        return view

    @classmethod
    def from_rows(
        cls,
        steps: np.ndarray,
        grad_norms: np.ndarray,
        update_ratios: np.ndarray,
        max_entries: int = MAX_ENTRIES,
    ) -> GradientFlow:
        """A frozen flow from saved rows (a project file): steps (n,), norms and ratios (n, layers); thinned
        to `max_entries` as a run would be. No per-neuron |δ| (those are for the live diagram only)."""
        norms = np.asarray(grad_norms, dtype=np.float64)
        flow = cls(norms.shape[1] if norms.ndim == 2 else 0, max_entries)
        flow._replace(np.asarray(steps, np.int64), norms, np.asarray(update_ratios, np.float64))
        while flow._length > flow._max:
            flow._thin()
        return flow.frozen()

    def copy(self) -> GradientFlow:
        """A new owner with the same rows, free to append."""
        flow = GradientFlow(self.n_layers, self._max)
        flow._replace(self.steps, self.grad_norms, self.update_ratios)
        flow.deltas, flow.deltas_step = self.deltas, self.deltas_step
        return flow

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._revision = next(_revisions)  # revisions only mean something within one process

    # --- changing (owner only) --------------------------------------------------------------------------
    def append(self, step: int, grad_norms: np.ndarray, update_ratios: np.ndarray) -> None:
        """Add one row (one value per layer in each); a full record is thinned first."""
        self._check_owner()
        if self._length >= self._max:
            self._thin()
        n = self._length
        if n == len(self._steps):
            self._grow(n + 1)
        self._steps[n] = step
        self._norms[n] = grad_norms
        self._ratios[n] = update_ratios
        self._length = n + 1

    def extend(self, other: GradientFlow) -> None:
        """Add `other`'s rows (thinned as needed) and take its deltas."""
        self._check_owner()
        n, count = self._length, len(other)
        if n + count <= self._max:  # the usual case: a few new rows, written in place
            if n + count > len(self._steps):
                self._grow(n + count)
            self._steps[n : n + count] = other.steps
            self._norms[n : n + count] = other.grad_norms
            self._ratios[n : n + count] = other.update_ratios
            self._length = n + count
        else:
            self._replace(
                np.concatenate([self.steps, other.steps]),
                np.concatenate([self.grad_norms, other.grad_norms]),
                np.concatenate([self.update_ratios, other.update_ratios]),
            )
            while self._length > self._max:
                self._thin()
        if other.deltas_step >= 0:
            self.deltas, self.deltas_step = other.deltas, other.deltas_step

    def keep_first(self, count: int) -> None:
        self._check_owner()
        if count < self._length:
            count = max(0, count)
            self._replace(self.steps[:count], self.grad_norms[:count], self.update_ratios[:count])

    def cut_after(self, step: int) -> None:
        """Drop the rows recorded after `step` (training went back to it)."""
        self._check_owner()
        keep = self.steps <= step
        if not keep.all():
            self._replace(self.steps[keep], self.grad_norms[keep], self.update_ratios[keep])
        if self.deltas_step > step:
            self.deltas, self.deltas_step = (), -1

    def set_deltas(self, step: int, deltas: list[np.ndarray]) -> None:
        self.deltas = tuple(_read_only(np.asarray(d, dtype=np.float64)) for d in deltas)
        self.deltas_step = int(step)

    # --- internals --------------------------------------------------------------------------------------
    def _check_owner(self) -> None:
        if self._frozen:
            raise TypeError("a frozen GradientFlow cannot change; copy() it first")

    def _grow(self, needed: int) -> None:
        capacity = max(needed, min(self._max, max(64, 2 * len(self._steps))))
        steps = np.empty(capacity, np.int64)
        norms = np.empty((capacity, self.n_layers))
        ratios = np.empty((capacity, self.n_layers))
        n = self._length
        steps[:n], norms[:n], ratios[:n] = self._steps[:n], self._norms[:n], self._ratios[:n]
        self._steps, self._norms, self._ratios = steps, norms, ratios

    def _replace(self, steps: np.ndarray, norms: np.ndarray, ratios: np.ndarray) -> None:
        """New arrays (frozen views may share the old ones, so never written in place)."""
        self._steps = np.array(steps, dtype=np.int64)
        self._norms = np.array(norms, dtype=np.float64).reshape(-1, self.n_layers)
        self._ratios = np.array(ratios, dtype=np.float64).reshape(-1, self.n_layers)
        self._length = len(self._steps)
        self._revision = next(_revisions)

    def _thin(self) -> None:
        keep = np.zeros(self._length, dtype=bool)
        keep[::2] = True
        keep[-1] = True
        self._replace(self.steps[keep], self.grad_norms[keep], self.update_ratios[keep])


class GradientProbe:
    """Measures a network's gradient flow from what a training step already computed.

    Call `gradients` right after the forward/backward (before L2 and the optimizer touch the gradients),
    then `update_ratios` after the optimizer step.
    """

    def __init__(self, network: Any) -> None:
        self.network = network
        self._weights: list[slice] = []  # each layer's W in the flat vectors
        offset = 0
        for layer in network.layers:
            rows, cols = layer.wb.shape
            self._weights.append(slice(offset, offset + (rows - 1) * cols))
            offset += rows * cols
        self._before = np.empty_like(network.flat_params)

    def gradients(self, workspace: Any) -> tuple[np.ndarray, list[np.ndarray]]:
        """Per-layer ‖∂L/∂W‖ and per-node mean |δ| per neuron; also remembers the weights before the step."""
        network = self.network
        grads, params = network.flat_grads, network.flat_params
        norms = np.array([_norm(grads[s]) for s in self._weights])
        batch = workspace.batch_size
        deltas = [np.abs(dz).mean(axis=1, dtype=np.float64) * batch for dz in workspace.dz[1:]]
        np.copyto(self._before, params)
        return norms, deltas

    def update_ratios(self) -> np.ndarray:
        """Per-layer ‖W_after − W_before‖ / ‖W_before‖ of the step since `gradients`."""
        params, before = self.network.flat_params, self._before
        ratios = []
        for s in self._weights:
            size = _norm(before[s])
            ratios.append(_norm(params[s] - before[s]) / size if size > 0 else np.nan)
        return np.array(ratios)


def _norm(values: np.ndarray) -> float:
    return math.sqrt(float(np.dot(values, values)))


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.setflags(write=False)
    return view


__all__ = ["GradientFlow", "GradientProbe"]
