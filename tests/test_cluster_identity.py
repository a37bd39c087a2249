"""Code identity: what computed a folder's blocks is recorded, and a resume by other code is
refused in one line unless asked for (local runs; the dask workers' check is in
tests/test_cluster.py and tests/test_dask.py)."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

import gansim
from gansim._platform import code_differences, code_identity, source_digest
from gansim.study.core import Study, run_study
from gansim.study.methods import EmpiricalCDF
from gansim.study.runner import reusing_blocks


def _study():
    return Study([EmpiricalCDF()], dgp="normal", replications=4, n=10, m=20, functionals=["mean"],
                 distances=[], block_size=2)


def _manifest(out: Path) -> Path:
    return out / "blocks" / "_settings.json"


def _recorded_by_other_code(out: Path, **change) -> None:
    path = _manifest(out)
    record = json.loads(path.read_text())
    record["code"] = {**record["code"], **change}
    path.write_text(json.dumps(record))


def test_code_identity_is_the_source_digest_and_versions(tmp_path):
    ident = code_identity()
    assert set(ident) == {"digest", "torch", "numpy", "cc"} and len(ident["digest"]) == 64
    assert code_identity() is ident  # once per process
    root = Path(gansim.__file__).parent
    copy = tmp_path / "gansim"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    assert source_digest(copy) == source_digest(root)
    with open(copy / "gan" / "fused.c", "a") as f:  # the C source counts too
        f.write("/* changed */\n")
    assert source_digest(copy) != source_digest(root)
    assert code_differences(ident, {**ident, "torch": "0.1"}) == [
        f"torch ({ident['torch']!r}, now '0.1')"]
    assert code_differences(ident, ident) == []


def test_blocks_and_study_record_carry_the_code(tmp_path):
    run_study(_study(), seed=1, progress=False, out_dir=tmp_path)
    assert json.loads(_manifest(tmp_path).read_text())["code"] == code_identity()
    assert json.loads((tmp_path / "study.json").read_text())["code"] == code_identity()


def test_a_resume_by_other_code_is_refused_in_one_line(tmp_path):
    first = run_study(_study(), seed=1, progress=False, out_dir=tmp_path)
    _recorded_by_other_code(tmp_path, digest="0" * 64, numpy="1.0")
    with pytest.raises(ValueError) as caught:
        run_study(_study(), seed=1, progress=False, out_dir=tmp_path)
    text = str(caught.value)
    assert "\n" not in text
    assert "holds blocks computed by other code (differing: gansim source (digest " \
           "000000000000, now " in text
    assert "numpy ('1.0', now " in text and "--overwrite" in text
    assert "--reuse-blocks-from-other-code" in text
    # --overwrite computes them again (and records this code).
    again = run_study(_study(), seed=1, progress=False, out_dir=tmp_path, overwrite=True)
    assert again.conditions.blocks_computed.tolist() == [2]
    pd.testing.assert_frame_equal(again.tidy, first.tidy)
    assert json.loads(_manifest(tmp_path).read_text())["code"] == code_identity()


def test_reuse_blocks_any_code_keeps_them_with_a_warning(tmp_path):
    first = run_study(_study(), seed=1, progress=False, out_dir=tmp_path)
    _recorded_by_other_code(tmp_path, digest="1" * 64)
    with pytest.warns(RuntimeWarning, match="computed by other code: reused as asked"):
        kept = run_study(_study(), seed=1, progress=False, out_dir=tmp_path,
                         reuse_blocks="any-code")
    assert kept.conditions.blocks_resumed.tolist() == [2]
    pd.testing.assert_frame_equal(kept.tidy, first.tidy)
    record = json.loads(_manifest(tmp_path).read_text())
    assert record["code"] == code_identity()
    assert record["code_reused_from"][0]["digest"] == "1" * 64
    # The folder's code is this run's now: a plain resume reuses without a word...
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_study(_study(), seed=1, progress=False, out_dir=tmp_path)
    # ... and the command line's opt-in is the same policy for every run of one command.
    _recorded_by_other_code(tmp_path, digest="2" * 64)
    with reusing_blocks("any-code"), pytest.warns(RuntimeWarning, match="reused as asked"):
        run_study(_study(), seed=1, progress=False, out_dir=tmp_path)
    with pytest.raises(ValueError, match="`reuse_blocks` must be None or one of"):
        run_study(_study(), seed=1, progress=False, out_dir=tmp_path, reuse_blocks="yes")


def test_blocks_of_a_gansim_that_recorded_no_code_are_reused_with_a_warning(tmp_path):
    first = run_study(_study(), seed=1, progress=False, out_dir=tmp_path)
    path = _manifest(tmp_path)
    record = json.loads(path.read_text())
    del record["code"]
    path.write_text(json.dumps(record))
    with pytest.warns(RuntimeWarning, match="record no code identity .*--overwrite"):
        again = run_study(_study(), seed=1, progress=False, out_dir=tmp_path)
    assert again.conditions.blocks_resumed.tolist() == [2]
    pd.testing.assert_frame_equal(again.tidy, first.tidy)
    assert json.loads(path.read_text())["code"] == code_identity()


def test_other_code_without_blocks_left_is_no_obstacle(tmp_path):
    run_study(_study(), seed=1, progress=False, out_dir=tmp_path)
    _recorded_by_other_code(tmp_path, digest="3" * 64)
    for f in (tmp_path / "blocks").glob("block-*.parquet"):
        f.unlink()
    again = run_study(_study(), seed=1, progress=False, out_dir=tmp_path)
    assert again.conditions.blocks_computed.tolist() == [2]


def test_the_command_line_refuses_and_opts_in(tmp_path, capsys):
    from gansim import cli

    args = ["poc", "-B", "4", "--n", "10", "--m", "20", "--steps", "2", "--gan-bootstrap",
            "0", "--block-size", "2", "--no-progress", "--n-jobs", "1", "--out",
            str(tmp_path)]
    assert cli.main(args) == 0
    _recorded_by_other_code(tmp_path, digest="4" * 64)
    capsys.readouterr()
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "computed by other code" in err
    with pytest.warns(RuntimeWarning, match="reused as asked"):
        assert cli.main([*args, "--reuse-blocks-from-other-code"]) == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"wait_for_workers": -1}, "`wait_for_workers` must be an integer >= 0"),
    ({"wait_for_workers": 1.5}, "`wait_for_workers` must be an integer >= 0"),
    ({"timeout": 0}, "`timeout` must be None or a number of seconds > 0"),
    ({"timeout": "long"}, "`timeout` must be None or a number of seconds > 0"),
])
def test_the_cluster_arguments_are_checked_before_any_work(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_study(_study(), seed=1, progress=False, **kwargs)


def test_the_users_own_modules_are_found_and_pickled_by_value(tmp_path, monkeypatch):
    """What a cluster run sends by value: the user's modules that the study refers to (here
    one importing another), never an installed package; the registry is restored after."""
    cloudpickle = pytest.importorskip("cloudpickle")
    pytest.importorskip("distributed")
    import sys
    from functools import partial

    import numpy as np

    from gansim.study._dask_plugin import by_value, registry, user_modules

    (tmp_path / "my_helpers_mod.py").write_text("def scale(x):\n    return 2 * x\n")
    (tmp_path / "my_study_mod.py").write_text(
        "import my_helpers_mod\n\ndef generate(condition, rng):\n"
        "    return my_helpers_mod.scale(rng.normal(size=condition['n']))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_study_mod

    try:
        obj = [partial(my_study_mod.generate, {"n": 3}), np.mean]
        assert user_modules(obj) == {"my_study_mod", "my_helpers_mod"}
        before = registry()
        with by_value(obj) as names:
            assert names == {"my_study_mod", "my_helpers_mod"} and names <= registry()
            data = cloudpickle.dumps(obj)
        assert registry() == before
    finally:
        del sys.modules["my_study_mod"], sys.modules["my_helpers_mod"]
    # Unpickled where neither module can be imported, the function still runs.
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(tmp_path)])
    fn = cloudpickle.loads(data)[0]
    assert fn(np.random.default_rng(0)).shape == (3,)


def test_wait_for_workers_on_the_command_line_is_a_count(capsys):
    from gansim import cli

    with pytest.raises(SystemExit) as caught:
        cli.main(["poc", "--wait-for-workers", "-1"])
    assert caught.value.code == 2
    assert "--wait-for-workers: must be a whole number of workers" in capsys.readouterr().err


def test_wait_for_workers_needs_a_cluster(capsys):
    from gansim import cli

    assert cli.main(["poc", "--wait-for-workers", "2"]) == 2
    assert "--wait-for-workers needs a dask cluster" in capsys.readouterr().err
