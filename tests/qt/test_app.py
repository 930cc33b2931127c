"""`workbench` with a project path opens the real window with that project and every panel live."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication, QWidget

from workbench.core.data.generators import generate
from workbench.core.files.project import Project, save_project
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.qt import app as app_module
from workbench.qt.main_window import MainWindow


@pytest.fixture
def isolated_user_settings(tmp_path, qapp):
    """main() uses the default QSettings and names the application: keep both away from the real user."""
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    names = (QCoreApplication.organizationName(), QCoreApplication.applicationName())
    yield
    QCoreApplication.setOrganizationName(names[0])
    QCoreApplication.setApplicationName(names[1])


def test_main_opens_the_project_given_on_the_command_line(
    qtbot, tmp_path, monkeypatch, isolated_user_settings
):
    dataset = generate("moons", n_points=120, seed=3)
    spec = NetworkSpec(("x", "y"), (LayerSpec(5, "relu"),), dataset.n_classes)
    path = tmp_path / "moons.wbproj"
    save_project(Project(dataset, spec, TrainingSettings(learning_rate=0.05)), path)
    seen: dict = {}

    def run_until_opened(self) -> int:
        """Stand-in for the event loop: wait for the window to show the project, then quit like a user."""
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        qtbot.waitUntil(lambda: window.document.path == path, timeout=10_000)
        seen["points"] = window.document.dataset.points.copy()
        seen["spec"] = window.document.spec
        seen["panels"] = [type(window.findChild(QWidget, n)).__name__ for n in ("networkPanel", "lossPlot")]
        window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", run_until_opened)
    assert app_module.main([str(path)]) == 0
    np.testing.assert_array_equal(seen["points"], dataset.points)
    assert seen["spec"].hidden == (LayerSpec(5, "relu"),)
    assert seen["panels"] == ["NetworkPanel", "LossPlot"]
