"""The Qt layer: presents and edits the core's objects; every import of PySide6 and pyqtgraph lives here."""
