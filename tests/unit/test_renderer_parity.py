"""The persistent renderer (src/chartgate/renderer, Helm SDK in one process) is byte-identical to
`helm template` for EVERY scenario in tests/scenarios: the same stdout for those that
render, the same error text (as chartgate reports it) for those that fail.

`helm template` stays the reference; this test is what lets the gate use the fast path.

Some templates are random by design (``randAlphaNum`` passwords, and the checksums of
what contains them): ``helm template`` itself differs from run to run there. When the
outputs differ, helm renders the scenario a second time; lines that differ between the
two helm runs are volatile and only need the same non-random prefix and suffix (and the
same line count); every other byte must be identical.
"""

from __future__ import annotations

import difflib
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chartgate.render_args import TemplateArgs
from chartgate.scenario import Defaults, Scenario, load_dir
from chartgate.tools import renderer as fast
from chartgate.tools.helm import Helm, HelmError
from chartgate.util.ci import missing_prerequisite

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "clockwork"
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9+/=_-]*$")
SCENARIOS = load_dir(ROOT / "tests" / "scenarios", Defaults(chart=CHART.resolve()))


def _volatile_ok(h1: str, h2: str, r: str) -> str:
    """"" if ``r`` equals ``h1`` except on lines where helm differs from itself (``h2``)."""
    a, b, c = h1.split("\n"), h2.split("\n"), r.split("\n")
    if not (len(a) == len(b) == len(c)):
        return f"line counts differ: helm {len(a)}/{len(b)}, renderer {len(c)}"
    for i, (x, y, z) in enumerate(zip(a, b, c, strict=True)):
        if x == z:
            continue
        if x == y:
            return (f"line {i + 1} differs and helm renders it deterministically:\n"
                    f"  helm: {x}\n  renderer: {z}")
        # the fixed part ends where the random token starts (random tokens may share a
        # few characters by chance: cut back to the last non-token character)
        pre = len(_TOKEN_TAIL.sub("", _common_prefix(x, y)))
        suf = len(_TOKEN_TAIL.sub("", _common_prefix(x[pre:][::-1], y[pre:][::-1])))
        if not (z.startswith(x[:pre]) and z.endswith(x[len(x) - suf:]) and len(z) >= pre + suf):
            return f"volatile line {i + 1} differs in its fixed part:\n  helm: {x}\n  renderer: {z}"
    return ""


def _common_prefix(x: str, y: str) -> str:
    n = 0
    for p, q in zip(x, y):  # noqa: B905 - different lengths on purpose
        if p != q:
            break
        n += 1
    return x[:n]


def _outcome(backend: Helm | fast.PersistentRenderer, chart: Path, args: TemplateArgs) -> tuple[str, str]:
    try:
        return "ok", backend.template(chart, args)
    except HelmError as exc:
        return "error", exc.message


def _covered(pr: fast.PersistentRenderer, chart: Path, args: TemplateArgs) -> tuple[str, str]:
    """The outcome of a render with template coverage on (instrumented templates)."""
    out = pr.template_covered(chart, args)
    if out.error is not None:
        return "error", out.error.message
    assert out.text is not None and out.plan and out.hits, "a covered render reports its probes"
    return "ok", out.text


@pytest.fixture(scope="module")
def outcomes() -> dict[str, tuple[tuple[str, str], tuple[str, str], tuple[str, str]]]:
    """scenario → (helm template's outcome, the persistent renderer's outcome, and the
    persistent renderer's with template coverage on)."""
    helm = Helm()
    try:
        binary = fast.ensure()
    except fast.RendererError as exc:  # no Go toolchain: nothing to compare against
        missing_prerequisite(f"persistent renderer not buildable: {exc}")
    with fast.PersistentRenderer(binary) as pr:
        assert pr.version == helm.version.split("+")[0], "renderer and helm must be the same Helm version"

        def both(s: Scenario) -> tuple[tuple[str, str], tuple[str, str], tuple[str, str]]:
            return (_outcome(helm, s.chart, s.args), _outcome(pr, s.chart, s.args),
                    _covered(pr, s.chart, s.args))

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(both, SCENARIOS))
    return {s.name: r for s, r in zip(SCENARIOS, results, strict=True)}


def test_every_scenario_is_covered() -> None:
    assert len(SCENARIOS) >= 100


@pytest.mark.parametrize("coverage", ["coverage-off", "coverage-on"])
@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_byte_identical_to_helm_template(name: str, coverage: str, outcomes: dict) -> None:
    (h_kind, h_text), plain, covered = outcomes[name]
    r_kind, r_text = covered if coverage == "coverage-on" else plain
    assert r_kind == h_kind, (f"helm template: {h_kind}, persistent renderer: {r_kind}\n"
                              f"helm: {h_text[:2000]}\nrenderer: {r_text[:2000]}")
    if h_text != r_text and h_kind == "ok":
        scenario = next(s for s in SCENARIOS if s.name == name)
        again = Helm().template(scenario.chart, scenario.args)
        if again != h_text:  # helm differs from itself: compare the non-random parts only
            problem = _volatile_ok(h_text, again, r_text)
            assert not problem, problem
            return
    if h_text != r_text:
        diff = "".join(difflib.unified_diff(h_text.splitlines(True), r_text.splitlines(True),
                                            "helm template", "persistent renderer", n=2))
        pytest.fail(f"{h_kind} output differs:\n{diff[:4000]}")


def test_request_mirrors_every_template_argument() -> None:
    args = TemplateArgs(release="r", namespace="ns", values_files=("/v.yaml",),
                        set_json=(("a.b", "[1]"),), kube_version="1.30.0",
                        api_versions=("x/v1",), is_upgrade=True, show_only=("templates/a.yaml",))
    req = fast.request(Path("/chart"), args)
    assert req == {"chart": "/chart", "release": "r", "namespace": "ns", "values": ["/v.yaml"],
                   "set_json": ["a.b=[1]"], "kube_version": "1.30.0", "api_versions": ["x/v1"],
                   "is_upgrade": True, "show_only": ["templates/a.yaml"]}
    # every field of TemplateArgs reaches the renderer
    assert len(req) - 1 == len(TemplateArgs.__dataclass_fields__)
