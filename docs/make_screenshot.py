"""Regenerate docs/screenshot.png: the whole window, offscreen, 1400 x 900, after some training.

    .venv/bin/python docs/make_screenshot.py [out.png] [steps]

Set HOVER=layer,neuron to also rest the mouse on a neuron (its picture then covers the canvas).
"""

import os
import sys
from pathlib import Path


def main() -> None:
    from picture_window import PictureWindow
    from PySide6.QtWidgets import QWidget

    out = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("screenshot.png"))
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 15000
    picture = PictureWindow()
    step = picture.train(steps)
    hover = os.environ.get("HOVER")
    if hover:
        layer, neuron = map(int, hover.split(","))
        picture.window.findChild(QWidget, "networkPanel").canvas._set_hovered((layer, neuron))
        picture.pump(0.5)
    picture.grab(out)
    print(f"{out}: step {step}")
    picture.close()


if __name__ == "__main__":  # the training process re-imports this module: only the parent runs it
    main()
