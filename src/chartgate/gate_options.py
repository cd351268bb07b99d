"""The gate options that the CLI (``chartgate check``/``gate``) and the pytest plugin share.

Both front ends drive the same :class:`~chartgate.pipeline.Gate`, so an option they have in
common is declared once here: its name, its argparse keywords and its help. The CLI adds
it as ``--NAME``, the plugin as ``--chartgate-NAME``; ``{flag}`` in a help text stands for
the front end's own spelling of another option (``{flag:coverage}`` → ``--coverage`` or
``--chartgate-coverage``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GateOption:
    """One shared option: ``name`` without dashes or prefix, argparse keywords, help."""

    name: str
    help: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    ini: bool = False  # the plugin also reads ``chartgate_NAME`` from the ini file


SHARED_OPTIONS: tuple[GateOption, ...] = (
    GateOption("helm", "pinned helm tool: helm (Helm 4) or helm3", {"default": "helm"}),
    GateOption("no-cache", "ignore the render cache", {"action": "store_true"}),
    GateOption("policies", "policy directory that replaces the built-in pack (default: the built-in "
               "pack, extended by the chart's own policies/ directory)", ini=True),
    GateOption("extra-policies", "policy directory evaluated together with the pack (repeatable)",
               {"action": "append", "default": [], "metavar": "DIR"}),
    GateOption("coverage", "template and values coverage over every scenario (summary, LCOV, "
               "Cobertura, HTML)", {"action": "store_true"}),
    GateOption("coverage-min", "fail below N %% branch coverage of the templates (implies "
               "{flag:coverage})", {"type": float, "metavar": "N"}),
    GateOption("coverage-dir", "where {flag:coverage} writes coverage.lcov, coverage.xml, coverage.html",
               {"default": "chartgate-coverage", "metavar": "DIR"}),
)

_FLAG = re.compile(r"\{flag:([a-z-]+)\}")


def add_shared(add: Callable[..., Any], prefix: str = "") -> None:
    """Declare every shared option through ``add`` (``parser.add_argument`` or pytest's
    ``group.addoption``) as ``--{prefix}NAME``; with a prefix (the plugin), an option that
    has an ini key says so."""
    for option in SHARED_OPTIONS:
        text = _FLAG.sub(lambda m: f"--{prefix}{m.group(1)}", option.help)
        if prefix and option.ini:
            text += f" (ini: {prefix.replace('-', '_')}{option.name.replace('-', '_')})"
        add(f"--{prefix}{option.name}", help=text, **option.kwargs)
