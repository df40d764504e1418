"""`lotse poster ID --lang ar,fa,de`: a printable A4 page (PDF, and PNG for messengers) whose QR
code opens the bot on a flow or FAQ entry; refuses a poster with a character no font could draw."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.config import Settings, SettingsError
from bot.core.content.model import Content
from bot.poster import glyphs, page, render


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("poster", help="a printable A4 poster (PDF and PNG) whose QR code "
                            "opens a flow or FAQ entry in the bot")
    parser.add_argument("target", metavar="ID", help="the flow's or FAQ entry's id, e.g. work")
    parser.add_argument("--lang", required=True, type=_codes, metavar="CODES",
                        help="the poster's languages, comma-separated, e.g. ar,fa,de")
    parser.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                        help="where the PDF and PNG go (default: here)")


def _codes(text: str) -> list[str]:
    codes = list(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    if not codes:
        raise argparse.ArgumentTypeError("expected language codes like ar,fa,de")
    return codes


def run(settings: Settings, args: argparse.Namespace, content: Content) -> int:
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # a line per table subsetted
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # its .notdef warnings: see below
    unknown = [c for c in args.lang if c not in content.languages.languages]
    if unknown:
        return _refuse(f"--lang {','.join(unknown)}: not one of "
                       f"{', '.join(content.languages.languages)}")
    try:
        page.lines(content, args.target, args.lang)  # before anything is installed or asked
    except page.PosterError as exc:
        return _refuse(str(exc))
    missing_parts = _missing_parts()
    if missing_parts:
        return _refuse(missing_parts)
    username = asyncio.run(bot_username(settings))
    html = page.html(content, args.target, page.deep_link(username, args.target), args.lang)
    document = render.pdf(html)
    undrawn = glyphs.missing(document)
    if undrawn:
        print(f"lotse: no installed font has {' '.join(undrawn)} (--lang {','.join(args.lang)}); "
              "nothing written: install the Noto fonts (Debian: fonts-noto-core)",
              file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"poster-{args.target}-{'-'.join(args.lang)}"
    stem.with_suffix(".pdf").write_bytes(document)
    stem.with_suffix(".png").write_bytes(render.png(document))
    print(f"written: {stem}.pdf, {stem}.png (t.me/{username}?start={args.target})",
          file=sys.stderr)
    draft = page.unconfirmed(content)
    if draft:
        print(f"lotse: a DRAFT, not for printing: the organisation's {', '.join(draft)} not "
              "confirmed (the phone number is left out until it is); set them to true under "
              "'confirmed:' in faq/organisation.yaml once checked with the office",
              file=sys.stderr)
    return 0


GETME_TIMEOUT = 10
"""Seconds `getMe` may take before the command says Telegram did not answer."""


async def bot_username(settings: Settings) -> str:
    """BOT_USERNAME, or the username Telegram gives the BOT_TOKEN's bot (getMe)."""
    if settings.BOT_USERNAME is not None:
        return settings.BOT_USERNAME
    if settings.BOT_TOKEN is None:
        raise SettingsError("set BOT_USERNAME (or BOT_TOKEN, to ask Telegram): the QR code "
                            "links to t.me/<the bot's username>")
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

    from bot.channels.telegram.app import make_bot

    bot = make_bot(settings, retried=False)  # a command reports; it does not wait for Telegram
    try:
        me = await bot.get_me(request_timeout=GETME_TIMEOUT)
    except (TelegramAPIError, TelegramNetworkError) as exc:
        raise SettingsError(f"BOT_USERNAME is not set and Telegram did not say the bot's "
                            f"username (getMe at {settings.api_base}: {exc})") from None
    finally:
        await bot.session.close()
    if not me.username:
        raise SettingsError("Telegram gave the bot no username: set BOT_USERNAME")
    return me.username


def _missing_parts() -> str | None:
    """What `lotse poster` needs and this installation lacks, as what to install."""
    try:
        import pypdf  # noqa: F401
        import pypdfium2  # noqa: F401
        import segno  # noqa: F401
        import weasyprint  # noqa: F401  (loads Pango: OSError without it)
    except ModuleNotFoundError as exc:
        return f"{exc.name} is not installed: pip install -e '.[poster]' (the poster extra)"
    except OSError as exc:
        return f"WeasyPrint cannot load Pango ({exc}): apt-get install libpango-1.0-0"
    return None


def _refuse(message: str) -> int:
    print(f"lotse: {message}", file=sys.stderr)
    return 2
