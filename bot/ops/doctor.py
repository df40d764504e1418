"""`lotse doctor`: everything a running Lotse needs, checked one line at a time, each failure with
what to do about it. Exit code 1 when anything failed.

It answers within about ten seconds even when something does not: the database, the Bot API and
the translation providers (a test sentence per routed language, TRANSLATION_ROUTES) are asked side
by side, each gets `REACH_SECONDS` for all its questions and nothing is retried
(a failure is the finding); then the content loads (from the content cache when it is current,
as `lotse run` would)."""
from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from aiogram import Bot
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import User

from bot.clock import utcnow
from bot.config import UI_DIR, Settings, SettingsError, load_settings
from bot.core.content.problems import Severity
from bot.storage import migrate
from bot.storage.database import DatabaseError, location, sqlite_file
from bot.storage.outbox_rows import OutboxRows
from bot.storage.repository import Storage

OUTBOX_TOO_OLD = dt.timedelta(minutes=10)
"""Undelivered outbox rows older than this mean delivery is stuck."""
WEBHOOK_ERROR_RECENT = dt.timedelta(hours=1)
REACH_SECONDS = 5.0
"""How long the database, and the Bot API, each have to answer all their checks."""


@dataclass(frozen=True)
class Finding:
    ok: bool | None
    """True ✓, False ✗, None: not checked (something it needs failed)."""
    what: str
    fix: str = ""

    def __str__(self) -> str:
        mark = {True: "✓", False: "✗", None: "–"}[self.ok]
        return f"{mark} {self.what}" + (f" → {self.fix}" if self.fix else "")


def doctor() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(Finding(False, f"settings: {exc}", "fix it in .env or the environment (see "
                      ".env.example)"))
        return 1
    findings = [Finding(True, "settings load"), *asyncio.run(diagnose(settings))]
    for finding in findings:
        print(finding)
    return 1 if any(f.ok is False for f in findings) else 0


async def diagnose(settings: Settings) -> list[Finding]:
    """Every check after the settings, in the order an admin would fix them."""
    (database_found, outbox_found), telegram_found, translation_found = await asyncio.gather(
        database_and_outbox(settings), telegram(settings), translation(settings))
    return [database_found, content(settings), *telegram_found,
            Finding(True, f"ADMIN_IDS: {len(settings.ADMIN_IDS)} admin(s)")
            if settings.ADMIN_IDS else
            Finding(False, "ADMIN_IDS is empty", "add the Telegram user ids of the people who "
                    "edit the content (comma-separated): they can /reload and hear about broken "
                    "content"),
            outbox_found, *translation_found]


TEST_SENTENCE = "Bitte bringen Sie Ihren Ausweis und den Brief vom Amt mit."
TRANSLATION_FIXES = {
    "llm": "check TRANSLATION_LLM_URL and TRANSLATION_LLM_MODEL, that the server runs and has "
           "that model",
    "libretranslate": "check TRANSLATION_LIBRETRANSLATE_URL, that the server runs and has this "
                      "language's model (LibreTranslate has none for ps, ku, ti)",
    "deepl": "check TRANSLATION_DEEPL_API_KEY and the account's quota",
}


async def translation(settings: Settings) -> list[Finding]:
    """A test sentence from the office's language to each routed one, all at once, once each
    (no retries, our rate limit out of the way), within REACH_SECONDS; none without routes."""
    from bot.translation.setup import translator_from_settings

    translator = translator_from_settings(settings, retries=0, timeout=REACH_SECONDS,
                                          per_minute=60 * len(settings.TRANSLATION_ROUTES) + 60)
    languages = sorted(settings.TRANSLATION_ROUTES, key=lambda lang: (
        settings.TRANSLATION_ROUTES[lang], lang))
    office = settings.DEFAULT_LOCALE
    try:
        results = await asyncio.gather(*(translator.translate(TEST_SENTENCE, office, lang)
                                         for lang in languages))
    finally:
        await translator.close()
    return [Finding(True, f"translation {office}→{r.target} by {r.provider} answers")
            if r.translated else
            Finding(False, f"translation {office}→{r.target} by {r.provider} failed "
                    f"({r.reason.value if r.reason else ''})", TRANSLATION_FIXES[r.provider])
            for r in results]


def _error(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    return f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}"[:200]


async def database_and_outbox(settings: Settings) -> tuple[Finding, Finding]:
    """The database's finding and the outbox's, both within REACH_SECONDS."""
    try:
        async with asyncio.timeout(REACH_SECONDS):
            found = await database(settings)
            return found, (await outbox(settings) if found.ok else
                           Finding(None, "outbox: not checked (needs a current database)"))
    except TimeoutError:
        return (Finding(False, f"the database at {location(settings.DATABASE_URL)} did not answer "
                        f"within {REACH_SECONDS:g} s", "check DATABASE_URL, that the database "
                        "server runs and that this machine may reach it"),
                Finding(None, "outbox: not checked (needs a database that answers)"))


async def database(settings: Settings) -> Finding:
    file = sqlite_file(settings.DATABASE_URL)
    if file is not None and not file.exists():
        return Finding(False, f"database file {file} does not exist",
                       "run `lotse db upgrade` (`make run` does it too)")
    try:
        revision = await migrate.current_revision(settings.DATABASE_URL)
    except (DatabaseError, OSError) as exc:
        return Finding(False, f"database not reachable ({_error(exc)})",
                       "check DATABASE_URL and that the database server runs")
    head = migrate.head_revision()
    if revision != head:
        return Finding(False, f"database reachable, but at migration {revision or 'none'}; the "
                       f"code expects {head}", "run `lotse db upgrade`")
    return Finding(True, f"database reachable, migrations current ({head})")


def content(settings: Settings) -> Finding:
    from bot.ops.content_cache import cached_load

    loaded, problems = cached_load(settings.content_root, UI_DIR, settings.RETENTION_DAYS,
                                   settings.CONTENT_CACHE)
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    if loaded is None:
        return Finding(False, f"content in {settings.content_root}: {errors} error(s), "
                       f"{warnings} warning(s)", "run `lotse content check` and fix the lines it "
                       "names")
    unconfirmed = loaded.organisation.unconfirmed()
    if unconfirmed:
        return Finding(False, f"content: the organisation's {', '.join(unconfirmed)} not "
                       "confirmed (people would be shown them as fact)", "check them with the "
                       "office, then set them to true under 'confirmed:' in faq/organisation.yaml")
    return Finding(True, f"content: {len(loaded.entries)} FAQ entries, {len(loaded.flows)} "
                   f"flows, {warnings} warning(s)" +
                   (" (`lotse content check` lists them)" if warnings else ""))


async def telegram(settings: Settings) -> list[Finding]:
    """The token, the staff group and the webhook, as Telegram sees them."""
    later: tuple[str, ...] = ("staff group", "webhook")
    if settings.BOT_TOKEN is None:
        return [Finding(False, "BOT_TOKEN is not set", "create a bot with @BotFather "
                        "(/newbot) and put its token in .env"),
                *(Finding(None, f"{name}: not checked (needs BOT_TOKEN)") for name in later)]
    from bot.channels.telegram.app import make_bot

    bot = make_bot(settings, retried=False)
    findings: list[Finding] = []  # what was found before the Bot API stopped answering
    try:
        async with asyncio.timeout(REACH_SECONDS):
            me = await bot.get_me()
            findings.append(Finding(True, f"BOT_TOKEN valid: @{me.username} (id {me.id})"))
            findings += await staff_group(settings, bot, me)
            later = later[1:]
            findings.append(await webhook(settings, bot))
            return findings
    except TelegramUnauthorizedError:
        found = Finding(False, "Telegram rejects BOT_TOKEN (Unauthorized)", "copy the token "
                        "again from @BotFather (/mybots → API Token); a revoked one must be "
                        "replaced")
    except (TelegramAPIError, TelegramNetworkError) as exc:
        found = Finding(False, f"the Bot API at {settings.api_base} does not answer "
                        f"({_error(exc)})", "check the network and TELEGRAM_API_BASE")
    except TimeoutError:
        found = Finding(False, f"the Bot API at {settings.api_base} did not answer within "
                        f"{REACH_SECONDS:g} s", "check the network (a firewall or proxy on the "
                        "way to Telegram?) and TELEGRAM_API_BASE")
    finally:
        await bot.session.close()
    needs = "a working BOT_TOKEN" if not findings else "a Bot API that answers"
    return [*findings, found, *(Finding(None, f"{name}: not checked (needs {needs})")
                                for name in later)]


async def staff_group(settings: Settings, bot: Bot, me: User) -> list[Finding]:
    chat_id = settings.STAFF_CHAT_ID
    if chat_id is None and settings.WEB_LISTEN is not None:
        return [Finding(True, f"no staff group: the counsellors work in the web workspace "
                              f"(WEB_LISTEN={settings.WEB_LISTEN})")]
    if chat_id is None:
        return [Finding(False, "STAFF_CHAT_ID is not set", "add the bot to the counsellors' "
                        "supergroup and set STAFF_CHAT_ID to its id (like -1001234567890)")]
    try:
        chat = await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, me.id)
    except TelegramAPIError as exc:
        return [Finding(False, f"staff group {chat_id}: Telegram says {exc.message!r}",
                        "add the bot to the group, and check STAFF_CHAT_ID")]
    name = f"staff group {chat.title!r} ({chat_id})"
    findings = [Finding(True, f"{name} is a forum") if chat.is_forum else
                Finding(False, f"{name} is not a forum", "turn on Topics in the group's "
                        "settings (each case gets its own topic)")]
    if member.status not in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR):
        findings.append(Finding(False, f"the bot is {ChatMemberStatus(member.status).value}, not an admin, in the "
                                f"{name}", "make it an admin with the right 'Manage topics'"))
    elif member.status is ChatMemberStatus.ADMINISTRATOR and \
            not getattr(member, "can_manage_topics", False):
        findings.append(Finding(False, f"the bot is an admin in the {name} without 'Manage "
                                "topics'", "give it that right in the group's admin settings"))
    else:
        findings.append(Finding(True, f"the bot is an admin in the {name}, with 'Manage "
                                "topics'"))
    return findings


async def webhook(settings: Settings, bot: Bot) -> Finding:
    info = await bot.get_webhook_info()
    wanted = str(settings.WEBHOOK_URL) if settings.WEBHOOK_URL else ""
    waiting = f"{info.pending_update_count} update(s) waiting"
    if not wanted and not info.url:
        return Finding(True, f"no webhook: long polling ({waiting})")
    if not wanted:
        return Finding(False, f"Telegram delivers to a webhook ({info.url}) but WEBHOOK_URL is "
                       "empty", "`lotse run` removes it when it starts; if another server uses "
                       "this token, stop it (one token, one Lotse)")
    if info.url != wanted:
        return Finding(False, f"Telegram's webhook is {info.url or 'not set'}, WEBHOOK_URL is "
                       f"{wanted}", "(re)start `lotse run`: it sets the webhook at start-up")
    if info.last_error_date is not None and \
            dt.datetime.now(dt.UTC) - info.last_error_date < WEBHOOK_ERROR_RECENT:
        return Finding(False, f"Telegram could not deliver to the webhook at "
                       f"{info.last_error_date:%H:%M} UTC: {info.last_error_message}",
                       "check that WEBHOOK_URL reaches `lotse run` through your proxy")
    return Finding(True, f"webhook set to WEBHOOK_URL ({waiting})")


async def outbox(settings: Settings) -> Finding:
    storage = Storage.open(settings.DATABASE_URL)
    try:
        kinds = await OutboxRows(storage).backlog()
    finally:
        await storage.close()
    if not kinds:
        return Finding(True, "outbox: nothing waiting for delivery")
    waiting = sum(k.count for k in kinds)
    age = utcnow() - min(k.oldest for k in kinds)
    what = f"outbox: {waiting} message(s) waiting, the oldest for {_duration(age)}"
    if age > OUTBOX_TOO_OLD:
        return Finding(False, what, "is `lotse run` running? Its log says why delivery to "
                       "Telegram fails")
    return Finding(True, what)


def _duration(age: dt.timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"

