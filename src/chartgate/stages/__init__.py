"""Stages: each reads the rendered set of a scenario and returns findings.

A stage is a class with ``name`` and ``check(rendered) -> list[Finding]``; a stage that
benefits from batching (policy evaluation) also implements ``prepare(all_rendered)``,
called once before any ``check``.
"""
