"""pytest fixtures and hooks of the e2e library: load them with ``pytest_plugins``.

Any chart's end-to-end tests put this in their top-level ``conftest.py``::

    pytest_plugins = ["chartgate.e2e.fixtures"]

and get, all session-scoped unless noted:

``e2e_kubeconfig``
    the cluster: ``CHARTGATE_E2E_KUBECONFIG`` (a running cluster), or
    ``CHARTGATE_E2E_REUSE=1`` (``chartgate cluster up --name $CHARTGATE_CLUSTER``,
    idempotent, kept afterwards — one cluster for all pytest-xdist workers), or else
    ``kind_cluster`` (a fresh kind cluster deleted at the end, which fails the session if
    that leaves containers, volumes or networks behind). The node image is the
    air-gapped one, or kind's stock image with ``CHARTGATE_KIND_NODE_IMAGE=stock``.
``kube``, ``kubectl``, ``helm_tool``
    :class:`~chartgate.tools.kube.Kube` (wall-clock waits, diagnostics), the kubectl and
    helm wrappers, all on that cluster.
``local_images``
    :class:`LocalImages`: build an image from a directory on the local Debian base and
    ``kind load`` it (cached by content, one xdist worker at a time).
``releases`` (module) and ``watch`` (function)
    :class:`~chartgate.e2e.release.Releases`: a Helm release per test in its own
    namespace, cleaned up afterwards; ``release_options`` (override it) sets what every
    release gets. A test that requests ``watch`` (or whose module's ``releases`` fixture
    failed) gets every watched namespace dumped on failure — events, describe-like
    summaries, YAML, container logs, Helm history — under ``CHARTGATE_E2E_ARTIFACTS``, with a
    summary in the report.
``loadgen_image``
    the bounded in-cluster request loop's image (:class:`chartgate.e2e.loadgen.RequestLoop`).

A test file marked ``pytestmark = pytest.mark.e2e_seconds(N)`` (about how long it keeps one
worker busy) is collected before the unmarked ones, longest first: pytest-xdist's
``--dist loadfile --no-loadscope-reorder`` hands files out in that order, so the long files
start at once and the short ones fill the gaps at the end instead of one worker finishing a
long file alone while the others are idle.

Under ``CI=true`` every missing prerequisite fails; elsewhere it skips.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from chartgate import cache
from chartgate.e2e import diagnostics
from chartgate.e2e.images import build_loadgen, load_into_kind
from chartgate.e2e.release import ReleaseOptions, Releases
from chartgate.e2e.settings import Settings, missing
from chartgate.e2e.timings import TIMINGS
from chartgate.tools.helm import Helm
from chartgate.tools.kube import Kube
from chartgate.tools.kubectl import Kubectl, KubectlError

pytest_plugins = ["chartgate.e2e.timings"]

T = TypeVar("T")
# "Captured stdout …": pytest's JUnit XML puts such sections into <system-out>, so the
# diagnostics reach CI's test report as well as the terminal.
DIAG_SECTION = "Captured stdout kubernetes diagnostics"


@dataclass(frozen=True)
class Watched:
    """What the failure hook dumps for a test (or for its module's setup)."""

    releases: Releases
    kube: Kube
    settings: Settings


WATCH_KEY = pytest.StashKey[Watched]()


# --- cluster ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def e2e_settings(request: pytest.FixtureRequest) -> Settings:
    return Settings.from_env(Path(str(request.config.rootpath)))


def check_prerequisites() -> None:
    """A docker engine, the selected node image and kind: missing ones fail under CI=true."""
    from chartgate.airgap.config import node_image, selected_node_image
    from chartgate.tools import bootstrap, docker

    try:
        if not docker.engine_running():
            missing("no docker engine answers (run `chartgate airgap build`)")
    except docker.DockerUnavailable as exc:
        missing(str(exc))
    image = selected_node_image()
    if image == node_image() and not docker.image_exists(image):
        missing(f"node image {image} not built (run `chartgate airgap build`)")
    try:
        bootstrap.binary("kind")
    except bootstrap.ToolMissing as exc:
        missing(str(exc))


@pytest.fixture(scope="session")
def kind_cluster(e2e_settings: Settings) -> Iterator[Path]:
    """A fresh kind cluster named ``$CHARTGATE_CLUSTER`` (default ``chartgate-e2e``),
    deleted at the end of the session (``CHARTGATE_E2E_KEEP=1`` keeps it); the session
    errors if deleting it leaves containers, volumes or networks behind."""
    from chartgate.airgap import cluster

    check_prerequisites()
    kubeconfig = cluster.up(e2e_settings.cluster, recreate=True)
    yield kubeconfig
    if os.environ.get("CHARTGATE_E2E_KEEP") == "1":
        return
    left = {k: v for k, v in cluster.down(e2e_settings.cluster).items() if v}
    assert not left, f"cluster down left behind {left}"


@pytest.fixture(scope="session")
def e2e_kubeconfig(request: pytest.FixtureRequest, e2e_settings: Settings) -> str:
    t0 = time.monotonic()
    if e2e_settings.kubeconfig:
        if not Path(e2e_settings.kubeconfig).exists():
            missing(f"CHARTGATE_E2E_KUBECONFIG={e2e_settings.kubeconfig} does not exist")
        path = e2e_settings.kubeconfig
    elif e2e_settings.reuse:
        # `chartgate cluster up --name $CHARTGATE_CLUSTER`, idempotent: an existing cluster is
        # reused (and kept after the session), a missing one created — reuse between runs,
        # and one cluster for all pytest-xdist workers when created beforehand.
        try:
            from chartgate.airgap import cluster

            path = str(cluster.up(e2e_settings.cluster))
        except Exception as exc:
            missing(f"cannot bring up kind cluster {e2e_settings.cluster}: {exc}")
            raise
    else:
        path = str(request.getfixturevalue("kind_cluster"))
    TIMINGS.append(("cluster", time.monotonic() - t0))
    return path


@pytest.fixture(scope="session")
def kube(e2e_kubeconfig: str) -> Kube:
    return Kube.from_kubeconfig(e2e_kubeconfig)


@pytest.fixture(scope="session")
def kubectl(e2e_kubeconfig: str) -> Kubectl:
    try:
        return Kubectl(kubeconfig=e2e_kubeconfig)
    except KubectlError as exc:
        missing(str(exc))
        raise


@pytest.fixture(scope="session")
def helm_tool() -> Helm:
    from chartgate.tools import bootstrap

    try:
        return Helm("helm")
    except bootstrap.ToolMissing as exc:
        missing(str(exc))
        raise


# --- images -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalImages:
    """Images built on this machine and loaded into the session's kind cluster."""

    settings: Settings

    def provide(self, what: str, build: Callable[[], T], refs: Callable[[T], list[str]]) -> T:
        """``build()`` (cached by content) and ``kind load`` its ``refs(built)`` under one
        lock: of several xdist workers one does the work, the rest find it done. A failed
        build is a missing prerequisite."""
        t0 = time.monotonic()
        with cache.locked("e2e-images"):
            try:
                built = build()
            except Exception as exc:
                missing(f"cannot build the {what}: {exc}")
                raise
            load_into_kind(self.settings.cluster, refs(built))
        TIMINGS.append((f"{what} (build + kind load)", time.monotonic() - t0))
        return built

    def build(self, context: Path, tag: str, build_args: Mapping[str, str] | None = None) -> str:
        """Build ``tag`` from ``context`` (a Dockerfile starting ``ARG BASE_IMAGE`` /
        ``FROM ${BASE_IMAGE}``: the local Debian base) and load it into the cluster."""
        from chartgate.airgap.images import build_image_from_dir

        return self.provide(f"image {tag}", lambda: build_image_from_dir(context, tag, build_args=build_args),
                            lambda ref: [ref])

    def load(self, refs: list[str]) -> list[str]:
        """``kind load`` images that exist locally (skipped when the nodes have them)."""
        return self.provide(f"{len(refs)} local image(s)", lambda: refs, lambda r: r)


@pytest.fixture(scope="session")
def local_images(e2e_settings: Settings, e2e_kubeconfig: str) -> LocalImages:
    return LocalImages(e2e_settings)


@pytest.fixture(scope="session")
def loadgen_image(local_images: LocalImages) -> str:
    """The request loop's image, built from the Go source shipped with chartgate."""
    return local_images.provide("load generator image", build_loadgen,
                                lambda tag: [tag])


# --- releases, diagnostics --------------------------------------------------------------


@pytest.fixture(scope="session")
def chart_dir(e2e_settings: Settings) -> Path | None:
    """The chart releases install by default: ``CHARTGATE_E2E_CHART``, or None (each
    release names its chart). A chart's conftest may override this fixture."""
    path = e2e_settings.chart
    if path is not None and not (path / "Chart.yaml").exists():
        missing(f"no chart at {path} (CHARTGATE_E2E_CHART)")
    return path


@pytest.fixture(scope="session")
def release_options() -> ReleaseOptions:
    """What every release gets (values, namespace-dependent values, failure explanation);
    override it in a chart's conftest."""
    return ReleaseOptions()


@pytest.fixture(scope="module")
def releases(request: pytest.FixtureRequest, e2e_settings: Settings, helm_tool: Helm, kube: Kube,
             chart_dir: Path | None, e2e_kubeconfig: str, release_options: ReleaseOptions,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Releases]:
    made = Releases(helm_tool, kube, chart_dir, e2e_kubeconfig, tmp_path_factory.mktemp("releases"),
                    release_options, helm_timeout=e2e_settings.helm_timeout)
    request.node.stash[WATCH_KEY] = Watched(made, kube, e2e_settings)  # the module: setup failures
    yield made
    made.cleanup()


@pytest.fixture
def watch(request: pytest.FixtureRequest, releases: Releases, kube: Kube,
          e2e_settings: Settings) -> Releases:
    """Links the test to its module's releases: on failure, their namespaces are dumped."""
    request.node.stash[WATCH_KEY] = Watched(releases, kube, e2e_settings)
    return releases


def _attach_diagnostics(report: pytest.TestReport, item: pytest.Item, watched: Watched) -> None:
    try:
        rels = watched.releases
        dest, summary = diagnostics.collect(watched.kube, watched.settings.artifacts, item.nodeid,
                                            list(rels.namespaces), list(rels.made))
        report.sections.append((DIAG_SECTION, f"artifacts: {dest}\n{summary}"))
        (dest / "summary.txt").write_text(summary + "\n")
    except Exception as exc:
        report.sections.append((DIAG_SECTION, f"(collection failed: {exc})"))


# --- order -----------------------------------------------------------------------------

COST_MARKER = "e2e_seconds"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{COST_MARKER}(seconds): about how long the test file keeps one "
                                       "worker busy; marked files are collected first, longest first")


def file_seconds(item: pytest.Item) -> float:
    """The ``e2e_seconds`` mark of the item's file (0 when unmarked)."""
    module = item.getparent(pytest.Module)
    mark = module.get_closest_marker(COST_MARKER) if module is not None else None
    return float(mark.args[0]) if mark is not None and mark.args else 0.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marked files first, longest first; a file's tests stay together and in their order
    (the sort is stable and the key is per file); unmarked files keep their order."""
    if any(file_seconds(i) for i in items):
        items.sort(key=lambda i: -file_seconds(i))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    module = item.getparent(pytest.Module)
    source = item if WATCH_KEY in item.stash else module
    failed = report.when in ("setup", "call") and report.failed
    if failed and source is not None and WATCH_KEY in source.stash:
        _attach_diagnostics(report, item, source.stash[WATCH_KEY])
    on_cluster = "e2e_kubeconfig" in getattr(item, "fixturenames", ())
    if on_cluster and report.when in ("setup", "call") and (report.when == "call" or report.duration > 1):
        TIMINGS.append((f"{item.nodeid} [{report.when}]", report.duration))
    return report
