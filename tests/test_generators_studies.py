"""The tuning and reporting studies of the generator options: their stated designs, and a
smoke run of each on tiny settings (``--quick``) through the command line."""

import json

import numpy as np
import pandas as pd
import pytest

from gansim import cli
from gansim.gan.config import GANConfig
from gansim.studies import generators, generators_tuning


def test_designs_as_stated():
    # The tuning keeps its own seed and sample sizes; the reporting study its own.
    assert generators_tuning.DEFAULTS["seed"] != generators.DEFAULTS["seed"]
    assert set(generators.DGPS) == {"normal", "t", "lognormal", "mixture", "gamma",
                                    "uniform"} == set(generators_tuning.DGPS)
    assert generators.NS[0] == 50 and generators.NS[-1] == 3200 and generators.B >= 200
    assert generators.M == 10**6
    for opts in generators_tuning.CANDIDATES.values():
        GANConfig(**opts)                                  # every candidate is valid
    study = generators.build_part("mixture", [50, 100], generators.gan_options(
        generators.UNTUNED))
    # B = 200 where the headline claims are (n = 100), B_FLOOR at the floor fits' other n.
    assert [c.replications for c in study.conditions] == [generators.B_FLOOR, 200]
    assert generators.B_FLOOR % study.block_size == 0
    labels = [m.label for m in study.methods]
    assert labels == ["ecdf", "smoothed", "smoothed_cdf", "gan", "gan_large", "gan_pareto",
                      "gan_mixture", "gan_grow", "gan_best"]
    assert {"ks_m1e4", "tail_index", "gap_mass", "mean", "q90"} <= set(study.settings()[
        "functionals"])
    big = generators.build_part("t", [800, 3200], generators.gan_options(generators.UNTUNED))
    assert "gan_large" not in [m.label for m in big.methods]
    plan = generators.plan()
    assert len(plan) == 12 and (plan.total_s < 3600).all()   # parts of under an hour each
    # The help states plan()'s figures, not figures of its own.
    minutes = plan.groupby("part").total_s.mean() / 60
    text = " ".join(generators.DESCRIPTION.split())
    assert (f"about {minutes['small']:.0f} minutes per small part and "
            f"{minutes['large']:.0f} per large part") in text
    assert f"about {plan.total_s.sum() / 3600:.1f} hours in all" in text
    assert (f"about {generators.PLAN_RATE:.0f} GANs" in text
            and f"about {generators.PLAN_DRAW_S} s per sampled" in text)


def test_reporting_needs_the_tuning_results(tmp_path, capsys):
    code = cli.main(["generators", "--quick", "--out", str(tmp_path / "g"), "--no-progress",
                     "--tuned", str(tmp_path / "missing.json")])
    assert code == 2 and "generators_tuning" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_quick_runs_of_both_studies(tmp_path):
    tune = tmp_path / "tune"
    assert cli.main(["generators_tuning", "--quick", "--out", str(tune), "--no-progress",
                     "--n-jobs", "1"]) == 0
    chosen = json.loads((tune / "chosen.json").read_text())
    assert set(chosen["winners"]) == {"pareto", "mix", "grow"}
    assert chosen["best"]["label"] in set(pd.read_csv(tune / "scores.csv").method)
    out = tmp_path / "report"
    assert cli.main(["generators", "--quick", "--tuned", str(tune / "chosen.json"), "--out",
                     str(out), "--no-progress", "--n-jobs", "1"]) == 0
    shares = pd.read_csv(out / "shares.csv")
    assert ((shares.lower <= shares.share) & (shares.share <= shares.upper)).all()
    summary = pd.read_csv(out / "summary.csv")
    gap = summary[(summary.quantity == "gap_mass") & (summary.stat == "mean")]
    assert set(gap.dgp) == {"mixture"} and gap.est.between(0, 1).all()
    tail = summary[(summary.quantity == "tail_index") & (summary.stat == "mean")]
    assert set(tail.method) >= {"ecdf", "gan", "gan_pareto", "gan_best"}
    assert json.loads((out / "chosen.json").read_text()) == chosen


def test_latent_tail_on_the_data_is_the_index_the_gans_trained_with():
    from gansim.gan.train import train_gans
    from gansim.rng import replication_streams

    streams = [replication_streams(3, rep=r) for r in range(2)]
    x = np.stack([s.data_rng().standard_t(3, 100) * 5 + 2 for s in streams])
    block = train_gans(x, GANConfig(steps=1, latent="pareto", engine="torch"),
                       init_seeds=[s.init for s in streams],
                       noise_seeds=[s.noise for s in streams])
    got = [generators.LatentTail()(row) for row in x]
    assert got == pytest.approx(block.latent_tails.numpy(), rel=1e-12)
