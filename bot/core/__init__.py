"""Channel-free core: content model, flow engine, FAQ matcher, case notes (no aiogram, no SQLAlchemy)."""
