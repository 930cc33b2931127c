"""Regenerate docs/gradients.png: the gradient flow of 10 sigmoid layers as a chain (vanishing) above the
same layers with residual links ("Deep narrow + skips"), each network glowing with its neurons' |δ|.

    .venv/bin/python docs/make_gradients_picture.py [steps] [out.png]
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    import numpy as np
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication, QGridLayout, QLabel, QWidget

    from workbench.core.data.generators import generate
    from workbench.core.model.presets import get_preset
    from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
    from workbench.core.present.views import neuron_maps
    from workbench.core.training.trainer import Trainer
    from workbench.qt.gradient_plot import GradientPlot
    from workbench.qt.network_canvas import NetworkCanvas

    app = QApplication.instance() or QApplication(sys.argv)
    dataset = generate("spiral", seed=0)
    base = NetworkSpec(n_classes=dataset.n_classes)
    cases = [
        (
            "10 sigmoid layers, a chain: the gradient vanishes",
            NetworkSpec(
                hidden=tuple(LayerSpec(8, "sigmoid") for _ in range(10)), n_classes=dataset.n_classes
            ),
        ),
        ('The same layers with residual links ("Deep narrow + skips")', get_preset("deep_skips").apply(base)),
    ]
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    window = QWidget()
    window.setStyleSheet("background: white;")
    grid = QGridLayout(window)
    grid.setContentsMargins(12, 10, 12, 10)
    grid.setHorizontalSpacing(18)
    for column, (title, spec) in enumerate(cases):
        trainer = Trainer(dataset, spec, TrainingSettings(), seed=0)
        trainer.step(steps)
        flow = trainer.gradient_flow
        print(title, "accuracy", round(trainer.metrics.train_accuracy, 3))
        print("  last grad norms", " ".join(f"{v:.1e}" for v in flow.grad_norms[-1]))
        label = QLabel(
            f"{title}<br><span style='color:#666'>train accuracy after {steps:,} steps: "
            f"{trainer.metrics.train_accuracy:.0%}</span>"
        )
        font = QFont(label.font())
        font.setPointSize(11)
        label.setFont(font)
        grid.addWidget(label, 3 * column, 0)
        canvas = NetworkCanvas(spec)
        canvas.set_weights(trainer.get_weights())
        with np.errstate(all="ignore"):
            canvas.set_neuron_maps(neuron_maps(trainer.network, spec, dataset.bounds(), 32))
        canvas.set_neuron_deltas(flow.deltas)
        grid.addWidget(canvas, 3 * column + 1, 0, alignment=Qt.AlignmentFlag.AlignHCenter)
        plot = GradientPlot()
        plot.size_check.hide()
        plot.set_flow(flow)
        plot.setMinimumHeight(300)
        plot.plot.setYRange(-9, 1)
        grid.addWidget(plot, 3 * column + 2, 0)
        canvas._settle()
    window.resize(1500, 1400)
    window.show()
    app.processEvents()
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "gradients.png")
    window.grab().save(out)
    try:  # 256 colours keep the picture sharp at a third of the size
        from PIL import Image

        image = Image.open(out).convert("RGB")
        image = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        image.save(out, optimize=True)
    except ImportError:
        pass
    print("wrote", out, window.size())


if __name__ == "__main__":
    main()
