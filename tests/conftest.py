"""Shared test helpers."""

import importlib.util
from pathlib import Path

import pytest

STUDIES = Path(__file__).resolve().parents[1] / "studies"


@pytest.fixture
def load_study():
    """Import ``studies/<name>.py`` (not a package) and return the module."""

    def load(name: str):
        spec = importlib.util.spec_from_file_location(f"study_{name}", STUDIES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
