"""Settings: defaults, normalisation, and one clear line naming a wrong setting."""
from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import SettingsError, load_settings


def test_defaults_need_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.BOT_TOKEN is None
    assert settings.DATABASE_URL.startswith("sqlite+aiosqlite:///")
    assert settings.DEFAULT_LOCALE == "de"
    assert settings.api_base == "https://api.telegram.org"


def test_values_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "11, 22;33")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@localhost/lotse")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("STAFF_CHAT_ID", "")
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    monkeypatch.setenv("METRICS_LISTEN", "")
    settings = load_settings(_env_file=None)
    assert settings.ADMIN_IDS == frozenset({11, 22, 33})
    assert settings.DATABASE_URL == "postgresql+asyncpg://u:p@localhost/lotse"
    assert settings.LOG_LEVEL == "DEBUG"
    assert settings.STAFF_CHAT_ID is None
    assert settings.LOG_FORMAT == "json"
    assert settings.METRICS_LISTEN is None


@pytest.mark.parametrize(("name", "value", "words"), [
    ("BOT_TOKEN", "not-a-token", "BotFather"),
    ("ADMIN_IDS", "12,abc", "Telegram user ids"),
    ("DATABASE_URL", "mysql://x", "sqlite:///"),
    ("DEFAULT_LOCALE", "xx-nowhere-1", "language code"),
    ("LOG_LEVEL", "LOUD", "DEBUG"),
    ("LOG_FORMAT", "xml", "text, json"),
    ("METRICS_LISTEN", "9100", "host:port"),
    ("RETENTION_DAYS", "0", "whole number of days"),
    ("STAFF_CHAT_ID", "staff", "integer"),
    ("TELEGRAM_API_BASE", "not a url", "URL"),
    ("WEBHOOK_SECRET", "with spaces", "A-Z"),
])
def test_wrong_value_names_the_setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                       words: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith(f"setting {name}: ")
    assert words in message
    assert "\n" not in message


def test_cli_stops_with_one_line(tmp_path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "content", "check"], cwd=tmp_path,
                            env={"LOG_LEVEL": "LOUD", "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "lotse: setting LOG_LEVEL: expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL"]


def test_webhook_mode_needs_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://lotse.example.org/telegram")
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert str(caught.value).startswith("setting WEBHOOK_SECRET: required with WEBHOOK_URL")
    monkeypatch.setenv("WEBHOOK_SECRET", "a-long_random-string0")
    assert load_settings(_env_file=None).WEBHOOK_SECRET == "a-long_random-string0"


def test_metrics_listen_is_another_address_than_the_webhook(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://lotse.example.org/telegram")
    monkeypatch.setenv("WEBHOOK_SECRET", "a-long_random-string0")
    monkeypatch.setenv("METRICS_LISTEN", "127.0.0.1:8080")  # WEBHOOK_LISTEN's default
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert str(caught.value).startswith("setting METRICS_LISTEN: must differ from WEBHOOK_LISTEN")
    monkeypatch.setenv("METRICS_LISTEN", "127.0.0.1:9100")
    assert load_settings(_env_file=None).METRICS_LISTEN == "127.0.0.1:9100"


TRANSLATION_SERVERS = {"TRANSLATION_LLM_URL": "http://127.0.0.1:11434/v1",
                       "TRANSLATION_LLM_MODEL": "gemma3:12b",
                       "TRANSLATION_LIBRETRANSLATE_URL": "http://127.0.0.1:5000",
                       "TRANSLATION_DEEPL_API_KEY": "key:fx"}


def test_translation_routes_read_per_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TRANSLATION_SERVERS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TRANSLATION_ROUTES", "libretranslate: ar, fa uk;LLM: ti ;; deepl: tr")
    assert load_settings(_env_file=None).TRANSLATION_ROUTES == {
        "ar": "libretranslate", "fa": "libretranslate", "uk": "libretranslate", "ti": "llm",
        "tr": "deepl"}
    monkeypatch.setenv("TRANSLATION_ROUTES", "")
    assert load_settings(_env_file=None).TRANSLATION_ROUTES == {}


@pytest.mark.parametrize(("routes", "servers", "words"), [
    ("ar fa: libretranslate", True, "'provider: languages'"),
    ("google: ar", True, "llm, libretranslate, deepl"),
    ("llm:", True, "no languages"),
    ("llm: arabic", True, "not a language code"),
    ("llm: ar; deepl: ar", True, "ar is routed twice (llm and deepl)"),
    ("deepl: uk ti", True, "DeepL does not translate ti"),
    ("llm: ps", False, "needs TRANSLATION_LLM_URL and TRANSLATION_LLM_MODEL"),
    ("deepl: uk", False, "needs TRANSLATION_DEEPL_API_KEY"),
])
def test_wrong_translation_routes_say_what_is_wrong(monkeypatch: pytest.MonkeyPatch, routes: str,
                                                     servers: bool, words: str) -> None:
    for name, value in TRANSLATION_SERVERS.items():
        if servers:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRANSLATION_ROUTES", routes)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert str(caught.value).startswith("setting TRANSLATION_ROUTES: ")
    assert words in str(caught.value)
