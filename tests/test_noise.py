"""The counter-based latent noise (gansim.gan.noise) and its C twin in fused.c."""

import numpy as np
import pytest
import torch
from scipy import stats

from gansim.gan.config import GANConfig
from gansim.gan.fused import fused_available, philox_normals_c, philox_normals_c_or_none
from gansim.gan.noise import (
    NoiseStream,
    PhiloxNoise,
    latent_noise,
    philox4x32,
    philox_keys,
    philox_normals,
    philox_uniforms,
)
from gansim.gan.train import train_gans
from gansim.rng import replication_streams

needs_cc = pytest.mark.skipif(fused_available(GANConfig()) is not None,
                              reason="no C compiler for the fused engine")

# Known-answer vectors of Philox4x32-10 published with "Parallel Random Numbers: As Easy as
# 1, 2, 3" (Random123's kat_vectors).
KAT = [((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
       ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
       ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]


@pytest.mark.parametrize(("counter", "key", "expected"), KAT)
def test_philox_known_answers(counter, key, expected):
    assert philox4x32(torch.tensor(counter), torch.tensor(key)).tolist() == list(expected)


def _keys(R, seed=3):
    return philox_keys([replication_streams(seed, rep=r).noise for r in range(R)])


@needs_cc
@pytest.mark.parametrize("count", [400, 7, 1])
def test_c_kernel_computes_the_same_normals_bit_for_bit(count):
    keys = _keys(5)
    c = philox_normals_c(keys, 11, 4, 3, count)
    t = philox_normals(keys, range(11, 15), 3, count)
    assert torch.equal(c, t)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
def test_a_gpu_computes_the_same_numbers_bit_for_bit():
    """The integer rounds and each float32 operation are exact or correctly rounded on both
    devices (the square root through float64), so the numbers are the CPU's."""
    keys = _keys(7)
    cpu = philox_normals(keys, range(3), 2, 401)
    gpu = philox_normals(keys, range(3), 2, 401, device="cuda")
    assert torch.equal(gpu.cpu(), cpu)
    u = philox_uniforms(keys, range(3), 1, 33)
    assert torch.equal(philox_uniforms(keys, range(3), 1, 33, device="cuda").cpu(), u)


def test_normals_are_standard_normal_and_a_wrong_law_is_detected():
    z = philox_normals(_keys(4), range(50), 2, 2500).double().numpy().ravel()  # 10^6 numbers
    assert z.size == 1_000_000
    assert stats.kstest(z, "norm").pvalue > 1e-3
    # mean, variance, skewness and excess kurtosis within 4 standard errors
    se = np.sqrt(np.array([1, 2, 6, 24]) / z.size)
    moments = np.array([z.mean(), z.var() - 1, stats.skew(z), stats.kurtosis(z)])
    assert np.all(np.abs(moments) < 4 * se), moments
    # the two numbers of a Box-Muller pair, and neighbouring calls, are uncorrelated
    pairs = philox_normals(_keys(1), range(200), 1, 4000)[:, 0, 0]   # (200, 4000)
    first, second = pairs[:, :1000].ravel().double(), pairs[:, 1000:2000].ravel().double()
    assert abs(float(np.corrcoef(first, second)[0, 1])) < 4 / np.sqrt(first.numel())
    # negative controls: the same test rejects a t(30) sample of this size and a sample
    # with a 1% shift in scale
    rng = np.random.default_rng(0)
    assert stats.kstest(rng.standard_t(30, z.size), "norm").pvalue < 1e-3
    assert abs(np.var(1.01 * z) - 1) > 4 * se[1]


def test_numbers_depend_only_on_the_replication_step_and_draw():
    """Chunks, blocks and the order of requests do not change a replication's numbers."""
    seeds = [replication_streams(5, rep=r).noise for r in range(6)]
    kw = dict(steps=30, n=20, latent_dim=3, dtype=torch.float32, device="cpu", draws=2)
    a = PhiloxNoise(seeds, chunk=7, **kw)
    b = PhiloxNoise(seeds[2:4], chunk=30, **kw)
    for t in (29, 3, 14):
        for j in range(2):
            assert torch.equal(a.at(t)[j][2:4], b.at(t)[j])
    # different steps, draws and replications get different numbers
    z = a.at(5)
    assert not torch.equal(z[0], z[1]) and not torch.equal(z[0][0], z[0][1])
    assert not torch.equal(a.at(6)[0], z[0])


def test_uniforms_are_uniform_on_the_unit_interval():
    seeds = [replication_streams(5, rep=r).noise for r in range(10)]
    noise = PhiloxNoise(seeds, steps=100, n=4, latent_dim=1, dtype=torch.float64,
                        device="cpu", draws=1, uniforms=1, n_uniform=100)
    u = torch.cat([noise.uniform_at(t)[0].ravel() for t in range(100)]).numpy()
    assert u.min() > 0 and u.max() <= 1
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_the_pytorch_path_the_gpu_takes_gives_the_kernels_numbers():
    """On a GPU (and on a CPU without a C compiler) PhiloxNoise generates in PyTorch from
    key tensors on the device; run that path here and compare with the kernel's numbers,
    and with a ``cpu_normals`` that cannot compute them (None: the PyTorch path)."""
    seeds = [replication_streams(5, rep=r).noise for r in range(3)]
    kw = dict(steps=12, n=9, latent_dim=3, dtype=torch.float32, device="cpu", chunk=5,
              draws=2, uniforms=1, n_uniform=9)
    kernel = PhiloxNoise(seeds, cpu_normals=philox_normals_c_or_none, **kw)
    torch_path = PhiloxNoise(seeds, **kw)
    declined = PhiloxNoise(seeds, cpu_normals=lambda *args: None, **kw)
    for t in (0, 7, 11):
        for a, b, c in zip(kernel.at(t) + kernel.uniform_at(t),
                           torch_path.at(t) + torch_path.uniform_at(t),
                           declined.at(t) + declined.uniform_at(t), strict=True):
            assert torch.equal(a, b) and torch.equal(a, c)


def test_the_pytorch_engine_on_the_cpu_draws_its_noise_with_the_kernel(monkeypatch):
    """train_gans hands the fused kernel's normals to the noise of the PyTorch engine (the
    noise module itself does not import the fused engine)."""
    import gansim.gan.train

    calls = []

    def spy(*args):
        calls.append(args)
        return philox_normals_c_or_none(*args)

    monkeypatch.setattr(gansim.gan.train, "philox_normals_c_or_none", spy)
    streams = [replication_streams(9, rep=r) for r in range(2)]
    x = np.stack([s.data_rng().standard_normal(20) for s in streams])
    train_gans(x, GANConfig(steps=3, engine="torch"), init_seeds=[s.init for s in streams],
               noise_seeds=[s.noise for s in streams])
    assert len(calls) == 1 and calls[0][1:] == (0, 3, 2, 20 * GANConfig().latent_dim)


def test_bad_counters_are_refused_naming_the_argument():
    good = np.array([[1, 2]])
    for keys, match in ((np.array([[1, 2, 3]]), r"`keys` must have shape \(R, 2\)"),
                        (np.array([[1, -2]]), r"`keys` must be in \[0, 2\^32\)"),
                        (np.array([[1, 2**33]]), r"`keys` must be in \[0, 2\^32\)"),
                        (np.array([[1.5, 2.0]]), "`keys` must hold integers")):
        with pytest.raises(ValueError, match=match):
            philox_normals(keys, [0], 1, 4)
    with pytest.raises(ValueError, match=r"`steps` must be in \[0, 2\^32\)"):
        philox_uniforms(good, [-1], 1, 4)
    for draws, count in ((0, 4), (1, 0), (1, 2.0)):
        with pytest.raises(ValueError, match="must be an integer >= 1"):
            philox_normals(good, [0], draws, count)
    if fused_available(GANConfig()) is None:
        with pytest.raises(ValueError, match="`keys` must be in"):
            philox_normals_c(np.array([[1, -1]]), 0, 1, 1, 4)
        with pytest.raises(ValueError, match="`n_steps` must be an integer >= 1"):
            philox_normals_c(good, 0, 0, 1, 4)


def test_the_noise_option_picks_the_source_and_is_checked():
    seeds = [replication_streams(5, rep=0).noise]
    kw = dict(n=4, dtype=torch.float32, device="cpu")
    assert isinstance(latent_noise(GANConfig(), seeds, **kw), PhiloxNoise)
    assert isinstance(latent_noise(GANConfig(noise="generator"), seeds, **kw), NoiseStream)
    with pytest.raises(ValueError, match="`noise` must be one of 'philox', 'generator'"):
        GANConfig(noise="mt19937")


@needs_cc
def test_engines_train_on_the_same_numbers():
    """With Philox noise the fused kernel (which computes its noise itself) and the PyTorch
    engine (which is handed it) train on the same numbers: after 30 steps their generators
    agree to float32 rounding, as with the drawn noise, and differ from a run on other
    numbers by far more."""
    streams = [replication_streams(9, rep=r) for r in range(4)]
    x = np.stack([s.data_rng().standard_normal(50) for s in streams])
    kw = dict(init_seeds=[s.init for s in streams], noise_seeds=[s.noise for s in streams])
    fused = train_gans(x, GANConfig(steps=30, engine="fused"), **kw).generator
    torch_ = train_gans(x, GANConfig(steps=30, engine="torch"), **kw).generator
    other = train_gans(x, GANConfig(steps=30, engine="fused", noise="generator"),
                       **kw).generator
    assert float((fused - torch_).abs().max()) < 1e-4
    assert float((fused - other).abs().max()) > 100 * float((fused - torch_).abs().max())
