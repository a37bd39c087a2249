"""The report of ``results/coverage_tuning``: how the GAN bootstrap's warm start was chosen.

Renders ``coverage_tuning/README.md`` from the committed files of the folder: the script
``warm_steps.py`` (its docstring, its variants and constants), its output
``warm_steps.txt`` (parsed: the per-data-set bootstrap SEs and the summary lines) and, when
present, its run record ``run.json``. Words comparing a variant with training from scratch
come from :func:`gansim.summary.rules.compare` applied to the mean log ratio of the SEs and
its paired MCSE (the sd of the log ratios over the data sets / √count), both as printed in
``warm_steps.txt``.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import pandas as pd

from gansim.render.common import provenance, read_json
from gansim.summary import rules
from gansim.summary.text import fill, md_table, num

__all__ = ["render", "parse_output", "script_constants"]

FOLDER = "coverage_tuning"
SCRIPT = "warm_steps.py"
OUTPUT = "warm_steps.txt"

_DATA = re.compile(r"^seed (?P<seed>\d+) data set (?P<i>\d+): (?P<rest>.*)$")
_ITEM = re.compile(r"(?P<k>\w+) \[(?P<v>[^\]]*)\]")
_HEAD = re.compile(r"^Geometric mean over (?P<count>\d+) data sets of the bootstrap SE / "
                   r"scratch's \((?P<funcs>[^)]*)\)")
_ROW = re.compile(r"^\s+(?P<k>\w+)\s+(?P<vals>(?:[0-9.]+ \(±[0-9.]+\)\s*)+)$")
_VAL = re.compile(r"([0-9.]+) \(±([0-9.]+)\)")


def parse_output(text: str) -> dict:
    """``warm_steps.txt`` as data: ``sets`` (one row per data set and variant: ``seed``,
    ``set``, ``variant`` and one SE per functional), ``funcs``, ``count`` and ``summary``
    (per variant and functional: ``ratio`` and ``sem``, the SE of the mean log ratio).

    Examples
    --------
    >>> out = parse_output("seed 1 data set 0: scratch [0.1, 0.2]; w [0.1, 0.1]\\n\\n"
    ...                    "Geometric mean over 1 data sets of the bootstrap SE / scratch's "
    ...                    "(mean, sd), with the sd of the log ratio / sqrt(count):\\n"
    ...                    "  scratch   1.000 (±0.000)  1.000 (±0.000)\\n"
    ...                    "  w         0.900 (±0.010)  1.100 (±0.200)\\n")
    >>> out["count"], out["funcs"], out["summary"]["ratio"].tolist()
    (1, ['mean', 'sd'], [1.0, 1.0, 0.9, 1.1])
    """
    sets, summary, funcs, count = [], [], None, None
    for line in text.splitlines():
        m = _DATA.match(line)
        if m:
            for item in _ITEM.finditer(m["rest"]):
                vals = [float(v) for v in item["v"].split(",")]
                sets.append({"seed": int(m["seed"]), "set": int(m["i"]),
                             "variant": item["k"], "se": vals})
            continue
        m = _HEAD.match(line)
        if m:
            count, funcs = int(m["count"]), [f.strip() for f in m["funcs"].split(",")]
            continue
        m = _ROW.match(line)
        if m and funcs is not None:
            vals = _VAL.findall(m["vals"])
            if len(vals) != len(funcs):
                raise ValueError(f"{OUTPUT}: {len(vals)} values for {len(funcs)} functionals "
                                 f"in {line.strip()!r}")
            for f, (r, s) in zip(funcs, vals, strict=True):
                summary.append({"variant": m["k"], "functional": f, "ratio": float(r),
                                "sem": float(s)})
    if funcs is None or not summary:
        raise ValueError(f"{OUTPUT} has no summary lines (Geometric mean over ...).")
    return {"sets": pd.DataFrame(sets), "funcs": funcs, "count": count,
            "summary": pd.DataFrame(summary)}


def script_constants(source: str) -> dict:
    """The script's module-level constants (literals only), read without running it."""
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            targets = node.targets[0]
            names = ([t.id for t in targets.elts] if isinstance(targets, ast.Tuple)
                     else [getattr(targets, "id", None)])
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            values = value if isinstance(targets, ast.Tuple) else [value]
            out.update({k: v for k, v in zip(names, values, strict=True) if k})
    out["__doc__"] = ast.get_docstring(ast.parse(source)) or ""
    return out


def _word(ratio: float, sem: float) -> str:
    if sem == 0:
        return "–"
    # Here B would be the number of data sets: the unresolved word says no more.
    return rules.compare(math.log(ratio), sem, higher="wider", lower="narrower",
                         unresolved="not resolved").word


def render(results) -> dict[str, str]:
    """``coverage_tuning/README.md``, keyed by its path under ``results``."""
    from gansim.gan.config import GANConfig
    from gansim.studies.coverage import WARM_STEPS

    base = Path(results) / FOLDER
    source = (base / SCRIPT).read_text()
    consts = script_constants(source)
    out = parse_output((base / OUTPUT).read_text())
    doc = consts["__doc__"]
    paras = [p for p in doc.split("\n\n") if p.strip()]
    command = next((line.strip() for line in doc.splitlines()
                    if line.strip().startswith("python ")), None)
    variants = consts.get("VARIANTS", {})
    cfg = GANConfig()
    summ = out["summary"]
    funcs = out["funcs"]
    sets = out["sets"]

    lines = ["# results/coverage_tuning — choosing the GAN bootstrap's warm start", ""]
    lines += [fill(f"[`{SCRIPT}`]({SCRIPT}) wrote [`{OUTPUT}`]({OUTPUT}). What it does, in "
                    "its docstring's words:"), ""]
    lines += ["\n>\n".join("> " + fill(p).replace("\n", "\n> ") for p in paras[:2])]
    lines += [""]
    if command:
        lines += ["```bash", command, "```", ""]
    run_path = base / "run.json"
    if run_path.is_file():
        lines += [provenance(read_json(run_path)).replace("\n", "  \n"),
                  fill("The script writes `run.json`; the wall time is that of the run on "
                        "its machine, not a benchmark."), ""]
    else:
        lines += [fill("No run record is committed: the versions and wall time of the run "
                        f"that wrote `{OUTPUT}` are not recorded."), ""]
    seeds = sets.groupby("seed")["set"].nunique()
    lines += [fill(
        f"`{OUTPUT}` holds {len(sets[['seed', 'set']].drop_duplicates())} data sets (numpy "
        "seed " + ", ".join(f"{s}: {k}" for s, k in seeds.items()) + f"; the summary is over "
        f"{out['count']}), {len(variants) or sets['variant'].nunique()} ways of training the "
        f"bootstrap GANs, and the bootstrap SE of {', '.join(funcs)} over R = "
        f"{consts.get('R', '–')} bootstrap GANs each."), ""]

    rows = []
    for k in dict.fromkeys(summ["variant"]):
        v = variants.get(k, "?")
        if v is None:
            how = f"from scratch ({cfg.steps:,} steps)"
        elif isinstance(v, dict):
            how = (f"warm, {v.get('steps', '?')} steps, lr {v.get('lr', cfg.lr):g} → "
                   f"{cfg.lr_final:g}")
        else:
            how = "?"
        row = {"variant": f"`{k}`", "bootstrap GANs": how}
        for f in funcs:
            r = summ[(summ["variant"] == k) & (summ["functional"] == f)].iloc[0]
            row[f"{f}: SE ratio (±)"] = f"{num(r['ratio'])} (±{num(r['sem'])})"
            row[f"{f}"] = _word(r["ratio"], r["sem"])
        rows.append(row)
    lines += [fill(
        "Geometric mean over the data sets of each variant's bootstrap SE / the from-scratch "
        "SE, with the SE of the mean log ratio (the sd of the log ratios / √count), as "
        f"printed in `{OUTPUT}`. The learning rate falls from its first to its last value "
        "over the steps (the config's own schedule when the first is the config's "
        f"{cfg.lr:g}). The word columns compare each variant with from scratch: *narrower* "
        f"or *wider* only when the mean log ratio exceeds {rules.K_MCSE:g} of its SEs, else "
        "not resolved at this number of data sets:"), "",
        md_table(pd.DataFrame(rows), align="ll" + "rl" * len(funcs)), ""]

    chosen = f"w{WARM_STEPS}"
    ch = summ[summ["variant"] == chosen]
    if not ch.empty:
        words = [_word(r.ratio, r.sem) for r in ch.itertuples()]
        unresolved = all(w == "not resolved" for w in words)
        narrower = [(k, [r.functional for r in g.itertuples()
                         if _word(r.ratio, r.sem) == "narrower"])
                    for k, g in summ.groupby("variant", sort=False)]
        narrower = [(k, fs) for k, fs in narrower if fs]
        lines += [fill(
            f"`WARM_STEPS = {WARM_STEPS}` in `gansim/studies/coverage.py` is `{chosen}`, the "
            "config's own schedule over "
            f"{WARM_STEPS} steps: its SE ratios are {', '.join(num(r) for r in ch['ratio'])} "
            + ("(none resolved from 1 at this number of data sets)" if unresolved else
               "(" + ", ".join(f"{f} {w}" for f, w in zip(ch["functional"], words,
                                                             strict=True)) + ")")
            + ". Narrower than from scratch under the rule: "
            + ("; ".join(f"`{k}` for {', '.join(fs)}" for k, fs in narrower) or "none")
            + ". How the warm start holds on the coverage study's own data sets is in "
            "[`results/coverage`](../coverage/README.md) (part `check`)."), ""]
    lines += [fill(
        f"Limits: {out['count']} data sets, R = {consts.get('R', '–')} bootstrap GANs each; "
        "the ratios compare the spreads of bootstrap distributions, not coverage."), ""]
    return {f"{FOLDER}/README.md": "\n".join(lines).rstrip("\n") + "\n"}
