"""The reports of results/coverage and results/coverage_tuning (gansim.render.coverage,
gansim.render.coverage_tuning): they reproduce the committed files, and a changed figure in
the data changes the words the rules give it."""

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gansim.render import coverage as cov
from gansim.render import coverage_tuning as tuning

RESULTS = Path(__file__).resolve().parents[1] / "results"


@pytest.fixture(scope="module")
def rendered():
    return cov.render(RESULTS)


def _mirror(tmp_path: Path, folder: str, copy=()) -> Path:
    """results/<folder> under tmp_path: links to the committed files, real copies of
    ``copy`` (paths relative to the folder) so that a test can edit them."""
    src, dst = RESULTS / folder, tmp_path / "results" / folder
    for path in src.rglob("*"):
        if path.is_file():
            rel = path.relative_to(src)
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            if str(rel) in copy:
                shutil.copy(path, dst / rel)
            else:
                (dst / rel).symlink_to(path)
    return tmp_path / "results"


def test_render_reproduces_the_committed_files(rendered):
    for folder, out in (("coverage", rendered), ("coverage_tuning", tuning.render(RESULTS))):
        assert out, folder
        for rel, text in out.items():
            assert (RESULTS / rel).read_text() == text, rel
    assert {"coverage/README.md", "coverage/coverage.md", "coverage/paired.md",
            "coverage/wald/table.md"} <= set(rendered)


def test_readme_states_the_corrected_figures(rendered):
    text = " ".join(rendered["coverage/README.md"].split())
    # The two-sided band counts of the Wald interval, and N(0, 1)'s sd.
    assert "`gan_wald` is at nominal in 19 of 125 cells (105 under, 1 over)" in text
    assert "normal sd (0.864–0.902)" in text
    # 4.73 is a ratio of SDs; the variance ratio is its square.
    assert "a variance ratio of 22.4" in text
    # No cost ratio typed beside a link, no one-sided "0.95 − 2 MCSE" rule, no issue numbers.
    assert "5.7×" not in text and "2 MCSE in" not in text
    assert "issue" not in text.lower()
    # The lognormal's q10 has no resolved trend; the mixture's median rises with n.
    assert "lognormal q10 (" not in text.split("it rises as n grows")[0].split(
        "Coverage falls as n grows")[1]
    assert "mixture median (+0.0668" in text.split("it rises as n grows")[1]


def test_negative_controls_change_the_verdicts(tmp_path):
    # One render of a copy with two edits: a coverage moved into the band, and a rising
    # coverage made flat.
    results = _mirror(tmp_path, "coverage", copy=("summary.csv",))
    path = results / "coverage" / "summary.csv"
    s = pd.read_csv(path)
    wald_cover = (s["method"] == "gan_wald") & (s["stat"] == "cover")
    cell = wald_cover & (s["dgp"] == "normal") & (s["n"] == 400) & (s["quantity"] == "sd")
    assert s.loc[cell, "est"].item() == pytest.approx(0.886)
    s.loc[cell, "est"] = 0.95
    s.loc[wald_cover & (s["dgp"] == "mixture") & (s["quantity"] == "median"), "est"] = 0.7
    s.to_csv(path, index=False)
    text = " ".join(cov.render(results)["coverage/README.md"].split())
    assert "`gan_wald` is at nominal in 20 of 125 cells (104 under, 1 over)" in text
    assert "| normal | sd | 0.866↓ | 0.864↓ | 0.902↓ | 0.882↓ | 0.950 | 1 of 5 |" in text
    under_everywhere = text.split("Under at every n")[1].split("- Coverage")[0]
    assert "t mean (" in under_everywhere and " normal sd (" not in under_everywhere
    rises = text.split("it rises as n grows for ")[1].split(";")[0]
    # The mixture's median no longer rises; N(0, 1)'s sd, up to 0.950 at n = 400, now does.
    assert rises.startswith("6: normal sd (") and "mixture median" not in rises


def test_paired_rule_on_constructed_pairs():
    # Width differences with mean 0.15 and sd ~1 over 100 pairs: 1.5 paired MCSEs, not
    # resolved; mean 0.25: 2.5 MCSEs, wider. Coverage indicators identical: not resolved.
    rep = np.arange(100)
    noise = np.where(rep % 2 == 0, 1.0, -1.0)
    for shift, word in ((0.15, "not resolved at this B"), (0.25, "wider"),
                        (-0.25, "narrower")):
        base = pd.DataFrame({"dgp": "d", "n": 10, "quantity": "mean", "rep": rep,
                             "truth": 0.0, "lower": -5.0, "upper": 5.0, "method": "b"})
        a = base.assign(method="a", upper=5.0 + shift + noise)
        out = cov.paired(pd.concat([a, base]), "a", pd.concat([a, base]), "b").iloc[0]
        assert out["pairs"] == 100
        assert out["width_word"] == word, (shift, out["d_width"] / out["d_width_mcse"])
        assert out["cover_word"] == "not resolved at this B"
    # A missing interval drops its pair.
    a.loc[0, ["lower", "upper"]] = np.nan
    assert cov.paired(pd.concat([a, base]), "a", base, "b").iloc[0]["pairs"] == 99


def test_paired_coverage_is_the_summary_coverage(rendered):
    data = cov.load(RESULTS)
    w = data["parts"]["wald"]["reps"]
    p = cov.paired(w, "gan_wald", w, "boot_bca").set_index(["dgp", "n", "quantity"])
    s = data["summary"]
    c = s[(s["stat"] == "cover")].set_index(["method", "dgp", "n", "quantity"])["est"]
    assert np.allclose(p["cover_a"], c.loc["gan_wald"].reindex(p.index))
    assert np.allclose(p["cover_b"], c.loc["boot_bca"].reindex(p.index))
    # Across parts, the integer key of load() pairs the same rows as the four columns do.
    boot = data["parts"]["boot"]["reps"]
    fast = cov.paired(boot, "gan_percentile", w, "boot_bca")
    slow = cov.paired(boot.drop(columns="key"), "gan_percentile", w.drop(columns="key"),
                      "boot_bca")
    pd.testing.assert_frame_equal(fast, slow)
    assert (fast["pairs"] == 500).all()


def test_coverage_trend_rule():
    ns = [25, 50, 100, 200, 400]
    assert cov.coverage_trend(ns, [0.9] * 5, 500)["word"].startswith("shows no resolved trend")
    assert cov.coverage_trend(ns, [0.9, 0.88, 0.86, 0.84, 0.82], 500)["word"] == \
        "falls as n grows"
    # A zigzag with a small slope: binomial SEs alone would call a trend; the SE inflated
    # for the scatter about the line does not.
    zig = [0.90, 0.80, 0.92, 0.82, 0.94]
    tr = cov.coverage_trend(ns, zig, 500)
    x = np.log2(ns)
    p = np.asarray(zig)
    w = 500 / (p * (1 - p))
    se_binomial = 1 / math.sqrt(np.sum(w * (x - np.sum(w * x) / np.sum(w)) ** 2))
    assert tr["slope"] - 1.96 * se_binomial > 0
    assert tr["word"].startswith("shows no resolved trend")
    # Coverage 1.0 (zero binomial variance) is kept inside (0, 1) rather than dividing by 0.
    tr = cov.coverage_trend([25, 100], [1.0, 1.0], 500)
    assert tr["word"].startswith("shows no resolved trend")
    with pytest.raises(ValueError, match="two or more sample sizes"):
        cov.coverage_trend([25], [0.9], 500)


def test_chance_of_a_resolved_difference():
    assert cov.P_RESOLVED_BY_CHANCE == pytest.approx(0.0455, abs=1e-4)


def test_tuning_negative_control(tmp_path):
    results = _mirror(tmp_path, "coverage_tuning", copy=("warm_steps.txt",))
    path = results / "coverage_tuning" / "warm_steps.txt"
    before = " ".join(tuning.render(results)["coverage_tuning/README.md"].split())
    assert "(none resolved from 1 at this number of data sets)" in before
    text = path.read_text()
    assert "  w300      1.016 (±0.015)" in text
    path.write_text(text.replace("  w300      1.016 (±0.015)", "  w300      1.046 (±0.015)"))
    after = tuning.render(results)["coverage_tuning/README.md"]
    assert "| `w300` | warm, 300 steps, lr 0.001 → 0.0001 | 1.046 (±0.015) | wider |" in after
    assert "(mean wider, sd not resolved, q90 not resolved)" in " ".join(after.split())


def test_tuning_output_is_parsed_whole():
    out = tuning.parse_output((RESULTS / "coverage_tuning" / "warm_steps.txt").read_text())
    assert out["funcs"] == ["mean", "sd", "q90"]
    assert len(out["sets"][["seed", "set"]].drop_duplicates()) == out["count"]
    assert set(out["summary"]["variant"]) == set(out["sets"]["variant"])
    with pytest.raises(ValueError, match="no summary lines"):
        tuning.parse_output("seed 1 data set 0: scratch [0.1]\n")
