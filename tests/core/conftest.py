"""Shared fixtures for the core tests: the fixture content tree, loaded once."""
from __future__ import annotations

import pytest

from bot.core.content.loader import load
from bot.core.content.model import Content
from content_cases import BASE, UI_DIR


@pytest.fixture(scope="session")
def content() -> Content:
    loaded, problems = load(BASE, UI_DIR)
    assert loaded is not None and problems == [], problems
    return loaded
