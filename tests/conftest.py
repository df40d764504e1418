"""Fixtures shared by every test folder."""
from tests.fake_bot_api.fixtures import fake_api, fake_bot  # noqa: F401
