"""chartgate.e2e.docs: the documented helm commands the kind stage runs verbatim (here:
the clockwork chart's docs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgate.e2e.docs import DocsError, HelmCommand, documented, documented_helm

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "deploy" / "README.md", ROOT / "docs" / "deployment.md"]
CHART = "./deploy/helm/clockwork"
DEV_INSTALL = ("helm install clockwork ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml "
               "-n clockwork")


def test_parse_dev_install() -> None:
    cmd = HelmCommand.parse(DEV_INSTALL + " --create-namespace --set secret.name=x --set a.b='c d'")
    assert (cmd.action, cmd.release, cmd.namespace) == ("install", "clockwork", "clockwork")
    assert cmd.values_files == ("values-dev.yaml",)
    assert cmd.create_namespace and not cmd.wait
    assert cmd.set_args("z=1") == ["--set", "secret.name=x", "--set", "a.b=c d", "--set", "z=1"]


@pytest.mark.parametrize(("line", "error"), [
    ("kubectl get pods", "not a `helm install"),
    ("helm install clockwork ./elsewhere -n clockwork", "chart path"),
    ("helm install clockwork ./deploy/helm/clockwork -f my-values.yaml", "not in the chart directory"),
    ("helm install clockwork ./deploy/helm/clockwork --atomic", "'--atomic' .* not understood"),
    ("helm install clockwork ./deploy/helm/clockwork -n", "-n without a value"),
])
def test_parse_rejects(line: str, error: str) -> None:
    with pytest.raises(DocsError, match=error):
        HelmCommand.parse(line, CHART)


def test_wait_flag_is_seen() -> None:
    assert HelmCommand.parse(DEV_INSTALL + " --wait").wait
    assert HelmCommand.parse(DEV_INSTALL + " --wait=watcher").wait


def test_documented_finds_one_line_in_code_blocks(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(f"Run `{DEV_INSTALL}` (prose, ignored)\n\n"
                   f"```bash\n  {DEV_INSTALL} --create-namespace\n```\n"
                   f"```\n{DEV_INSTALL} --create-namespace\n```\n")
    assert documented(doc, DEV_INSTALL) == DEV_INSTALL + " --create-namespace"
    with pytest.raises(DocsError, match="found 0"):
        documented(doc, "helm upgrade")
    doc.write_text(doc.read_text() + f"```\n{DEV_INSTALL} --wait\n```\n")
    with pytest.raises(DocsError, match="found 2"):
        documented(doc, DEV_INSTALL)


def test_the_docs_print_the_dev_install_alike() -> None:
    cmd = documented_helm(DOCS, DEV_INSTALL, CHART)
    assert cmd.create_namespace and not cmd.wait and cmd.values_files == ("values-dev.yaml",)
