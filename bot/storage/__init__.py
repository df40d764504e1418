"""Persistence: SQLAlchemy models, the `Storage` API the app uses, and the Alembic migrations."""
