"""The report layer: the stated rules (closed forms, independent implementations, negative
controls) and the committed results READMEs, which must equal their rendering."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from gansim.render import REPORTS, apply_fragments, check, render
from gansim.summary import rules

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"


# ---------------------------------------------------------------------------- the rules


def test_band_closed_form():
    band = rules.coverage_band(500)
    half = 1.96 * math.sqrt(0.95 * 0.05 / 500)
    assert band.lo == pytest.approx(0.95 - half, abs=1e-15)
    assert band.hi == pytest.approx(0.95 + half, abs=1e-15)
    assert band.rule(4) == "0.95 ± 1.96·√(0.95·0.05/500) = [0.9309, 0.9691]"


@pytest.mark.parametrize("cover,B,word", [
    (0.9457, 10_000, "under"),      # just below the band's lower end 0.94573
    (0.9458, 10_000, "at nominal"),
    (0.9542, 10_000, "at nominal"),
    (0.9543, 10_000, "over"),
    (0.930, 500, "under"),          # 0.9309 is the lower end at B = 500
    (0.932, 500, "at nominal"),
    (0.970, 500, "over"),
    (float("nan"), 500, "unknown"),
])
def test_coverage_verdict(cover, B, word):
    assert rules.coverage_verdict(cover, B) == word


def test_coverage_verdict_other_level():
    # At 90% the band is 0.9 ± 1.96·√(0.09/B); 0.95 is over it, 0.9 inside.
    assert rules.coverage_verdict(0.95, 1000, level=0.9) == "over"
    assert rules.coverage_verdict(0.9, 1000, level=0.9) == "at nominal"


def test_band_holds_its_level_for_a_correct_interval():
    # The band is a 95% range for a correct interval's observed coverage: binomial(B, 0.95)
    # counts fall inside it with probability about 0.95 (a little more: discreteness).
    B = 500
    band = rules.coverage_band(B)
    k = np.arange(B + 1)
    inside = (k / B >= band.lo) & (k / B <= band.hi)
    prob = stats.binom(B, 0.95).pmf(k)[inside].sum()
    assert 0.94 < prob < 0.97


def test_coverage_counts_and_chance():
    covers = [0.95, 0.90, 0.97, 0.931, float("nan")]
    counts = rules.coverage_counts(covers, 500)
    assert (counts.at, counts.under, counts.over, counts.unknown) == (2, 1, 1, 1)
    assert counts.total == 5
    assert counts.sentence() == "at nominal in 2 of 5 cells (1 under, 1 over, 1 not computable)"
    assert counts.chance_outside.cells == 4


def test_coverage_counts_per_cell_B():
    counts = rules.coverage_counts([0.9457, 0.9457], [10_000, 500])
    assert (counts.under, counts.at) == (1, 1)
    assert counts.band is None
    with pytest.raises(ValueError, match="one per coverage"):
        rules.coverage_counts([0.9], [500, 500])


@pytest.mark.parametrize("diff,mcse,word", [
    (0.015, 0.01, "not resolved at this B"),   # negative control: 1.5 MCSE
    (-0.015, 0.01, "not resolved at this B"),
    (0.02, 0.01, "not resolved at this B"),    # exactly 2 MCSE is not beyond 2
    (0.0201, 0.01, "higher"),
    (-0.0201, 0.01, "lower"),
    (0.01, 0.0, "higher"),
    (0.0, 0.0, "not resolved at this B"),
    (float("nan"), 0.01, "unknown"),
    (0.01, -1.0, "unknown"),
])
def test_compare(diff, mcse, word):
    assert rules.compare(diff, mcse).word == word


def test_compare_custom_words_and_z():
    comp = rules.compare(-0.05, 0.01, higher="wider", lower="narrower")
    assert comp.word == "narrower" and comp.resolved
    assert comp.z == pytest.approx(-5.0)
    assert not rules.compare(0.01, 0.01).resolved


@pytest.mark.parametrize("slope,lo,hi,word", [
    (-0.38, -0.70, -0.05, "falls as n grows"),
    (0.2, 0.01, 0.4, "rises as n grows"),
    (-0.1, -0.3, 0.1, "shows no resolved trend (the slope's 95% interval includes 0)"),
])
def test_trend(slope, lo, hi, word):
    assert rules.trend(slope, lo, hi) == word


def test_trend_refuses_a_reversed_interval():
    with pytest.raises(ValueError, match="`lo` must be <= `hi`"):
        rules.trend(0.0, 1.0, -1.0)


@pytest.mark.parametrize("ratio,mcse,word", [
    (1.05, 0.02, "above 1"),                  # log 1.05 / (0.02/1.05) = 2.56
    (1.03, 0.02, "not resolved at this B"),   # 1.52: negative control
    (0.80, 0.05, "below 1"),
    (0.0, 0.1, "unknown"),
    (1.2, float("nan"), "unknown"),
])
def test_compare_ratio_on_the_log_scale(ratio, mcse, word):
    comp = rules.compare_ratio(ratio, mcse)
    assert comp.word == word
    if word != "unknown":
        assert comp.z == pytest.approx(math.log(ratio) * ratio / mcse)


def test_chance_resolved_and_family_z():
    assert rules.P_RESOLVED_BY_CHANCE == pytest.approx(2 * stats.norm.cdf(-2.0))
    assert rules.chance_resolved(100).p == pytest.approx(2 * stats.norm.cdf(-2.0))
    assert rules.chance_resolved(100, sides=1).p == pytest.approx(stats.norm.cdf(-2.0))
    # Bonferroni: a family of 150 two-sided tests at 0.05.
    assert rules.family_z(150) == pytest.approx(stats.norm.ppf(1 - 0.05 / 300))
    with pytest.raises(ValueError):
        rules.chance_resolved(10, sides=3)


def test_weighted_slope_equals_statsmodels_wls():
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    x = np.log([25, 50, 100, 200, 400, 800])
    se = np.array([0.02, 0.02, 0.015, 0.015, 0.01, 0.01])
    # Points scattered 3x their SEs about a line: the SE is widened to statsmodels' own.
    y = 0.1 - 0.05 * x + 3 * se * rng.standard_normal(6)
    fit = sm.WLS(y, sm.add_constant(x), weights=1 / se**2).fit()
    s = rules.weighted_slope(x, y, se)
    assert s.slope == pytest.approx(fit.params[1], rel=1e-12)
    assert fit.scale > 1
    assert (s.hi - s.lo) / 2 == pytest.approx(stats.norm.ppf(0.975) * fit.bse[1], rel=1e-10)
    # Points closer to the line than their SEs: the SE stays the known-variance one.
    y2 = 0.1 - 0.05 * x + 0.1 * se * rng.standard_normal(6)
    fit2 = sm.WLS(y2, sm.add_constant(x), weights=1 / se**2).fit()
    s2 = rules.weighted_slope(x, y2, se)
    assert fit2.scale < 1
    assert (s2.hi - s2.lo) / 2 == pytest.approx(
        stats.norm.ppf(0.975) * fit2.bse[1] / math.sqrt(fit2.scale), rel=1e-10)
    assert s2.word == "falls as n grows"


def test_weighted_slope_negative_control_a_curve_is_not_a_precise_trend():
    # A U-shape with tiny SEs: a straight line through it must not look precise.
    x = np.arange(6.0)
    y = (x - 2.5) ** 2 + 0.3 * x
    s = rules.weighted_slope(x, y, np.full(6, 0.01))
    assert s.word.startswith("shows no resolved trend")


def test_chance_count_against_scipy():
    ch = rules.chance_count(125, 0.05)
    assert ch.expected == pytest.approx(6.25)
    assert (ch.lo, ch.hi) == (int(stats.binom.ppf(0.025, 125, 0.05)),
                              int(stats.binom.ppf(0.975, 125, 0.05)))
    assert "of 125" in ch.sentence()


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (9131, 10000), (500, 500), (44, 100)])
def test_share_interval_equals_statsmodels_clopper_pearson(k, n):
    lo, hi = rules.share_interval(k, n)
    ref = proportion_confint(k, n, alpha=0.05, method="beta")
    assert lo == pytest.approx(ref[0], abs=1e-10)
    assert hi == pytest.approx(ref[1], abs=1e-10)


@pytest.mark.parametrize("k,n,word", [
    (90, 100, "most"),
    (56, 100, "about half (not resolved)"),   # 0.56: interval [0.457, 0.659] contains 0.5
    (6, 100, "fewer than half"),
])
def test_majority(k, n, word):
    assert rules.majority(k, n) == word


@pytest.mark.parametrize("call", [
    lambda: rules.coverage_band(0),
    lambda: rules.coverage_band(True),
    lambda: rules.coverage_band(100, level=1.0),
    lambda: rules.share_interval(11, 10),
    lambda: rules.chance_count(-1, 0.05),
])
def test_rules_refuse_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_apply_fragments_keeps_unknown_markers():
    text = ("<!-- gansim report: a -->\nold\n<!-- /gansim report -->\n"
            "<!-- gansim report: b -->\nkeep\n<!-- /gansim report -->\n")
    out = apply_fragments(text, {"a": "new\n"})
    assert "new\n<!-- /gansim report -->" in out and "keep" in out and "old" not in out


# ----------------------------------------------------------- the committed results READMEs


@pytest.fixture(scope="module")
def rendered():
    return render(RESULTS)


def test_committed_results_equal_their_rendering(rendered):
    differ = check(rendered)
    assert not differ, ("rendered text differs from the committed files (run `python -m "
                        f"gansim report`): {[str(p) for p in differ]}")


def test_every_results_markdown_file_is_rendered(rendered):
    on_disk = {p for p in RESULTS.rglob("*.md")}
    assert on_disk == {p for p in rendered if p.is_relative_to(RESULTS)}


def test_top_readme_has_the_rendered_proof_of_concept(rendered):
    readme = ROOT / "README.md"
    assert readme in rendered
    assert "<!-- gansim report: poc-table -->" in readme.read_text()


def _copy_for_edit(tmp_path: Path) -> Path:
    """A results folder whose data files are links to the committed ones and whose
    Markdown files (and the top README) are copies, for editing."""
    res = tmp_path / "results"
    for src in RESULTS.rglob("*"):
        dst = res / src.relative_to(RESULTS)
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
        elif src.suffix == ".md":
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(src, dst)
    shutil.copyfile(ROOT / "README.md", tmp_path / "README.md")
    return res


_NUMBER = re.compile(r"(?<![\w.])(\d+\.\d*[1-8]\d*)")


def test_editing_any_number_in_a_results_readme_fails_the_check(tmp_path, rendered):
    res = _copy_for_edit(tmp_path)
    readmes = sorted(p for p in res.rglob("README.md"))
    assert len(readmes) == len(REPORTS)
    for readme in readmes:
        text = readme.read_text()
        matches = list(_NUMBER.finditer(text))
        assert matches, f"{readme} states no number"
        for match in (matches[0], matches[len(matches) // 2], matches[-1]):
            old = match.group(1)
            # Change one digit that is neither 0 nor 9, so the number stays well formed.
            i = max(j for j, c in enumerate(old) if c in "12345678")
            new = old[:i] + str(int(old[i]) + 1) + old[i + 1:]
            readme.write_text(text[:match.start(1)] + new + text[match.end(1):])
            mapping = {res / p.relative_to(RESULTS): t for p, t in rendered.items()
                       if p.is_relative_to(RESULTS)}
            assert check(mapping) == [readme], f"edit of {old!r} in {readme} not caught"
            readme.write_text(text)


def test_report_check_command_line(tmp_path, capsys):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The whole check runs in-process above (test_committed_results_equal_their_rendering);
    # here the command line itself, on one study to keep the suite short: once through
    # `python -m gansim`, then through its main function.
    from gansim.cli import main

    ok = subprocess.run([sys.executable, "-m", "gansim", "report", "poc", "--check"],
                        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "all" in ok.stdout and "rendered files agree" in ok.stdout
    # A hand edit in a copy is named, exit 1.
    res = _copy_for_edit(tmp_path)
    readme = res / "poc" / "README.md"
    readme.write_text(readme.read_text() + "\nA hand-typed 0.95.\n")
    assert main(["report", "poc", "--check", "--results", str(res)]) == 1
    assert str(readme) in capsys.readouterr().err
    # An unknown study or folder: one line, exit 2.
    assert main(["report", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert "unknown study 'nosuch'" in err and "Traceback" not in err
