"""The workspace's pages: Jinja2 templates with autoescaping on (everything a person or a
counsellor wrote is escaped), German through the gettext catalogs, and the case note's Telegram
HTML let through only as the few tags it uses."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.clock import utcnow
from bot.core.content.model import Content
from bot.core.i18n import german_name, is_rtl

TEMPLATES = Path(__file__).parent / "templates"
LOCALE = "de"
"""The workspace's language (the catalogs hold the others for when they are wanted)."""
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY", "Cache-Control": "no-store"}
"""Every page's: its own scripts and styles only, never framed, never cached."""

_KEPT = {"b", "strong", "i", "em", "u", "s", "code", "pre", "br"}


class _TelegramHtml(HTMLParser):
    """Telegram's HTML subset again as HTML: the tags of `_KEPT` and links to http(s) or tel,
    every text re-escaped, anything else dropped (its text kept)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._links = 0
        """Links opened and not yet closed (a refused link's end tag is dropped too)."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") or ""
        if tag in _KEPT:
            self.out.append(f"<{tag}>")
        elif tag == "a" and href.startswith(("https://", "http://", "tel:")):
            self.out.append(f'<a href="{escape(href)}" rel="noopener noreferrer">')
            self._links += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._links:
            self._links -= 1
            self.out.append("</a>")
        elif tag in _KEPT - {"br"}:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))


def telegram_html(text: str) -> Markup:
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    return Markup("".join(parser.out))


def waited(since: dt.datetime) -> str:
    """How long since `since`, as a counsellor reads it at a glance ("3 Std. 5 Min.")."""
    minutes = max(0, int((utcnow() - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} Min."
    if minutes < 48 * 60:
        return f"{minutes // 60} Std. {minutes % 60} Min."
    return f"{minutes // (24 * 60)} Tage"


class Pages:
    def __init__(self, content: Callable[[], Content]) -> None:
        self.content = content
        self.env = Environment(loader=FileSystemLoader(TEMPLATES),
                               autoescape=select_autoescape(["html"]),
                               extensions=["jinja2.ext.i18n"], trim_blocks=True,
                               lstrip_blocks=True)
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            lambda message: self.content().ui.get(LOCALE).gettext(message),
            lambda one, many, n: self.content().ui.get(LOCALE).ngettext(one, many, n),
            newstyle=True)
        self.env.filters.update(telegram_html=telegram_html, waited=waited,
                                language=german_name, local_time=self.local_time)
        self.env.filters["vocabulary"] = lambda key, vocabulary: (
            self.content().vocabulary_label(vocabulary, key, LOCALE) if key else "–")
        self.env.globals["form_key"] = lambda: uuid.uuid4().hex
        self.env.tests["rtl"] = is_rtl

    def local_time(self, moment: dt.datetime) -> str:
        """`moment` in the office's time zone."""
        zone = ZoneInfo(self.content().organisation.office_hours.timezone)
        return moment.astimezone(zone).strftime("%d.%m.%Y %H:%M")

    def text(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)

    def page(self, name: str, status: int = 200, **context: Any) -> web.Response:
        return web.Response(text=self.text(name, **context), status=status,
                            content_type="text/html", headers=HEADERS)

