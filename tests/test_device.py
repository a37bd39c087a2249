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
