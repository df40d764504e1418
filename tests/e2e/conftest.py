"""Fixtures for the end-to-end tests."""
from __future__ import annotations

import pytest

from bot.core.content.model import Content


@pytest.fixture(scope="session")
def content(shipped_content: Content) -> Content:
    """The shipped content, as the bot process under test loads it (loaded once for the whole
    run, tests/conftest.py)."""
    return shipped_content
