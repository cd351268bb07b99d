"""Small helpers every layer may use: CI detection, deep merge, durations, atomic writes.

The package imports nothing else from chartgate, so any module (tools, stages, the e2e
library, the front ends) can depend on it without creating a cycle.
"""
