"""The reports of results/generators_tuning and results/generators, rendered from small
synthetic folders written by the studies' own writers: every number checked here is
computed again in the test (numpy, scipy's binomtest, a weighted least-squares fit), and the
words follow the rules, negative controls included (a GAN that clearly loses renders
"not in most replications", "higher", "worse than the default")."""

from __future__ import annotations

import json
import math
import re
from itertools import combinations
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gansim._files import write_csv, write_run_record, write_text
from gansim.render import generators as rg
from gansim.render import generators_tuning as rt
from gansim.studies import generators as sg
from gansim.studies import generators_tuning as sgt
from gansim.summary import rules
from gansim.summary.simsum import summarise

#: The mixture's true gap mass: its means ±2, sds ½, the gap (−1, 1).
GAP = float(stats.norm.cdf(-2) - stats.norm.cdf(-6))
COLUMNS = ["dgp", "n", "condition", "rep", "seed", "spawn_key", "method", "quantity",
           "estimate", "se", "lower", "upper", "truth", "status", "error", "warnings"]


def _rows(dgp, n, method, quantity, values, truth=math.nan, seed=0):
    B = len(values)
    return pd.DataFrame({"dgp": dgp, "n": n, "condition": 7, "rep": np.arange(B),
                         "seed": seed, "spawn_key": "0", "method": method,
                         "quantity": quantity, "estimate": np.asarray(values, float),
                         "se": math.nan, "lower": math.nan, "upper": math.nan, "truth": truth,
                         "status": "ok", "error": "", "warnings": ""})[COLUMNS]


def _flat(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- tuning

#: Synthetic candidates: the factor on the default recipe's KS (1.0: the same, with noise).
FACTORS = {"pareto_hill": 0.80, "pareto_3": 0.90, "mix_k2_s6": 0.97, "mix_k4_s6": 1.25,
           "grow_s05": 1.00, "grow_s05_w025": 0.70}
TUNE_DGPS, TUNE_NS, TUNE_B = ("t", "mixture"), (100, 400), 30


def _tuning_ks(rng, label, base):
    if label == "gan":
        return base
    factor = math.prod(FACTORS[p] for p in label.split("+"))
    return base * factor * np.exp(rng.normal(0, 0.02, len(base)))


def _write_tuning(out):
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    cand = {k: sgt.CANDIDATES[k] for k in FACTORS}
    base = {(d, n): np.abs(rng.normal(0.3 / math.sqrt(n) * 10, 0.05, TUNE_B))
            for d in TUNE_DGPS for n in TUNE_NS}
    ecdf = {(d, n): stats.kstwo(n).rvs(TUNE_B, random_state=rng)
            for d in TUNE_DGPS for n in TUNE_NS}

    def stage(labels):
        parts = []
        for (d, n), b in base.items():
            parts.append(_rows(d, n, "ecdf", "ks", ecdf[(d, n)], seed=2201))
            for lab in ["gan", *labels]:
                parts.append(_rows(d, n, lab, "ks", _tuning_ks(rng, lab, b), seed=2201))
        return pd.concat(parts, ignore_index=True)

    t1 = stage(list(cand))
    s1 = summarise(t1, by=["dgp", "n"])
    # As the study chooses: among the candidates within the cost cap.
    table1 = sgt.priced(sgt.scores(s1), cand)
    ok = table1[table1.eligible]
    win = {f: ok[ok.method.str.startswith(f + "_")].iloc[0].method for f in sgt.FAMILIES}
    labels = [win[f] for f in sgt.FAMILIES]
    combos = {"+".join(labels[i] for i in idx): sgt.combine(*(cand[labels[i]] for i in idx))
              for size in (2, 3) for idx in combinations(range(3), size)}
    rng = np.random.default_rng(12)   # stage 2's own noise; the same data and default
    t2 = stage(list(combos))
    s2 = summarise(t2, by=["dgp", "n"])
    table2 = sgt.priced(sgt.scores(s2), combos)
    fin = pd.concat([table1[table1.method.isin(labels)], table2]).sort_values("score")
    fin = fin[fin.eligible]
    best = fin.iloc[0].method
    options = {**cand, **combos}
    chosen = {"winners": {f: {"label": w, "options": cand[w]} for f, w in win.items()},
              "best": {"label": best, "options": options[best]},
              "scores": {"stage1": table1.to_dict(orient="records"),
                         "stage2": table2.to_dict(orient="records")},
              "cost_cap": {"n": sgt.COST_N, "cap": sgt.COST_CAP},
              "seed": 2201, "dgps": list(TUNE_DGPS), "ns": list(TUNE_NS), "m": 100_000,
              "steps": 2000}
    write_csv(pd.concat([t1.assign(stage=1), t2.assign(stage=2)]), out / "replications.csv.gz")
    write_csv(pd.concat([s1.assign(stage=1), s2.assign(stage=2)]), out / "summary.csv")
    write_csv(pd.concat([table1.assign(stage=1), table2.assign(stage=2)]), out / "scores.csv")
    write_text(out / "chosen.json", json.dumps(chosen, indent=2) + "\n")
    settings = {"stage1": sgt.build_stage(cand, dgps=TUNE_DGPS, ns=TUNE_NS).settings(),
                "stage2": sgt.build_stage(combos, dgps=TUNE_DGPS, ns=TUNE_NS).settings()}
    write_run_record(out / "run.json", seed=2201, n_jobs=2, started="2026-01-01T00:00:00",
                     wall_time_s=12.5, settings=settings)
    return pd.concat([t1.assign(stage=1), t2.assign(stage=2)]), chosen


@pytest.fixture(scope="module")
def tuning(tmp_path_factory):
    res = tmp_path_factory.mktemp("results")
    tidy, chosen = _write_tuning(res / "generators_tuning")
    text = rt.render(res)["generators_tuning/README.md"]
    return SimpleNamespace(tidy=tidy, chosen=chosen, text=text, flat=_flat(text))


def _score_and_mcse(tidy, a, b="gan"):
    """The score of ``a`` against ``b`` and its MCSE, computed here from the definition."""
    ks = tidy[tidy.quantity == "ks"].drop_duplicates(["dgp", "n", "rep", "method"])
    logs, var = [], 0.0
    for (_d, _n), g in ks.groupby(["dgp", "n"]):
        x = g[g.method == a].sort_values("rep").estimate.to_numpy()
        y = g[g.method == b].sort_values("rep").estimate.to_numpy()
        logs.append(math.log(x.mean() / y.mean()))
        var += np.var(x / x.mean() - y / y.mean(), ddof=1) / len(x)
    return float(np.mean(logs)), math.sqrt(var) / len(logs)


def test_tuning_scores_mcses_and_words(tuning):
    table = tuning.text
    for label, factor in FACTORS.items():
        score, mcse = _score_and_mcse(tuning.tidy[tuning.tidy.stage == 1], label)
        word = ("beats the default" if factor < 0.95 else
                "worse than the default" if factor > 1.1 else None)
        line = next(x for x in table.splitlines() if x.startswith(f"| `{label}` |"))
        assert f"{rt.signed(score, 3)} ({mcse:.3f})" in line, (label, line)
        assert f"| {math.exp(score):.3f} |" in line
        if word is not None:   # the clear cases; 0.97 and 1.00 are for the rule to say
            assert f"| {word} |" in line, (label, line)
        assert f"| {rules.compare(score, mcse, higher='worse than the default', lower='beats the default').word} |" in line  # noqa: E501


def test_tuning_readme_states_design_candidates_winners_and_best(tuning):
    flat = tuning.flat
    assert "seed 2201" in flat and "seed 2202" in flat
    assert "n ∈ {100, 400}" in flat and f"B = {TUNE_B} replications" in flat
    assert "m = 100,000 draws" in flat
    # Every candidate with its options from the run record.
    assert "`latent='pareto'`" in flat and "`latent='pareto', latent_tail=3.0`" in flat
    assert "`latent_components=4`" in flat and "`steps_power=0.5`" in flat
    for fam, w in tuning.chosen["winners"].items():
        assert f"**{rt.FAMILY_NAMES[fam]}**: `{w['label']}`" in flat
    assert tuning.chosen["winners"]["pareto"]["label"] == "pareto_hill"
    # The cheapest-scoring candidate is over the cost cap: scored, marked, not the winner.
    assert tuning.chosen["winners"]["grow"]["label"] == "grow_s05"
    w025 = round(sgt.cost(sgt.CANDIDATES["grow_s05_w025"]), 3)
    assert w025 > sgt.COST_CAP
    assert f"| {w025:.1f}× (over) |" in tuning.text
    assert "`grow_s05_w025` scored lower" in flat and f"costs {w025:.1f}×, over the cap" in flat
    assert f"smallest score: `{tuning.chosen['best']['label']}`" in flat
    # Stage 2 reran the same data sets and default GANs.
    assert "same data sets as stage 1" in flat
    # The margin between the two pareto candidates, paired: computed here.
    s1 = tuning.tidy[tuning.tidy.stage == 1]
    d, se = _score_and_mcse(s1, "pareto_hill", "pareto_3")
    assert f"`pareto_hill` − `pareto_3` = {rt.signed(d, 3)} (MCSE {se:.3f})" in flat
    assert "Command: `" in flat and "wall time 12 s" in flat


def test_tuning_words_follow_the_data(tmp_path):
    """Negative control: the same folder with every candidate made clearly worse renders
    'worse than the default' everywhere and no 'beats'."""
    res = tmp_path / "results"
    _write_tuning(res / "generators_tuning")
    path = res / "generators_tuning" / "replications.csv.gz"
    t = pd.read_csv(path)
    worse = ~t.method.isin(["gan", "ecdf"])
    t.loc[worse, "estimate"] *= 2.0
    write_csv(t, path)
    sc = pd.read_csv(res / "generators_tuning" / "scores.csv")
    sc["score"] += math.log(2.0)
    write_csv(sc, res / "generators_tuning" / "scores.csv")
    text = rt.render(res)["generators_tuning/README.md"]
    score = re.compile(r"\| [+−]\d\.\d{3} \(\d\.\d{3}\) \|")
    rows = [x for x in text.splitlines() if score.search(x)]
    assert len(rows) == len(FACTORS) + 4
    assert all("| worse than the default |" in x for x in rows)
    assert "*beats the default*" not in text.split("## Stage 1")[1]


# --------------------------------------------------------------------------- reporting

NS = (50, 100, 200, 400, 800)
B = 40


def _write_reporting(out, *, gan_wins: bool):
    """Two DGPs; on t ``gan_pareto`` halves F_n's KS when ``gan_wins``, every other GAN loses
    by a floor of 0.05; on the mixture every GAN loses and F_n's KS follows n^-0.3 (so its
    floor fit cannot hold c = ½: the mixture's fits are not trusted)."""
    rng = np.random.default_rng(5)
    results, walls = [], {}
    options = sg.gan_options(sg.UNTUNED)
    for dgp in ("t", "mixture"):
        for name, part in (("small", [n for n in NS if n <= sg.LARGE_UP_TO]),
                           ("large", [n for n in NS if n > sg.LARGE_UP_TO])):
            study = sg.build_part(dgp, part, options, m=20_000)
            rows = []
            for n in part:
                if dgp == "t":
                    ecdf = stats.kstwo(n).rvs(B, random_state=rng)
                else:
                    ecdf = 0.3 * n ** -0.3 * np.exp(rng.normal(0, 0.1, B))
                labels = [me.label for me in study.methods]
                for me in labels:
                    if me == "ecdf":
                        ks = ecdf
                    elif me == "gan_pareto" and dgp == "t" and gan_wins:
                        ks = 0.5 * ecdf
                    elif me.startswith("smoothed"):
                        ks = ecdf * np.exp(rng.normal(0, 0.1, B))
                    else:
                        ks = 0.05 + 0.5 / math.sqrt(n) + rng.normal(0, 0.01, B)
                    rows.append(_rows(dgp, n, me, "ks", ks, seed=2202))
                    rows.append(_rows(dgp, n, me, "ks_m1e4", ks + 0.004
                                      + rng.normal(0, 0.001, B), seed=2202))
                    tail = (rng.normal(3.2, 0.4, B) if me == "gan_pareto"
                            else rng.normal(7.0, 0.5, B))
                    rows.append(_rows(dgp, n, me, "tail_index", tail,
                                      truth=3.0 if dgp == "t" else math.nan, seed=2202))
                    if me == "ecdf":
                        rows.append(_rows(dgp, n, me, "latent_tail", rng.normal(2.8, 0.3, B),
                                          seed=2202))
                    if dgp == "mixture":
                        gap = (rng.binomial(n, GAP, B) / n if me == "ecdf"
                               else rng.normal(0.08, 0.01, B))
                        rows.append(_rows(dgp, n, me, "gap_mass", gap, truth=GAP,
                                          seed=2202))
            tidy = pd.concat(rows, ignore_index=True)
            results.append(SimpleNamespace(tidy=tidy, seed=2202, study=study, wall_time=60.0))
            walls[f"{dgp}-{name}"] = 60.0
    out.mkdir(parents=True, exist_ok=True)
    written = sg.write_outputs(out, results, chosen=sg.UNTUNED, n_jobs=2,
                               started="2026-01-01T00:00:00", walls=walls)
    return written


@pytest.fixture(scope="module")
def reporting(tmp_path_factory):
    res = tmp_path_factory.mktemp("results")
    written = _write_reporting(res / "generators", gan_wins=True)
    text = rg.render(res)["generators/README.md"]
    return SimpleNamespace(res=res, tidy=written["tidy"], floor=written["floor"], text=text,
                           flat=_flat(text), frag=rg.fragments(res)[rg.FRAGMENT])


def _ks(tidy, dgp, n, method, quantity="ks"):
    g = tidy[(tidy.dgp == dgp) & (tidy.n == n) & (tidy.method == method)
             & (tidy.quantity == quantity)]
    return g.sort_values("rep").estimate.to_numpy()


def test_shares_and_their_exact_intervals(reporting):
    tidy, flat = reporting.tidy, reporting.flat
    for dgp, gan, word in (("t", "gan_pareto", "most"), ("t", "gan", "fewer than half"),
                           ("mixture", "gan_best", "fewer than half")):
        k = int((_ks(tidy, dgp, 100, gan) < _ks(tidy, dgp, 100, "ecdf")).sum())
        ci = stats.binomtest(k, B).proportion_ci(0.95, method="exact")
        cell = f"{k / B:.3f} [{ci.low:.3f}, {ci.high:.3f}] ({k}/{B}) *{word}*"
        assert cell in flat, cell
    assert "- **t**, n = 100: **yes**" in flat
    assert "- **mixture**, n = 100: **no**: no GAN design beats F_n in most" in flat
    rows = {r.split("|")[1].strip(): r for r in reporting.frag.splitlines()
            if r.startswith("| ") and not r.startswith("| DGP")}
    assert set(rows) == {"t", "mixture"}
    assert "| `gan_pareto`, " in rows["t"] and ": *most* |" in rows["t"]
    assert ": *fewer than half* |" in rows["mixture"]


def test_against_the_smoothed_bootstrap(reporting):
    # Each design's paired difference of mean KS from the smoothed bootstrap's, computed
    # here, in section 3's table, and its words counted in the answers and the fragment.
    tidy, flat = reporting.tidy, reporting.flat
    words = {}
    for gan in [g for g in sg.GANS if g in set(tidy.method)]:
        d = _ks(tidy, "t", 100, gan) - _ks(tidy, "t", 100, "smoothed")
        se = d.std(ddof=1) / math.sqrt(B)
        words[gan] = "lower" if d.mean() < -2 * se else "higher" if d.mean() > 2 * se else "-"
        word = {"-": "not resolved at this B"}.get(words[gan], words[gan])
        sign = "+" if d.mean() >= 0 else "−"
        assert f"{sign}{abs(d.mean()):.4f} ({se:.4f}) *{word}*" in flat, gan
    lo = [g for g, w in words.items() if w == "lower"]
    assert lo == ["gan_pareto"]  # the design built to halve F_n's KS on t
    tally = (f"lower for {len(lo)} of {len(words)} designs (`gan_pareto`), higher for "
             f"{list(words.values()).count('higher')}")
    assert f"Against the smoothed bootstrap, mean KS {tally}." in flat
    row = next(r for r in reporting.frag.splitlines() if r.startswith("| t |"))
    assert f"| {tally} |" in row


def test_answers_single_out_the_best_design_at_the_family_level(reporting):
    # "Does any of the 6 designs beat F_n" singles the best one out: its interval is the
    # exact one at 1 - 0.05/6, computed here, in the answer and in the fragment.
    tidy, flat, frag = reporting.tidy, reporting.flat, _flat(reporting.frag)
    gans = [g for g in sg.GANS if g in set(tidy.method)]
    level = 1 - 0.05 / len(gans)
    for dgp in ("t", "mixture"):
        wins = {g: int((_ks(tidy, dgp, 100, g) < _ks(tidy, dgp, 100, "ecdf")).sum())
                for g in gans}
        best = max(gans, key=lambda g: (wins[g], -gans.index(g)))
        ci = stats.binomtest(wins[best], B).proportion_ci(level, method="exact")
        cell = f"{wins[best] / B:.3f} [{ci.low:.3f}, {ci.high:.3f}] ({wins[best]}/{B})"
        assert f"`{best}`, {cell}" in flat and f"| `{best}`, {cell}: *" in frag
        any_most = any(stats.binomtest(k, B).proportion_ci(level, method="exact").low > 0.5
                       for k in wins.values())
        assert (f"- **{dgp}**, n = 100: **{'yes' if any_most else 'no'}**") in flat
    assert f"at level {level:.4f}" in frag


def test_a_folder_with_part_of_the_design_says_so(reporting):
    # The synthetic folder has n up to 800 and two DGPs: the README names what is missing.
    flat = reporting.flat
    assert ("**This folder holds part of the study's design**: n = 50, 100, 200, 400, 800 of "
            "its n = 50, 100, 200, 400, 800, 1600, 3200, DGPs t, mixture of its normal, t, "
            "lognormal, mixture, gamma, uniform. The parts with n = 1600, 3200 are not in it, "
            "so the floor fits below rest on n ≤ 800 only.") in flat


def test_mean_ks_paired_differences_and_the_m_factor(reporting):
    tidy, flat = reporting.tidy, reporting.flat
    x = _ks(tidy, "t", 800, "gan")
    assert f"{x.mean():.4f} ({x.std(ddof=1) / math.sqrt(B):.4f})" in flat
    d = _ks(tidy, "t", 100, "gan") - _ks(tidy, "t", 100, "ecdf")
    assert f"+{d.mean():.4f} ({d.std(ddof=1) / math.sqrt(B):.4f}) higher" in flat
    d = _ks(tidy, "t", 100, "gan_pareto") - _ks(tidy, "t", 100, "gan")
    assert f"−{abs(d.mean()):.4f} ({d.std(ddof=1) / math.sqrt(B):.4f}) lower" in flat
    # The 2-MCSE rule's counts over every cell, computed here (gan_large: n <= 400 only).
    for gan in ("gan", "gan_large", "gan_pareto"):
        words = []
        for dgp in ("t", "mixture"):
            for n in NS:
                if gan == "gan_large" and n > sg.LARGE_UP_TO:
                    continue
                d = _ks(tidy, dgp, n, gan) - _ks(tidy, dgp, n, "ecdf")
                z = d.mean() / (d.std(ddof=1) / math.sqrt(B))
                words.append("lower" if z < -2 else "higher" if z > 2 else "-")
        assert (f"`{gan}` lower in {words.count('lower')}, higher in {words.count('higher')}, "
                f"not resolved in {words.count('-')} of {len(words)}") in flat
    # The m factor: mean of the paired ks_m1e4 - ks per sampling method and cell.
    ks = tidy[tidy.method != "ecdf"].pivot_table(index=["dgp", "n", "method", "rep"],
                                                 columns="quantity", values="estimate")
    cell = (ks["ks_m1e4"] - ks["ks"]).groupby(level=["dgp", "n", "method"]).mean()
    assert (f"median +{cell.median():.4f} (range +{cell.min():.4f} to +{cell.max():.4f} over "
            f"{len(cell)} method × condition cells") in flat
    assert f"*higher* in {len(cell)}, *lower* in 0" in flat


def test_floors_with_the_positive_control(reporting):
    flat, fl = reporting.flat, reporting.floor
    assert "**t** (F_n's c interval holds ½: the fits are trusted)" in flat
    assert "**mixture** (F_n's c interval excludes ½: the fits are **not trusted**)" in flat
    assert bool(fl[(fl.dgp == "mixture") & (fl.method == "ecdf") & (fl.fit == "free")]
                .control_ok.iloc[0]) is False
    # a at c = 1/2 for t's default recipe: weighted least squares done here.
    s = summarise(reporting.tidy[(reporting.tidy.dgp == "t") & (reporting.tidy.method == "gan")
                                 & (reporting.tidy.quantity == "ks")], by=["dgp", "n"])
    s = s[s.stat == "mean"].sort_values("n")
    X = np.column_stack([np.ones(len(s)), s.n.to_numpy() ** -0.5])
    w = 1 / s.mcse.to_numpy() ** 2
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    a = (cov @ X.T @ (w * s.est.to_numpy()))[0]
    se_a = math.sqrt(cov[0, 0])
    lo, hi = a - stats.norm.ppf(0.975) * se_a, a + stats.norm.ppf(0.975) * se_a
    row = next(x for x in reporting.text.splitlines() if x.startswith("| `gan` |")
               and f"{a:.4f} [{lo:.4f}, {hi:.4f}]" in x)
    assert "above 0" in row
    assert f"| {stats.norm.sf(a / se_a):.3f} |" in row
    assert "Floor (c = ½): a above 0 for 5 of 6 GANs" in flat


def test_the_mechanism_gap_mass_and_tail_index(reporting):
    tidy, flat = reporting.tidy, reporting.flat
    g = _ks(tidy, "mixture", 100, "gan_best", "gap_mass")
    e = _ks(tidy, "mixture", 100, "ecdf", "gap_mass")
    assert (f"+{g.mean() - GAP:.4f} ({g.std(ddof=1) / math.sqrt(B):.4f}) more" in flat)
    d = g - e
    assert f"+{d.mean():.4f} ({d.std(ddof=1) / math.sqrt(B):.4f}) more" in flat
    assert "truth 0.0228" in flat
    t = _ks(tidy, "t", 100, "gan", "tail_index")
    assert f"{t.mean():.2f} ({t.std(ddof=1) / math.sqrt(B):.2f}) above" in flat
    assert "| DGP's index | 3 | infinite |" in reporting.text
    # The negative answer carries its measured mechanism.
    line = next(x for x in reporting.text.split("\n- ") if x.startswith("**mixture**"))
    assert "of its mass in the gap against the truth's 0.0228 (more)" in _flat(line)
    assert "against the DGP's infinite" in _flat(line)


def test_negative_control_no_gan_wins(tmp_path):
    res = tmp_path / "results"
    _write_reporting(res / "generators", gan_wins=False)
    text = _flat(rg.render(res)["generators/README.md"])
    assert ") *most*" not in text and "**yes**" not in text
    assert "- **t**, n = 100: **no**: no GAN design beats F_n in most replications" in text
    assert "tail index of its draws is" in text and "against the DGP's 3" in text
    frag = rg.fragments(res)[rg.FRAGMENT]
    assert frag.count(": *fewer than half* |") == 2 and ": *most* |" not in frag


def test_no_history_or_issue_numbers(tuning, reporting):
    for text in (tuning.text, reporting.text, reporting.frag):
        low = text.lower()
        for word in ("issue ", "#2", "session", "previous run"):
            assert word not in low, word


# --------------------------------------------------------------------------- committed data

RESULTS = Path(__file__).resolve().parents[1] / "results"


@pytest.mark.skipif(not (RESULTS / "generators_tuning" / "scores.csv").is_file(),
                    reason="no committed tuning results")
def test_committed_tuning_readme_scores_recomputed():
    """Every stage-1 score of the committed README, its MCSE and word, computed here from the
    committed replications; the winners and the best as chosen.json names them."""
    base = RESULTS / "generators_tuning"
    tidy = pd.read_csv(base / "replications.csv.gz")
    tidy = tidy[(tidy.quantity == "ks") & (tidy.stage == 1)]
    scores = pd.read_csv(base / "scores.csv")
    chosen = json.loads((base / "chosen.json").read_text())
    text = (base / "README.md").read_text()
    for r in scores[scores.stage == 1].itertuples():
        score, mcse = _score_and_mcse(tidy, r.method)
        assert math.isclose(score, r.score, rel_tol=1e-9, abs_tol=1e-12)
        word = rules.compare(score, mcse, higher="worse than the default",
                             lower="beats the default").word
        line = next(x for x in text.splitlines() if x.startswith(f"| `{r.method}` | "))
        assert f"| {rt.signed(score, 3)} ({mcse:.3f}) | {math.exp(score):.3f} | {word} |" in line
    flat = _flat(text)
    for fam, w in chosen["winners"].items():
        assert f"**{rt.FAMILY_NAMES[fam]}**: `{w['label']}`" in flat
    assert f"smallest score: `{chosen['best']['label']}`" in flat
