"""Test configuration shared by every test: Qt runs headless, set here so nobody has to export it."""

import os

# Must happen before anything imports Qt: the offscreen platform needs no display and never shows a window.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
