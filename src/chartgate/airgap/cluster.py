"""``chartgate cluster up`` / ``down`` — a kind cluster from the node image with a
pinned kind config; workload images loaded with ``kind load``. ``up`` returns once the
node is Ready, CoreDNS and the storage provisioner are Available and the NetworkPolicy
controller's DaemonSet is Ready (kube-network-policies on our node image, kindnet on
kind's stock one), so NetworkPolicies are enforced from the first test on."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from chartgate import cache
from chartgate.airgap import steps
from chartgate.airgap.config import airgap, node_image, selected_node_image
from chartgate.airgap.node import DEFAULT_CNI_MANIFEST, preloaded
from chartgate.tools import docker, kind
from chartgate.tools.kube import Kube, ObjRef
from chartgate.util.deadline import poll_until

DEFAULT_NAME = "chartgate"
KIND_NETWORK = "kind"
CLUSTER_LABEL = kind.CLUSTER_LABEL
SYSTEM_DEPLOYMENTS = (("kube-system", "coredns"), ("local-path-storage", "local-path-provisioner"))
# What kind applies from the node's /kind/manifests/default-cni.yaml: on our node image the
# NetworkPolicy controller (the pod network is a baked conflist), on stock kindest/node kindnet.
NETPOL_DAEMONSET = ("kube-system", "kube-network-policies")
STOCK_NETPOL_DAEMONSET = ("kube-system", "kindnet")


def kind_config(airgapped: bool, default_cni: bool = True) -> dict:
    """The pinned kind config. kind's "default CNI" step stays on for both node images:
    stock kindest/node ships kindnet there, our node image the NetworkPolicy controller
    (kube-network-policies; its own CNI is a baked conflist, so nothing else is needed).
    ``default_cni=False`` is for an air-gapped node image built before it had one."""
    cfg = airgap()
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "networking": {
            "disableDefaultCNI": not default_cni,
            "podSubnet": cfg["pod_subnet"],
            "serviceSubnet": cfg["service_subnet"],
        },
        "nodes": [{"role": "control-plane"}],
    }


def kubeconfig_path(name: str = DEFAULT_NAME) -> Path:
    return cache.subdir("kind") / f"{name}.kubeconfig"


def write_config(name: str, airgapped: bool, default_cni: bool = True) -> Path:
    path = cache.subdir("kind") / f"{name}.kind.yaml"
    path.write_text(yaml.safe_dump(kind_config(airgapped, default_cni), sort_keys=False))
    return path


def exists(name: str = DEFAULT_NAME) -> bool:
    return name in kind.clusters()


def up(name: str = DEFAULT_NAME, image: str | None = None, load: Iterable[str] = (),
       recreate: bool = False, on_created: Callable[[], None] | None = None) -> Path:
    """Create the cluster (unless it exists), load ``load`` images; return its kubeconfig.
    ``on_created`` is called once the node runs (images can be loaded from then on), before
    the waits for the node and the system pods."""
    from chartgate.airgap import engine

    progress = steps.Progress("cluster up")
    with progress.step("docker engine") as rec:
        actions: list[str] = []
        rec["detail"] = engine.ensure(steps.say, actions)
        rec["cached"] = not actions
    chosen = selected_node_image(image)
    airgapped = chosen == node_image() or chosen.startswith(airgap()["node_image"] + ":")
    kubeconfig = kubeconfig_path(name)
    with progress.step(f"kind cluster {name!r} ({chosen})") as rec:
        if exists(name) and recreate:
            down(name)
        reused = exists(name)
        without_netpol = False
        if reused:
            rec["cached"] = True
            rec["detail"] = "already running"
            if not kubeconfig.exists():
                kubeconfig.write_text(kind.kubeconfig(name))
        else:
            if airgapped and not docker.image_exists(chosen):
                raise RuntimeError(f"node image {chosen} not found: run `chartgate airgap build` first")
            if airgapped and not docker.image_has_file(chosen, "/" + DEFAULT_CNI_MANIFEST):
                without_netpol = True
                steps.say(f"node image {chosen} has no /{DEFAULT_CNI_MANIFEST} (built before the "
                          "NetworkPolicy controller): NetworkPolicies will NOT be enforced — "
                          "run `chartgate airgap build` and recreate the cluster")
            config = write_config(name, airgapped, default_cni=not without_netpol)
            try:
                kind.create_cluster(name, chosen, config, kubeconfig)
            except Exception:
                # kind ran with --retain: keep its logs, then leave nothing behind
                logs = cache.subdir("kind", "logs", f"{name}-{int(time.time())}")
                kind.export_logs(name, logs)
                steps.say(f"kind create failed; node logs exported to {logs}")
                down(name)
                raise
            finally:
                if exists(name):
                    record_volumes(name)
    if on_created:
        on_created()
    # load first: the node's system pods start meanwhile, so the waits below mostly find them
    # ready (loading after them cost their whole start-up time on top)
    refs = [r for r in load if r and r not in preloaded(chosen)]
    if refs:
        with progress.step(f"kind load {len(refs)} image(s)"):
            kind.load_images(name, refs)
    with progress.step("node Ready") as rec:
        rec["detail"] = wait_node_ready(kubeconfig, timeout=180)
    with progress.step("CoreDNS and the storage provisioner Available") as rec:
        rec["detail"] = wait_deployments(kubeconfig, SYSTEM_DEPLOYMENTS if airgapped else
                                         SYSTEM_DEPLOYMENTS[:1], timeout=180)
    netpol = NETPOL_DAEMONSET if airgapped else STOCK_NETPOL_DAEMONSET
    with progress.step("NetworkPolicy controller Ready") as rec:
        if without_netpol or (reused and not daemonset_exists(kubeconfig, *netpol)):
            # a cluster made from an older node image: usable, but say what it lacks
            rec["detail"] = (f"no DaemonSet {netpol[0]}/{netpol[1]}: NetworkPolicies are NOT "
                             f"enforced in {name!r} (recreate it: chartgate cluster up --recreate)")
            steps.say(rec["detail"])
        else:
            rec["detail"] = wait_daemonsets(kubeconfig, [netpol], timeout=120)
    progress.save()
    steps.say(f"cluster {name!r} ready in {progress.total()}s; KUBECONFIG={kubeconfig}")
    return kubeconfig


def wait_node_ready(kubeconfig: Path, timeout: float = 180) -> str:
    """Wait (wall-clock bounded) until every node reports Ready."""
    api = Kube.from_kubeconfig(kubeconfig).core

    def check() -> tuple[bool, str]:
        nodes = api.list_node(_request_timeout=10).items
        states: dict[str, str] = {}
        for n in nodes:
            conds = (n.status.conditions if n.status else None) or []
            name = n.metadata.name if n.metadata else "?"
            states[str(name)] = next((str(c.status) for c in conds if c.type == "Ready"), "Unknown")
        if nodes and all(s == "True" for s in states.values()):
            return True, ", ".join(states)
        return False, str(states) if nodes else "no nodes yet"

    done, last, _ = poll_until(check, timeout=timeout, interval=2, transient=(Exception,))
    if not done:
        raise TimeoutError(f"nodes not Ready after {timeout}s: {last}")
    return last


def _volumes_file(name: str) -> Path:
    return cache.subdir("kind") / f"{name}.volumes"


def record_volumes(name: str) -> list[str]:
    """Remember the (anonymous) volumes of the cluster's node containers — kind's
    ``--volume /var`` has no label — so ``down`` can prove they are gone."""
    vols = sorted({v for c in docker.container_names([f"label={CLUSTER_LABEL}={name}"])
                   for v in docker.container_volumes(c)})
    known = set(_volumes_file(name).read_text().split()) if _volumes_file(name).exists() else set()
    _volumes_file(name).write_text("\n".join(sorted(known | set(vols))) + "\n")
    return vols


def wait_all_ready(what: str, items: Iterable[tuple[str, str]], read: Callable[[str, str], Any],
              ready: Callable[[Any], tuple[bool, str]], timeout: float) -> str:
    """Wait (wall-clock bounded, :func:`chartgate.util.deadline.poll_until`) until ``ready``
    holds for every (namespace, name); API errors count as "not yet" (the API server may
    still be starting)."""
    items = list(items)
    pending = list(items)

    def check() -> tuple[bool, str]:
        states = []
        for ns, name in list(pending):
            try:
                ok, state = ready(read(name, ns))
            except Exception as exc:
                ok, state = False, str(exc)[:200]
            if ok:
                pending.remove((ns, name))
            else:
                states.append(f"{ns}/{name}: {state}")
        return not pending, "; ".join(states)

    done, last, _ = poll_until(check, timeout=timeout, interval=2)
    if not done:
        raise TimeoutError(f"{what} not Ready after {timeout}s: {pending} ({last})")
    return ", ".join(f"{ns}/{name}" for ns, name in items)


def deployment_available(dep: Any) -> tuple[bool, str]:
    """The Deployment reports Available with at least one available replica."""
    st = dep.status
    conds = {c.type: c.status for c in (st.conditions or [])} if st else {}
    return bool(st and conds.get("Available") == "True" and (st.available_replicas or 0) >= 1), str(conds)


def wait_deployments(kubeconfig: Path, deployments: Iterable[tuple[str, str]],
                     timeout: float = 180) -> str:
    """Wait until each (namespace, name) Deployment is Available."""
    return _wait_apps(kubeconfig, "Deployment", deployments, timeout)


def daemonset_ready(ds: Any) -> tuple[bool, str]:
    """Every scheduled pod of the DaemonSet is updated and Ready (and at least one exists)."""
    st = ds.status
    if st is None:
        return False, "no status yet"
    want = st.desired_number_scheduled or 0
    ready = st.number_ready or 0
    updated = st.updated_number_scheduled or 0
    current = (st.observed_generation or 0) >= (ds.metadata.generation or 0)
    state = f"{ready}/{want} ready, {updated} updated"
    return current and want >= 1 and ready == want and updated == want, state


def daemonset_exists(kubeconfig: Path, namespace: str, name: str) -> bool:
    return Kube.from_kubeconfig(kubeconfig).exists(ObjRef("DaemonSet", name, namespace))


def wait_daemonsets(kubeconfig: Path, daemonsets: Iterable[tuple[str, str]],
                    timeout: float = 120) -> str:
    """Wait until each (namespace, name) DaemonSet is Ready."""
    return _wait_apps(kubeconfig, "DaemonSet", daemonsets, timeout)


def _wait_apps(kubeconfig: Path, kind: str, items: Iterable[tuple[str, str]], timeout: float) -> str:
    apps = Kube.from_kubeconfig(kubeconfig).apps
    read, ready = {"Deployment": (apps.read_namespaced_deployment_status, deployment_available),
                   "DaemonSet": (apps.read_namespaced_daemon_set, daemonset_ready)}[kind]
    return wait_all_ready(f"{kind}(s)", items, lambda name, ns: read(name, ns, _request_timeout=10),
                          ready, timeout)


def leftovers(name: str = DEFAULT_NAME, volumes: list[str] | None = None) -> dict[str, list[str]]:
    """Containers and volumes of this cluster, and the kind network if it still exists."""
    label = f"label={CLUSTER_LABEL}={name}"
    conts = docker.container_names([label])
    vols = set(docker.volumes([label]))
    vols |= {v for v in volumes or [] if docker.volume_exists(v)}
    nets = [n for n in docker.networks([f"name=^{KIND_NETWORK}$"]) if n == KIND_NETWORK]
    return {"containers": conts, "volumes": sorted(vols), "networks": nets}


def down(name: str = DEFAULT_NAME) -> dict[str, list[str]]:
    """Delete the cluster, its volumes and (when no other cluster uses it) the kind network.
    Returns what is left (all lists empty on success)."""
    vols = record_volumes(name)
    if _volumes_file(name).exists():
        vols = sorted(set(vols) | set(_volumes_file(name).read_text().split()))
    if name in kind.clusters():
        kind.delete_cluster(name, kubeconfig_path(name))
    left = leftovers(name, vols)
    for cid in left["containers"]:
        docker.remove_container(cid)
    for vol in left["volumes"]:
        docker.remove_volume(vol)
    if KIND_NETWORK in left["networks"] and not docker.network_containers(KIND_NETWORK):
        docker.remove_network(KIND_NETWORK)
    kubeconfig_path(name).unlink(missing_ok=True)
    left = leftovers(name, vols)
    if left["networks"] and docker.network_containers(KIND_NETWORK):
        left["networks"] = []  # another kind cluster still uses it: not ours to remove
    if not left["volumes"]:
        _volumes_file(name).unlink(missing_ok=True)
    return left
