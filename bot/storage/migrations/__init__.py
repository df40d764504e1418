"""Alembic migrations; a package so that env.py, the template and versions/ ship in the wheel."""
