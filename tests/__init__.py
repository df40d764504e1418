"""Lotse test suite (a package so that helpers import as `tests.<name>`)."""
