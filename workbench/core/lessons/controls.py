"""The names a lesson uses for the window's controls and views, and the Qt objectNames behind them.

Why a table: a teacher writes ``locked = ["learning_rate"]``, not widget names that may change; the lesson
panel looks the objectNames up here (widgets and actions alike), and the format refuses unknown names.
Plain strings, so the core stays Qt-free.
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
