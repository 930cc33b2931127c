"""The Qt-free core: datasets, network spec, numpy engine, trainer, views, project files, exporters.

Nothing under this package may import PySide6 or pyqtgraph (tests/core/test_qt_free.py checks it), so every
module here can be used from scripts, the CLI and the GUI's worker thread alike.
"""
