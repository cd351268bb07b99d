"""Failure diagnostics of the e2e stage: on a failed test, every namespace the test
touched is dumped (events, describe-like summaries, YAML, container logs, Helm history)
into ``<artifacts>/<test>/<namespace>/`` and a short summary — culprit pods, warning
events, where the files are — is attached to the pytest report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from chartgate.tools.kube import Kube, format_events, format_pod_status, pod_ready


def safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::")[-1])[:120]


def culprit_summary(kube: Kube, namespace: str, max_events: int = 12) -> str:
    """Pods that are not Ready or restarted, and the namespace's recent Warning events."""
    lines = [f"namespace {namespace}:"]
    try:
        pods = kube.pods(namespace)
    except Exception as exc:
        return f"namespace {namespace}: cannot list pods ({exc})"
    bad = [p for p in pods if p.status.phase not in ("Succeeded",) and (
        not pod_ready(p) or any((cs.restart_count or 0) > 0 for cs in p.status.container_statuses or []))]
    for pod in bad or []:
        lines += ["  " + ln for ln in format_pod_status(pod).splitlines()]
    if not bad:
        lines.append(f"  all {len(pods)} pods Ready, no restarts")
    try:
        warnings = [e for e in kube.events(namespace) if e.type == "Warning"]
        if warnings:
            lines.append("  recent Warning events:")
            lines += ["    " + ln for ln in format_events(warnings, limit=max_events).splitlines()]
    except Exception as exc:
        lines.append(f"  (events unavailable: {exc})")
    return "\n".join(lines)


def collect(kube: Kube, artifacts: Path, nodeid: str, namespaces: list[str],
            releases: list[Any] = ()) -> tuple[Path, str]:  # type: ignore[assignment]
    dest = artifacts / safe_name(nodeid)
    parts: list[str] = []
    for ns in dict.fromkeys(namespaces):
        files = kube.dump_namespace(ns, dest / ns)
        parts.append(culprit_summary(kube, ns))
        parts.append(f"  ({len(files)} files in {dest / ns})")
    for rel in releases:
        try:
            hist = rel.history()
            text = "\n".join(f"rev {h['revision']}: {h['status']} {h.get('description', '')}" for h in hist)
        except Exception as exc:
            text = f"(helm history unavailable: {exc})"
        (dest / rel.namespace).mkdir(parents=True, exist_ok=True)
        (dest / rel.namespace / f"helm-history-{rel.name}.txt").write_text(text + "\n")
        parts.append(f"helm history {rel.name} -n {rel.namespace}:\n  " + text.replace("\n", "\n  "))
    return dest, "\n".join(parts)
