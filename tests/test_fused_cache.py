"""The fused engine's compile cache loads only libraries this user's gansim compiled: a file
planted in a shared cache folder (another owner, writable by others, a symbolic link, or a
content that is not the one compiled) is compiled again, never loaded."""

from __future__ import annotations

import os
import shutil

import pytest

from gansim.gan import fused

pytestmark = pytest.mark.skipif(shutil.which(os.environ.get("CC", "cc")) is None,
                                reason="no C compiler")

SIZES = ((2, 8, 1), (1, 8, 1))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANSIM_CACHE_DIR", str(folder))
        fused._build(*SIZES)
    return folder


@pytest.fixture
def cache(built, tmp_path, monkeypatch):
    """A fresh copy of the built cache folder (library and digest) for each test."""
    folder = tmp_path / "cache"
    shutil.copytree(built, folder)
    monkeypatch.setenv("GANSIM_CACHE_DIR", str(folder))
    (lib,) = folder.glob("fused-*.so")
    return lib


def _works(lib) -> None:
    # The library answers as a fused library of SIZES does.
    assert lib.gansim_n_params(0) == 2 * 8 + 8 + 8 * 1 + 1


def test_a_built_library_is_recorded_and_reused(cache):
    side = cache.with_name(cache.name + ".sha256")
    assert side.read_text().strip() == fused._sha256(cache)
    assert fused._trusted(cache)
    mtime = cache.stat().st_mtime_ns
    _works(fused._build(*SIZES))
    assert cache.stat().st_mtime_ns == mtime  # loaded from the cache, not compiled again


def _plant(cache, tmp_path, plant, good):
    side = cache.with_name(cache.name + ".sha256")
    other = tmp_path / "planted.so"
    if plant == "content":
        # Any other machine code in its place (here: the library with one byte changed),
        # put there as a new file: the loaded one stays mapped in this process.
        other.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
        other.chmod(0o600)
        os.replace(other, cache)
    elif plant == "no_digest":
        side.unlink()
    elif plant == "group_writable":
        other.write_bytes(good)
        other.chmod(0o664)
        os.replace(other, cache)
    else:
        other.write_bytes(good)
        cache.unlink()
        cache.symlink_to(other)


@pytest.mark.parametrize("plant", ["content", "no_digest", "group_writable", "symlink"])
def test_a_planted_library_is_not_trusted(cache, tmp_path, plant):
    _plant(cache, tmp_path, plant, cache.read_bytes())
    assert not fused._trusted(cache)


def test_a_planted_library_is_compiled_again_not_loaded(cache, tmp_path):
    good = cache.read_bytes()
    _plant(cache, tmp_path, "content", good)
    _works(fused._build(*SIZES))
    assert cache.read_bytes() == good  # compiled again (the compiler is deterministic)
    assert fused._trusted(cache)
