"""Tools for working on chartgate itself (not used at run time)."""
