"""The wheel carries the resources/ folder and every module, and an installed wheel finds its resources.

The build runs without build isolation (setuptools and wheel from the test environment, no network) on a
copy of the sources, so the checkout gets no build/ or egg-info folders.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIP = (sys.executable, "-m", "pip")
SOURCES = ("pyproject.toml", "README.md", "workbench", "resources")

#: Run in a fresh interpreter against the installed copy only: the resources must come from there.
CHECK_INSTALLED = """
import os, sys
target = os.path.realpath(sys.argv[1])
import workbench
from workbench.core.palette import palette, resource
assert os.path.realpath(workbench.__file__).startswith(target), workbench.__file__
assert os.path.realpath(str(resource())).startswith(target), resource()
assert len(palette().classes) == 20
from PySide6.QtGui import QGuiApplication
app = QGuiApplication([])
from workbench.qt import icons, theme
assert not icons.icon("train").isNull() and not icons.app_icon().isNull()
assert "#divergenceBanner" in theme.style_sheet("divergence_banner")
print(len(icons.names()))
"""


def _shipped_files(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("setuptools")
    pytest.importorskip("wheel")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    out = work / "dist"
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        text=True,
    )
    (built,) = out.glob("workbench-*.whl")
    return built


def test_the_wheel_holds_every_resource_and_every_module(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    resources = _shipped_files(ROOT / "resources")
    assert {"palette.json", "workbench.svg", "icons/train.svg", "styles/divergence_banner.qss"} <= resources
    missing = sorted(f for f in resources if f"workbench/resources/{f}" not in names)
    assert not missing, f"resources left out of the wheel: {missing}"
    modules = {f for f in _shipped_files(ROOT / "workbench") if f.endswith(".py")}
    missing = sorted(f for f in modules if f"workbench/{f}" not in names)
    assert not missing, f"modules left out of the wheel (add their package to pyproject.toml): {missing}"


def test_an_installed_wheel_loads_its_palette_icons_and_style_sheets(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [*PIP, "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", CHECK_INSTALLED, str(target)],
        cwd=tmp_path,  # not the checkout: nothing may be found there
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) == len(list((ROOT / "resources" / "icons").glob("*.svg")))
