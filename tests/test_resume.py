"""An interrupted proof-of-concept run, rerun with the same command, ends bit-identical."""

import pandas as pd
import pytest

import gansim.poc
from gansim.gan.config import GANConfig
from gansim.poc import PocDesign, run_poc

DESIGN = PocDesign(n=20, m=200, gan=GANConfig(steps=20), block_size=4)


def test_interrupted_study_resumes_to_identical_results(tmp_path, monkeypatch):
    full = run_poc(replications=12, seed=6, design=DESIGN, progress=False).replications

    calls = {"n": 0}
    real_block = gansim.poc.poc_block

    def interrupted(reps, seed, design):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # as Ctrl-C during the second block
        return real_block(reps, seed, design)

    monkeypatch.setattr(gansim.poc, "poc_block", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_poc(replications=12, seed=6, design=DESIGN, progress=False, out_dir=tmp_path)
    monkeypatch.undo()

    resumed = run_poc(replications=12, seed=6, design=DESIGN, progress=False,
                      out_dir=tmp_path)
    assert (resumed.blocks_resumed, resumed.blocks_computed) == (1, 2)
    pd.testing.assert_frame_equal(resumed.replications, full)


def test_more_replications_reuse_finished_blocks(tmp_path):
    first = run_poc(replications=8, seed=6, design=DESIGN, progress=False, out_dir=tmp_path)
    more = run_poc(replications=12, seed=6, design=DESIGN, progress=False, out_dir=tmp_path)
    assert (more.blocks_resumed, more.blocks_computed) == (2, 1)
    cols = ["xbar", "xbar_star", "ks", "ks_star"]
    pd.testing.assert_frame_equal(more.replications.loc[:7, cols],
                                  first.replications.loc[:, cols])
