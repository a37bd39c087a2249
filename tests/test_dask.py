"""The runner on a dask.distributed cluster (issue 14): the same tidy rows as the local run.

A LocalCluster of two single-threaded worker processes stands in for a cluster of machines:
its workers are other processes that import gansim afresh, so whatever reaches them (the
study, the block function, the engine check) is pickled exactly as for remote machines.
Skipped where ``distributed`` is not installed (``pip install gansim[dask]``).
"""

from __future__ import annotations

import os
import sys
from functools import partial

import pandas as pd
import pytest

from gansim.gan.config import GANConfig
from gansim.studies.poc import poc_study
from gansim.study.core import Study, StudyError, run_study
from gansim.study.design import condition_grid
from gansim.study.methods import GAN, EmpiricalCDF

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")  # a dependency of distributed

# The workers cannot import this test module (it is not on their path): its functions
# travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

TINY = dict(replications=8, n=20, m=200, gan=GANConfig(steps=20), block_size=4)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address="127.0.0.1:0", silence_logs=40)
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def _grid_study(B=6):
    return Study([EmpiricalCDF(), GAN(GANConfig(steps=15))],
                 design=condition_grid(B, dgp=["normal", "t"], n=[15, 25]), m=200,
                 functionals=["mean", "sd"], distances=["ks"], block_size=4, name="grid")


def test_poc_on_the_cluster_equals_the_local_run(client, tmp_path):
    local = run_study(poc_study(**TINY), seed=5, progress=False)
    remote = run_study(poc_study(**TINY), seed=5, progress=False, out_dir=tmp_path,
                       executor=client)
    pd.testing.assert_frame_equal(remote.tidy, local.tidy)
    info = remote.executor
    assert info["backend"] == "dask" and info["n_workers"] == 2
    assert info["scheduler"] == client.scheduler.address and info["hosts"]
    assert remote.cluster_record() == {"executor": info}
    assert local.executor == {"backend": "local", "n_jobs": 1} and local.cluster_record() == {}
    # The driver wrote the block files, as on the local path.
    assert len(list((tmp_path / "blocks").glob("block-*.parquet"))) == 2


def test_grid_on_the_cluster_by_address_equals_the_local_run(client):
    """Every block of every condition submitted at once; an address string opens (and
    closes) a client of its own."""
    local = run_study(_grid_study(), seed=11, progress=False, n_jobs=1)
    remote = run_study(_grid_study(), seed=11, progress=False,
                       executor=client.scheduler.address)
    pd.testing.assert_frame_equal(remote.tidy, local.tidy)
    assert remote.conditions.blocks_computed.tolist() == [2, 2, 2, 2]


def test_half_local_half_on_the_cluster_is_identical(client, tmp_path):
    whole = run_study(poc_study(**TINY), seed=7, progress=False)
    half = {**TINY, "replications": 4}  # block 0..3 only
    run_study(poc_study(**half), seed=7, progress=False, out_dir=tmp_path)
    rest = run_study(poc_study(**TINY), seed=7, progress=False, out_dir=tmp_path,
                     executor=client)
    assert rest.conditions[["blocks_computed", "blocks_resumed"]].iloc[0].tolist() == [1, 1]
    pd.testing.assert_frame_equal(rest.tidy, whole.tidy)


def _raise_oserror(condition, rng):
    raise OSError("the disk went away")


def test_a_users_oserror_is_an_error_row_on_the_cluster_as_locally(client, tmp_path):
    """An OSError raised by the user's own code inside a replication (a file it reads, say)
    is that replication's error row on the cluster, as locally: the same rows."""
    study = Study([EmpiricalCDF()], generate=_raise_oserror, replications=4, m=50,
                  functionals=["mean"], distances=[], block_size=4, max_failure_share=1.0)
    with pytest.raises(StudyError) as local:
        run_study(study, seed=1, progress=False)
    assert (local.value.result.tidy["status"] == "error").all()
    with pytest.raises(StudyError) as remote:
        run_study(study, seed=1, progress=False, out_dir=tmp_path, executor=client)
    pd.testing.assert_frame_equal(remote.value.result.tidy, local.value.result.tidy)
    assert "OSError: the disk went away" in remote.value.result.tidy["error"].iloc[0]


def _no_compiler(on: bool):
    # Each worker's cached build (or failure) is dropped so the next block sees the change.
    # Its code identity (cached per process, the C compiler's version in it) is taken first,
    # as a worker that started with a compiler and lost it would have it; else the outcome
    # depends on whether an earlier test on this worker happened to compute it.
    from gansim._platform import code_identity
    from gansim.gan import fused

    code_identity()
    if on:
        os.environ["_GANSIM_OLD_CC"] = os.environ.get("CC", "")
        os.environ["CC"] = "/nonexistent"
    else:
        old = os.environ.pop("_GANSIM_OLD_CC", "")
        if old:
            os.environ["CC"] = old
        else:
            os.environ.pop("CC", None)
    fused._library_or_reason.cache_clear()


def test_a_worker_without_a_compiler_is_a_clear_error(client, tmp_path):
    study = poc_study(**{**TINY, "gan": GANConfig(steps=20, engine="fused")})  # the driver
    # compiles (it could not declare the study otherwise); the workers lose their compiler.
    client.run(_no_compiler, True)
    try:
        with pytest.raises(ValueError, match="2 of 2 workers.*cannot run this study.*"
                                             "on host .*no C compiler"):
            run_study(study, seed=1, progress=False, out_dir=tmp_path, executor=client)
    finally:
        client.run(_no_compiler, False)
    assert not list(tmp_path.rglob("block-*.parquet"))


def test_the_command_line_runs_on_the_cluster_and_records_it(client, tmp_path, capsys):
    import json

    from gansim import cli

    # Without the GAN-bootstrap companion (its own study, R GANs per data set): the command
    # line and its record on a cluster are what is checked here.
    common = ["poc", "-B", "8", "--n", "20", "--m", "200", "--steps", "20", "--block-size",
              "4", "--gan-bootstrap", "0", "--no-progress"]
    assert cli.main([*common, "--out", str(tmp_path / "remote"), "--scheduler-address",
                     client.scheduler.address]) == 0
    assert cli.main([*common, "--out", str(tmp_path / "local")]) == 0
    capsys.readouterr()
    remote, local = (pd.read_csv(tmp_path / k / "replications.csv.gz")
                     for k in ("remote", "local"))
    pd.testing.assert_frame_equal(remote, local)
    record = json.loads((tmp_path / "remote" / "run.json").read_text())
    assert record["executor"]["scheduler"] == client.scheduler.address
    assert record["executor"]["n_workers"] == 2
    assert "executor" not in json.loads((tmp_path / "local" / "run.json").read_text())


def _die_once(marker, condition, rng):
    # The first call anywhere kills its worker process mid-block (the marker, created
    # atomically, makes it once); every other call draws the data.
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return rng.normal(size=condition["n"])
    os._exit(1)


def test_a_worker_killed_mid_run_changes_nothing(client, tmp_path):
    """The scheduler gives the lost block to another worker (the nanny restarts the dead
    one); no failed rows, the same results as a local run."""
    marker = str(tmp_path / "killed")
    study = Study([EmpiricalCDF(), GAN(GANConfig(steps=20))],
                  generate=partial(_die_once, marker), replications=8, n=20, m=200,
                  functionals=["mean", "sd"], distances=[], block_size=4)
    remote = run_study(study, seed=3, progress=False, out_dir=tmp_path / "out",
                       executor=client)
    assert os.path.exists(marker)  # a worker did die
    local = run_study(study, seed=3, progress=False)
    pd.testing.assert_frame_equal(remote.tidy, local.tidy)
    assert (remote.tidy["status"] == "ok").all()
    client.wait_for_workers(2, timeout=60)  # the nanny's restart, for the tests after


def test_bad_executor_is_refused():
    with pytest.raises(ValueError, match="neither a scheduler address"):
        run_study(poc_study(**TINY), seed=1, progress=False, executor="/no/such/file")
    with pytest.raises(TypeError, match="`executor` must be"):
        run_study(poc_study(**TINY), seed=1, progress=False, executor=3)
