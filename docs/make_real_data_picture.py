"""Regenerate docs/real-data.png: the window with File ▸ Open Example ▸ digits (10 classes), standardized.

    .venv/bin/python docs/make_real_data_picture.py [out.png] [steps]
"""

import sys
from pathlib import Path


def main() -> None:
    from picture_window import PictureWindow
    from PySide6.QtWidgets import QComboBox

    out = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("real-data.png"))
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 6000
    picture = PictureWindow()
    picture.window.files.open_example("digits")
    scaling = picture.window.findChild(QComboBox, "inputScalingCombo")
    scaling.setCurrentIndex(scaling.findData("standardize"))
    picture.pump(0.5)
    step = picture.train(steps)
    picture.grab(out)
    print(f"{out}: step {step}")
    picture.close()


if __name__ == "__main__":  # the training process re-imports this module: only the parent runs it
    main()
