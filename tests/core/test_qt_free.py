"""The core must be usable without Qt: importing it may not load PySide6, shiboken6 or pyqtgraph."""

import subprocess
import sys

CHECK = """
import sys, pkgutil, importlib
import workbench.core
for info in pkgutil.walk_packages(workbench.core.__path__, "workbench.core."):
    importlib.import_module(info.name)
loaded = sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'shiboken6', 'pyqtgraph'})
print(','.join(loaded))
"""


def test_importing_every_core_module_loads_no_qt() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"workbench.core pulled in Qt modules: {result.stdout.strip()}"
