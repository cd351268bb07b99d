"""The layering rules, checked on chartgate's import graph (read with ``ast``; print it
with ``python -m chartgate.devtools.imports [--layers]``):

* the tool wrappers (``tools/``) import no stage, ``airgap``, ``e2e`` or front-end module;
* no stage imports another stage (shared helpers live in ``stages/common.py``);
* the data model (scenarios, render arguments, the rendered-set model, the report model)
  imports no tool wrapper;
* ``util`` imports nothing else from chartgate.
"""

from __future__ import annotations

import pytest

from chartgate.devtools.imports import FRONT_ENDS, graph, layers

GRAPH = graph()
STAGE_SHARED = {"stages.common", "stages.base", "stages"}
DATA_MODEL = ("scenario", "render_args", "manifests", "report.model")


def _under(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_graph_sees_the_whole_package() -> None:
    assert {"tools.helm", "stages.policy", "scenario", "policy.engine", "util.ci"} <= set(GRAPH)
    assert "render_args" in GRAPH["scenario"] and "tools.opa" in GRAPH["policy.evaluator"]
    assert "tools.kind" in GRAPH["airgap.cluster"]  # lazy and package-relative imports count too


def test_tools_import_no_stage_airgap_e2e_or_front_end() -> None:
    bad = {m: sorted(d for d in deps if _under(d, "stages", "airgap", "e2e") or d in FRONT_ENDS)
           for m, deps in GRAPH.items() if _under(m, "tools")}
    assert {m: d for m, d in bad.items() if d} == {}


def test_no_stage_imports_another_stage() -> None:
    bad = {m: sorted(d for d in deps if _under(d, "stages") and d not in STAGE_SHARED)
           for m, deps in GRAPH.items() if _under(m, "stages") and m not in STAGE_SHARED}
    assert {m: d for m, d in bad.items() if d} == {}


@pytest.mark.parametrize("module", DATA_MODEL)
def test_the_data_model_imports_no_tool_wrapper(module: str) -> None:
    assert sorted(d for d in GRAPH[module] if _under(d, "tools")) == []


def test_util_depends_on_nothing_else() -> None:
    bad = {m: sorted(d for d in deps if not _under(d, "util"))
           for m, deps in GRAPH.items() if _under(m, "util")}
    assert {m: d for m, d in bad.items() if d} == {}


def test_the_layer_view_has_the_same_edges() -> None:
    view = layers(GRAPH)
    assert "tools" in view["policy"] and "stages" not in view["tools"]
