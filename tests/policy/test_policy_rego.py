"""The Rego itself: unit tests with coverage (opa test, conftest verify), structure and
metadata of every rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import corpus
import pytest

from chartgate import proc
from chartgate.tools.conftest import Conftest

MIN_COVERAGE = 100.0
# per-test limit of opa test (default 5s): a loaded 2-core CI machine needs more for the
# tests that evaluate every rule on the whole compliant set
OPA_TEST_TIMEOUT = "120s"
MIN_RULES = 35
RULE_HEAD = re.compile(r"^((?:deny|warn|violation)_[a-z0-9_]+) contains ", re.MULTILINE)


def rule_files() -> list[Path]:
    return sorted(p for p in corpus.POLICIES.rglob("*.rego") if not p.name.endswith("_test.rego"))


def test_opa_test_passes_with_coverage(opa_binary: Path) -> None:
    res = proc.run([opa_binary, "test", corpus.POLICIES, "-v", "--timeout", OPA_TEST_TIMEOUT], check=False)
    assert res.returncode == 0, f"opa test failed:\n{res.stdout}\n{res.stderr}"
    assert re.search(r"PASS: (\d+)/\1", res.stdout), res.stdout[-2000:]
    cov = proc.run([opa_binary, "test", corpus.POLICIES, "--coverage", "--format", "json",
                    "--timeout", OPA_TEST_TIMEOUT], check=False)
    report = json.loads(cov.stdout)
    covered = not_covered = 0
    per_file = {}
    for name, f in report["files"].items():
        if name.endswith("_test.rego"):
            continue
        c = sum(r["end"]["row"] - r["start"]["row"] + 1 for r in f.get("covered", []))
        n = sum(r["end"]["row"] - r["start"]["row"] + 1 for r in f.get("not_covered", []))
        covered, not_covered = covered + c, not_covered + n
        per_file[name] = f.get("coverage", 0)
    total = 100.0 * covered / max(1, covered + not_covered)
    print(f"opa test coverage of the policies (test files excluded): {total:.1f}%")
    for name, pct in sorted(per_file.items()):
        print(f"  {pct:6.1f}%  {name}")
    assert total >= MIN_COVERAGE, f"policy coverage {total:.1f}% < {MIN_COVERAGE}%: {per_file}"
    assert len(per_file) == len(rule_files()), "every policy file must be exercised by a test"


def test_conftest_verify(conftest_tool: Conftest) -> None:
    res = conftest_tool.verify()
    assert re.search(r"(\d+) tests, \1 passed", res.stdout), res.stdout[-2000:]


def test_every_rule_file_has_a_test_file() -> None:
    missing = [p for p in rule_files() if not p.with_name(p.stem + "_test.rego").exists()]
    assert not missing, f"rule files without a *_test.rego: {missing}"


def test_every_file_keeps_import_rego_v1() -> None:
    missing = [p for p in corpus.POLICIES.rglob("*.rego") if "\nimport rego.v1\n" not in p.read_text()]
    assert not missing, f"files without `import rego.v1`: {missing}"


@pytest.fixture(scope="module")
def annotations(opa_binary: Path) -> list[dict]:
    res = proc.run([opa_binary, "inspect", "--annotations", "--format", "json", corpus.POLICIES])
    return json.loads(res.stdout)["annotations"]


def test_every_rule_has_metadata(annotations: list[dict]) -> None:
    by_rule: dict[str, list[dict]] = {}
    for item in annotations:
        a = item["annotations"]
        if a.get("scope") != "rule":
            continue
        path = ".".join(str(p["value"]) for p in item["path"][1:])
        by_rule.setdefault(path, []).append(a)
    heads = {(f.relative_to(corpus.POLICIES).parts[0], m.group(1))
             for f in rule_files() for m in RULE_HEAD.finditer(f.read_text())}
    problems = []
    ids = set()
    for pkg, rule in sorted(heads):
        anns = by_rule.get(f"{pkg}.{rule}")
        if not anns:
            problems.append(f"{pkg}.{rule}: no METADATA")
            continue
        for a in anns:
            custom = a.get("custom") or {}
            for key in ("id", "severity", "sources", "remediation"):
                if not custom.get(key):
                    problems.append(f"{pkg}.{rule}: METADATA custom.{key} missing")
            if not a.get("title"):
                problems.append(f"{pkg}.{rule}: METADATA title missing")
            rid = custom.get("id", "")
            ids.add(rid)
            if rule.split("_", 1)[1] != rid.lower().replace("-", "_"):
                problems.append(f"{pkg}.{rule}: id {rid} does not match the rule name")
            want = "warn" if rule.startswith("warn") else "deny"
            if custom.get("severity") != want:
                problems.append(f"{pkg}.{rule}: severity {custom.get('severity')} but the rule is {want}")
    assert not problems, "\n".join(problems)
    assert len(ids) >= MIN_RULES, f"only {len(ids)} rule ids: {sorted(ids)}"


def test_rule_bodies_report_their_own_id() -> None:
    problems = []
    for f in rule_files():
        text = f.read_text()
        for m in RULE_HEAD.finditer(text):
            rid = m.group(1).split("_", 1)[1].upper().replace("_", "-")
            body = text[m.end():].split("\n}\n", 1)[0]
            used = set(re.findall(r'"(CLK-[A-Z]+-\d{3})"', body))
            if used and used != {rid}:
                problems.append(f"{f.name}: {m.group(1)} reports {used}")
    assert not problems, problems


def test_readme_lists_every_rule(annotations: list[dict]) -> None:
    readme = (corpus.POLICIES / "README.md").read_text()
    ids = {item["annotations"].get("custom", {}).get("id") for item in annotations
           if item["annotations"].get("scope") == "rule"}
    missing = sorted(i for i in ids if f"| {i} |" not in readme)
    assert not missing, f"src/chartgate/policies/README.md does not list {missing}"


def test_policies_are_opa_fmt_formatted(opa_binary: Path) -> None:
    res = proc.run([opa_binary, "fmt", "--list", corpus.POLICIES])
    assert not res.stdout.strip(), f"run `opa fmt -w src/chartgate/policies`:\n{res.stdout}"


def test_policies_pass_strict_check(opa_binary: Path) -> None:
    proc.run([opa_binary, "check", "--strict", corpus.POLICIES])
