"""The names lessons and projects use for the window's controls and views, and the Qt objectNames behind them.

Why a table: a teacher writes ``locked = ["learning_rate"]``, not widget names that may change; the window
looks the objectNames up here (widgets and actions alike), and lesson and project files refuse unknown names.
Plain strings, so the core stays Qt-free (it sits beside `limits`, below every layer that reads files).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Control:
    """A control a lesson can hide or lock: the objectNames of its widgets/actions and what it is."""

    object_names: tuple[str, ...]
    description: str


#: Lesson name -> the control's objectNames (docs/lessons.md lists this table for teachers).
CONTROLS: dict[str, Control] = {
    "network": Control(("networkPanel",), "the network builder (layers, neurons, links)"),
    "presets": Control(("presetCombo",), "the network presets menu"),
    "data": Control(("classPanel",), "the data panel (classes, generate, test split)"),
    "drawing_tools": Control(("toolsToolBar",), "the drawing tools' toolbar"),
    "generate": Control(("actionGenerate",), "Edit ▸ Generate Dataset…"),
    "learning_rate": Control(("learningRateSlider", "learningRateEdit"), "the learning rate"),
    "optimizer": Control(("optimizerCombo",), "the optimizer choice"),
    "momentum": Control(("momentumSpin",), "the momentum μ"),
    "batch_size": Control(("batchSizeSpin",), "the batch size"),
    "l2": Control(("l2Spin",), "the L2 strength"),
    "test_fraction": Control(("testFractionSlider",), "the test-fraction slider"),
    "input_scaling": Control(("inputScalingCombo",), "input standardization"),
    "reset_weights": Control(("actionResetWeights",), "Train ▸ Reset Weights"),
}

#: Lesson name of a view -> the objectName of the dock's content (or of the dock itself) and its title.
VIEWS: dict[str, str] = {
    "networkPanel": "Network",
    "trainingPanel": "Training",
    "classPanel": "Data",
    "lossPlot": "Loss",
    "hiddenSpacePlot": "Hidden Space",
    "gradientPlot": "Gradient Flow",
    "lossLandscape": "Loss Surface",
    "backpropInspector": "Backprop",
    "predictionScatter": "Predicted vs Actual",
}


@dataclass(frozen=True)
class ClassroomControls:
    """Classroom mode of a project: the controls (`CONTROLS` names) hidden and the ones locked."""

    hidden: tuple[str, ...] = ()
    locked: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for kind in ("hidden", "locked"):
            names = getattr(self, kind)
            if isinstance(names, str) or not all(isinstance(name, str) for name in names):
                raise ValueError(f"classroom {kind} must be a list of control names")
            unknown = [name for name in names if name not in CONTROLS]
            if unknown:
                raise ValueError(
                    f"classroom {kind}: unknown control {unknown[0]!r}; choose from {', '.join(CONTROLS)}"
                )
            ordered = tuple(name for name in CONTROLS if name in names)  # one order, no repeats
            object.__setattr__(self, kind, ordered)

    def __bool__(self) -> bool:
        return bool(self.hidden or self.locked)

    def to_dict(self) -> dict[str, list[str]]:
        return {"hidden": list(self.hidden), "locked": list(self.locked)}

    @classmethod
    def from_dict(cls, data: object) -> ClassroomControls:
        """From `to_dict()` output; ValueError naming what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("classroom must be an object with 'hidden' and 'locked' lists")
        hidden, locked = data.get("hidden", []), data.get("locked", [])
        if not isinstance(hidden, list) or not isinstance(locked, list):
            raise ValueError("classroom 'hidden' and 'locked' must be lists of control names")
        return cls(tuple(hidden), tuple(locked))
