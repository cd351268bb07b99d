"""Where maintainers run chartgate: the pre-commit hook, the composite GitHub Action and the
workflow's SARIF upload. The files are checked against the CLI they drive: the hook's
command parses, the action's check step (run with a stand-in ``chartgate``) builds a
command line the real parser and stage list accept, every input is used."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from chartgate import check
from chartgate.cli import build_parser

REPO = Path(__file__).resolve().parents[2]


def test_pre_commit_hook_runs_a_real_command_on_chart_files() -> None:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "chartgate-check" and hook["language"] == "python"
    argv = hook["entry"].split()[1:] + hook["args"]
    args = build_parser().parse_args(argv)
    assert args.func.__name__ == "run_check" and args.chart == "."
    files = re.compile(hook["files"])
    for path in ("charts/web/Chart.yaml", "Chart.yaml", "charts/web/templates/deployment.yaml",
                 "charts/web/ci/ha-values.yaml", "charts/web/values.schema.json",
                 "charts/web/crds/widgets.yaml", "charts/web/tests/deployment_test.yaml"):
        assert files.search(path), path
    for path in ("README.md", "src/app/main.go", "charts/web/README.md"):
        assert not files.search(path), path


def _action() -> dict:
    return dict(yaml.safe_load((REPO / "action.yml").read_text()))


def test_every_action_input_is_used() -> None:
    action = _action()
    text = (REPO / "action.yml").read_text()
    for name in action["inputs"]:
        assert f"inputs.{name}" in text, f"action input {name!r} is never used"


@pytest.mark.parametrize("overrides", [
    {},
    {"IN_CHANGED": "origin/main", "IN_SHARD": "2/3", "IN_KUBE": "1.33.0", "IN_CRDS": "crds",
     "IN_ARGS": "--fail-on-warn --api-versions example.com/v1"},
])
def test_action_check_step_builds_a_valid_command_line(tmp_path: Path, overrides: dict[str, str]) -> None:
    action = _action()
    [step] = [s for s in action["runs"]["steps"] if s.get("name") == "chartgate check"]
    stub = tmp_path / "bin" / "chartgate"
    stub.parent.mkdir()
    stub.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    stub.chmod(0o755)
    defaults = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    env = {"PATH": f"{stub.parent}:/usr/bin:/bin"}
    for key, expr in step["env"].items():
        m = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", str(expr))
        env[key] = defaults[m.group(1)] if m else str(expr)
    env.update(overrides)
    out = subprocess.run(["bash", "-c", step["run"]], env=env, capture_output=True, text=True, check=True)
    argv = out.stdout.splitlines()
    args = build_parser().parse_args(argv)
    assert args.func.__name__ == "run_check"
    check.CheckOptions(stages=tuple(args.stages.split(",")))  # every stage is known
    assert args.sarif == "chartgate.sarif" and args.junit == "chartgate-junit.xml"
    if overrides:
        assert (args.changed, args.base, args.shard, args.kube_version, args.crd_dir, args.fail_on_warn) == (
            True, "origin/main", "2/3", "1.33.0", ["crds"], True)


def test_workflow_uploads_the_sarif_reports_the_envs_write() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "chart.yaml").read_text())
    assert workflow["permissions"]["security-events"] == "write"
    tox = (REPO / "tox.ini").read_text()
    uploads = [s["with"]["sarif_file"] for job in workflow["jobs"].values() for s in job["steps"]
               if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    for name in ("unit.sarif", "policy.sarif"):
        assert f".tox/reports/{name}" in uploads
        assert f"--chartgate-sarif={{work_dir}}/reports/{name}" in tox
    assert "${{ steps.check.outputs.sarif }}" in uploads  # the action's own report
