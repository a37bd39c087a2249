"""The reports of results/poc, losses, recipe and rates_standardize (gansim.render.poc, …):
rendered from the committed files, they equal the committed Markdown; a changed figure in the
data changes the word the rules give it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from gansim.render import apply_fragments
from gansim.render import poc as render_poc

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _committed(results: Path, rendered: dict) -> None:
    for rel, text in rendered.items():
        assert (results / rel).read_text() == text, f"{rel} differs from its rendering"


def _flat(text: str) -> str:
    """Text with its line breaks as spaces (sentences are wrapped)."""
    return " ".join(text.split())


def _copy(folder: str, tmp_path: Path) -> Path:
    """A copy of results/<folder> (data files only) under tmp_path/results."""
    dest = tmp_path / "results" / folder
    shutil.copytree(RESULTS / folder, dest, ignore=shutil.ignore_patterns("*.png", "*.md",
                                                                          "*.tex"))
    return tmp_path / "results"


def _set(results: Path, folder: str, value: float, **key) -> None:
    path = results / folder / "summary.csv"
    s = pd.read_csv(path)
    mask = pd.Series(True, index=s.index)
    for col, v in key.items():
        mask &= s[col] == v
    assert mask.sum() == 1, key
    s.loc[mask, "est"] = value
    s.to_csv(path, index=False)


def test_poc_renders_the_committed_files():
    _committed(RESULTS, render_poc.render(RESULTS))
    top = (RESULTS.parent / "README.md").read_text()
    if "<!-- gansim report: poc-table -->" in top:
        assert apply_fragments(top, render_poc.fragments(RESULTS)) == top
    assert not (RESULTS / "poc" / "noise_change.md").exists()


def test_poc_plug_in_coverage_is_under_the_band():
    text = _flat(render_poc.render(RESULTS)["poc/README.md"])
    assert "X̄*: 0.9457 (0.0023), *under*" in text
    assert "[0.94573, 0.95427]" in text
    assert "lower edge" not in text
    table = render_poc.render(RESULTS)["poc/table.md"]
    assert "| coverage(X̄*), plug-in s | 0.9509 | 0.9457 (0.0023) | under |" in table
    frag = render_poc.fragments(RESULTS)["poc-table"]
    assert "| coverage of X̄*, plug-in s | 0.9509 | 0.9457 (0.0023) | under |" in frag
    assert "](results/poc/README.md)" in frag


def test_poc_negative_control_moves_the_words(tmp_path):
    results = _copy("poc", tmp_path)
    # The plug-in coverage of X̄* just inside the band, the variance ratio within 2 MCSE of 1.
    _set(results, "poc", 0.9458, method="gan", quantity="mean", stat="cover")
    _set(results, "poc", 1.005, method="gan", quantity="mean", stat="varratio")
    out = render_poc.render(results)
    readme, table = _flat(out["poc/README.md"]), out["poc/table.md"]
    assert "X̄*: 0.9458 (0.0023), *at nominal*" in readme
    assert "| coverage(X̄*), plug-in s | 0.9509 | 0.9458 (0.0023) | at nominal |" in table
    assert "1.005 (0.003), not resolved from 1 at this B (z = 1.6, log scale)" in readme
    assert "X̄* is not resolvably more or less precise than X̄" in readme
    frag = _flat(render_poc.fragments(results)["poc-table"])
    assert "coverage 0.9458 is *at nominal*" in frag
    assert "X̄* is not resolvably more or less precise than X̄" in frag
    # Fewer than half of the GANs closer than F_n: the share's word flips.
    _set(results, "poc", 0.45, method="gan", quantity="ks", stat="less")
    assert "KS* < KS in fewer than half of the replications: 4,500 of 10,000 (0.4500, exact " \
           "95% interval 0.4402–0.4598)" in _flat(render_poc.render(results)["poc/README.md"])


def test_poc_paired_figures_agree_with_the_summary():
    # The coverage differences the README computes from the replications are those of the
    # committed summary's coverages (same replications, same rule for "covered").
    d = render_poc._read(RESULTS)
    diff, mcse = d.paired[("gan", "cover")]
    assert diff == pytest.approx(d.g.est("gan", "mean", "cover") - d.g.est("ecdf", "mean",
                                                                             "cover"))
    assert 0 < mcse < 0.01
    for m in ("est_wald", "est_percentile", "est_bca"):
        diff, _ = d.paired[(m, "cover")]
        assert diff == pytest.approx(d.g.est(m, "mean", "cover")
                                     - d.g.est("ecdf_companion_data", "mean", "cover"))


def test_wrap_keeps_tables_and_list_items():
    text = "- " + "word " * 40 + "\n- short\n\n| a | b |\n|---|---|"
    out = render_poc.wrap(text, 40)
    assert out.endswith("| a | b |\n|---|---|")
    assert all(len(line) <= 40 for line in out.split("\n\n")[0].splitlines())
    assert "\n- short" in out


# --------------------------------------------------------------------------------------------
# results/rates_standardize


def test_rates_standardize_renders_the_committed_files():
    from gansim.render import rates_standardize

    _committed(RESULTS, rates_standardize.render(RESULTS))


def test_rates_standardize_negative_control(tmp_path):
    from gansim.render import rates_standardize

    text = _flat(rates_standardize.render(RESULTS)["rates_standardize/README.md"])
    assert "| t | 0.0040 (0.0022) | not resolved at this B (1.8 MCSE) |" in text
    assert "1.47 (0.10), above 1 (z = 5.6, log scale)" in text
    assert "an MSE of the sd lower in 2 (normal, mixture), higher in 1 (t)" in text
    results = _copy("rates_standardize", tmp_path)
    _set(results, "rates_standardize", 1.1, dgp="t", method="gan", quantity="sd",
         stat="mseratio")
    text = _flat(rates_standardize.render(results)["rates_standardize/README.md"])
    assert "1.10 (0.10), not resolved from 1 at this B (z = 1.0, log scale)" in text
    assert "higher in 0, not resolved in 2 (t, lognormal)" in text
    # Without results/rates beside it, no claim about shared data sets.
    assert "results/rates' replications" not in text


# --------------------------------------------------------------------------------------------
# results/losses


def test_losses_renders_the_committed_files():
    from gansim.render import losses

    _committed(RESULTS, losses.render(RESULTS))


def test_losses_statements_come_from_the_data(tmp_path):
    from gansim.render import losses

    text = losses.render(RESULTS)["losses/README.md"]
    # The k = 5 game's mean value, against −log 4 by the rule (not "−1.385").
    assert "| non-saturating, k = 5 | -1.3863 | -1.37846 (0.00017) | +0.0078, above " in text
    assert "−1.385" not in text and "-1.385 " not in text
    # results/poc's ratio read from results/poc/summary.csv.
    assert "gives 1.018 (0.003)" in _flat(text) and "1.017" not in text
    results = _copy("losses", tmp_path)
    shutil.copytree(RESULTS / "poc", results / "poc",
                    ignore=shutil.ignore_patterns("*.png", "*.md", "*.tex", "gan_bootstrap"))
    _set(results, "losses", 1.03, method="nonsaturating", quantity="mean", stat="varratio")
    _set(results, "poc", 1.005, method="gan", quantity="mean", stat="varratio")
    text = _flat(losses.render(results)["losses/README.md"])
    assert "| non-saturating, k = 1 | 1.030 (0.009), above 1 (z = 3.2, log scale) |" in text
    assert "gives 1.005 (0.003)" in text


# --------------------------------------------------------------------------------------------
# results/recipe


def test_recipe_renders_the_committed_files():
    from gansim.render import recipe

    _committed(RESULTS, recipe.render(RESULTS))


def test_recipe_statements_come_from_the_data(tmp_path):
    from gansim.render import recipe

    text = _flat(recipe.render(RESULTS)["recipe/README.md"])
    # TTUR's gain in P(KS* < KS_n) is stated (it had been "no KS gain"), beside R1's.
    assert "a higher P(KS* < KS_n) for `std-ttur-3lr`, `std-r1-1`, `std-width-32`" in text
    assert "| N(0,1) | std, TTUR lr_d = 3 lr | 1.022 (0.011), not resolved from 1 at this B " \
           "(z = 2.0, log scale) | −0.0005 (0.0007), not resolved at this B (0.7 MCSE) | " \
           "+0.085 (0.017), higher (5.1 MCSE) |" in text
    assert "no KS gain" not in text
    assert "70 of the 70 scale-free figures" in text
    results = _copy("recipe", tmp_path)
    _set(results, "recipe", 0.6, dgp="N(5,2²)", method="default", quantity="ks", stat="less")
    _set(results, "recipe", 1.5, dgp="N(5,2²)", method="std-r1-1", quantity="sd",
         stat="mean")
    text = _flat(recipe.render(results)["recipe/README.md"])
    assert "KS* < KS_n in most replications: 240 of 400" in text
    # One standardised figure no longer equal at the two DGPs: the rows are shown for both.
    assert "69 of the 70 scale-free figures" in text
    assert "| N(5,2²) | std, R1 γ = 1 |" in text


def test_recipe_changes_names_the_differing_settings():
    from types import SimpleNamespace

    from gansim.render.recipe import changes

    base = SimpleNamespace(lr=0.001, g_hidden=[16, 16], ema_decay=0.998)
    assert changes(SimpleNamespace(lr=0.001, g_hidden=[32, 32], ema_decay=None), base) == \
        "g_hidden=(32, 32), ema_decay=None"
    assert changes(base, base) == "—"
