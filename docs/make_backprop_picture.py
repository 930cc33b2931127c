"""Regenerate docs/backprop.png: the Backprop inspector, offscreen, on a small graph after some training.

    .venv/bin/python docs/make_backprop_picture.py [out.png]

A three-layer tanh network on the spiral with a residual link 1>3 and a connection in>2, trained 400 steps;
one of the worse-fitted training points is traced, and the walk stands at the B-pass of layer 1, where δ
arrives along two paths: back through layer 2's weights, and unchanged through the residual link.
"""

import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from workbench.core.data.generators import generate
    from workbench.core.model.spec import LayerSpec, Link, NetworkSpec, TrainingSettings
    from workbench.core.training.trainer import Trainer
    from workbench.qt.backprop_inspector import BackpropInspector
    from workbench.qt.document import Document

    app = QApplication.instance() or QApplication(sys.argv)
    out = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("backprop.png"))
    spec = NetworkSpec(("x", "y"), (LayerSpec(6, "tanh"), LayerSpec(6, "tanh"), LayerSpec(6, "tanh")), 2)
    spec = spec.with_links(connections=[Link(0, 2)], residuals=[Link(1, 3)])
    dataset = generate("spiral", 400, 2, None, 0)
    settings = TrainingSettings()
    trainer = Trainer(dataset, spec, settings)
    trainer.step(400)
    document = Document(dataset, spec, settings)
    document.record_training(
        trainer.get_weights(),
        trainer.history,
        trainer.step_count,
        trainer.epoch,
        trainer.optimizer_state(),
        trainer.shuffle_state(),
    )
    inspector = BackpropInspector(document)
    inspector.resize(1100, 660)
    losses = []
    for index in dataset.train_indices[:200]:  # a point the network still gets somewhat wrong: large δ
        inspector.set_point(*dataset.points[index], int(dataset.labels[index]), int(index))
        losses.append((inspector.trace.loss, int(index)))
    _, index = sorted(losses)[-3]
    inspector.set_point(*dataset.points[index], int(dataset.labels[index]), index)
    inspector.set_step(next(i for i, s in enumerate(inspector.steps) if (s.kind, s.node) == ("backward", 1)))
    inspector.show()
    app.processEvents()
    inspector.grab().save(out)
    print(f"{out}: point {index}, loss {inspector.trace.loss:.3f}")
    inspector.close()


if __name__ == "__main__":
    main()
