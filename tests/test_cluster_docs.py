"""docs/cluster.md: its Python examples run (a LocalCluster, the code identity), and what it
says of the command line holds (the options, the exit code, the one-line messages).  The
examples that need Slurm or Kubernetes are shown as ``{code-block}`` and not run; those
with processes started by hand are what tests/test_cluster.py runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "cluster.md"

pytest.importorskip("distributed")


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.S | re.M)


def test_the_pages_python_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "docs"}
    blocks = _blocks(PAGE.read_text(encoding="utf-8"), "python")
    assert len(blocks) >= 2
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/cluster.md python block {i}", "exec"), namespace)  # noqa: S102
    assert namespace["on_cluster"].tidy.equals(namespace["here"].tidy)


def test_what_the_page_says_of_the_command_line_holds(capsys):
    from gansim import cli
    from gansim.study.runner import _saved

    text = PAGE.read_text(encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.main(["poc", "--help"])
    known = set(re.findall(r"--[a-z][a-z-]+", capsys.readouterr().out))
    shown = {o for block in _blocks(text, "bash") for line in block.splitlines()
             if line.startswith("python -m gansim") for o in re.findall(r"--[a-z][a-z-]+", line)}
    assert shown and shown <= known
    assert {"--wait-for-workers", "--reuse-blocks-from-other-code"} <= known
    assert cli.EXIT_CLUSTER == 3 and "exits with **code 3**" in text
    # The one-line messages shown are the ones printed.
    from gansim.study.executors import ClusterError

    line = _saved(ClusterError("lost the dask scheduler at tcp://10.0.0.5:8786 "
                               "(scheduler-connection-lost)."), 14, 100, "results/poc")
    assert f"gansim poc: cluster: {line}" in text
