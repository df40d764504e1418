"""Fixtures for the end-to-end tests."""
from __future__ import annotations

import pytest

from bot.core.content.loader import load_or_raise
from bot.core.content.model import Content
from tests.e2e.harness import REPO


@pytest.fixture(scope="session")
def content() -> Content:
    """The shipped content, as the bot process under test loads it."""
    return load_or_raise(REPO, REPO / "translations")
