"""The same engine code path on every available device (CUDA cases only where a GPU is)."""

import numpy as np
import pytest
import torch

from gansim.gan.config import GANConfig
from gansim.gan.engine import train_gans
from gansim.rng import replication_streams, torch_generator
from gansim.studies.poc import poc_study
from gansim.study import study_block

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA GPU on this machine"))]


@pytest.mark.parametrize("device", DEVICES)
def test_engine_on_device_matches_cpu_float64(device):
    cfg = GANConfig(steps=40, dtype="float64")
    streams = [replication_streams(8, rep=r) for r in range(3)]
    x = np.stack([s.data_rng().standard_normal(30) for s in streams])
    kw = dict(init_seeds=[s.init for s in streams], noise_seeds=[s.noise for s in streams])
    on_cpu = train_gans(x, cfg, **kw, device="cpu")
    on_dev = train_gans(x, cfg, **kw, device=device)
    assert on_dev.generator.device.type == device
    # Same seeds give the same numbers on CPU; CUDA generators draw other streams, so
    # there only the shapes and finiteness are comparable.
    if device == "cpu":
        torch.testing.assert_close(on_dev.generator, on_cpu.generator, rtol=0, atol=0)
    draws = on_dev.sample(100, [torch_generator(s.draws, device) for s in streams])
    assert draws.shape == (3, 100) and torch.isfinite(draws).all()


@pytest.mark.parametrize("device", DEVICES)
def test_study_block_runs_on_device(device):
    study = poc_study(replications=4, n=20, m=200, gan=GANConfig(steps=20), block_size=4,
                      device=device)
    frame = study_block([0, 1, 2, 3], 1, study.conditions[0], study=study)
    assert (frame.status == "ok").all()
    assert np.isfinite(frame.estimate.to_numpy()).all()


def _numpy_without_cpu(source: str) -> list[int]:
    """Lines of ``source`` calling ``.numpy()`` on anything but a ``.cpu()`` result."""
    import ast

    out = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "numpy"):
            inner = node.func.value
            if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
                    and inner.func.attr == "cpu"):
                out.append(node.lineno)
    return out


def test_every_tensor_to_numpy_goes_through_the_cpu():
    # `.numpy()` on a CUDA tensor raises, and no CI machine has a GPU to show it (issue 15):
    # so every `.numpy()` call in the package must be applied to a `.cpu()` result.
    from pathlib import Path

    import gansim

    # The check itself: it must flag the bug and pass the fix.
    assert _numpy_without_cpu("a = t.detach().numpy()\nb = t.cpu().numpy()\n") == [1]
    bad = [f"{p.name}:{line}" for p in Path(gansim.__file__).parent.rglob("*.py")
           for line in _numpy_without_cpu(p.read_text())]
    assert not bad, f"`.numpy()` without `.cpu()` first: {bad}"
