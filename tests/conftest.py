"""Shared test helpers.  Every test process runs torch on one thread, as the studies'
workers do (gansim.runner), so timings and floating-point paths match the studies."""

import importlib.util
from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)

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
