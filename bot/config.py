"""Settings: read once from the environment and `.env`, validated at the edge (pydantic-settings)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

from pydantic import AnyHttpUrl, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
UI_DIR = REPO_ROOT / "translations"
"""The interface strings' gettext catalogs (`translations/<lang>/LC_MESSAGES/lotse.po`)."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")


def _one_of(value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"expected one of {', '.join(allowed)}")
    return value


class Settings(BaseSettings):
    """Every setting Lotse reads; `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    BOT_TOKEN: str | None = None
    BOT_USERNAME: str | None = None
    """The bot's @username, for the deep links on posters (`lotse poster`); unset: asked of
    Telegram (getMe) with BOT_TOKEN."""
    TELEGRAM_API_BASE: AnyHttpUrl = AnyHttpUrl("https://api.telegram.org")
    DATABASE_URL: str = f"sqlite+aiosqlite:///{REPO_ROOT / 'data' / 'lotse.sqlite3'}"
    CONSOLE_DATABASE_URL: str = f"sqlite+aiosqlite:///{REPO_ROOT / 'data' / 'console.sqlite3'}"
    """The console chat's own database, never the one `lotse run` serves from: a case tried in
    the console can reach no staff group, no statistics and no real person's data."""
    STAFF_CHAT_ID: int | None = None
    STAFF_GROUP_MESSAGES_PER_MINUTE: int = Field(default=20, ge=1, le=600)
    """Calls into the staff group per minute, all topics together (Telegram allows about 20)."""
    ADMIN_IDS: Annotated[frozenset[int], NoDecode] = frozenset()
    CONTENT_ROOT: Path = REPO_ROOT
    CONTENT_CACHE: Path | None = REPO_ROOT / "data" / "cache"
    """Where `lotse run` keeps the loaded content, so that a start with unchanged content and
    code skips loading it (bot/ops/content_cache.py); empty: always load."""
    DEFAULT_LOCALE: str = "de"
    REDIS_URL: str | None = None
    WEBHOOK_URL: AnyHttpUrl | None = None
    WEBHOOK_SECRET: str | None = Field(None, validate_default=True)
    WEBHOOK_LISTEN: str = "127.0.0.1:8080"
    """Where the webhook server listens (host:port), usually behind a TLS reverse proxy."""
    METRICS_LISTEN: str | None = None
    """Where /metrics and /healthz are served besides the webhook server (host:port); the way
    to have them in long polling mode."""
    WEB_LISTEN: str | None = None
    """Where the counsellors' web workspace listens (host:port), behind the county's TLS proxy;
    unset: no workspace (`lotse web` serves it on 127.0.0.1:8090 without it). With it and no
    STAFF_CHAT_ID the workspace is the only staff channel; with both, both show every case."""
    WEB_COOKIE_SECURE: bool = True
    """The session cookie only over HTTPS (the TLS proxy's); false only to try it on plain http."""
    WEB_SESSION_HOURS: float = Field(10.0, gt=0, le=24 * 7)
    """How long a sign-in to the web workspace lasts."""
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: str = "text"
    """text: one readable line per record; json: one JSON object per line, for log shipping."""
    RETENTION_DAYS: int = 90
    """Days after a case is closed until its personal data is erased."""
    CONTENT_WATCH_SECONDS: float = Field(default=1.0, ge=0)
    """How often `lotse run` looks for edited content files; 0: only on /reload or SIGHUP."""
    PID_FILE: Path = REPO_ROOT / "data" / "lotse.pid"
    """Where `lotse run` writes its pid, for `lotse content reload` (SIGHUP)."""
    THROTTLE_BURST: int = Field(8, ge=1)
    """Messages and button presses one person may send at once before being asked to slow down."""
    THROTTLE_PER_SECOND: float = Field(1.0, gt=0)
    """How fast that allowance refills."""
    SEND_PER_SECOND: float = Field(30.0, gt=0)
    """Messages the bot sends per second overall (Telegram: about 30)."""
    SEND_PER_CHAT_PER_SECOND: float = Field(1.0, gt=0)
    """Messages per second to one person, after a burst of 3 (Telegram: about 1)."""
    EMBEDDINGS_URL: AnyHttpUrl | None = None
    """Base URL (with /v1) of an OpenAI-compatible embeddings API the county runs (Ollama, vLLM,
    Text Embeddings Inference); unset: the FAQ matcher works on words alone (bot/semantic/layer.py)."""
    EMBEDDINGS_MODEL: str | None = Field(None, validate_default=True)
    """The embedding model's name on that server, e.g. bge-m3; required with EMBEDDINGS_URL."""
    EMBEDDINGS_API_KEY: str | None = None
    """Sent as `Authorization: Bearer …` when set."""
    EMBEDDINGS_TIMEOUT: float = Field(0.3, gt=0, le=0.3)
    """Seconds a person's question may wait for its embedding; slower, and words alone answer."""
    TRANSLATION_LLM_URL: AnyHttpUrl | None = None
    """Base URL (with /v1) of an OpenAI-compatible chat-completions server the county runs
    (Ollama, vLLM, LiteLLM), for the routes to `llm` (bot/translation/)."""
    TRANSLATION_LLM_MODEL: str | None = None
    """The model's name on that server, e.g. translategemma or gemma3:27b."""
    TRANSLATION_LLM_API_KEY: str | None = None
    """Sent as `Authorization: Bearer …` when set."""
    TRANSLATION_LIBRETRANSLATE_URL: AnyHttpUrl | None = None
    """Base URL of a LibreTranslate server (its `/translate`), for the routes to `libretranslate`."""
    TRANSLATION_LIBRETRANSLATE_API_KEY: str | None = None
    TRANSLATION_DEEPL_API_KEY: str | None = None
    """DeepL's API key; DeepL is off without it."""
    TRANSLATION_DEEPL_URL: AnyHttpUrl | None = None
    """DeepL's server; unset: the one the key belongs to (free or pro)."""
    TRANSLATION_TIMEOUT: float = Field(10.0, gt=0, le=120)
    """Seconds one message may wait for its translation, retries included; then the original goes
    through, marked as not translated."""
    TRANSLATION_RETRIES: int = Field(2, ge=0, le=5)
    """Further tries after a timeout, a 5xx or a 429 (with backoff), within TRANSLATION_TIMEOUT."""
    TRANSLATION_PER_MINUTE: float = Field(60.0, gt=0)
    """Requests per minute to each translation provider (its own limit, or what the server bears)."""
    TRANSLATION_ROUTES: Annotated[dict[str, str], NoDecode] = {}
    """Which provider translates which language, e.g. `libretranslate: ar fa uk ru tr; llm: ps
    ku ti` (bot/translation/routes.py); empty: nothing is translated."""

    @field_validator("BOT_TOKEN", "BOT_USERNAME", "REDIS_URL", "WEBHOOK_SECRET", "STAFF_CHAT_ID", "WEBHOOK_URL",
                     "METRICS_LISTEN", "WEB_LISTEN", "EMBEDDINGS_URL", "EMBEDDINGS_MODEL",
                     "EMBEDDINGS_API_KEY", "CONTENT_CACHE", "TRANSLATION_LLM_URL",
                     "TRANSLATION_LLM_MODEL", "TRANSLATION_LLM_API_KEY",
                     "TRANSLATION_LIBRETRANSLATE_URL", "TRANSLATION_LIBRETRANSLATE_API_KEY",
                     "TRANSLATION_DEEPL_API_KEY", "TRANSLATION_DEEPL_URL", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("BOT_TOKEN")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is not None and (":" not in value or not value.split(":", 1)[0].isdigit()):
            raise ValueError("expected the token BotFather gave you, like 123456:ABC-DEF…")
        return value

    @field_validator("BOT_USERNAME")
    @classmethod
    def _username_shape(cls, value: str | None) -> str | None:
        if value is not None:
            value = value.removeprefix("@")
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", value):
                raise ValueError("expected the bot's username as BotFather shows it, like "
                                 "lotse_muster_bot")
        return value

    @field_validator("WEBHOOK_SECRET")
    @classmethod
    def _webhook_needs_secret(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("WEBHOOK_URL") is not None:
            raise ValueError("required with WEBHOOK_URL, or anyone could post fake updates")
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("expected 1-256 characters A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("EMBEDDINGS_MODEL")
    @classmethod
    def _embeddings_need_model(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("EMBEDDINGS_URL") is not None:
            raise ValueError("required with EMBEDDINGS_URL: the model's name on that server, "
                             "e.g. bge-m3")
        return value

    @field_validator("TRANSLATION_ROUTES", mode="before")
    @classmethod
    def _translation_routes(cls, value: object, info: ValidationInfo) -> object:
        from bot.translation.routes import parse_routes

        if isinstance(value, str):
            value = parse_routes(value)
        if isinstance(value, dict):
            check_routes(value, info.data)
        return value

    @field_validator("ADMIN_IDS", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError("expected Telegram user ids separated by commas") from None
        return value

    @field_validator("DATABASE_URL", "CONSOLE_DATABASE_URL")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        elif value.startswith(("postgresql://", "postgres://")):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("expected sqlite:///path or postgresql://user:pass@host/db")
        return value

    @field_validator("DEFAULT_LOCALE")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(value)
        except (ValueError, UnknownLocaleError):
            raise ValueError(f"{value!r} is not a language code like de or en") from None
        return value

    @field_validator("WEBHOOK_LISTEN", "METRICS_LISTEN", "WEB_LISTEN")
    @classmethod
    def _host_port(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("expected host:port, e.g. 127.0.0.1:8080")
        if info.field_name == "METRICS_LISTEN" and info.data.get("WEBHOOK_URL") is not None \
                and value == info.data.get("WEBHOOK_LISTEN"):
            raise ValueError("must differ from WEBHOOK_LISTEN, which serves /metrics and "
                             "/healthz already")
        return value

    @field_validator("LOG_LEVEL")
    @classmethod
    def _log_level(cls, value: str) -> str:
        return _one_of(value.upper(), LOG_LEVELS)

    @field_validator("LOG_FORMAT")
    @classmethod
    def _log_format(cls, value: str) -> str:
        return _one_of(value.lower(), LOG_FORMATS)

    @field_validator("RETENTION_DAYS", mode="before")
    @classmethod
    def _whole_days(cls, value: object) -> object:
        text = str(value).strip()
        if not text.isdigit() or int(text) < 1:
            raise ValueError("expected a whole number of days, at least 1")
        return int(text)

    @property
    def content_root(self) -> Path:
        return self.CONTENT_ROOT.resolve()

    @property
    def api_base(self) -> str:
        return str(self.TELEGRAM_API_BASE).rstrip("/")

    @property
    def embeddings_base(self) -> str | None:
        return None if self.EMBEDDINGS_URL is None else str(self.EMBEDDINGS_URL).rstrip("/")


def check_routes(routes: dict[str, str], settings: dict[str, object]) -> None:
    """A route needs its provider's settings; DeepL has no Tigrinya."""
    from bot.translation.routes import DEEPL_LACKS

    needs = {"llm": ("TRANSLATION_LLM_URL", "TRANSLATION_LLM_MODEL"),
             "libretranslate": ("TRANSLATION_LIBRETRANSLATE_URL",),
             "deepl": ("TRANSLATION_DEEPL_API_KEY",)}
    for provider in sorted(set(routes.values())):
        missing = [name for name in needs[provider] if settings.get(name) is None]
        if missing:
            raise ValueError(f"routes languages to {provider}, which needs {' and '.join(missing)}")
    lacking = sorted(lang for lang, provider in routes.items()
                     if provider == "deepl" and lang in DEEPL_LACKS)
    if lacking:
        raise ValueError(f"DeepL does not translate {', '.join(lacking)} (it has no Tigrinya): "
                         "route it to llm or libretranslate")


class SettingsError(Exception):
    """A setting has a wrong value; the message is one line that names it."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"setting {name}: {message}") from None
