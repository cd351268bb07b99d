"""Loaded scenarios remembered across runs: reading a scenario directory validates every
file against the scenario schema and expands the matrices, which is most of what a warm
re-run of an unchanged gate does. The pickled list is keyed by the content of every file
under the directory, the defaults, and the source of the loader itself; a cached list
whose values files are gone is loaded again (so the loader reports them).

Files live beside the other result caches (``chartgate.results_cache.results_dir``);
``CHARTGATE_RESULT_CACHE=0`` turns this off with them.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from chartgate import scenario
from chartgate.results_cache import enabled, results_dir
from chartgate.scenario import Defaults, Scenario, load_dir
from chartgate.util.files import atomic_write

FORMAT = "1"  # bump when Scenario changes shape


def _key(directory: Path, defaults: Defaults) -> str:
    h = hashlib.sha256(f"{FORMAT}\0{defaults!r}\0".encode())
    h.update(Path(scenario.__file__).read_bytes())
    for f in sorted(p for p in directory.rglob("*") if p.is_file()):
        h.update(f.relative_to(directory).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def load(directory: Path, defaults: Defaults, use_cache: bool = True) -> list[Scenario]:
    """:func:`chartgate.scenario.load_dir`, from the cache when nothing it reads changed."""
    if not (use_cache and enabled()):
        return load_dir(directory, defaults)
    file = results_dir() / "scenarios" / f"{_key(directory, defaults)}.pickle"
    try:
        cached = pickle.loads(file.read_bytes())
    except Exception:
        cached = None
    if isinstance(cached, list) and all(Path(v).is_file() for s in cached for v in s.args.values_files):
        return cached
    scenarios = load_dir(directory, defaults)
    atomic_write(file, pickle.dumps(scenarios, pickle.HIGHEST_PROTOCOL))
    return scenarios
