"""The wheel has everything a pip-installed chartgate needs: built with ``python -m build``
from a copy of the source tree, installed into a fresh virtualenv outside the repository,
``chartgate tools install`` builds (or finds) the persistent renderer from the package's
own Go source and ``chartgate check`` passes the fixture charts with that renderer (not the
one-helm-process-per-scenario fallback) and the built-in policy pack from the package.

Slow: marked ``wheel``. The pinned tools come from the shared cache (``$CHARTGATE_CACHE``,
``~/.cache/chartgate``). Installing the dependencies (kubernetes-validate alone is thousands
of schema files) takes minutes on this machine, so they are installed once per set of
requirements the wheel declares — ``pip install`` of the wheel into a cached environment,
chartgate then removed from it — and the fresh virtualenv sees them through a ``.pth``
line; ``pip install --no-deps`` puts the wheel itself into the fresh virtualenv and
``pip check`` proves its declared requirements are met.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

REPO = Path(__file__).resolve().parents[2]
CHARTS = REPO / "tests" / "charts"


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert res.returncode == 0, (f"{' '.join(argv)} exited {res.returncode}:\n"
                                 f"{res.stdout[-4000:]}\n{res.stderr[-4000:]}")
    return res


def _requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        lines = z.read(meta).decode().splitlines()
    return sorted(ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("Requires-Dist:")
                  and "extra ==" not in ln)


def _site_packages(venv: Path) -> Path:
    return venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def _dependencies(wheel: Path, env: dict[str, str]) -> Path:
    """site-packages holding the wheel's requirements (installed by pip from the wheel
    once per requirement set and Python version, in the chartgate cache)."""
    from chartgate import cache

    key = hashlib.sha256("\n".join([sys.version, *_requirements(wheel)]).encode()).hexdigest()[:16]
    done = cache.subdir("wheel-test") / f"deps-{key}"
    if not (done / ".complete").is_file():
        tmp = done.parent / f".{done.name}.{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(tmp)], done.parent, env, 300)
        _run([str(tmp / "bin" / "pip"), "install", "--quiet", str(wheel)], done.parent, env, 1800)
        _run([str(tmp / "bin" / "pip"), "uninstall", "--quiet", "--yes", "chartgate"], done.parent, env, 300)
        (tmp / ".complete").write_text("\n".join(_requirements(wheel)) + "\n")
        if (done / ".complete").is_file():  # another run finished first (and may be using it)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            shutil.rmtree(done, ignore_errors=True)
            tmp.replace(done)
    return _site_packages(done)


def readme_commands() -> tuple[str, str]:
    """The two commands of the README's "Use chartgate on your chart"."""
    text = (REPO / "README.md").read_text()
    section = text.split("## Use chartgate on your chart", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) == 2, f"the README section should show two commands, not {lines}"
    return lines[0], lines[1]


def test_wheel_installed_elsewhere_checks_charts_with_the_persistent_renderer(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.pop("CHARTGATE_RENDER_BACKEND", None)
    env.pop("CHARTGATE_RENDERER", None)
    source = tmp_path / "source"  # build from a copy: setuptools writes build/ and *.egg-info
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source)
    shutil.copytree(REPO / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)], tmp_path, env, 600)
    [wheel] = dist.glob("chartgate-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("chartgate/renderer/go.mod", "chartgate/renderer/go.sum", "chartgate/renderer/main.go",
                   "chartgate/policies/main/pod_security.rego", "chartgate/versions.toml",
                   "chartgate/schemas/scenario.schema.json"):
        assert needed in names, f"{wheel.name} lacks {needed}"

    deps = _dependencies(wheel, env)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env, 300)
    (_site_packages(venv) / "chartgate-test-dependencies.pth").write_text(f"{deps}\n")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp_path / "elsewhere"
    shutil.copytree(CHARTS, work / "charts")

    # the README's two commands, as written (the wheel for the checkout, a fixture chart for yours)
    install, check = readme_commands()
    _run(["bash", "-c", install.replace("./chartgate", str(wheel))], work, env, 600)
    _run([str(venv / "bin" / "pip"), "check"], work, env, 120)  # the wheel's requirements are met
    where = _run(["python3", "-c", "import chartgate; print(chartgate.__file__)"],
                 work, env, 60).stdout.strip()
    assert Path(where).is_relative_to(venv), f"chartgate imported from {where}, not from the wheel"
    yours = check.replace("path/to/your/chart", "charts/with-ci-values")
    first = _run(["bash", "-c", yours], work, env, 1800)
    assert "helm-unittest: 3 of 3 tests passed" in first.stdout and " 0 failed" in first.stdout, first.stdout
    renderer = [ln.split("\t", 1)[1] for ln in first.stdout.splitlines() if ln.startswith("renderer\t")]
    assert renderer and Path(renderer[0]).is_file(), first.stdout

    res = _run([str(venv / "bin" / "chartgate"), "check", "charts", "--stages",
                "render,assertions,k8s-schema,values-schema,unittest,policy"], work, env, 900)
    log = res.stderr
    assert f"renderer: persistent ({renderer[0]})" in log, log
    pack = _site_packages(venv) / "chartgate" / "policies"
    assert f"policies: {pack}" in log, log
    assert "helm-unittest: 9 of 9 tests passed" in res.stdout  # with-ci-values 3, unittest-covered 6
    assert "11 scenarios" in res.stdout and " 0 failed" in res.stdout, res.stdout
