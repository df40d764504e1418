"""The `lotse` command: parses arguments and hands each subcommand to the code that owns it."""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import logs
from bot.channels.web import command as web_command
from bot.config import UI_DIR, Settings, SettingsError, load_settings
from bot.core.content.loader import load
from bot.core.content.model import Content
from bot.core.content.problems import ContentError, Severity
from bot.poster import command as poster
from bot.reports import command as stats


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lotse", description="Lotse: the hotline's chat "
                                     "assistant. Settings come from the environment and .env.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="serve on Telegram when BOT_TOKEN is set, else the console chat")
    chat = sub.add_parser("chat", help="the conversation in this terminal (buttons as numbers)")
    chat.add_argument("--lang", help="language code, e.g. en or ar")
    chat.add_argument("--user", default="local", help="whose conversation (default: local)")

    db = sub.add_parser("db", help="the database").add_subparsers(dest="db_command", required=True)
    upgrade = db.add_parser("upgrade", help="apply the migrations (safe to run again)")
    upgrade.add_argument("revision", nargs="?", default="head")
    db.add_parser("current", help="show the database's migration revision")

    purge = sub.add_parser("purge", help="erase personal data past RETENTION_DAYS (the running "
                           "bot does this every few hours)")
    purge.add_argument("--dry-run", action="store_true", help="only count what would go")

    content = sub.add_parser("content", help="check and try out the content").add_subparsers(
        dest="content_command", required=True)
    check = content.add_parser("check", help="validate faq/ and flows/; one line per problem")
    check.add_argument("--root", type=Path, help="content folder (default: CONTENT_ROOT)")
    match = content.add_parser("match", help="rank the FAQ entries for a question")
    match.add_argument("text")
    match.add_argument("--lang", help="language of the question (default: DEFAULT_LOCALE)")
    match.add_argument("--json", action="store_true")
    match.add_argument("--root", type=Path)
    cover = content.add_parser("coverage", help="entries and flows × languages: reviewed, machine "
                               "translation, missing, stale")
    cover.add_argument("--max-age-days", type=int, default=365,
                       help="reviewed longer ago than this counts as stale (default 365)")
    cover.add_argument("--json", action="store_true")
    cover.add_argument("--root", type=Path)
    content.add_parser("reload", help="check the content, then have the running `lotse run` "
                       "load it (SIGHUP to the pid in PID_FILE)")
    evaluate = content.add_parser("eval", help="top-1/top-3 accuracy on a YAML list of questions (a file, or a folder of them)")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--root", type=Path)
    gaps = content.add_parser("gaps", help="what people asked that found no answer, clustered "
                              "per language, most frequent first")
    gaps.add_argument("--since", type=_day, metavar="DATE", help="asked on or after, YYYY-MM-DD")
    gaps.add_argument("--lang", help="only this language")
    gaps.add_argument("--json", action="store_true")
    gaps.add_argument("--root", type=Path)
    test = content.add_parser("test", help="run the conversation tests in conversations/")
    test.add_argument("--root", type=Path)
    export = content.add_parser("export", help="a PO file of every text with its German source, "
                                "for translators (Poedit, Weblate)")
    export.add_argument("--lang", required=True, help="the language to translate into")
    export.add_argument("-o", "--output", type=Path, help="default: content-LANG.po")
    export.add_argument("--root", type=Path)
    imp = content.add_parser("import", help="translations from a PO file back into the YAML files")
    imp.add_argument("file", type=Path)
    imp.add_argument("--lang", help="only needed when the PO file names no language")
    imp.add_argument("--root", type=Path)
    stamp = content.add_parser("stamp", help="mark translations as made from the current German "
                               "text (after review or import); check then no longer calls them "
                               "outdated")
    stamp.add_argument("ids", nargs="*", help="entry or flow ids (default: all)")
    stamp.add_argument("--lang", action="append", help="only this language (repeatable)")
    stamp.add_argument("--root", type=Path)
    stats.add_parser(sub)
    poster.add_parser(sub)
    web_command.add_parsers(sub)
    sub.add_parser("doctor", help="check settings, database, content, bot token, staff group, "
                   "webhook and outbox; say what to fix")
    return parser


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


def main(argv: Sequence[str] | None = None) -> int:
    """The `lotse` command. A reader that stops early (`lotse … | head`) ends it quietly, with
    the exit code a shell gives a command ended by SIGPIPE, instead of a BrokenPipeError."""
    try:
        try:
            return command(argv)
        finally:
            sys.stdout.flush()  # here, where a closed pipe can still be caught
    except BrokenPipeError:
        # nothing more can be written; point stdout at /dev/null so that the flush at exit
        # does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def command(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "doctor":  # a broken setting is one of the things it reports
        from bot.ops.doctor import doctor

        return doctor()
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"lotse: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.LOG_LEVEL, settings.LOG_FORMAT)
    handler = {"run": run, "chat": chat, "db": db, "content": content,
               "purge": purge, "stats": stats.run, "poster": make_poster,
               "web": web, "staff": web_command.staff}[args.command]
    try:
        return handler(settings, args)
    except ContentError as exc:
        print("lotse: the content has errors; fix them and start again:", file=sys.stderr)
        print(exc, file=sys.stderr)
        return 1
    except SettingsError as exc:  # found only when used, e.g. a REDIS_URL nobody answers at
        print(f"lotse: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def live_content(settings: Settings, root: Path | None = None) -> Content:
    from bot.core.content.loader import or_raise
    from bot.ops.content_cache import cached_load

    return or_raise(*cached_load((root or settings.content_root).resolve(), UI_DIR,
                                 settings.RETENTION_DAYS, settings.CONTENT_CACHE))


def make_poster(settings: Settings, args: argparse.Namespace) -> int:
    return poster.run(settings, args, live_content(settings))


def run(settings: Settings, args: argparse.Namespace) -> int:
    if settings.BOT_TOKEN is None:
        print("BOT_TOKEN is not set: opening the console chat instead of Telegram.",
              file=sys.stderr)
        return chat(settings, argparse.Namespace(lang=None, user="local"))
    from bot.channels.telegram.app import serve
    from bot.ops.content_store import ContentStore

    content = ContentStore(live_content(settings), UI_DIR)

    async def serving() -> int:
        await _migrate(settings)
        return await serve(settings, content)

    return asyncio.run(serving())


def web(settings: Settings, args: argparse.Namespace) -> int:
    """`lotse run` with the web workspace on --listen, WEB_LISTEN or 127.0.0.1:8090."""
    listen = args.listen or settings.WEB_LISTEN or web_command.DEFAULT_LISTEN
    return run(settings.model_copy(update={"WEB_LISTEN": listen}), args)


def chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.channels.console import chat as console_chat
    from bot.services.conversation import Conversations
    from bot.storage import migrate
    from bot.storage.repository import Storage

    content = live_content(settings)
    if unknown_language(content, args.lang):
        return 2

    url = settings.CONSOLE_DATABASE_URL
    if url == settings.DATABASE_URL:
        print("lotse: CONSOLE_DATABASE_URL is the DATABASE_URL `lotse run` serves from; give the "
              "console a database of its own", file=sys.stderr)
        return 2
    print("The console: a place to try Lotse. It keeps its own database (CONSOLE_DATABASE_URL); "
          "nothing said here reaches the staff group or the statistics.", file=sys.stderr)

    async def session() -> int:
        await migrate.upgrade(url)
        storage = Storage.open(url)
        try:
            return await console_chat(Conversations(storage, lambda: content),
                                      lang=args.lang, user=args.user)
        finally:
            await storage.close()

    return asyncio.run(session())


async def _migrate(settings: Settings) -> None:
    from bot.storage import migrate

    await migrate.upgrade(settings.DATABASE_URL)


def db(settings: Settings, args: argparse.Namespace) -> int:
    from bot.storage import migrate

    if args.db_command == "upgrade":
        asyncio.run(migrate.upgrade(settings.DATABASE_URL, args.revision))
        print(f"database is at revision {asyncio.run(migrate.current_revision(settings.DATABASE_URL))}")
    else:
        print(asyncio.run(migrate.current_revision(settings.DATABASE_URL)) or "empty")
    return 0


def purge(settings: Settings, args: argparse.Namespace) -> int:
    from bot.clock import utcnow
    from bot.ops.retention import purge as run_purge
    from bot.storage.repository import Storage

    async def purging() -> int:
        await _migrate(settings)
        storage = Storage.open(settings.DATABASE_URL)
        try:
            found = await run_purge(storage, utcnow(), settings.RETENTION_DAYS, args.dry_run)
        finally:
            await storage.close()
        print(f"{'would erase' if args.dry_run else 'erased'}: {found}")
        return 0

    return asyncio.run(purging())


def content(settings: Settings, args: argparse.Namespace) -> int:
    if args.content_command == "check":
        return check_content((args.root or settings.content_root).resolve())
    if args.content_command == "reload":
        return reload_running(settings)
    if args.content_command == "stamp":
        return stamp_translations((args.root or settings.content_root).resolve(), args.ids,
                                  args.lang)
    loaded = live_content(settings, args.root)
    if args.content_command in ("export", "import"):
        from bot.ops.translation_commands import export_po, import_po

        return (export_po(loaded, args.lang, args.output) if args.content_command == "export"
                else import_po(loaded, args.file, args.lang, check_content))
    if args.content_command == "coverage":
        return show_coverage(loaded, args.max_age_days, args.json)
    if args.content_command == "gaps":
        return show_gaps(settings, loaded, args)
    if args.content_command == "test":
        return run_conversation_tests(loaded, (args.root or settings.content_root).resolve())
    if args.content_command == "match":
        if unknown_language(loaded, args.lang):
            return 2
        lang = args.lang or settings.DEFAULT_LOCALE
        ranked = loaded.matcher.rank(args.text, lang)
        if args.json:
            print(json.dumps({"candidates": [{"id": c.entry_id, "score": round(c.score, 1)}
                                             for c in ranked]}, ensure_ascii=False))
        else:
            result = loaded.matcher.match(args.text, lang)
            print(f"{result.confidence.value}:")
            for c in ranked:
                print(f"  {c.score:5.1f}  {c.entry_id}")
        return 0
    from bot.core.match_eval import evaluate, load_eval_cases

    report = evaluate(loaded.matcher, loaded.signals, load_eval_cases(args.file),
                      emergency_id=loaded.emergency_entry.id if loaded.emergency_entry else None)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(report.to_text())
    return 0


def unknown_language(loaded: Content, lang: str | None) -> bool:
    """Whether `--lang` names a language the content does not have; says so, with the ones it
    has (the caller exits 2)."""
    if lang is None or lang in loaded.languages.languages:
        return False
    print(f"lotse: --lang {lang}: not one of {', '.join(loaded.languages.languages)}",
          file=sys.stderr)
    return True


def show_gaps(settings: Settings, loaded: Content, args: argparse.Namespace) -> int:
    from bot.reports.gaps import report

    if unknown_language(loaded, args.lang):
        return 2
    print(asyncio.run(report(settings.DATABASE_URL, loaded, args.since, args.lang, args.json)))
    return 0


def run_conversation_tests(loaded: Content, root: Path) -> int:
    from bot.core.conversation_tests import FOLDER, run_folder, summary

    result = run_folder(loaded, root / FOLDER)
    for problem in result.problems:
        print(problem)
    print(summary(result), file=sys.stderr)
    return 1 if result.problems else 0


def stamp_translations(root: Path, ids: list[str], languages: list[str] | None) -> int:
    from bot.core.content.stamp import StampError, stamp

    try:
        changed = stamp(root, ids, languages)
    except StampError as exc:
        print(f"lotse: {exc}", file=sys.stderr)
        return 2
    print(f"{len(changed)} file(s) stamped{': ' if changed else ''}{', '.join(changed)}",
          file=sys.stderr)
    return 0


def show_coverage(loaded: Content, max_age_days: int, as_json: bool) -> int:
    from bot.core.content.coverage import coverage, table

    rows = coverage(loaded, dt.date.today(), max_age_days)
    if as_json:
        print(json.dumps([{"kind": r.kind, "id": r.id,
                           "languages": {k: v.value for k, v in r.cells.items()}}
                          for r in rows], ensure_ascii=False))
    else:
        print(table(rows, loaded.languages.languages))
    return 0


def reload_running(settings: Settings) -> int:
    """`lotse content reload`: the same check the running instance will make, then SIGHUP."""
    from bot.ops.pidfile import signal_reload

    if check_content(settings.content_root) != 0:
        print("lotse: not reloaded: the running Lotse keeps the version it has", file=sys.stderr)
        return 1
    pid = signal_reload(settings.PID_FILE)
    if pid is None:
        print(f"lotse: no running Lotse holds {settings.PID_FILE}; `lotse run` loads the content "
              "when it starts", file=sys.stderr)
        return 1
    print(f"asked the running Lotse (pid {pid}) to reload; it reports the result in its log "
          "and to the admins", file=sys.stderr)
    return 0


def check_content(root: Path) -> int:
    loaded, problems = load(root, UI_DIR)
    for problem in problems:
        print(problem)
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    print(f"{errors} error(s), {warnings} warning(s) in {root}" if problems else
          f"content OK: {len(loaded.entries) if loaded else 0} FAQ entries, "
          f"{len(loaded.flows) if loaded else 0} flows", file=sys.stderr)
    return 1 if errors else 0
