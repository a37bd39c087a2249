"""The package's plan, kept by a test: the layers import only downward, no import circle
(lazy imports inside functions included), and no private name crosses modules.

Layers, bottom to top (a module may import its own layer and those below):

0. ``gansim._platform``, ``gansim._files``, ``gansim._validation``, ``gansim.rng``
1. ``gansim.summary``: measures with MCSEs, tables, plots, rates, the rules behind words
   (frames in, frames out: it knows nothing of GANs or studies)
2. ``gansim.gan``: the GANs and their engines
3. ``gansim.study``: design, DGPs, functionals, methods, the runner
4. ``gansim.inference``: the GAN as an estimator on one data set
5. ``gansim.studies``: the shipped studies
6. ``gansim.render``: the results READMEs rendered from committed files
7. ``gansim.cli``, ``gansim.__main__``: the command line

The package's ``__init__`` re-exports the public names and is imported by no module of the
package (a dask worker then imports only what its task needs).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "gansim"

LAYERS = [
    ("gansim._platform", "gansim._files", "gansim._validation", "gansim.rng"),
    ("gansim.summary",),
    ("gansim.gan",),
    ("gansim.study",),
    ("gansim.inference",),
    ("gansim.studies",),
    ("gansim.render",),
    ("gansim.cli", "gansim.__main__"),
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _layer(module: str) -> int:
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in this test")


def _imports(module: str) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) of every gansim import in ``module``,
    at any depth of the file (lazy imports count)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "gansim":
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in MODULES:
                    out.append((sub, None, node.lineno))
                else:
                    out.append((source, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "gansim":
                    out.append((alias.name, None, node.lineno))
    return out


def test_every_module_belongs_to_a_layer():
    for module in MODULES:
        if module != "gansim":
            _layer(module)


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for module in MODULES:
        if module == "gansim":
            continue
        for target, _, line in _imports(module):
            if target == "gansim":
                upward.append(f"{module}:{line} imports the package's __init__")
            elif target in MODULES and _layer(target) > _layer(module):
                upward.append(f"{module}:{line} imports {target}")
    assert not upward, "imports that run back up:\n" + "\n".join(upward)


def test_no_import_circle():
    edges = {m: {t for t, _, _ in _imports(m) if t in MODULES and t != m and t != "gansim"}
             for m in MODULES}
    # Tarjan's strongly connected components; any component of two or more is a circle.
    index, low, stack, on, circles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    assert not circles, f"import circles: {circles}"


def test_no_private_name_crosses_modules():
    crossing = [f"{module}:{line} imports {name} from {target}"
                for module in MODULES for target, name, line in _imports(module)
                if name is not None and name.startswith("_") and not name.startswith("__")
                and target != module]
    assert not crossing, "private names imported from other modules:\n" + "\n".join(crossing)


def test_the_checks_catch_what_they_look_for(tmp_path, monkeypatch):
    # Negative control: a module of layer 1 importing layer 2, and a private name, are seen.
    fake = tmp_path / "gansim" / "gan"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("def f():\n    from gansim.study.core import _private\n")
    monkeypatch.setitem(MODULES, "gansim.gan.bad", fake / "bad.py")
    found = _imports("gansim.gan.bad")
    assert found == [("gansim.study.core", "_private", 2)]
    assert _layer("gansim.study.core") > _layer("gansim.gan.bad")
