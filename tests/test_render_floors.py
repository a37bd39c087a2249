"""The floor fits a + b·n^−c as the results READMEs read them: a fit whose exponent ends on
the lower search bound (or whose interval of a is unbounded) says that a is not identified,
and every other fit keeps its words."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from gansim.render import generators as rg
from gansim.render import rates_floor as rrf
from gansim.studies.rates import c_bound

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _fit(method, a, a_low, a_high, c, c_low, c_high, fit="free"):
    return {"dgp": "x", "method": method, "quantity": "ks", "fit": fit, "a": a, "b": 0.5,
            "c": c, "se_a": 0.01, "se_b": 0.1, "se_c": 0.1, "a_low": a_low, "a_high": a_high,
            "c_low": c_low, "c_high": c_high, "chi2": 1.0, "df": 1, "p_value": 0.3,
            "converged": 1, "n_min": 50, "n_max": 400, "p_a0": math.nan}


def test_generators_floor_rows_say_when_a_is_not_identified():
    cb = c_bound()
    fl = pd.DataFrame([
        _fit("ecdf", 0.001, -0.01, 0.01, 0.5, 0.3, 0.8),
        # The fit of the unbounded optimiser: c below the grid, a's interval collapsed.
        _fit("gan", -262.2856, -262.2856, -262.2856, 0.000122, cb, 0.517),
        _fit("gan_large", -0.03, -0.8, 0.05, cb, cb, 0.6),  # c's estimate on the bound
        _fit("gan_pareto", 0.02, 0.01, math.inf, 0.3, 0.1, 0.9),  # a unbounded above
        _fit("gan_mixture", 0.02, 0.01, 0.03, 0.5, 0.2, 0.9),
    ])
    rows, trusted = rg._fit_rows(fl, "x", ["gan", "gan_large", "gan_pareto", "gan_mixture"])
    assert trusted is True
    got = {r["method"]: (r["c free: a [95%]"], r["reading"]) for r in rows}
    note = "a not identified (c's estimate on the search bound, or a's interval unbounded)"
    assert got == {
        "`ecdf`": ("0.0010 [-0.0100, 0.0100]", "a ≤ 0.0100 only (interval reaches below 0)"),
        "`gan`": ("not identified", "c ≤ 0.52 only (lower end on the search bound); " + note),
        "`gan_large`": ("not identified",
                        "c ≤ 0.60 only (lower end on the search bound); " + note),
        "`gan_pareto`": ("not identified", note),
        "`gan_mixture`": ("0.0200 [0.0100, 0.0300]", "—"),
    }


def test_rates_floor_readme_says_when_a_is_not_identified():
    d = rrf._load(RESULTS / "rates_floor")
    before = rrf.readme(d)
    fl = d["floor"].copy()
    row = (fl.dgp == "t") & (fl.method == "gan_large") & (fl.quantity == "ks")
    r = fl[row].iloc[0]
    assert f"t a ≤ {r.a_high:.3f}, c = {r.c:.2f} [" in before
    # The same fit with its exponent on the search bound: a is then set by the bound.
    fl.loc[row, ["c", "c_low"]] = c_bound()
    after = rrf.readme({**d, "floor": fl})
    assert f"t a not identified, c ≤ {r.c_high:.2f}" in after
    assert f"t a ≤ {r.a_high:.3f}" not in after
    # Elsewhere only the count of c intervals on the search bound changes (one more).
    changed = [y for x, y in zip(before.splitlines(), after.splitlines(), strict=True)
               if x != y]
    assert [y[:22] for y in changed] == ["- **What B resolves.**", "**2. How fast does F*_"]
