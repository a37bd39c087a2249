"""The examples in examples/ and the tutorial (docs/guide/study.md) run, and say what is true.

Each example is run as a script, small (-B 20 --steps 50), and must print its summary rows;
then the Gamma study is rerun in-process and checked against numbers computed here from
scratch: the truths from scipy, the ecdf's estimates from the data regenerated from the
replication's seed stream.  Every ```python block of the tutorial runs, in order.
"""

import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st

from gansim.rng import replication_streams

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
SMALL = ["-B", "20", "--steps", "50", "--n-jobs", "1"]

# Lines each example must print (regular expressions, matched line by line).
EXPECTED = {
    "gamma_study.py": [r"mean:bias\s+mean:empse\s+mean:mse\s+mean:cover\s+ks:mean",
                       *(rf"^(50|200)?\s+{m}\s+-?\d\.\d{{4}} \(\d\.\d{{4}}\)"
                         for m in ("ecdf", "bootstrap", "parametric", "gan")),
                       r"^50\s+ecdf", r"^200\s+ecdf", r"^0 rows not ok"],
    "own_study.py": [r"^Methods: ecdf, gan, kde$",
                     r"^  ecdf / p_gt_4: \d+ error, e\.g\. functional 'p_gt_4': ValueError: "
                     r"max too large$",
                     r"^  ContaminatedNormal\.ppf takes one number at a time",
                     r"^\d+ rows not ok, in \d+ replications; results in "],
    "user_functional.py": [r"bias\s+empse\s+cover\s+width",
                           r"^mean\s+50\s+ecdf", r"^p_gt_5\s+50\s+ecdf",
                           r"^\s+trimmed_mean(\s+-?\d\.\d{4} \(\d\.\d{4}\)){4}$",
                           r"P\(X > 5\) = 0\.0404"],
}


def test_every_example_has_expectations():
    assert {p.name for p in EXAMPLES} == set(EXPECTED)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path):
    out = subprocess.run([sys.executable, str(path), *SMALL], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    for pattern in EXPECTED[path.name]:
        assert any(re.search(pattern, line) for line in lines), (pattern, out.stdout)


@pytest.fixture(scope="module")
def gamma_result():
    module = runpy.run_path(str(ROOT / "examples" / "gamma_study.py"), run_name="example")
    return module["main"](SMALL)


def test_gamma_truths_are_scipys(gamma_result):
    tidy = gamma_result.tidy
    g = st.gamma(2)
    truth = tidy.groupby("quantity")["truth"].unique()
    assert truth["mean"].tolist() == [g.mean()]
    assert np.allclose(truth["sd"].tolist(), [g.std()], rtol=1e-14)
    assert np.isnan(truth["ks"]).all()  # a distance has no truth: it is a loss


def test_gamma_ecdf_estimates_are_the_regenerated_data(gamma_result):
    """Replication r of a condition is Gamma(2) data from its own seed stream; the ecdf's
    mean, sd, t interval and KS distance are those of that data set, nothing else."""
    tidy = gamma_result.tidy
    ecdf = tidy[tidy["method"] == "ecdf"].set_index(["condition", "rep", "quantity"])
    assert (ecdf["status"] == "ok").all()
    checked = 0
    for (cond, n), reps in tidy.groupby(["condition", "n"])["rep"].unique().items():
        for rep in reps:
            rng = replication_streams(gamma_result.seed, rep, cond).data_rng()
            x = st.gamma(2).rvs(size=n, random_state=rng)
            row = ecdf.loc[(cond, rep, "mean")]
            assert row["estimate"] == pytest.approx(np.mean(x), rel=1e-12)
            half = st.t.ppf(0.975, n - 1) * np.std(x, ddof=1) / np.sqrt(n)
            assert row["lower"] == pytest.approx(np.mean(x) - half, rel=1e-12)
            assert row["upper"] == pytest.approx(np.mean(x) + half, rel=1e-12)
            assert ecdf.loc[(cond, rep, "sd"), "estimate"] == pytest.approx(np.std(x, ddof=1))
            ks = st.kstest(x, st.gamma(2).cdf).statistic
            assert ecdf.loc[(cond, rep, "ks"), "estimate"] == pytest.approx(ks, rel=1e-10)
            checked += 1
    assert checked == 2 * 20


def test_gamma_summary_is_the_measures_by_hand(gamma_result):
    s = gamma_result.summary().set_index(["n", "method", "quantity", "stat"])
    tidy = gamma_result.tidy
    for n in (50, 200):
        e = tidy[(tidy["n"] == n) & (tidy["method"] == "ecdf") & (tidy["quantity"] == "mean")]
        x = e["estimate"].to_numpy()
        assert s.loc[(n, "ecdf", "mean", "bias"), "est"] == pytest.approx(x.mean() - 2.0)
        assert s.loc[(n, "ecdf", "mean", "bias"), "mcse"] == pytest.approx(
            x.std(ddof=1) / np.sqrt(x.size))
        cover = np.mean((e["lower"] <= 2.0) & (2.0 <= e["upper"]))
        assert s.loc[(n, "ecdf", "mean", "cover"), "est"] == pytest.approx(cover)


def test_user_functional_truth_and_user_method():
    """P(X > 5)'s truth is gamma(2).sf(5); the plain-function method's rows carry its own
    estimate, SE and bounds, and the mean's truth."""
    module = runpy.run_path(str(ROOT / "examples" / "user_functional.py"), run_name="example")
    res = module["main"](["-B", "5", "--steps", "20", "--n-jobs", "1"])
    tidy = res.tidy
    p = tidy[tidy["quantity"] == "p_gt_5"]
    assert p["truth"].unique().tolist() == [pytest.approx(st.gamma(2).sf(5), rel=1e-14)]
    tm = tidy[tidy["method"] == "trimmed_mean"]
    assert tm["quantity"].unique().tolist() == ["mean"] and (tm["truth"] == 2.0).all()
    row = tm.iloc[0]
    x = st.gamma(2).rvs(size=int(row["n"]), random_state=replication_streams(
        res.seed, int(row["rep"]), int(row["condition"])).data_rng())
    assert row["estimate"] == pytest.approx(st.trim_mean(x, 0.2), rel=1e-12)
    assert row["lower"] < row["estimate"] < row["upper"] and row["se"] > 0
    ecdf_p = p[(p["method"] == "ecdf") & (p["rep"] == row["rep"])
               & (p["condition"] == row["condition"])]["estimate"].item()
    assert ecdf_p == np.mean(x > 5)


def readme_blocks() -> list[str]:
    # The tutorial, "Writing a study", is the documentation's page docs/guide/study.md.
    text = (ROOT / "docs" / "guide" / "study.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def test_readme_study_section_runs(tmp_path, monkeypatch, capsys):
    """The section's code, as printed, run in order in one namespace (it writes files, so
    in a temporary folder)."""
    blocks = readme_blocks()
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "readme"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/guide/study.md python block {i}", "exec"), namespace)
    res = namespace["res"]
    assert set(res.tidy["method"]) == {"ecdf", "bootstrap", "gan", "trimmed_mean"}
    assert (tmp_path / "gamma_tidy.csv").exists()
    assert (tmp_path / "gamma_out" / "blocks").is_dir()
    out = capsys.readouterr().out
    assert "more than max_failure_share" in out and "replayed: an outlier" in out


def test_own_study_resumes_and_loses_only_the_failing_rows(tmp_path):
    """The study of the module's docstring: run twice into one folder (the second run reads
    every block), the failures are exactly the data sets with a point beyond 8 (for the
    functional that refuses them, and only there), and the saved files read back."""
    import pandas as pd

    import gansim as gs

    module = runpy.run_path(str(ROOT / "examples" / "own_study.py"), run_name="example")
    args = ["-B", "12", "--steps", "20", "--n-jobs", "1", "--block-size", "4",
            "--out", str(tmp_path)]
    first = module["main"](args)
    again = module["main"](args)
    pd.testing.assert_frame_equal(again.tidy, first.tidy)
    study = module["build"](12, 20, 4)
    expected = set()
    for cond in study.conditions:
        dgp = study.dgp_for(cond)
        for rep in range(12):
            x = dgp.sample(50, replication_streams(1, rep, cond.id).data_rng())
            if x.max() > 8:
                expected.add((cond.key, rep))
    t = first.tidy
    bad = t[t["status"] != "ok"]
    assert expected and set(zip(bad["condition"], bad["rep"], strict=True)) == expected
    assert set(bad["method"]) == {"ecdf"} and set(bad["quantity"]) == {"p_gt_4"}
    assert bad["error"].eq("functional 'p_gt_4': ValueError: max too large").all()
    # The rerun read every block without an error; it computed again those with one.
    with_error = len({(c, r // 4) for c, r in expected})
    assert again.conditions["blocks_computed"].sum() == with_error
    assert again.conditions["blocks_resumed"].sum() == 6 - with_error
    back = gs.StudyResult.load(tmp_path)
    pd.testing.assert_frame_equal(back.tidy, first.tidy)
    assert "0x" not in json.dumps(back.record["settings"])
