"""Render stage: failures are traced to the template file and values keys."""

from __future__ import annotations

from pathlib import Path

from chartgate.manifests import ManifestSet
from chartgate.render import Rendered
from chartgate.scenario import Expectations, Scenario
from chartgate.stages.render_stage import RenderStage, trace


def _rendered(error: str | None, renders: bool = True, pattern: str | None = None) -> Rendered:
    sc = Scenario(name="s", file=Path("s.yaml"), chart=Path("c"),
                  expect=Expectations(renders=renders, error=pattern))
    return Rendered(sc, None if error else ManifestSet(), error, 0.0, False)


def test_trace_template_line_and_values_key() -> None:
    msg = ('template: clockwork/templates/deployment.yaml:42:18: executing '
           '"clockwork/templates/deployment.yaml" at <.Values.deployment.image.tag>: nil pointer')
    template, keys = trace(msg)
    assert template == "templates/deployment.yaml:42"
    assert keys == ("deployment.image.tag",)


def test_trace_schema_errors() -> None:
    msg = ("values don't meet the specifications of the schema(s) in the following chart(s):\n"
           "clockwork:\n- at '/deployment/replicas': minimum: got -1, want 0\n")
    assert trace(msg)[1] == ("deployment.replicas",)


def test_unexpected_failure_is_a_finding_with_location() -> None:
    err = "template: clockwork/templates/service.yaml:3:5: executing x at <.Values.service.port>: boom"
    [f] = RenderStage().check(_rendered(err))
    assert f.template == "templates/service.yaml:3"
    assert f.values_keys == ("service.port",)
    assert "boom" in f.message


def test_expected_failure_must_match_pattern() -> None:
    stage = RenderStage()
    assert stage.check(_rendered("replicas must be >= 0", False, r"replicas")) == []
    [f] = stage.check(_rendered("something else", False, r"replicas"))
    assert f.rule == "failedTemplate" and f.expected == "replicas"


def test_expected_failure_that_renders_fails() -> None:
    [f] = RenderStage().check(_rendered(None, False, "x"))
    assert "expected helm template to fail" in f.message
