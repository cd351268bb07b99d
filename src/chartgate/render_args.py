"""What a render depends on besides the chart: release, namespace, values, Kubernetes
version and flags — part of the data model, read by the scenario loader, the render cache
key and the renderers (:mod:`chartgate.tools.helm`, :mod:`chartgate.tools.renderer`),
which turn it into their own command line or request.

The release and namespace a scenario renders with when it names none are defined here
and nowhere else (:data:`DEFAULT_RELEASE`, :data:`DEFAULT_NAMESPACE`,
:data:`DEFAULT_KUBE_VERSION`); the scenario defaults, the gate's configuration and the
pytest plugin's ``render_chart`` fixture start from them.
"""

from __future__ import annotations

from dataclasses import dataclass

# as `helm template` renders when given neither (a scenario directory's _defaults.yaml sets its own)
DEFAULT_RELEASE = "release-name"
DEFAULT_NAMESPACE = "default"
DEFAULT_KUBE_VERSION = "1.34.0"  # the Kubernetes version scenarios render for unless they name one


@dataclass(frozen=True)
class TemplateArgs:
    """Everything that changes what ``helm template`` renders (and so the cache key)."""

    release: str = DEFAULT_RELEASE
    namespace: str = DEFAULT_NAMESPACE
    values_files: tuple[str, ...] = ()
    set_json: tuple[tuple[str, str], ...] = ()  # (dotted.key, JSON value): types survive
    kube_version: str | None = None
    api_versions: tuple[str, ...] = ()
    is_upgrade: bool = False
    show_only: tuple[str, ...] = ()
