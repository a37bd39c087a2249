"""gansim.summary.tables.summary_table and gansim.summary.plots: the tables hold every value and
MCSE of the
summary as formatted, the figures have the axes, labels and points they should, and the
proof of concept writes its tables and figures."""

import re

import numpy as np
import pytest
import scipy.stats as st

import gansim as gs
from gansim.study.methods import Bootstrap, EmpiricalCDF
from gansim.summary import plots
from gansim.summary.tables import format_cell, summary_table

CELL = re.compile(r"^(-?\d+(?:\.\d+)?)(?: \((\d+(?:\.\d+)?)\))?$")


@pytest.fixture(scope="module")
def result():
    study = gs.Study([EmpiricalCDF(), Bootstrap()], dgp=st.norm(1, 2),
                     design=gs.condition_grid(40, n=[20, 80]), m=200,
                     functionals=["mean", "sd"], distances=["ks"])
    return gs.run_study(study, seed=7, progress=False)


@pytest.fixture(scope="module")
def summary(result):
    return result.summary(ref="ecdf")


def md_cells(text, nkeys):
    """{row keys: [cells]} and the header of a Markdown table."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    split = lambda line: [c.strip() for c in line.strip("|").split(" | ")]  # noqa: E731
    header = split(lines[0])
    assert set(lines[1].strip("|").split("|")) <= {"---", "---:"}
    rows = {tuple(split(line)[:nkeys]): split(line)[nkeys:] for line in lines[2:]}
    return header, rows


def check_cell(cell, est, mcse, digits):
    """The cell parses back to the value and its MCSE, each rounded to ``digits``."""
    if not np.isfinite(est):
        assert cell == ""
        return
    m = CELL.match(cell)
    assert m, cell
    assert abs(float(m.group(1)) - est) <= 0.5 * 10**-digits + 1e-12
    if mcse == 0:
        assert m.group(2) is None
        assert cell == (f"{est:.0f}" if float(est).is_integer() else f"{est:.{digits}f}")
    else:
        assert abs(float(m.group(2)) - mcse) <= 0.5 * 10**-digits + 1e-12
        assert cell == f"{est:.{digits}f} ({mcse:.{digits}f})"


def test_markdown_by_method_holds_every_value(summary):
    text = summary_table(summary, rows=["n", "quantity", "stat"], columns="method", digits=4)
    header, rows = md_cells(text, 3)
    assert header == ["n", "quantity", "stat", "ecdf", "bootstrap"]
    assert len(rows) == summary[["n", "quantity", "stat"]].drop_duplicates().shape[0]
    for r in summary.itertuples():
        cell = rows[(str(r.n), r.quantity, r.stat)][header.index(r.method) - 3]
        check_cell(cell, r.est, r.mcse, 4)
    # Paired stats exist for bootstrap only: ecdf's cell is empty.
    assert rows[("20", "mean", "relprec")][0] == ""


def test_markdown_by_factor_and_per_stat_digits(summary):
    digits = {"var": 5, "relprec": 1}
    text = summary_table(summary, rows=["method", "quantity", "stat"], columns="n",
                         stats=["mean", "var", "cover", "relprec"], digits=digits,
                         caption="by n")
    assert text.startswith("by n\n\n")
    header, rows = md_cells(text, 3)
    assert header == ["method", "quantity", "stat", "20", "80"]
    kept = summary[summary.stat.isin(["mean", "var", "cover", "relprec"])]
    assert len(rows) == kept[["method", "quantity", "stat"]].drop_duplicates().shape[0]
    for r in kept.itertuples():
        cell = rows[(r.method, r.quantity, r.stat)][[20, 80].index(r.n)]
        check_cell(cell, r.est, r.mcse, digits.get(r.stat, 3))


def test_latex_has_booktabs_and_every_value(summary):
    s = summary[summary.quantity == "mean"]
    tex = summary_table(s, rows=["n", "stat"], columns="method", fmt="tex",
                        caption="Mean_of x & 5%", label="tab:x")
    lines = tex.splitlines()
    assert lines[0] == "\\begin{table}[htbp]" and lines[-1] == "\\end{table}"
    for rule in ("\\toprule", "\\midrule", "\\bottomrule"):
        assert lines.count(rule) == 1
    assert "\\caption{Mean\\_of x \\& 5\\%}" in lines and "\\label{tab:x}" in lines
    assert "\\begin{tabular}{llrr}" in lines
    assert "\\multicolumn{2}{c}{method}" in tex and "\\cmidrule(lr){3-4}" in tex
    body = lines[lines.index("\\midrule") + 1: lines.index("\\bottomrule")]
    assert len(body) == s[["n", "stat"]].drop_duplicates().shape[0]
    n = None
    for line, (key, g) in zip(body, s.groupby(["n", "stat"], sort=False), strict=True):
        cells = [c.strip() for c in line.removesuffix("\\\\").split("&")]
        n = cells[0] or n  # repeated outer labels are blank
        assert (n, cells[1].replace("\\_", "_")) == (str(key[0]), key[1])
        for r in g.itertuples():
            check_cell(cells[2 + ["ecdf", "bootstrap"].index(r.method)], r.est, r.mcse, 3)


def test_table_errors(summary):
    with pytest.raises(ValueError, match="more than one row per cell"):
        summary_table(summary, rows=["stat"], columns="method")
    with pytest.raises(ValueError, match="fmt"):
        summary_table(summary, rows=["n", "quantity", "stat"], columns="method", fmt="html")
    with pytest.raises(ValueError, match="no column"):
        summary_table(summary, rows=["dgp"], columns="method")
    with pytest.raises(ValueError, match="digits"):
        summary_table(summary, rows=["n", "quantity", "stat"], columns="method", digits=-1)
    assert format_cell(np.nan, 0.1) == "" and format_cell(3.0, 0.0) == "3"


def test_forest(summary, tmp_path):
    path = tmp_path / "forest.png"
    fig = plots.forest(summary, "bias", quantity="mean", path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (ax,) = fig.axes
    assert ax.get_xlabel() == "bias (± 1.96 MCSE)"
    assert ax.get_title() == "bias of mean"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["n = 20", "n = 80"]
    assert [c.get_label() for c in ax.containers] == ["ecdf", "bootstrap"]
    rows = summary[(summary.quantity == "mean") & (summary.stat == "bias")]
    for bars in ax.containers:
        g = rows[rows.method == bars.get_label()]
        x = np.asarray(bars.lines[0].get_xdata(), float)
        np.testing.assert_allclose(x, g.est)
        # Each bar spans est ± 1.96 MCSE.
        segs = bars.lines[2][0].get_segments()
        half = [(s[1][0] - s[0][0]) / 2 for s in segs]
        np.testing.assert_allclose(half, st.norm.ppf(0.975) * g.mcse.to_numpy())
    # The target of a bias is 0: one dotted vertical line.
    assert [tuple(line.get_xdata()) for line in ax.lines if line.get_linestyle() == ":"] \
        == [(0.0, 0.0)]


def test_forest_panels_and_lollipop(summary):
    fig = gs.autoplot(summary, "lolly", stat="cover", quantity=["mean"])
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "cover of mean"
    fig = plots.forest(summary, "mean", quantity=["mean", "sd", "ks"])
    assert [ax.get_title() for ax in fig.axes] == ["mean", "sd", "ks"]
    assert all(len(ax.containers) == 2 for ax in fig.axes)
    with pytest.raises(ValueError, match="no rows of stat"):
        plots.forest(summary, "cover", quantity="ks")


def test_zip_plot_coverage_is_the_summary_cover(result, summary, tmp_path):
    tidy = result.tidy
    cond = int(tidy.condition.iloc[0])
    n = int(tidy.n.iloc[0])
    path = tmp_path / "zip.png"
    fig = plots.zip_plot(tidy, "mean", condition=cond, path=path)
    assert path.stat().st_size > 1000
    assert len(fig.axes) == 2
    for ax, method in zip(fig.axes, ["ecdf", "bootstrap"], strict=True):
        row = summary[(summary.n == n) & (summary.method == method)
                      & (summary.quantity == "mean") & (summary.stat == "cover")]
        cover, mcse = float(row.est.iloc[0]), float(row.mcse.iloc[0])
        (line,) = [x for x in ax.lines if x.get_label() == "coverage"]
        assert line.get_ydata()[0] == pytest.approx(100 * cover, abs=1e-10)
        assert ax.get_title() == f"{method}: coverage {cover:.4f} ({mcse:.4f})"
        assert ax.get_xlabel() == "95% interval for mean"
        (segments,) = ax.collections
        assert len(segments.get_segments()) == 40  # one interval per replication
    assert fig.axes[0].get_ylabel() == "centile of |z|"
    with pytest.raises(ValueError, match="condition"):
        plots.zip_plot(tidy, "mean")
    with pytest.raises(ValueError, match="no intervals"):
        plots.zip_plot(tidy, "sd", condition=cond)


def test_estimates_and_stat_by(result, summary, tmp_path):
    fig = plots.estimates(result.tidy, "mean", path=tmp_path / "est.png")
    assert (tmp_path / "est.png").exists()
    assert [ax.get_title() for ax in fig.axes] == ["n = 20", "n = 80"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["ecdf", "bootstrap"]
    assert fig.axes[0].get_ylabel() == "estimate of mean"
    fig = gs.autoplot(result, "est", quantity="ks", kind="hist")
    assert fig.axes[0].get_xlabel() == "estimate of ks"
    fig = plots.stat_by(summary, "rmse", quantity="mean", path=tmp_path / "by.png")
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_ylabel() == "rmse of mean (± 1.96 MCSE)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["20", "80"]
    assert len(ax.containers) == 2
    assert all(len(c.lines[0].get_xdata()) == 2 for c in ax.containers)
    with pytest.raises(ValueError, match="needs a tidy frame"):
        gs.autoplot(summary, "zip", quantity="mean")


def test_poc_writes_tables_and_figures(tmp_path):
    from gansim.studies.poc import poc_study, write_outputs

    study = poc_study(replications=20, n=50, m=300, gan=gs.GANConfig(steps=30), block_size=20)
    res = gs.run_study(study, seed=3, progress=False)
    summary = write_outputs(tmp_path, res, n_jobs=1, started="now")
    for name in ("summary.md", "summary.tex", "zip.png", "forest.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    header, rows = md_cells((tmp_path / "summary.md").read_text(), 2)
    assert header == ["quantity", "stat", "ecdf", "gan", "truth"]
    row = summary[(summary.method == "gan") & (summary.quantity == "mean")
                  & (summary.stat == "cover")]
    check_cell(rows[("mean", "cover")][1], row.est.iloc[0], row.mcse.iloc[0], 4)
    assert "\\toprule" in (tmp_path / "summary.tex").read_text()
