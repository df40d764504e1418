"""Channel-free core: content model, flow engine, FAQ matcher, case notes.

Imports neither aiogram nor SQLAlchemy.
"""
