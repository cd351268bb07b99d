"""The Go-module build mechanism: which replace directives a wrapper module gets."""

from __future__ import annotations

import pytest

from chartgate.tools.go import replaces_for
from chartgate.tools.versions import ToolSpec, all_tools, tool


def _spec(**kw: object) -> ToolSpec:
    base = dict(name="x", module="example.com/x", version="v1.34.4", package="example.com/x/cmd/x",
                binary="x")
    base.update(kw)
    return ToolSpec(**base)  # type: ignore[arg-type]


def test_module_replaces_are_copied_and_local_ones_dropped() -> None:
    gomod = {"Replace": [
        {"Old": {"Path": "github.com/vmware-labs/yaml-jsonpath", "Version": "v0.3.2"},
         "New": {"Path": "github.com/helm-unittest/yaml-jsonpath", "Version": "v0.4.0"}},
        {"Old": {"Path": "example.com/local"}, "New": {"Path": "./hack/local"}},
    ]}
    assert replaces_for(_spec(), gomod) == [
        "github.com/vmware-labs/yaml-jsonpath@v0.3.2=github.com/helm-unittest/yaml-jsonpath@v0.4.0"]


def test_kubernetes_staging_replaces_map_to_published_v0_modules() -> None:
    gomod = {"Replace": [
        {"Old": {"Path": "k8s.io/api"}, "New": {"Path": "./staging/src/k8s.io/api"}},
        {"Old": {"Path": "k8s.io/client-go"}, "New": {"Path": "./staging/src/k8s.io/client-go"}},
    ]}
    assert replaces_for(_spec(staging=True), gomod) == [
        "k8s.io/api=k8s.io/api@v0.34.4", "k8s.io/client-go=k8s.io/client-go@v0.34.4"]


def test_staging_needs_a_v1_version() -> None:
    with pytest.raises(ValueError, match=r"v1\.X\.Y"):
        replaces_for(_spec(staging=True, version="v2.0.0"), {"Replace": []})


def test_every_pinned_tool_has_an_exact_version() -> None:
    specs = all_tools()
    assert {"helm", "helm3", "helm-unittest", "opa", "conftest"} <= {s.name for s in specs}
    for s in specs:
        assert s.version.startswith("v") and s.version.count(".") == 2, s
        assert s.key == f"{s.name}-{s.version}"


def test_unknown_tool_names_the_pinned_ones() -> None:
    with pytest.raises(KeyError, match="helm"):
        tool("no-such-tool")
