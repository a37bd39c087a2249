"""The reports of results/coverage and results/coverage_tuning (gansim.render.coverage,
gansim.render.coverage_tuning): they reproduce the committed files, and a changed figure in
the data changes the words the rules give it."""

import json
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


def _mirror(tmp_path: Path, folder: str, copy=(), skip=()) -> Path:
    """results/<folder> under tmp_path: links to the committed files, real copies of
    ``copy`` (paths relative to the folder) so that a test can edit them, none of the files
    or folders named in ``skip`` (top-level names in the folder)."""
    src, dst = RESULTS / folder, tmp_path / "results" / folder
    for path in src.rglob("*"):
        if path.is_file():
            rel = path.relative_to(src)
            if rel.parts[0] in skip:
                continue
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
    # The top README's short answer follows the same edit.
    frag = " ".join(cov.fragments(results)[cov.FRAGMENT].split())
    assert "Wald interval is at nominal in 20 of 125 cells (104 under, 1 over)" in frag


def test_the_top_readme_fragment_is_the_readme_in_short(rendered):
    frag = cov.fragments(RESULTS)[cov.FRAGMENT]
    short = rendered["coverage/README.md"].split("## In short\n\n")[1].split("\n## ")[0]
    short = " ".join(short.split()).replace("the section on the training recipe below",
                                            "details in the folder's README")
    assert " ".join(frag.split()).endswith(short) and "](results/coverage/README.md)" in frag


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


# ------------------------------------------------- the parts with the recipe as a factor

#: Data sets per cell of the synthetic new parts.
B_NEW = 40


def _band_counts(covers_and_B) -> tuple[int, int, int]:
    """(at, under, over) against 0.95 ± 1.96·√(0.95·0.05/B), written out by hand."""
    at = under = over = 0
    for c, b in covers_and_B:
        half = 1.96 * math.sqrt(0.95 * 0.05 / b)
        if c < 0.95 - half - 1e-12:
            under += 1
        elif c > 0.95 + half + 1e-12:
            over += 1
        else:
            at += 1
    return at, under, over


def _cells(tidy: pd.DataFrame, method: str):
    """Per cell, the coverage over the computable intervals and their number."""
    g = tidy[(tidy["method"] == method) & tidy["lower"].notna()]
    hit = (g["lower"] <= g["truth"]) & (g["truth"] <= g["upper"])
    out = hit.groupby([g["dgp"], g["n"], g["quantity"]]).agg(["mean", "size"])
    return list(out.itertuples(index=False, name=None))


#: The labels the parts recipes and scratch_best give their methods in the folder's summary.
NEW_METHODS = r"gan_wald_(?:default|large|best)|boot_bca_recipes|gan_scratch_\w+_(?:default|best)"


def _mirror_before_new_parts(tmp_path: Path) -> Path:
    """results/coverage as it was before the parts recipes and scratch_best: without their
    folders, their diagnosis and their rows of the folder's summary."""
    results = _mirror(tmp_path, "coverage", copy=("summary.csv",),
                      skip=(*cov.NEW_PARTS, "recipes_diagnosis.csv"))
    path = results / "coverage" / "summary.csv"
    s = pd.read_csv(path)
    s[~s["method"].str.fullmatch(NEW_METHODS)].to_csv(path, index=False)
    return results


@pytest.fixture(scope="module")
def before_new(tmp_path_factory):
    return cov.render(_mirror_before_new_parts(tmp_path_factory.mktemp("before")))


@pytest.fixture(scope="module")
def with_new_parts(tmp_path_factory):
    """results/coverage with the parts recipes and scratch_best made of committed rows,
    relabelled (no training), on the first B_NEW data sets of each cell: recipes'
    gan_wald_default, _large and _best are the wald part's gan_wald, boot_percentile and
    smooth_percentile, its boot_bca the wald part's; scratch_best's default intervals are
    the boot part's warm-started ones, its best ones the wald part's boot_percentile,
    smooth_percentile and boot_bca. The folder's summary.csv gains their rows as
    `--part report` would add them."""
    from gansim.studies import coverage as study
    from gansim.studies.generators import UNTUNED

    results = _mirror_before_new_parts(tmp_path_factory.mktemp("new"))
    base = results / "coverage"
    wald = pd.read_csv(base / "wald" / "replications.csv.gz")
    boot = pd.read_csv(base / "boot" / "replications.csv.gz")
    wald, boot = wald[wald["rep"] < B_NEW], boot[boot["rep"] < B_NEW]
    maps = {"recipes": {"gan_wald": "gan_wald_default", "boot_percentile": "gan_wald_large",
                        "smooth_percentile": "gan_wald_best", "boot_bca": "boot_bca"},
            "scratch_best": {"boot_percentile": "gan_scratch_percentile_best",
                             "smooth_percentile": "gan_scratch_basic_best",
                             "boot_bca": "gan_scratch_bca_best",
                             **{f"gan_{k}": f"gan_scratch_{k}_default"
                                for k in ("percentile", "basic", "bca")}}}
    sb = pd.concat([boot, wald])
    sb = sb[sb["dgp"].isin(["t", "lognormal", "gamma"]) & (sb["n"] == 100)]
    tidies = {"recipes": wald, "scratch_best": sb}
    summary = pd.read_csv(base / "summary.csv")
    for part, tidy in tidies.items():
        tidy = tidy[tidy["method"].isin(maps[part])].assign(
            method=lambda f, m=maps[part]: f["method"].map(m))
        tidies[part] = tidy
        d = base / part
        d.mkdir()
        tidy.to_csv(d / "replications.csv.gz", index=False)
        study.part_summary(tidy).to_csv(d / "summary.csv", index=False)
        cells = set(zip(tidy["dgp"], tidy["n"], strict=True))
        run = json.loads((base / "wald" / "run.json").read_text())
        run["command"] = f"python -m gansim coverage --part {part}"
        run["conditions"] = [dict(c, B=B_NEW) for c in run["conditions"]
                             if (c["dgp"], c["n"]) in cells]
        (d / "run.json").write_text(json.dumps(run))
        spec = json.loads((base / "boot" / "study.json").read_text())
        spec["settings"] = {
            k: dict(v, methods=[dict(v["methods"][0], label=lab)
                                for lab in dict.fromkeys(maps[part].values())])
            for k, v in spec["settings"].items()
            if (v["condition"]["dgp"], v["condition"]["n"]) in cells}
        (d / "study.json").write_text(json.dumps(spec))
        (d / "recipes.json").write_text(json.dumps(
            study.recipes_record(UNTUNED, "untuned (generators.UNTUNED)")))
        rows = study.part_summary(tidy)
        rows["method"] = [study.label_part(m, part) for m in rows["method"]]
        summary = pd.concat([summary, rows], ignore_index=True)
    summary.to_csv(base / "summary.csv", index=False)
    study.recipes_diagnosis(summary).to_csv(base / "recipes_diagnosis.csv", index=False)
    return {"out": cov.render(results), "tidy": tidies}


def _section(text: str, head: str) -> str:
    start = text.index(head)
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else None]


def test_new_parts_absent_render_nothing_new(before_new):
    readme = before_new["coverage/README.md"]
    assert "recipe as a factor" not in readme and "recipes" not in readme
    assert "Per DGP, some GAN interval" not in readme
    assert "coverage/recipes/table.md" not in before_new
    assert "gan_wald_best" not in before_new["coverage/paired.md"]


def test_new_parts_leave_the_other_sections_alone(before_new, with_new_parts):
    new, rendered = with_new_parts["out"], before_new
    for part in ("wald", "boot", "check", "scratch"):
        assert new[f"coverage/{part}/table.md"] == rendered[f"coverage/{part}/table.md"]
    for head in ("## The GAN's Wald interval (part `wald`)", "## The GAN bootstrap (part",
                 "## The GAN bootstrap from scratch on the mixture", "## Warm start against",
                 "## At nominal, by DGP"):
        assert _section(new["coverage/README.md"], head) == _section(
            rendered["coverage/README.md"], head), head
    assert new["coverage/paired.md"].startswith(rendered["coverage/paired.md"])
    assert "coverage/recipes/table.md" in new and "coverage/scratch_best/table.md" in new


def test_new_section_counts_and_pairs_by_hand(with_new_parts):
    out, tidy = with_new_parts["out"], with_new_parts["tidy"]
    text = out["coverage/README.md"]
    sec = _section(text, "## The training recipe as a factor")
    # gan_wald_large is the wald part's boot_percentile on its first 40 data sets: its
    # cells against the band at B = 40, counted by hand.
    rec = tidy["recipes"]
    at, under, over = _band_counts(_cells(rec, "gan_wald_large"))
    assert at + under + over == 125
    assert (f"| `gan_wald_large` | large | 40 | 125 | {at} | {under} | {over} | 6.2 (2–11) |"
            in sec)
    # The BCa computed again is the wald part's: identical in every pair.
    assert "identical in 5000 of 5000 (data set, functional) pairs" in " ".join(sec.split())
    # A paired difference and its MCSE by numpy, in paired.md: the cell where the
    # difference of coverage is largest in units of its MCSE.
    key = ["dgp", "n", "quantity", "rep"]
    wide = rec.assign(c=(rec["lower"] <= rec["truth"]) & (rec["truth"] <= rec["upper"])
                      ).pivot_table(index=key, columns="method", values="c", aggfunc="first")
    d = (wide["gan_wald_large"].astype(float) - wide["boot_bca"].astype(float)).dropna()
    g = d.groupby(level=["dgp", "n", "quantity"])
    z = (g.mean() / (g.std(ddof=1) / np.sqrt(g.size()))).replace(np.inf, np.nan).abs()
    dgp, n, q = z.idxmax()
    cell = d.loc[(dgp, n, q)].to_numpy()
    mean, mcse = cell.mean(), cell.std(ddof=1) / math.sqrt(cell.size)
    assert abs(mean) > 2 * mcse   # resolved: the word must say so
    word = "higher" if mean > 0 else "lower"
    table = out["coverage/paired.md"].split("## `gan_wald_large` against `boot_bca_recipes`")[1]
    row = f"| {dgp} | {n} | {q} | {cell.size} |"
    line = next(ln for ln in table.splitlines() if ln.startswith(row))
    sign = "+" if mean > 0 else "−"
    assert f"| {sign}{abs(mean):.3f} ({mcse:.3f}) | {word} |" in line
    # scratch_best's BCa from the best recipe is the wald part's BCa: no paired difference,
    # and the same cells at nominal as BCa on those data sets.
    at, under, over = _band_counts(_cells(tidy["scratch_best"], "gan_scratch_bca_best"))
    assert at + under + over == 15
    assert (f"| `gan_scratch_bca_best` | 15 | {at} | {under} | {over} | 0 / 0 / 15 | 1.00 | "
            "0 / 0 / 15 |" in sec)
    assert f"| `boot_bca` (same data sets) | 15 | {at} | {under} | {over} |" in sec
    # Per DGP: the normal's row counts gan_wald_large's 25 cells of N(0, 1).
    at_normal = _band_counts(_cells(rec[rec["dgp"] == "normal"], "gan_wald_large"))[0]
    normal = next(ln for ln in sec.splitlines() if ln.startswith("| normal |"))
    assert normal.split(" | ")[3] == f"{at_normal} of 25"
    # The untuned stand-in is named as such, and the short answers count the recipes.
    assert "**the untuned stand-in**" in sec
    short = " ".join(text.split("## What was run")[0].split())
    assert "- By training recipe (part `recipes`" in short
    # The short answer per DGP is the per-DGP table's: the same DGPs answered yes.
    table = _section(text, "### Do the GAN's intervals cover? Per DGP")
    rows = [ln.split(" | ") for ln in table.splitlines() if ln.startswith("| ")][1:]
    yes = [r[0].strip("| ") for r in rows if r[-1].startswith("yes")]
    no = [r[0].strip("| ") for r in rows if r[-1].startswith("no")]
    assert len(yes) + len(no) == 5
    bullet = short.split("- Per DGP, some GAN interval is at nominal")[1]
    said_yes, _, said_no = bullet.partition(" none is ")
    assert all(f"{d} (`" in said_yes for d in yes)
    assert all(f"{d} (`" not in said_yes for d in no)
    assert (said_no != "") == bool(no)


def test_a_resumed_run_says_its_wall_time_covers_part_of_the_blocks():
    run = {"conditions": [{"blocks_resumed": 3, "blocks_computed": 1},
                          {"blocks_resumed": 0, "blocks_computed": 2}]}
    assert cov._resumed(run) == " (3 of 6 blocks computed, the rest resumed)"
    assert cov._resumed({"conditions": [{"blocks_resumed": 0, "blocks_computed": 4}]}) == ""
    assert cov._resumed({}) == ""
