"""The reports of results/rates and results/rates_floor: rendered from the committed files,
their words follow the data (negative controls on perturbed copies), and their stated rules."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gansim.render import rates, rates_floor
from gansim.summary import rules

RESULTS = Path(__file__).resolve().parents[1] / "results"
FOLDERS = ("rates", "rates_floor")


@pytest.fixture(scope="module")
def rendered():
    return {**rates.render(RESULTS), **rates_floor.render(RESULTS)}


def test_rendered_files_equal_the_committed_ones(rendered):
    assert set(rendered) == {"rates/README.md", "rates/answers.md", "rates/tables.md",
                             "rates_floor/README.md", "rates_floor/answers.md",
                             "rates_floor/cross_checks.md"}
    for rel, text in rendered.items():
        assert (RESULTS / rel).read_text() == text, rel
    # Every Markdown file of the two folders is rendered.
    for folder in FOLDERS:
        on_disk = {f"{folder}/{p.name}" for p in (RESULTS / folder).glob("*.md")}
        assert on_disk <= set(rendered), on_disk - set(rendered)


def test_no_history_or_issue_numbers_in_the_text(rendered):
    for rel, text in rendered.items():
        low = text.lower()
        for word in ("issue ", "issue1", "#1", "previous run", "earlier run"):
            assert word not in low, (rel, word)


def test_the_statements_the_data_did_not_support_are_gone(rendered):
    readme = _flat(rendered["rates_floor/README.md"])
    assert "0.3–1.0" not in readme and "≥ 0.005" not in readme
    assert "stalls" not in readme and "mass in the gap" not in readme
    # What the data say instead (computed, then checked here against floor.csv).
    fl = pd.read_csv(RESULTS / "rates_floor" / "floor.csv")
    fl = fl[(fl.quantity == "ks") & (fl.method != "oracle")]
    widths = fl.c_high - fl.c_low
    assert f"{widths.min():.2f}–{widths.max():.2f} wide" in readme
    assert f"in {(fl.c_low <= 0.005 + 1e-9).sum()} of {len(fl)} fits" in readme
    assert "t -0.38 [-0.70, -0.05] (still falling)" in readme
    answers = rendered["rates/answers.md"]
    assert "../rates_floor/" in answers and "same rule" in answers


def _flat(text: str) -> str:
    """The text with its line breaks and wrapping indents as single spaces."""
    return " ".join(text.split())


def _copy(tmp_path, folder, files):
    dst = tmp_path / "results" / folder
    dst.mkdir(parents=True)
    for f in files:
        shutil.copy(RESULTS / folder / f, dst / f)
    return tmp_path / "results"


def test_rates_readme_follows_a_perturbed_share(tmp_path, rendered):
    res = _copy(tmp_path, "rates", ["summary.csv", "paired.csv", "slopes.csv", "run.json",
                                    "study.json"])
    before = _flat(rendered["rates/README.md"])
    assert "0.630 [0.559, 0.697] (126/200) at n = 800 (*most*)" in before
    p = pd.read_csv(res / "rates" / "paired.csv")
    row = ((p.dgp == "normal") & (p.n == 800) & (p.ref == "ecdf") & (p.quantity == "ks")
           & (p.stat == "less"))
    p.loc[row, "est"] = 105 / 200
    p.to_csv(res / "rates" / "paired.csv", index=False)
    after = _flat(rates.render(res)["rates/README.md"])
    assert "(105/200) at n = 800 (*about half (not resolved)*)" in after
    assert "*most* replications in 8 " in after


def test_rates_floor_readme_follows_a_perturbed_local_slope(tmp_path):
    res = _copy(tmp_path, "rates_floor", ["summary.csv", "paired.csv", "floor.csv",
                                          "local_slopes.csv", "run.json", "run-compute.json"])
    ls = pd.read_csv(res / "rates_floor" / "local_slopes.csv")
    row = (ls.dgp == "t") & (ls.method == "gan") & (ls.n1 == 400)
    ls.loc[row, "ci_high"] = 0.10
    ls.to_csv(res / "rates_floor" / "local_slopes.csv", index=False)
    text = _flat(rates_floor.readme(rates_floor._load(res / "rates_floor")))
    assert "t -0.38 [-0.70, 0.10] (no trend resolved)" in text
    # The floor fits' reading: F_n's c made to exclude ½ marks that DGP's fits untrusted.
    fl = pd.read_csv(res / "rates_floor" / "floor.csv")
    fl.loc[(fl.dgp == "gamma") & (fl.method == "ecdf") & (fl.quantity == "ks"),
           "c_high"] = 0.45
    fl.to_csv(res / "rates_floor" / "floor.csv", index=False)
    text = _flat(rates_floor.readme(rates_floor._load(res / "rates_floor")))
    assert "½ is outside for gamma, whose fits are not trusted" in text


def test_study_functions_give_the_rendered_answers(rendered):
    from gansim.studies import rates as rates_study
    from gansim.studies import rates_floor as study

    d = rates._load(RESULTS / "rates")
    assert rates_study.rates_answers(d["summary"], d["paired"], d["slopes"],
                                     d["run"]["exact_ks_slopes"]) == rendered["rates/answers.md"]
    f = RESULTS / "rates_floor"
    text = study.answers(pd.read_csv(f / "summary.csv"), pd.read_csv(f / "paired.csv"),
                         pd.read_csv(f / "floor.csv"), pd.read_csv(f / "local_slopes.csv"),
                         1_000_000, m_small=study.M_SMALL)
    assert text == rendered["rates_floor/answers.md"]


def test_ratio_rule_is_the_paired_rule_on_the_log_scale():
    # log(0.9) = -0.105; MCSE/ratio = 0.05/0.9 = 0.056: 1.9 MCSEs, not resolved.
    assert rates.ratio_word(0.9, 0.05) == "not resolved at this B"
    assert rates.ratio_word(0.85, 0.05) == "smaller"          # 3.3 MCSEs
    assert rates.ratio_word(1.25, 0.1) == "larger"            # 2.8 MCSEs
    # Symmetric on the log scale: a ratio and its inverse get opposite words.
    assert rates.ratio_word(1 / 0.85, 0.05 / 0.85**2) == "larger"
    assert rates.ratio_chance(150).expected == pytest.approx(150 * 0.02275, rel=1e-3)
    assert rates.family_z(1) == pytest.approx(1.959964, abs=1e-5)


def test_wls_slope_and_trend_words():
    x = np.log([50, 100, 200, 400, 800])
    slope, lo, hi = rates.wls_slope(x, 0.01 + 0.002 * x, np.full(5, 1e-4))
    assert slope == pytest.approx(0.002) and lo < 0.002 < hi
    assert rules.trend(slope, lo, hi) == "rises as n grows"
    slope, lo, hi = rates.wls_slope(x, np.array([0.1, -0.1, 0.1, -0.1, 0.1]), np.full(5, 0.1))
    assert rules.trend(slope, lo, hi).startswith("shows no resolved trend")


def test_floor_table_reading_notes():
    fits = pd.DataFrame([
        {"dgp": "x", "method": "ecdf", "a": 0.001, "a_low": 0.0005, "a_high": 0.002, "c": 0.5,
         "c_low": 0.4, "c_high": 0.6, "chi2": 1.0, "df": 2},
        {"dgp": "x", "method": "gan", "a": 0.0, "a_low": -2.0, "a_high": 0.02, "c": 0.3,
         "c_low": 0.005, "c_high": 0.8, "chi2": 1.0, "df": 2},
        {"dgp": "y", "method": "ecdf", "a": 0.001, "a_low": 0.0005, "a_high": 0.002, "c": 0.3,
         "c_low": 0.1, "c_high": 0.45, "chi2": 1.0, "df": 2},
    ])
    md, out = rates.floor_table(fits, c_bound=0.005)
    assert list(out.c_at_bound) == [False, True, False]
    assert list(out.a_open) == [False, True, False]
    assert list(out.trusted) == [True, True, False]
    assert "c ≤ 0.80; a ≤ 0.0200" in md and "not trusted (F_n's c ≠ ½)" in md


def test_ks_floor_matches_kolmogorovs_mean():
    from scipy import stats

    assert rates.ks_floor(400) == pytest.approx(float(stats.kstwo(400).mean()), rel=1e-3)
    assert math.isclose(rates.ks_floor(10_000), 0.0086707, rel_tol=1e-4)


def test_wrap_leaves_tables_alone():
    long = "word " * 40
    table = "| " + " | ".join(["x"] * 40) + " |"
    out = rates.wrap(f"{long}\n{table}\n- {long}").split("\n")
    assert table in out and all(len(line) <= 95 for line in out if line != table)
    assert out[-1].startswith("  ")
