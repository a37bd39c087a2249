"""What a study writes reads into R as it is, and the documentation's R lines
(docs/guide/tables_plots.md) run and refit gansim's rates: a small study's tidy CSV read
with ``read.csv`` (a mean compared with pandas') and the snippet's ``lm`` slopes compared with
:func:`gansim.summary.convergence.rate_slopes`.
Skipped where ``Rscript`` is not on PATH."""

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gansim as gs
from gansim._files import write_csv
from gansim.study.methods import Bootstrap, EmpiricalCDF
from gansim.summary.convergence import rate_slopes

RSCRIPT = shutil.which("Rscript")
pytestmark = pytest.mark.skipif(RSCRIPT is None, reason="R (Rscript) is not installed")
ROOT = Path(__file__).resolve().parents[1]


def rscript(code: str, tmp_path: Path) -> str:
    script = tmp_path / "script.R"
    script.write_text(code)
    done = subprocess.run([RSCRIPT, "--vanilla", str(script)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def result():
    study = gs.Study([EmpiricalCDF(), Bootstrap()],
                     dgp={"normal": gs.Normal(), "t": gs.StudentT(5)},
                     design=gs.condition_grid(25, dgp=["normal", "t"], n=[25, 100, 400]),
                     m=300, functionals=["mean"], distances=["ks"])
    return gs.run_study(study, seed=11, progress=False)


def test_read_csv_gives_pandas_numbers(result, tmp_path):
    tidy = result.tidy.assign(flag=result.tidy["rep"] % 2 == 0)  # a boolean column
    path = tmp_path / "replications.csv.gz"
    write_csv(tidy, path)
    out = rscript(f"""
        tidy <- read.csv("{path}")
        cat(nrow(tidy), ncol(tidy), class(tidy$flag), sum(tidy$flag), "\\n")
        d <- subset(tidy, quantity == "mean" & method == "bootstrap" & dgp == "t" & n == 100
                    & status == "ok")
        cat(sprintf("%.17g", mean(d$estimate)), "\\n")
    """, tmp_path)
    counts, mean = out.splitlines()
    # flag was True/False in pandas: an integer 0/1 column in R.
    assert counts.split() == [str(len(tidy)), str(tidy.shape[1]), "integer",
                              str(int(tidy["flag"].sum()))]
    d = tidy.query("quantity == 'mean' and method == 'bootstrap' and dgp == 't' and n == 100 "
                   "and status == 'ok'")
    assert float(mean) == pytest.approx(d["estimate"].mean(), rel=1e-14)


def test_docs_r_snippet_refits_the_rates_slopes(result, tmp_path):
    text = (ROOT / "docs" / "guide" / "tables_plots.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```r\n(.*?)```", text, flags=re.S)
    assert blocks, "docs/guide/tables_plots.md has no ```r block"
    snippet = blocks[0]
    path = tmp_path / "replications.csv.gz"
    write_csv(result.tidy, path)
    # The page reads the rates study's file; here the small study's.
    snippet, k = re.subn(r'path <- ".*?"', f'path <- "{path}"', snippet)
    assert k == 1
    out = rscript(snippet + f'\nwrite.csv(data.frame(term = names(slopes), slope = slopes), '
                            f'"{tmp_path / "slopes.csv"}", row.names = FALSE)\n', tmp_path)
    assert "log(n)" in out  # the snippet prints the slopes
    r = pd.read_csv(tmp_path / "slopes.csv")
    r["method"] = r["term"].str.extract(r"^method(.+):log\(n\)$", expand=False)
    ours = rate_slopes(result.wide().reset_index(), "ks", by=("dgp",))
    ours = ours[ours["dgp"] == "normal"].set_index("method")["slope"]
    assert set(r["method"]) == set(ours.index) == {"ecdf", "bootstrap"}
    np.testing.assert_allclose(r.set_index("method")["slope"].loc[ours.index], ours,
                               rtol=1e-9)


def test_saved_results_join_on_condition_in_r(tmp_path):
    """The condition column reads as an R integer, exactly, and joins replications to
    conditions (ids from 2^31 are written as signed 32-bit keys)."""
    from gansim import GAN, GANConfig

    study = gs.Study([EmpiricalCDF(), GAN(GANConfig(steps=10))],
                     dgp={"normal": gs.Normal(), "t": gs.StudentT(5)},
                     design=gs.condition_grid(4, dgp=["normal", "t"], n=[20, 30]), m=100,
                     functionals=["mean"], distances=["ks"])
    res = gs.run_study(study, seed=1, progress=False)
    assert max(c.id for c in study.conditions) >= 2**31
    res.save(tmp_path)
    out = rscript(f"""
        tidy <- read.csv("{tmp_path / 'replications.csv.gz'}")
        cond <- read.csv("{tmp_path / 'conditions.csv'}")
        both <- merge(tidy, cond[, c("condition", "B", "collapsed_gan")], by = "condition")
        cat(class(tidy$condition), class(cond$condition), nrow(both), "\\n")
        cat(sort(unique(tidy$condition)), "\\n")
    """, tmp_path)
    classes, keys = out.splitlines()
    assert classes.split() == ["integer", "integer", str(len(res.tidy))]
    assert [int(k) for k in keys.split()] == sorted(res.tidy["condition"].unique())
