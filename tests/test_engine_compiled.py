"""The compiled engine (``GANConfig(engine="compiled")``): the PyTorch engine's training step
captured once by ``torch.compile`` -- inductor on the CPU, CUDA graphs on a GPU.

Every test here compiles the same step (one architecture, R = 3 replications, n = 20, 20
steps), so the module pays for one compilation (8-14 s the first time on 2 cores, a few
seconds once torch's inductor cache holds it).  The CUDA cases run only where a GPU is.
"""

import numpy as np
import pytest
import torch

from gansim.gan.compiled import compiled_unavailable
from gansim.gan.config import ENGINES, GANConfig
from gansim.gan.memory import replication_bytes
from gansim.gan.mlp import float32_matmuls
from gansim.gan.resolve import resolve_engine
from gansim.gan.train import train_gans
from gansim.rng import replication_streams


def _unavailable(device: str) -> str | None:
    if device == "cuda" and not torch.cuda.is_available():
        return "no CUDA GPU on this machine"
    reason = compiled_unavailable(device)
    return None if reason is None else f"torch.compile is unavailable: {reason}"


def _param(device: str):
    reason = _unavailable(device)
    return pytest.param(device, marks=pytest.mark.skipif(reason is not None,
                                                         reason=reason or ""))


pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
DEVICES = [_param("cpu"), _param("cuda")]
R, N, STEPS = 3, 20, 20
CFG = GANConfig(steps=STEPS, engine="compiled")


def _block(seed=8, reps=range(R)):
    streams = [replication_streams(seed, rep=r) for r in reps]
    x = np.stack([s.data_rng().standard_normal(N) for s in streams])
    return x, dict(init_seeds=[s.init for s in streams],
                   noise_seeds=[s.noise for s in streams])


@pytest.mark.parametrize("device", DEVICES)
def test_compiled_matches_the_torch_engine(device):
    x, kw = _block()
    assert resolve_engine(CFG, device) == "compiled"
    ref = train_gans(x, GANConfig(steps=STEPS, engine="torch"), **kw, device=device,
                     record_losses=True)
    got = train_gans(x, CFG, **kw, device=device, record_losses=True)
    assert got.generator.device.type == device
    # The same training (noise, initial weights, Adam, EMA) up to float32 rounding, which 20
    # steps amplify little: the weights are O(0.5).
    for a, b in ((got.generator, ref.generator), (got.discriminator, ref.discriminator),
                 (got.losses, ref.losses)):
        torch.testing.assert_close(a, b, rtol=0, atol=2e-5)
    # The compiled step is reused, not recompiled: a second block gives the same numbers.
    again = train_gans(x, CFG, **kw, device=device)
    assert again.losses is None
    torch.testing.assert_close(again.generator, got.generator, rtol=0, atol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_compiled_replication_depends_on_its_own_row_only(device):
    x, kw = _block()
    base = train_gans(x, CFG, **kw, device=device)
    # Other data and seeds in the other rows: replication 0 is bit-for-bit the same.
    y, kw2 = _block(seed=9)
    y[0] = x[0]
    kw2 = {k: [kw[k][0], *v[1:]] for k, v in kw2.items()}
    other = train_gans(y, CFG, **kw2, device=device)
    torch.testing.assert_close(other.generator[0], base.generator[0], rtol=0, atol=0)
    torch.testing.assert_close(other.discriminator[0], base.discriminator[0], rtol=0, atol=0)
    assert not torch.equal(other.generator[1], base.generator[1])
    # The block reversed: each replication's numbers follow it to its new row.
    order = [2, 1, 0]
    rev = train_gans(x[order], CFG, **{k: [v[i] for i in order] for k, v in kw.items()},
                     device=device)
    torch.testing.assert_close(rev.generator, base.generator[order], rtol=0, atol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_compiled_engine_in_a_study(device):
    from gansim.studies.poc import poc_study
    from gansim.study.core import run_study

    study = poc_study(replications=R, n=N, m=200, gan=CFG, block_size=R, device=device)
    assert study.settings()["engines"] == {"gan": "compiled"}
    res = run_study(study, seed=1, progress=False)
    assert (res.tidy.status == "ok").all()


@pytest.mark.skipif(_unavailable("cuda") is not None, reason=_unavailable("cuda") or "")
def test_compiled_step_runs_as_cuda_graphs():
    # The state the step updates in place is marked static, so torch.compile's CUDA graph
    # trees replay it instead of skipping CUDA graphs (mutated inputs would make them skip).
    from torch._dynamo.utils import counters

    x, kw = _block()
    before = counters["inductor"]["cudagraph_skips"]
    train_gans(x, CFG, **kw, device="cuda")
    assert counters["inductor"]["cudagraph_skips"] == before


def test_compiled_engine_bad_inputs():
    assert "compiled" in ENGINES
    with pytest.raises(ValueError, match="input gradient"):
        resolve_engine(GANConfig(engine="compiled", loss="wasserstein"))
    with pytest.raises(ValueError, match="input gradient"):
        resolve_engine(GANConfig(engine="compiled", r1_weight=1.0))
    with pytest.raises(ValueError, match="noise='philox'"):
        resolve_engine(GANConfig(engine="compiled", noise="generator"))
    with pytest.raises(ValueError, match="'compiled'"):
        GANConfig(engine="compield")
    with pytest.raises(TypeError, match="allow_tf32"):
        GANConfig(allow_tf32="no")
    # "auto" never picks the compiled engine, on any device.
    assert resolve_engine(GANConfig(engine="auto"), "cpu") in ("fused", "torch")
    # Settings records of runs made before the option existed still match.
    assert "allow_tf32" not in GANConfig().to_dict()
    assert GANConfig(allow_tf32=True).to_dict()["allow_tf32"] is True


def test_memory_estimate_and_auto_block_size_off_a_gpu():
    import gansim as gs

    per = replication_bytes(GANConfig(), n=100, m=10_000)
    assert 1 * 2**20 < per < 4 * 2**20        # draws and their copies dominate
    assert replication_bytes(GANConfig(), n=100, m=20_000) > per
    # Off a GPU, "auto" is the default block size; the settings record the number.
    study = gs.Study(["ecdf", gs.GAN(GANConfig(steps=5))], dgp=gs.Normal(), replications=5,
                     n=10, m=20, block_size="auto")
    assert study.block_size == 100 and study.settings()["block_size"] == 100
    with pytest.raises(ValueError, match="or 'auto'"):
        gs.Study(["ecdf"], dgp=gs.Normal(), replications=5, n=10, m=20, block_size="big")


def test_float32_matmuls_sets_and_restores_tf32():
    flags = torch.backends.cuda.matmul
    name = "fp32_precision" if hasattr(flags, "fp32_precision") else "allow_tf32"
    old = getattr(flags, name)
    with float32_matmuls(False, "cpu"):          # the CPU: nothing changes
        assert getattr(flags, name) == old
    with float32_matmuls(True, "cuda"):
        assert getattr(flags, name) in ("tf32", True)
        with float32_matmuls(False, "cuda"):
            assert getattr(flags, name) in ("ieee", False)
        assert getattr(flags, name) in ("tf32", True)
    assert getattr(flags, name) == old
