"""The example notebook (docs/examples/tour.ipynb) runs end to end on the bundled data.

Its code cells are executed in order in one namespace, as a kernel would (without Jupyter: the
notebook format is JSON), and each cell's last expression is rendered the way a notebook shows
it (``_repr_html_`` or ``repr``), so a broken view fails the test too.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "examples" / "tour.ipynb"


def test_the_example_notebook_runs_end_to_end() -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("matplotlib")
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    namespace: dict[str, Any] = {}
    shown: list[str] = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr):
            tree.body.pop()
        else:
            last = None
        exec(compile(tree, str(NOTEBOOK), "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), str(NOTEBOOK), "eval"), namespace)
            render = getattr(value, "_repr_html_", None)
            shown.append(render() if callable(render) and not isinstance(value, type) else repr(value))
    bridge = namespace["bridge"]
    assert bridge.starting_mrr + bridge.net_change == bridge.ending_mrr
    assert any("41,134.76" in text for text in shown)  # the bridge's HTML view shows ending MRR
    assert len(namespace["series"].bridges) == 24
