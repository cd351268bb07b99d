"""pytest fixtures and hooks of the clockwork e2e stage.

``tests/e2e/clockwork/conftest.py`` star-imports this module. The cluster comes from the
air-gapped kind fixture ``kind_cluster`` (``tests/e2e/conftest.py``), or from
``CHARTGATE_E2E_KUBECONFIG`` when a cluster is already running (reuse between runs:
``chartgate cluster up`` once, then point the stage at its kubeconfig).
Under ``CI=true`` every missing prerequisite fails; elsewhere it skips.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from chartgate import cache
from chartgate.e2e import diagnostics
from chartgate.e2e.checks import names
from chartgate.e2e.images import AppImages, app_images, build_loadgen, load_into_kind
from chartgate.e2e.release import Release
from chartgate.e2e.settings import Settings, missing
from chartgate.e2e.timings import TIMINGS
from chartgate.tools.helm import Helm
from chartgate.tools.kube import Kube, ObjRef
from chartgate.tools.kubectl import Kubectl, KubectlError
from chartgate.util.merge import deep_merge

__all__ = [
    "ExternalPostgres",
    "Releases",
    "app_imgs",
    "chart_dir",
    "e2e_kubeconfig",
    "e2e_settings",
    "env_values",
    "external_postgres",
    "helm_tool",
    "kube",
    "kubectl",
    "loadgen_image",
    "pytest_runtest_makereport",
    "releases",
    "watch",
]

WATCH_KEY = pytest.StashKey[list[Any]]()
# "Captured stdout …": pytest's JUnit XML puts such sections into <system-out>, so the
# diagnostics reach CI's test report as well as the terminal.
DIAG_SECTION = "Captured stdout kubernetes diagnostics"
T = TypeVar("T")


# --- environment ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def e2e_settings(request: pytest.FixtureRequest) -> Settings:
    settings = Settings.from_env(Path(str(request.config.rootpath)))
    problem = settings.real_image_problem()  # the real-image mode needs two different images
    if problem:
        missing(problem)
    return settings


@pytest.fixture(scope="session")
def e2e_kubeconfig(request: pytest.FixtureRequest, e2e_settings: Settings) -> str:
    t0 = time.monotonic()
    if e2e_settings.kubeconfig:
        if not Path(e2e_settings.kubeconfig).exists():
            missing(f"CHARTGATE_E2E_KUBECONFIG={e2e_settings.kubeconfig} does not exist")
        path = e2e_settings.kubeconfig
        try:
            from chartgate.airgap import images

            load_into_kind(e2e_settings.cluster, [images.postgres_tag()])
        except Exception as exc:
            missing(f"cannot load the PostgreSQL image into {e2e_settings.cluster}: {exc}")
    elif e2e_settings.reuse:
        # `chartgate cluster up --name $CHARTGATE_CLUSTER`, idempotent: an existing cluster is
        # reused (and kept after the session), a missing one created — reuse between runs,
        # and one cluster for all pytest-xdist workers when created beforehand.
        try:
            from chartgate.airgap import cluster, images

            path = str(cluster.up(e2e_settings.cluster, load=[images.postgres_tag()]))
        except Exception as exc:
            missing(f"cannot bring up kind cluster {e2e_settings.cluster}: {exc}")
            raise
    else:
        try:
            path = str(request.getfixturevalue("kind_cluster"))
        except pytest.FixtureLookupError:
            missing("no `kind_cluster` fixture (tests/e2e/conftest.py) and no CHARTGATE_E2E_KUBECONFIG")
            raise
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


@pytest.fixture(scope="session")
def chart_dir(request: pytest.FixtureRequest, e2e_settings: Settings) -> Path:
    path = e2e_settings.chart or Path(str(request.config.rootpath)) / "deploy" / "helm" / "clockwork"
    if not (path / "Chart.yaml").exists():
        missing(f"no chart at {path}")
    return path


def _build_and_load(settings: Settings, what: str, build: Callable[[], T],
                    refs: Callable[[T], list[str]]) -> T:
    """Build (cached by content) and ``kind load`` under one lock: of several xdist workers
    one does the work, the rest find it done. A failed build is a missing prerequisite."""
    t0 = time.monotonic()
    with cache.locked("e2e-images"):
        try:
            built = build()
        except Exception as exc:
            missing(f"cannot build the {what}: {exc}")
            raise
        load_into_kind(settings.cluster, refs(built))
    TIMINGS.append((f"{what} (build + kind load)", time.monotonic() - t0))
    return built


@pytest.fixture(scope="session")
def app_imgs(request: pytest.FixtureRequest, e2e_settings: Settings, e2e_kubeconfig: str) -> AppImages:
    """The server images (contract double v1/v2, or CLOCKWORK_E2E_IMAGE + _NEXT), loaded into kind."""
    root = Path(str(request.config.rootpath))
    return _build_and_load(e2e_settings, "clockwork server images",
                           lambda: app_images(root, e2e_settings), lambda imgs: imgs.all)


@pytest.fixture(scope="session")
def loadgen_image(request: pytest.FixtureRequest, e2e_settings: Settings, e2e_kubeconfig: str) -> str:
    loadgen_dir = Path(str(request.config.rootpath)) / "tests" / "e2e" / "loadgen"
    return _build_and_load(e2e_settings, "load generator image",
                           lambda: build_loadgen(loadgen_dir), lambda tag: [tag])


@pytest.fixture(scope="session")
def env_values(app_imgs: AppImages) -> dict[str, Any]:
    """What every release of the stage sets on top of the docs' values files: the local
    images. PostgreSQL runs as the chart's default non-root uid (the air-gapped image
    supports an arbitrary uid through nss_wrapper, like the official image)."""
    from chartgate.airgap import images

    repo, tag = AppImages.split(app_imgs.v1)
    pg_repo, pg_tag = AppImages.split(images.postgres_tag())
    return {
        "deployment": {"image": {"repository": repo, "tag": tag, "pullPolicy": "IfNotPresent"}},
        "postgresql": {"image": {"repository": pg_repo, "tag": pg_tag, "pullPolicy": "IfNotPresent"}},
    }


# --- external PostgreSQL (testcontainers on kind's docker network) ---------------------


@dataclass
class ExternalPostgres:
    container: Any
    ip: str
    user: str
    password: str
    port: int = 5432
    databases: list[str] = field(default_factory=list)

    def url(self, database: str) -> str:
        return f"postgres://{self.user}:{self.password}@{self.ip}:{self.port}/{database}?sslmode=disable"

    def psql(self, database: str, sql: str) -> str:
        code, out = self.container.exec(["psql", "-v", "ON_ERROR_STOP=1", "-U", self.user, "-d", database,
                                         "-tA", "-c", sql])
        text = out.decode(errors="replace") if isinstance(out, bytes) else str(out)
        if code != 0:
            raise AssertionError(f"psql on the external PostgreSQL failed ({code}): {text}")
        return text.strip()

    def create_database(self, name: str) -> str:
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return self.url(name)


@pytest.fixture(scope="session")
def external_postgres(e2e_kubeconfig: str, e2e_settings: Settings) -> Iterator[ExternalPostgres]:
    """PostgreSQL outside the cluster: a testcontainers container (the air-gapped image,
    Ryuk disabled — it would come from Docker Hub) on kind's docker network, reached by
    pods at its IP on that network. Removed explicitly at the end of the session."""
    import os

    from chartgate.airgap import images

    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:
        from testcontainers.postgres import PostgresContainer
    password = secrets.token_hex(12)
    pg = PostgresContainer(images.postgres_tag(), username="clockwork", password=password,
                           dbname="postgres", driver=None)
    pg.with_kwargs(network="kind")
    try:
        pg.start()
    except Exception as exc:
        missing(f"cannot start the external PostgreSQL container: {exc}")
        raise
    try:
        wrapped = pg.get_wrapped_container()
        wrapped.reload()
        ip = wrapped.attrs["NetworkSettings"]["Networks"]["kind"]["IPAddress"]
        yield ExternalPostgres(pg, ip, "clockwork", password)
    finally:
        with contextlib.suppress(Exception):
            pg.stop()


# --- releases, diagnostics --------------------------------------------------------------


@dataclass
class Releases:
    """Creates releases (each in its own namespace) and cleans them up."""

    helm: Helm
    kube: Kube
    chart: Path
    kubeconfig: str
    workdir: Path
    env: Mapping[str, Any]
    helm_timeout: str = "4m"
    made: list[Release] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)

    def new(self, name: str, namespace: str, values_files: tuple[str, ...] = (),
            values: Mapping[str, Any] | None = None) -> Release:
        if self.kube.namespace_exists(namespace):  # a leftover of an interrupted run
            self.kube.delete_namespace(namespace, wait=True, timeout=120)
        # the chart puts objects in namespace.name ("use the same value as helm -n")
        env = deep_merge(self.env, {"namespace": {"name": namespace}})
        rel = Release(self.helm, self.chart, name, namespace, self.kubeconfig, self.workdir,
                      values_files=[str(self.chart / f) for f in values_files],
                      values=deep_merge(env, values or {}))
        deployment = ObjRef("Deployment", names(name)["deployment"], namespace)
        rel.on_error = lambda: self.kube.diagnose(deployment)
        rel.timeout = self.helm_timeout
        self.made.append(rel)
        self.watch_namespace(namespace)
        return rel

    def watch_namespace(self, namespace: str) -> None:
        if namespace not in self.namespaces:
            self.namespaces.append(namespace)

    def cleanup(self) -> None:
        for rel in self.made:
            with contextlib.suppress(Exception):
                rel.uninstall(timeout="1m")
        for ns in self.namespaces:
            with contextlib.suppress(Exception):
                self.kube.delete_namespace(ns)


@pytest.fixture(scope="module")
def releases(request: pytest.FixtureRequest, e2e_settings: Settings, helm_tool: Helm, kube: Kube,
             chart_dir: Path,
             e2e_kubeconfig: str, env_values: dict[str, Any], tmp_path_factory: pytest.TempPathFactory,
             ) -> Iterator[Releases]:
    made = Releases(helm_tool, kube, chart_dir, e2e_kubeconfig, tmp_path_factory.mktemp("releases"),
                    env_values, helm_timeout=e2e_settings.helm_timeout)
    request.node.stash[WATCH_KEY] = [made, kube, e2e_settings]  # the module: setup failures
    yield made
    made.cleanup()


@pytest.fixture
def watch(request: pytest.FixtureRequest, releases: Releases, kube: Kube,
          e2e_settings: Settings) -> Releases:
    """Links the test to its module's releases: on failure, their namespaces are dumped."""
    request.node.stash[WATCH_KEY] = [releases, kube, e2e_settings]
    return releases


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    module = item.getparent(pytest.Module)
    source = item if WATCH_KEY in item.stash else module
    failed = report.when in ("setup", "call") and report.failed
    if failed and source is not None and WATCH_KEY in source.stash:
        watched = source.stash[WATCH_KEY]
        if len(watched) == 3:
            rels, kube_, settings = watched
            try:
                dest, summary = diagnostics.collect(kube_, settings.artifacts, item.nodeid,
                                                    list(rels.namespaces), list(rels.made))
                report.sections.append((DIAG_SECTION,
                                        f"artifacts: {dest}\n{summary}"))
                (dest / "summary.txt").write_text(summary + "\n")
            except Exception as exc:
                report.sections.append((DIAG_SECTION, f"(collection failed: {exc})"))
    if report.when in ("setup", "call") and (report.when == "call" or report.duration > 1):
        TIMINGS.append((f"{item.nodeid} [{report.when}]", report.duration))
    return report

