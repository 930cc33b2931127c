"""Regenerate docs/regression.png: the whole window, offscreen, 1400 x 900, training a regression.

    .venv/bin/python docs/make_regression_picture.py [out.png] [steps]

The multi-Gaussian dataset (six bumps, three up and three down) trained by a small tanh network for a while:
the prediction surface in the diverging value colours with its colour bar, the points in their target
colours, the Set value tool and the value slider in the Data panel, and around them the network, the hidden
space coloured by target and the predicted-vs-actual scatter.
"""

import sys
from pathlib import Path


def main() -> None:
    from picture_window import PictureWindow
    from PySide6.QtWidgets import QDockWidget

    from workbench.core.data.generators import generate
    from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings

    out = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("regression.png"))
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 12000
    picture = PictureWindow()
    window = picture.window
    layers = (LayerSpec(8, "tanh"), LayerSpec(8, "tanh"))
    spec = NetworkSpec(("x", "y"), layers, task="regression", n_classes=1)
    training = TrainingSettings(learning_rate=0.01, optimizer="adam", batch_size=16)
    window.document.load(generate("gauss", 500, seed=1), spec, training)
    window.canvas.set_tool("value")  # the Set value tool, as a user painting values would have it
    window.canvas.set_current_value(0.6)
    picture.pump(0.5)
    step = picture.train(steps, time_limit=180)
    scatter_dock = window.findChild(QDockWidget, "predictionScatterDock")
    if scatter_dock is not None:  # the predicted-vs-actual tab in front of the curves
        scatter_dock.raise_()
        picture.pump(0.5)
    picture.grab(out)
    metrics = window.training.last_frame.snapshot.metrics
    print(
        f"{out}: step {step}, train RMSE {metrics.train_rmse:.3f}, R² {metrics.train_r2:.3f}, "
        f"test R² {metrics.test_r2:.3f}"
    )
    picture.close()


if __name__ == "__main__":  # the training process re-imports this module: only the parent runs it
    main()
