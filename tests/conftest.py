"""Fixtures shared by every test folder."""
from tests.fake_bot_api.fixtures import fake_api, fake_bot  # noqa: F401
from tests.services import redis_url  # noqa: F401
