"""The training loop, free of Qt: a GUI worker, the CLI and tests all drive the same `Trainer`.

`Trainer.step(n)` runs n mini-batch steps over shuffled epochs and returns a `StepResult`; `should_stop`
is checked between steps, so a worker thread can pause within one step. `snapshot()` hands out an immutable
`TrainerSnapshot` (copies, never views of live arrays) that may cross threads.

Conventions (the same as the engine's): the reported loss is the data loss, cross-entropy averaged over the
points; L2 adds (λ/2)·Σ‖W‖² over weight matrices only; momentum is Δ ← μΔ + ∂L/∂θ, θ ← θ − ηΔ; Adam is the
standard one. Training computes in float32.

Cost control: the history (`history.TrainingHistory`, numpy columns) gets one entry every
``record_every`` steps, measured on a fixed sample of at most ``eval_points`` training and test points, and
keeps at most ``max_history`` entries (thinned, spikes kept); `evaluate()` uses every point. The batch loss is
checked every ``check_every`` steps.

Divergence: a non-finite loss, or a loss far above the best seen so far (a diverging network often stays
finite), stops training, restores the last recorded weights and optimizer state whose loss was healthy
(close to the best) and sets `divergence` to a message that says what to change. Numpy warnings never
escape (``np.errstate``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from workbench.core.data.dataset import Dataset
from workbench.core.model.engine.network import Network, Weights
from workbench.core.model.engine.optimizers import Optimizer, apply_settings, make_optimizer
from workbench.core.model.network_edits import with_outputs
from workbench.core.model.spec import NetworkSpec, TrainingSettings
from workbench.core.training.gradient_flow import GradientFlow, GradientProbe
from workbench.core.training.history import MAX_ENTRIES, TrainingHistory

NO_TRAINING_POINTS = "no training points: add points to the dataset or lower the test fraction"
_EVAL_CHUNK = 65536


def astuple_fast(metrics: Metrics) -> tuple[Any, ...]:
    return tuple(getattr(metrics, name) for name in _METRIC_FIELDS)


_METRIC_FIELDS = (
    "step", "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
    "train_rmse", "train_r2", "test_rmse", "test_r2",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Metrics:
    """Loss and accuracy (classification) or RMSE and R² (regression) at one step; NaN where there are no
    points of that split and for the other task's metrics."""

    step: int
    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    train_rmse: float = math.nan
    train_r2: float = math.nan
    test_rmse: float = math.nan
    test_r2: float = math.nan

    def __eq__(self, other: object) -> bool:
        """Field by field, with NaN equal to NaN ("no value" is the same in both)."""
        if not isinstance(other, Metrics):
            return NotImplemented
        return all(
            a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
            for a, b in zip(astuple_fast(self), astuple_fast(other), strict=True)
        )

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "epoch": self.epoch,
            "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "train_rmse": self.train_rmse,
            "train_r2": self.train_r2,
            "test_rmse": self.test_rmse,
            "test_r2": self.test_r2,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Metrics:
        return cls(
            int(data["step"]),
            int(data["epoch"]),
            float(data["train_loss"]),
            float(data["train_accuracy"]),
            float(data["test_loss"]),
            float(data["test_accuracy"]),
            *(float(data.get(name, math.nan)) for name in ("train_rmse", "train_r2", "test_rmse", "test_r2")),
        )


@dataclass(frozen=True)
class StepResult:
    """What one `Trainer.step` call did: steps trained, the state at its end and why it stopped early."""

    steps: int
    metrics: Metrics
    stopped: bool = False  # should_stop() returned True
    diverged: bool = False
    message: str | None = None  # divergence or "no training points"


@dataclass(frozen=True, eq=False)
class TrainerSnapshot:
    """An immutable copy of the trainer's state, safe to hand to another thread.

    `history` holds the recorded entries (frozen, shared without copying); `metrics` is the current state,
    which may be newer than the last entry (`history.with_latest(metrics)` is the curve up to now).
    `optimizer_state` (read-only arrays) is there when the snapshot was asked for it, so a save can continue
    exactly where training stopped.
    """

    step: int
    epoch: int
    spec: NetworkSpec
    settings: TrainingSettings
    weights: tuple[tuple[np.ndarray, np.ndarray], ...]  # read-only copies, W (in, out) and b (out,)
    metrics: Metrics
    history: TrainingHistory
    divergence: str | None
    optimizer_state: dict[str, Any] | None = None
    shuffle_state: dict[str, Any] | None = None  # with the optimizer state: where the batch order stands
    #: The run's weight recording up to this snapshot (a frozen `recording.Recording`), where the run is
    #: recorded (the training process records every run; a bare `Trainer` does not).
    recording: Any = None
    #: Per-layer gradient norms and update ratios at the record points, and the latest per-neuron |δ|
    #: (a frozen `gradient_flow.GradientFlow`; None in snapshots made without one).
    gradients: Any = None


def _read_only_copy(array: np.ndarray) -> np.ndarray:
    copy = array.copy()
    copy.setflags(write=False)
    return copy


class Trainer:
    """Owns a network, its optimizer state and the dataset; trains in mini-batch steps."""

    def __init__(
        self,
        dataset: Dataset,
        spec: NetworkSpec,
        settings: TrainingSettings,
        weights: Weights | None = None,
        seed: int | None = None,
        *,
        record_every: int = 50,
        eval_points: int = 1000,
        check_every: int = 10,
        max_history: int = MAX_ENTRIES,
        dtype: np.dtype | type = np.float32,
    ) -> None:
        self._settings = settings.validate()
        self.seed = settings.seed if seed is None else int(seed)
        self.record_every = max(1, int(record_every))
        self.eval_points = max(1, int(eval_points))
        self.check_every = max(1, int(check_every))
        self.max_history = int(max_history)
        self._dtype = np.dtype(dtype)
        self._dataset = dataset
        self._probe: GradientProbe | None = None
        self._network = Network(with_outputs(spec, dataset.task, dataset.n_classes), self.seed, self._dtype)
        if weights is not None:
            self._network.set_weights(weights)
        self._start_fresh()

    # ------------------------------------------------------------------------------------- properties
    @property
    def network(self) -> Network:
        """The live network: use it only on the thread that trains; other threads take `snapshot()`."""
        return self._network

    @property
    def spec(self) -> NetworkSpec:
        return self._network.spec

    @property
    def settings(self) -> TrainingSettings:
        return self._settings

    @property
    def dataset(self) -> Dataset:
        return self._dataset

    @property
    def step_count(self) -> int:
        """Mini-batch steps trained so far."""
        return self._step

    @property
    def epoch(self) -> int:
        """Completed passes over the training points."""
        return self._epoch

    @property
    def metrics(self) -> Metrics:
        """The latest measured state (on the evaluation sample)."""
        return self._last_metrics

    @property
    def history(self) -> TrainingHistory:
        """Entries every `record_every` steps, followed by the current state if it is newer (frozen)."""
        return self._history.with_latest(self._last_metrics)

    @property
    def gradient_flow(self) -> GradientFlow:
        """Gradient norms and update ratios at the record points so far (a frozen view, no copy)."""
        return self._gradients.frozen()

    @property
    def recorded_history(self) -> TrainingHistory:
        """The recorded entries only, as a frozen view (no copy)."""
        return self._history.frozen()

    def get_weights(self) -> Weights:
        return self._network.get_weights()

    # ------------------------------------------------------------------------------------- set-up
    def _start_fresh(self) -> None:
        """New optimizer, counters, history and shuffling order (weights as they are)."""
        self._step = 0
        self._epoch = 0
        self._rng = np.random.default_rng([self.seed % 2**63, 1])
        self._perm_rng_state: dict[str, Any] | None = None  # the shuffling state the current order came from
        self._history = TrainingHistory(self.max_history)
        self._gradients = GradientFlow(len(self._network.layers), self.max_history)
        self.divergence: str | None = None
        self._make_optimizer()
        self._prepare_data()
        self._record(self._evaluate_sample())
        self._save_checkpoint()

    def _make_optimizer(self) -> None:
        network = self._network
        params, grads = {"all": network.flat_params}, {"all": network.flat_grads}
        self._optimizer: Optimizer = make_optimizer(self._settings, params, grads)
        self._good_params = network.flat_params.copy()
        self._good_optimizer = make_optimizer(self._settings, {"all": self._good_params}, grads)
        self._good_step, self._good_epoch = self._step, self._epoch
        self._update_l2()

    def _update_l2(self) -> None:
        network = self._network
        self._l2_mask = network.weight_mask * self._settings.l2 if self._settings.l2 > 0 else None
        self._l2_tmp = np.empty_like(network.flat_params)

    def _prepare_data(self) -> None:
        dataset = self._dataset
        self._network.release_buffers()
        targets = dataset.targets if dataset.targets is not None else dataset.labels
        self._table = self._network.training_table(dataset.points, targets)
        self._train_idx = dataset.train_indices.astype(np.intp)
        self._test_idx = dataset.test_indices.astype(np.intp)
        rng = np.random.default_rng([self.seed % 2**63, 2])
        self._train_sample = self._subsample(self._train_idx, rng)
        self._test_sample = self._subsample(self._test_idx, rng)
        self._perm: np.ndarray | None = None
        self._pos = 0
        self._best_loss = math.inf

    def _subsample(self, indices: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if len(indices) <= self.eval_points:
            return indices
        return np.sort(rng.choice(indices, self.eval_points, replace=False))

    def set_settings(self, settings: TrainingSettings) -> None:
        """New hyper-parameters; weights are kept, and so is the optimizer state unless its kind changes."""
        settings = settings.validate()
        old, self._settings = self._settings, settings
        if settings.optimizer != old.optimizer:
            self._make_optimizer()
        else:
            apply_settings(self._optimizer, settings)
            apply_settings(self._good_optimizer, settings)
            self._update_l2()

    def set_dataset(self, dataset: Dataset) -> None:
        """Train on new data, keeping the weights; a changed class count or task re-initialises the output
        layer."""
        self._dataset = dataset
        if dataset.n_classes != self.spec.n_classes or dataset.task != self.spec.task:
            old = self._network
            spec = with_outputs(old.spec, dataset.task, dataset.n_classes)
            self._network = Network(spec, self.seed, self._dtype)
            self._network.copy_fitting_layers(old)
            self._make_optimizer()
        self._prepare_data()
        self._record(self._evaluate_sample())
        self._save_checkpoint()

    def set_spec(self, spec: NetworkSpec) -> None:
        """A new architecture: a fresh start (step 0, no history), keeping every weight block that still fits
        (`Network.copy_fitting_layers`: a new connection starts at zero, so the function does not jump)."""
        old = self._network
        data = self._dataset
        self._network = Network(with_outputs(spec, data.task, data.n_classes), self.seed, self._dtype)
        self._network.copy_fitting_layers(old)
        self._start_fresh()

    def reset_weights(self, seed: int | None = None) -> None:
        """Re-initialise every layer from ``seed`` (default: the trainer's) and start again from step 0."""
        if seed is not None:
            self.seed = int(seed)
        self._network = Network(self._network.spec, self.seed, self._dtype)
        self._start_fresh()

    def set_weights(self, weights: Weights) -> None:
        """Load weights (ValueError naming the layer that does not fit); the optimizer state is kept."""
        self._network.set_weights(weights)
        self._last_metrics = self._evaluate_sample()
        self._save_checkpoint()

    def set_progress(
        self,
        step: int,
        epoch: int,
        history: TrainingHistory | Sequence[Metrics] = (),
        gradients: GradientFlow | None = None,
    ) -> None:
        """Restore counters and history (from a project file; thinned to `max_history` when longer) and the
        gradient flow when it was saved and fits this network (else it starts empty)."""
        self._step, self._epoch = int(step), int(epoch)
        self._history = TrainingHistory.coerce(history).copy(self.max_history)
        n_layers = len(self._network.layers)
        if gradients is not None and gradients.n_layers == n_layers:
            self._gradients = gradients.copy()
            self._gradients.cut_after(self._step)
        else:
            self._gradients = GradientFlow(n_layers, self.max_history)
        self._last_metrics = replace(self._evaluate_sample(), step=self._step, epoch=self._epoch)
        self._save_checkpoint()

    def optimizer_state(self) -> dict[str, Any]:
        """Plain dict (str -> numbers / array copies) of the optimizer's state, for the project file."""
        return self._optimizer.state_dict()

    def load_optimizer_state(self, state: dict[str, Any]) -> None:
        """Restore `optimizer_state()` output; ValueError if it belongs to another optimizer or network."""
        self._optimizer.load_state_dict(state)
        self._save_checkpoint()

    def shuffle_state(self) -> dict[str, Any]:
        """Where the mini-batch order stands (JSON-friendly: hex strings and ints), so a saved run continues
        with the very batches it would have drawn: the shuffling generator's state before the current
        epoch's order was drawn, and the position in that order (-1: none drawn yet)."""
        drawn = self._perm is not None and self._perm_rng_state is not None
        state = self._perm_rng_state if drawn else self._rng.bit_generator.state
        assert state is not None
        return {
            "state": hex(state["state"]["state"]),
            "inc": hex(state["state"]["inc"]),
            "has_uint32": int(state["has_uint32"]),
            "uinteger": int(state["uinteger"]),
            "position": int(self._pos) if drawn else -1,
        }

    def load_shuffle_state(self, state: dict[str, Any]) -> None:
        """Restore `shuffle_state()` output (ValueError if it is malformed). With the same training points the
        next batches are the ones the saved run would have drawn; otherwise just a valid order."""
        try:
            rng_state = {
                "bit_generator": "PCG64",
                "state": {"state": int(state["state"], 16), "inc": int(state["inc"], 16)},
                "has_uint32": int(state["has_uint32"]),
                "uinteger": int(state["uinteger"]),
            }
            position = int(state["position"])
            self._rng.bit_generator.state = rng_state
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"the shuffling state is not valid ({exc})") from None
        n_train = len(self._train_idx)
        if position < 0:  # no order drawn yet
            self._perm, self._pos = None, 0
            return
        self._perm_rng_state = self._rng.bit_generator.state
        self._perm = self._train_idx[self._rng.permutation(n_train)]
        self._pos = position

    # ------------------------------------------------------------------------------------- training
    def step(self, n: int = 1, should_stop: Callable[[], bool] | None = None) -> StepResult:
        """Train up to ``n`` mini-batch steps; see the module docstring for early stops."""
        self.divergence = None
        if len(self._train_idx) == 0:
            return StepResult(0, self._last_metrics, message=NO_TRAINING_POINTS)
        with np.errstate(all="ignore"):
            done, stopped = self._run(int(n), should_stop)
            if self.divergence is None:
                if self._last_metrics.step != self._step:
                    self._last_metrics = self._evaluate_sample()
                problem = self._loss_problem(self._last_metrics.train_loss, 1.0)
                if problem:
                    self._diverge(problem)
        diverged = self.divergence is not None
        return StepResult(done, self._last_metrics, stopped, diverged, self.divergence)

    def _run(self, n: int, should_stop: Callable[[], bool] | None) -> tuple[int, bool]:
        """The hot loop: one batch gather, the network's preallocated forward/backward, one optimizer step."""
        network = self._network
        compute_gradients = network.compute_gradients
        optimizer_step = self._optimizer.step
        table, train_idx = self._table, self._train_idx
        n_train = len(train_idx)
        batch_size = min(self._settings.batch_size or n_train, n_train)
        main_workspace = network.workspace(batch_size)
        theta, grads = network.flat_params, network.flat_grads
        l2_mask, l2_tmp = self._l2_mask, self._l2_tmp
        check_every, record_every = self.check_every, self.record_every
        take, multiply = table.take, np.multiply  # the table is feature-major: a batch is a set of columns
        perm, pos = self._perm, self._pos
        probe = self._probe
        if probe is None or probe.network is not network:
            probe = self._probe = GradientProbe(network)
        flow = self._gradients
        done = 0
        stopped = False
        while done < n:
            if perm is None or pos >= n_train:
                self._perm_rng_state = self._rng.bit_generator.state  # ~2 us an epoch; for `shuffle_state`
                perm = train_idx[self._rng.permutation(n_train)]
                pos = 0
            idx = perm[pos : pos + batch_size]
            pos += batch_size
            workspace = main_workspace if len(idx) == batch_size else network.workspace(len(idx))
            take(idx, 1, workspace.batch, "clip")  # one gather: features, ones row and one-hot labels
            compute_gradients(workspace)
            measure = (self._step + 1) % record_every == 0  # the step a history entry follows
            if measure:  # the data loss's gradients, before L2 joins them (see `gradient_flow`)
                norms, deltas = probe.gradients(workspace)
            if l2_mask is not None:
                multiply(theta, l2_mask, out=l2_tmp)
                grads += l2_tmp
            if self._step % check_every == 0:
                problem = self._loss_problem(network.loss.last_loss(), 20.0)
                if problem:
                    self._diverge(problem)
                    break
            optimizer_step()
            self._step += 1
            done += 1
            if measure:
                flow.append(self._step, norms, probe.update_ratios())
                flow.set_deltas(self._step, deltas)
            if pos >= n_train:
                self._epoch += 1
            if self._step % record_every == 0:
                metrics = self._evaluate_sample()
                problem = self._loss_problem(metrics.train_loss, 1.0)
                if problem:
                    self._diverge(problem)
                    break
                self._record(metrics)
                if metrics.train_loss <= self._healthy_limit():
                    self._save_checkpoint()
            if should_stop is not None and should_stop():
                stopped = True
                break
        self._perm, self._pos = perm, pos
        return done, stopped

    def _healthy_limit(self) -> float:
        """Below this the weights are worth keeping as the state to fall back to."""
        best = self._best_loss
        return max(2.0 * best, best + 0.5)

    def _explosion_limit(self) -> float:
        best = self._best_loss
        return max(10.0 * best, best + 5.0)

    def _loss_problem(self, loss: float, factor: float) -> str | None:
        """Why this loss means divergence (None if it is fine); ``factor`` loosens the limit for batches."""
        if not math.isfinite(loss):
            return "the loss became NaN or infinite"
        if loss > factor * self._explosion_limit():
            return f"the loss jumped to {loss:.3g}, far above the best so far ({self._best_loss:.3g})"
        return None

    def _save_checkpoint(self) -> None:
        np.copyto(self._good_params, self._network.flat_params)
        self._optimizer.copy_state_to(self._good_optimizer)
        self._good_step, self._good_epoch = self._step, self._epoch

    def _diverge(self, problem: str) -> None:
        """Restore the last checked weights and optimizer state and explain what to change."""
        failed_at = self._step
        np.copyto(self._network.flat_params, self._good_params)
        self._good_optimizer.copy_state_to(self._optimizer)
        self._step, self._epoch = self._good_step, self._good_epoch
        self._history.cut_after(self._step)
        self._gradients.cut_after(self._step)
        self._last_metrics = self._evaluate_sample()
        settings = self._settings
        advice = f"lower the learning rate (now {settings.learning_rate:g})"
        if settings.optimizer == "momentum":
            advice += f" or the momentum (now {settings.momentum:g})"
        if settings.l2 >= 1:
            advice += f" or the L2 strength (now {settings.l2:g})"
        self.divergence = (
            f"Training diverged at step {failed_at}: {problem}. "
            f"Restored the weights from step {self._step}; {advice} and continue."
        )

    # ------------------------------------------------------------------------------------- evaluation
    def _record(self, metrics: Metrics) -> None:
        self._last_metrics = metrics
        history = self._history
        if not len(history) or history.column("step")[-1] != metrics.step:
            history.append(metrics)
        if math.isfinite(metrics.train_loss):
            self._best_loss = min(self._best_loss, metrics.train_loss)

    def _loss_and_accuracy(self, indices: np.ndarray) -> tuple[float, float]:
        if len(indices) == 0:
            return math.nan, math.nan
        n_features = len(self.spec.features)
        network, output = self._network, self.spec.output_node
        labels = self._dataset.labels
        total_loss = 0.0
        correct = 0
        for start in range(0, len(indices), _EVAL_CHUNK):
            chunk = indices[start : start + _EVAL_CHUNK]
            features_t = self._table[:n_features, chunk]
            logits = network.node_outputs(features_t=features_t, nodes=[output], logits=True)[0]
            logits = logits.astype(np.float64)
            truth = labels[chunk]
            shift = logits.max(axis=1)
            log_sum_exp = shift + np.log(np.exp(logits - shift[:, None]).sum(axis=1))
            total_loss += float(np.sum(log_sum_exp - logits[np.arange(len(chunk)), truth]))
            correct += int(np.count_nonzero(np.argmax(logits, axis=1) == truth))
        return total_loss / len(indices), correct / len(indices)

    def _regression_metrics(self, indices: np.ndarray) -> tuple[float, float, float]:
        """Loss mean ½(ŷ − y)², RMSE and R² = 1 − Σ(ŷ − y)² / Σ(y − ȳ)² (NaN without spread in y)."""
        if len(indices) == 0:
            return math.nan, math.nan, math.nan
        n_features = len(self.spec.features)
        targets = self._dataset.targets
        squared = 0.0
        for start in range(0, len(indices), _EVAL_CHUNK):
            chunk = indices[start : start + _EVAL_CHUNK]
            features_t = self._table[:n_features, chunk]
            output = self._network.node_outputs(features_t=features_t, nodes=[self.spec.output_node])[0]
            diff = output[:, 0].astype(np.float64) - targets[chunk]  # type: ignore[index]
            squared += float(np.dot(diff, diff))
        truth = targets[indices]  # type: ignore[index]
        spread = float(np.sum((truth - truth.mean()) ** 2))
        mean_squared = squared / len(indices)
        r2 = 1.0 - squared / spread if spread > 1e-12 else math.nan
        return 0.5 * mean_squared, math.sqrt(mean_squared), r2

    def _metrics_for(self, train: np.ndarray, test: np.ndarray) -> Metrics:
        with np.errstate(all="ignore"):
            if self.spec.is_regression:
                train_loss, train_rmse, train_r2 = self._regression_metrics(train)
                test_loss, test_rmse, test_r2 = self._regression_metrics(test)
                nan = math.nan
                return Metrics(
                    self._step, self._epoch, train_loss, nan, test_loss, nan,
                    train_rmse, train_r2, test_rmse, test_r2,
                )  # fmt: skip
            train_loss, train_accuracy = self._loss_and_accuracy(train)
            test_loss, test_accuracy = self._loss_and_accuracy(test)
        return Metrics(self._step, self._epoch, train_loss, train_accuracy, test_loss, test_accuracy)

    def _evaluate_sample(self) -> Metrics:
        return self._metrics_for(self._train_sample, self._test_sample)

    def evaluate(self) -> Metrics:
        """Loss and accuracy on every training and test point (slower than the sampled `metrics`)."""
        return self._metrics_for(self._train_idx, self._test_idx)

    def snapshot(self, *, with_history: bool = True, with_optimizer_state: bool = False) -> TrainerSnapshot:
        """An immutable copy of the current state (weights copied and made read-only).

        `with_history=False` leaves the history out (empty), for a caller that sends it on by itself (only
        what changed). `with_optimizer_state=True` adds a copy of the optimizer state (for saving; Adam's is
        twice the size of the weights).
        """
        weights = tuple((_read_only_copy(w), _read_only_copy(b)) for w, b in self._network.get_weights())
        optimizer_state = shuffle_state = None
        if with_optimizer_state:
            shuffle_state = self.shuffle_state()
            optimizer_state = self.optimizer_state()  # copies already
            for value in optimizer_state.values():
                if isinstance(value, np.ndarray):
                    value.setflags(write=False)
        return TrainerSnapshot(
            step=self._step,
            epoch=self._epoch,
            spec=self.spec,
            settings=self._settings,
            weights=weights,
            metrics=self._last_metrics,
            history=self._history.frozen() if with_history else TrainingHistory(self.max_history).frozen(),
            gradients=self._gradients.frozen() if with_history else None,
            divergence=self.divergence,
            optimizer_state=optimizer_state,
            shuffle_state=shuffle_state,
        )
