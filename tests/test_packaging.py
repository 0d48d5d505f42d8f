"""Release metadata: one version number, the typing marker, the licence, the serial-build warning."""
import pathlib
import re
import tomllib
import warnings

import pytest

import _gensimx
import _gensimx.openmp
import ldax
import w2vx
from _gensimx import _build

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("w2vx", "ldax", "_gensimx")


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_one_version_number():
    assert w2vx.__version__ == ldax.__version__ == _gensimx.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", _gensimx.__version__)
    project = pyproject()
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "_gensimx.__version__"}


def test_typed_marker_and_licence_ship():
    project = pyproject()
    for package in PACKAGES:
        assert (ROOT / package / "py.typed").is_file()
        assert "py.typed" in project["tool"]["setuptools"]["package-data"][package]
    assert project["project"]["license"] == "LGPL-2.1-or-later"
    head = (ROOT / "LICENSE").read_text()[:200]
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in head and "Version 2.1" in head


def test_serial_build_warns_once_imported(monkeypatch):
    assert isinstance(_build.OPENMP, bool)
    monkeypatch.setattr(_gensimx.openmp, "OPENMP", False)
    with pytest.warns(RuntimeWarning, match="compiled without OpenMP.*ignores workers"):
        _gensimx.openmp.warn_if_serial("ldax's LDA E-step")
    monkeypatch.setattr(_gensimx.openmp, "OPENMP", True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _gensimx.openmp.warn_if_serial("ldax's LDA E-step")
