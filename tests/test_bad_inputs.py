"""Bad inputs, table-driven: every one a clear error naming the argument, before any work.

The command lines: one line on stderr naming the option, exit code 2, no traceback.  The API:
a ValueError or TypeError whose message names the argument.
"""

import re

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

from gansim import (
    GAN,
    EmpiricalCDF,
    Estimate,
    Functional,
    GANConfig,
    GANEstimator,
    Normal,
    Study,
    StudyResult,
    condition_grid,
    run_study,
    simsum,
    summarise,
)
from gansim.cli import main
from gansim.gan.engine import train_gans
from gansim.rng import replication_streams
from gansim.study.dgp import StudentT, as_dgp, make_dgp
from gansim.study.methods import Bootstrap, SmoothedBootstrap, make_method

# (argv, the text the one-line error must contain)
CLI_CASES = [
    (["poc", "-B", "1"], "-B/--replications"), (["poc", "-B", "x"], "-B/--replications"),
    (["poc", "-B", "2.5"], "-B/--replications"), (["poc", "-B", ""], "-B/--replications"),
    (["poc", "--n", "1"], "--n"), (["poc", "--n", "nan"], "--n"), (["poc", "--m", "0"], "--m"),
    (["poc", "--m", "-5"], "--m"), (["poc", "--steps", "0"], "--steps"),
    (["poc", "--steps", "1e3"], "--steps"), (["poc", "--block-size", "0"], "--block-size"),
    (["poc", "--seed", "-1"], "--seed"), (["poc", "--seed", "abc"], "--seed"),
    (["poc", "--n-jobs", "0"], "--n-jobs"), (["poc", "--n-jobs", "-2"], "--n-jobs"),
    (["poc", "--n-jobs", "two"], "--n-jobs"), (["poc", "--out", ""], "--out"),
    (["poc", "--out", "README.md"], "--out"), (["poc", "--engine", "gpu"], "--engine"),
    (["poc", "--sigma", "-1"], "`sd`"), (["poc", "--sigma", "0"], "`sd`"),
    (["poc", "--sigma", "nan"], "`sd`"), (["poc", "--sigma", "inf"], "`sd`"),
    (["poc", "--mu", "inf"], "`mean`"), (["poc", "--mu", "nan"], "`mean`"),
    (["poc", "--device", "tpu"], "`device`"), (["poc", "--device", "cuda:x"], "`device`"),
    (["poc", "--unknown"], "unrecognized arguments"), (["nostudy"], "invalid choice"),
    (["poc", "--mu", "abc"], "--mu"), (["poc", "--sigma", ""], "--sigma"),
    (["rates", "--scale", "-1"], "scale"), (["rates", "--scale", "0"], "scale"),
    (["rates", "--scale", "x"], "--scale"), (["rates", "--ns", "1"], "n"),
    (["rates", "--ns", "x"], "--ns"), (["rates", "--dgps", "beta"], "dgp"),
    (["rates", "--m", "1"], "m"), (["rates", "--steps", "0"], "steps"),
    (["rates", "--block-size", "0"], "--block-size"), (["rates", "--seed", "-4"], "--seed"),
    (["losses", "-B", "1"], "-B/--replications"), (["losses", "--steps", "0"], "--steps"),
    (["losses", "--variants", "nope"], "--variants"), (["losses", "--n", "1"], "--n"),
    (["losses", "--m", "1"], "--m"), (["losses", "--n-jobs", "0"], "--n-jobs"),
    (["recipe", "-B", "0"], "-B/--replications"), (["recipe", "--recipes", "nope"], "--recipes"),
    (["recipe", "--dgps", "N(9,9)"], "--dgps"), (["recipe", "--steps", "-1"], "--steps"),
    (["rates_standardize", "-B", "1"], "replications"),
    (["rates_standardize", "--n", "1"], "n"), (["rates_standardize", "--steps", "0"], "steps"),
    (["poc", "--seed", str(2**63)], "--seed"), (["poc", "--out", "x" * 300], "--out"),
    (["poc", "--scheduler-file", "README.md"], "--scheduler-file"),
    (["poc", "--scheduler-file", "no_such.json"], "--scheduler-file"),
]


@pytest.mark.parametrize("argv, names", CLI_CASES, ids=[" ".join(a) for a, _ in CLI_CASES])
def test_cli_bad_input_is_one_line_exit_2(argv, names, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("a file, not a folder")
    if "--out" not in argv and argv[0] != "nostudy":
        argv = [*argv, "--out", str(tmp_path / "out"), "--no-progress"]
    with pytest.raises(SystemExit) as exit_:
        raise SystemExit(main(argv))
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err)
    assert names in err[-1], err[-1]
    assert not (tmp_path / "out" / "blocks").exists()  # refused before any work


BASE = dict(methods=[EmpiricalCDF()], dgp=st.norm(), replications=4, n=10)

# (callable, exception, text naming the argument)
API_CASES = [
    (lambda: Study(**{**BASE, "methods": "ecdf2"}), ValueError, "`name`"),
    (lambda: Study(**{**BASE, "methods": [EmpiricalCDF(), "ecdf"]}), ValueError, "labels"),
    (lambda: Study(**{**BASE, "methods": [None]}), TypeError, "`methods`"),
    (lambda: Study(**{**BASE, "replications": 2.0}), ValueError, "`replications`"),
    (lambda: Study(**{**BASE, "replications": True}), ValueError, "`replications`"),
    (lambda: Study(**{**BASE, "replications": np.int64(1)}), ValueError, "`replications`"),
    (lambda: Study(**{**BASE, "n": "10"}), ValueError, "`n`"),
    (lambda: Study(**{**BASE, "n": 10.5}), ValueError, "`n`"),
    (lambda: Study(**{**BASE, "m": 0}), ValueError, "`m`"),
    (lambda: Study(**{**BASE, "block_size": -1}), ValueError, "`block_size`"),
    (lambda: Study(**{**BASE, "device": 0}), ValueError, "`device`"),
    (lambda: Study(**{**BASE, "dgp": "beta"}), TypeError, "`dgp`"),
    (lambda: Study(**{**BASE, "dgp": None}), ValueError, "`dgp`"),
    (lambda: Study(**{**BASE, "dgp": {"a": st.norm()}, "replications": None,
                      "design": condition_grid(4, dgp=["b"])}), ValueError, "`dgp` mapping"),
    (lambda: Study(**{**BASE, "functionals": [3]}), ValueError, "`functionals`"),
    (lambda: Study(**{**BASE, "functionals": {"t": 3}}), TypeError, "`functionals`"),
    (lambda: Study(**{**BASE, "functionals": {"ks": "mean"}}), ValueError, "clash"),
    (lambda: Study(**{**BASE, "distances": "l1"}), ValueError, "`distances`"),
    (lambda: Study(**{**BASE, "distances": ["ks", "ks"]}), ValueError, "`distances`"),
    (lambda: Study(**{**BASE, "max_failure_share": -0.1}), ValueError, "`max_failure_share`"),
    (lambda: Study(**{**BASE, "max_failure_share": "0.2"}), ValueError, "`max_failure_share`"),
    (lambda: Study(**{**BASE, "name": ""}), ValueError, "`name`"),
    (lambda: Study(**{**BASE, "design": "n=10", "replications": None}), TypeError, "`design`"),
    (lambda: Study(**{**BASE, "design": [], "replications": None}), TypeError, "`design`"),
    (lambda: Study(**{**BASE, "design": condition_grid(4, n=[10]), "n": None,
                      "replications": None} | {"n": 5}), ValueError, "`n`"),
    (lambda: run_study(Study(**BASE), seed=1.5), ValueError, "`seed`"),
    (lambda: run_study(Study(**BASE), seed=None), ValueError, "`seed`"),
    (lambda: run_study(Study(**BASE), seed=1, n_jobs=1.0), ValueError, "`n_jobs`"),
    (lambda: run_study("study", seed=1), TypeError, "`study`"),
    (lambda: condition_grid(4), ValueError, "`factors`"),
    (lambda: condition_grid(4, n=[]), ValueError, "factor `n`"),
    (lambda: condition_grid(4, n="10"), ValueError, "factor `n`"),
    (lambda: condition_grid(1, n=[10]), ValueError, "`replications`"),
    (lambda: condition_grid(4, n=[10, 10]), ValueError, "`factors`"),
    (lambda: condition_grid(4, n=[[1]]), TypeError, "factor `n`"),
    (lambda: GANConfig(steps=0), ValueError, "`steps`"),
    (lambda: GANConfig(steps=True), ValueError, "`steps`"),
    (lambda: GANConfig(latent_dim=0), ValueError, "`latent_dim`"),
    (lambda: GANConfig(g_hidden=()), ValueError, "`g_hidden`"),
    (lambda: GANConfig(d_hidden=(16, 0)), ValueError, "`d_hidden`"),
    (lambda: GANConfig(lr=-1.0), ValueError, "`lr`"),
    (lambda: GANConfig(loss="hinge"), ValueError, "`loss`"),
    (lambda: GANConfig(d_steps=0), ValueError, "`d_steps`"),
    (lambda: GANConfig(label_smoothing=0.7), ValueError, "`label_smoothing`"),
    (lambda: GANConfig(standardize="no"), TypeError, "`standardize`"),
    (lambda: GANConfig(gp_one_sided="yes"), TypeError, "`gp_one_sided`"),
    (lambda: GANConfig(engine="gpu"), ValueError, "`engine`"),
    (lambda: GANConfig(betas=(0.5,)), ValueError, "`betas`"),
    (lambda: GAN({"steps": 10}), TypeError, "`config`"),
    (lambda: GAN(label=""), ValueError, "`label`"),
    (lambda: GAN(label="a__b"), ValueError, "`label`"),
    (lambda: SmoothedBootstrap(bandwidth="silverman"), ValueError, "`bandwidth`"),
    (lambda: SmoothedBootstrap(bandwidth=-1.0), ValueError, "`bandwidth`"),
    (lambda: Bootstrap(stream=""), ValueError, "`stream`"),
    (lambda: make_method("boot"), ValueError, "`name`"),
    (lambda: make_dgp("beta"), ValueError, "`name`"),
    (lambda: make_dgp("t", df=-1.0), ValueError, "df"),
    (lambda: make_dgp("normal", mu=1), TypeError, "parameters"),
    (lambda: Normal(sd=0.0), ValueError, "`sd`"),
    (lambda: Normal(mean=float("nan")), ValueError, "`mean`"),
    (lambda: StudentT(df=0.0), ValueError, "df"),
    (lambda: as_dgp(None), TypeError, "`dgp`"),
    (lambda: Functional(3), TypeError, "`fn`"),
    (lambda: Functional(np.mean, truth="2"), TypeError, "`truth`"),
    (lambda: Normal().sample(0, np.random.default_rng()), ValueError, "`n`"),
    (lambda: Normal().sample(3, 1), TypeError, "`rng`"),
    (lambda: summarise([1, 2]), TypeError, "`tidy`"),
    (lambda: summarise(pd.DataFrame({"method": ["a"]})), ValueError, "missing"),
    (lambda: simsum(pd.DataFrame({"x": [1.0]}), "y"), ValueError, "`estimate`"),
    (lambda: simsum(pd.DataFrame({"x": ["a"]}), "x"), TypeError, "`estimate`"),
    (lambda: simsum(pd.DataFrame({"x": [1.0]}), "x", true="t"), ValueError, "`true`"),
    (lambda: simsum(pd.DataFrame({"x": [1.0]}), "x", true=float("inf")), ValueError, "`true`"),
    (lambda: simsum(pd.DataFrame({"x": [1.0]}), "x", level=1.0), ValueError, "`level`"),
    (lambda: simsum(pd.DataFrame({"x": [1.0]}), "x", ref="a"), ValueError, "`ref`"),
    (lambda: simsum(pd.DataFrame({"x": [1.0]}), "x", ci="lo"), ValueError, "`ci`"),
    (lambda: simsum(pd.DataFrame({"x": [np.inf]}), "x"), ValueError, "`estimate`"),
    (lambda: simsum(pd.DataFrame({"x": [1.0]}), "x", null=np.nan), ValueError, "`null`"),
    (lambda: Study(**{**BASE, "m": 10**9}), ValueError, "`m` x `block_size`"),
    (lambda: Study(**{**BASE, "replications": 1000, "m": 10**7, "block_size": 1000}), ValueError,
     "GiB per block"),
    (lambda: Study(**{**BASE, "m": "100"}), ValueError, "`m`"),
    (lambda: Study(**{**BASE, "m": np.float64(100)}), ValueError, "`m`"),
    (lambda: Study(**{**BASE, "block_size": 2.0}), ValueError, "`block_size`"),
    (lambda: Study(**{**BASE, "n": np.nan}), ValueError, "`n`"),
    (lambda: Study(**{**BASE, "n": None, "replications": None,
                      "design": condition_grid(4, n=[1, 10])}), ValueError, "`n`"),
    (lambda: Study(**{**BASE, "n": None, "replications": None,
                      "design": condition_grid(4, n=["ten"])}), ValueError, "`n`"),
    (lambda: Study(**{**BASE, "dgp": [st.norm()]}), TypeError, "`dgp`"),
    (lambda: Study(**{**BASE, "functionals": {"": "mean"}}), ValueError, "`functionals`"),
    (lambda: Study(**{**BASE, "functionals": {"m": "mode"}}), ValueError, "`functionals`"),
    (lambda: Study(**{**BASE, "name": 3}), ValueError, "`name`"),
    (lambda: Study(**{**BASE, "max_failure_share": True}), ValueError, "`max_failure_share`"),
    (lambda: run_study(Study(**BASE), seed=True), ValueError, "`seed`"),
    (lambda: run_study(Study(**BASE), seed=1, n_jobs=-3), ValueError, "`n_jobs`"),
    (lambda: GANConfig(dtype="float16"), ValueError, "`dtype`"),
    (lambda: GANConfig(ema_decay=1.5), ValueError, "`ema_decay`"),
    (lambda: GANConfig(fake_ratio=0), ValueError, "`fake_ratio`"),
    (lambda: GANConfig(negative_slope=1.0), ValueError, "`negative_slope`"),
]


@pytest.mark.parametrize("call, error, names", API_CASES,
                         ids=[f"api-{i}" for i in range(len(API_CASES))])
def test_api_bad_input_names_the_argument(call, error, names):
    with pytest.raises(error, match=names.replace("(", r"\(").replace(")", r"\)")):
        call()


# -- Numbers validated where they enter: estimates, functionals' truths, design levels, the
# output folder, GAN settings, data float64 cannot standardise.

_X = np.random.default_rng(1).normal(size=20)
_BAD_TRUTH = Functional(np.mean, truth=lambda d: d.no_such_attribute)

ENTRY_API_CASES = [
    (lambda: Estimate("abc"), TypeError, "`estimate`"),
    (lambda: Estimate(1.0, se=-1.0), ValueError, "`se`"),
    (lambda: Estimate(1.0, lower=2.0, upper=0.0), ValueError, "`lower`"),
    (lambda: Estimate(float("inf")), ValueError, "`estimate`"),
    (lambda: condition_grid(4, n=[10], x=[1, 1.0]), ValueError, "factor `x`"),
    (lambda: condition_grid(4, n=[10], x=["../../../../escaped"]), ValueError, "factor `x`"),
    (lambda: condition_grid(4, n=[10], x=["/"]), ValueError, "factor `x`"),
    (lambda: condition_grid(4, n=[10], x=["a\x00b"]), ValueError, "factor `x`"),
    (lambda: condition_grid(4, n=[10], x=[""]), ValueError, "factor `x`"),
    (lambda: run_study(Study(**BASE), seed=1, out_dir=""), ValueError, "`out_dir`"),
    (lambda: StudyResult.load(""), ValueError, "`out_dir`"),
    (lambda: Study(**BASE, functionals={}, distances=[]), ValueError, "`functionals`"),
    (lambda: run_study(Study(**BASE, functionals={"p": _BAD_TRUTH}), seed=1, progress=False),
     ValueError, "truth of functional 'p'"),
    (lambda: GANConfig(lr="0.001"), TypeError, "`lr`"),
    (lambda: GANConfig(ema_start="0.5"), TypeError, "`ema_start`"),
    (lambda: GANConfig(negative_slope="0.2"), TypeError, "`negative_slope`"),
    (lambda: GANConfig(betas=("a", "b")), ValueError, "`betas`"),
    (lambda: GANConfig(g_hidden=(10**9,)), ValueError, "`g_hidden`"),
    (lambda: GANConfig(steps=3_000_000_000), ValueError, "`steps`"),
    (lambda: GANEstimator(GANConfig(steps=2), m=10).fit(_X * 1e300), ValueError, "`x`"),
    (lambda: GANEstimator(GANConfig(steps=2), m=10).fit(_X * 1e-320), ValueError, "`x`"),
    (lambda: Study(**{**BASE, "dgp": Normal(sd=1e200)}), ValueError, "`dgp`"),
    (lambda: Study(**{**BASE, "dgp": st.norm(scale=1e-200)}), ValueError, "`dgp`"),
]


@pytest.mark.parametrize("call, error, names", ENTRY_API_CASES,
                         ids=[f"entry-api-{i}" for i in range(len(ENTRY_API_CASES))])
def test_api_numbers_are_validated_where_they_enter(call, error, names):
    with pytest.raises(error, match=re.escape(names)):
        call()


ENTRY_CLI_CASES = [(["poc", "--sigma", "1e-320"], "`dgp`"), (["poc", "--sigma", "1e200"], "`dgp`")]


@pytest.mark.parametrize("argv, names", ENTRY_CLI_CASES,
                         ids=[" ".join(a) for a, _ in ENTRY_CLI_CASES])
def test_cli_data_float64_cannot_standardise_is_one_line_exit_2(argv, names, capsys, tmp_path,
                                                                  monkeypatch):
    test_cli_bad_input_is_one_line_exit_2(argv, names, capsys, tmp_path, monkeypatch)


@pytest.mark.parametrize("data, match", [
    (np.full((2, 10), np.nan), "`data`"), (np.ones((2, 1)), "`data`"),
    (np.zeros((0, 10)), "`data`"), (np.ones(10), "`data`"), ([["a"] * 10], "`data`"),
    (np.arange(20.0).reshape(2, 10) * 1e300, "`data` row 0: the data's sd overflows"),
])
def test_train_gans_refuses_bad_data(data, match):
    s = [replication_streams(1, r) for r in range(max(1, len(data)))]
    with pytest.raises((ValueError, TypeError), match=match):
        train_gans(data, GANConfig(steps=2), init_seeds=[t.init for t in s],
                   noise_seeds=[t.noise for t in s])


def test_number_of_bad_inputs_tried():
    """The README's reliability section quotes this count."""
    assert len(CLI_CASES) + len(API_CASES) + 5 >= 150


# -- Command-line bounds, and the clamps of --block-size and --n-jobs -----------------------
# (argv, the text the one-line error must contain): numbers past a stated upper bound are
# refused before any work instead of exhausting the memory or running on unbounded.
CLI_BOUND_CASES = [
    (["poc", "-B", str(10**15)], "-B/--replications"),
    (["poc", "-B", str(10**7 + 1)], "-B/--replications"),
    (["poc", "--steps", "3000000000"], "--steps"), (["poc", "--n", str(10**9)], "--n"),
    (["poc", "--m", str(10**12)], "--m"),
    (["losses", "-B", str(10**20)], "-B/--replications"),
    (["recipe", "--steps", str(10**8)], "--steps"),
    (["rates", "--scale", "1e300"], "--scale"), (["rates", "--scale", "nan"], "scale"),
    (["rates", "--scale", "inf"], "--scale"), (["rates", "--ns", "100", str(10**8)], "--ns"),
    (["rates", "--steps", str(10**20)], "--steps"), (["rates", "--m", str(10**9)], "--m"),
    (["rates_standardize", "--steps", str(10**20)], "--steps"),
    (["rates_standardize", "-B", str(10**9)], "-B/--replications"),
    (["rates_standardize", "--n", "1"], "--n"),
    (["rates_floor", "--width-large", "0"], "--width-large"),
    (["rates_floor", "--width-large", str(10**9)], "--width-large"),
    (["rates_floor", "--steps-large", str(10**8)], "--steps-large"),
    (["rates_floor", "--scale", "1e300"], "--scale"), (["rates_floor", "--ns", "1"], "--ns"),
    (["coverage", "--part", "wald", "--scale", "1e300"], "--scale"),
    (["coverage", "--part", "wald", "--steps", str(10**20)], "--steps"),
]


@pytest.mark.parametrize("argv, names", CLI_BOUND_CASES,
                         ids=[" ".join(a) for a, _ in CLI_BOUND_CASES])
def test_cli_numbers_past_their_bound_are_one_line_exit_2(argv, names, capsys, tmp_path,
                                                          monkeypatch):
    test_cli_bad_input_is_one_line_exit_2(argv, names, capsys, tmp_path, monkeypatch)


def test_cli_bound_messages_give_the_bound_and_its_reason(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["poc", "-B", str(10**15), "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "[2, 10,000,000]" in err and "held in memory" in err, err


def test_cli_bounds_themselves_are_accepted():
    """Negative control: the largest values allowed parse."""
    from gansim.cli import (
        MAX_M,
        MAX_N,
        MAX_REPLICATIONS,
        MAX_STEPS,
        MAX_WIDTH,
        m_arg,
        n_arg,
        replications_arg,
        scale_arg,
        steps_arg,
        width_arg,
    )

    assert replications_arg(str(MAX_REPLICATIONS)) == MAX_REPLICATIONS
    assert steps_arg(str(MAX_STEPS)) == MAX_STEPS and n_arg(str(MAX_N)) == MAX_N
    assert m_arg(str(MAX_M)) == MAX_M and width_arg(str(MAX_WIDTH)) == MAX_WIDTH
    assert scale_arg(1000)("1e4") == 1e4 and scale_arg(1000)("0.001") == 0.001


def _tiny_poc(tmp_path, *extra):
    return ["poc", "--n", "10", "--m", "20", "--steps", "2", "--gan-bootstrap", "0",
            "--out", str(tmp_path / "out"), "--no-progress", *extra]


def test_cli_block_size_past_B_is_lowered_to_B(tmp_path, capsys):
    """poc -B 2 --block-size 10000000 computed 10**7 replications (the last block is
    computed in full); the block size is lowered to B, so it computes 2."""
    import json

    assert main(_tiny_poc(tmp_path, "-B", "2", "--block-size", "10000000")) == 0
    blocks = sorted(p.name for p in (tmp_path / "out" / "blocks").glob("block-*.parquet"))
    assert blocks == ["block-0000000-0000002.parquet"]
    settings = json.loads((tmp_path / "out" / "blocks" / "_settings.json").read_text())
    assert settings["block_size"] == 2


def test_cli_n_jobs_past_the_blocks_starts_one_worker_per_block(tmp_path, monkeypatch):
    """--n-jobs 6 with 2 blocks started 6 workers; it starts 2."""
    import joblib

    import gansim.study.executors

    asked = []
    real = joblib.Parallel

    def parallel(*args, n_jobs=None, **kwargs):
        asked.append(n_jobs)
        return real(*args, n_jobs=1, **kwargs)  # in this process: the count is what matters

    monkeypatch.setattr(joblib, "Parallel", parallel)
    monkeypatch.setattr(gansim.study.executors, "usable_cores", lambda: 8)
    assert main(_tiny_poc(tmp_path, "-B", "2", "--block-size", "1", "--n-jobs", "6")) == 0
    assert asked == [2]


def test_cli_rates_block_size_past_the_largest_B_is_lowered(tmp_path, monkeypatch):
    import gansim.studies.rates as rates

    studies = []

    def stop(study, **kwargs):  # the study the command would run, not run
        studies.append(study)
        raise ValueError("stopped before the run")

    monkeypatch.setattr(rates, "run_study", stop)
    argv = ["rates", "--ns", "25", "50", "--dgps", "normal", "--scale", "0.002",
            "--block-size", "100", "--out", str(tmp_path / "out"), "--no-progress"]
    assert main(argv) == 2
    assert [c.replications for c in studies[0].conditions] == [2, 2]
    assert studies[0].block_size == 2
    # Negative control: a block size within B is kept.
    assert main([*argv[:-5], "--block-size", "1", *argv[-3:]]) == 2
    assert studies[1].block_size == 1
