"""Telegram's HTML subset: escaping user text, validating content markup, measuring and splitting.

Telegram counts a message's length after parsing the markup, in UTF-16 code units (limit 4096)."""
from __future__ import annotations

import re
from dataclasses import dataclass

MESSAGE_LIMIT = 4096
TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                  "tg-spoiler", "span", "blockquote", "tg-emoji"})
_TOKEN = re.compile(r"<(/?)([A-Za-z][\w-]*)((?:\s+[^<>]*)?)\s*>|&(#\d{1,7}|#x[0-9A-Fa-f]{1,6}|"
                    r"lt|gt|amp|quot);|[<>&]|[^<>&]+")
_ATTR = re.compile(r'\s*([\w-]+)\s*=\s*"([^"]*)"|\s*([\w-]+)\s*=\s*\'([^\']*)\'|\s*([\w-]+)')
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def escape(text: str) -> str:
    """User-supplied text made safe for Telegram HTML: it can never become markup or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def truncate(text: str, limit: int) -> str:
    """The longest start of `text` that is at most `limit` UTF-16 code units (Telegram's unit: an
    emoji can be 2 or more), never cutting a character in half."""
    return text.encode("utf-16-le")[:2 * limit].decode("utf-16-le", errors="ignore")


@dataclass(frozen=True)
class _Token:
    raw: str
    plain: str = ""
    opens: str | None = None
    closes: str | None = None


class MarkupError(ValueError):
    """Markup that Telegram would reject with "can't parse entities"."""


def _tokens(html: str) -> list[_Token]:
    tokens: list[_Token] = []
    for m in _TOKEN.finditer(html):
        raw = m.group(0)
        if m.group(2):
            name = m.group(2).lower()
            if name not in TAGS:
                raise MarkupError(f"<{name}> is not a tag Telegram knows "
                                  f"(allowed: b, i, u, s, a, code, pre, blockquote)")
            if m.group(1):
                tokens.append(_Token(raw, closes=name))
            else:
                _check_attributes(name, m.group(3) or "")
                tokens.append(_Token(raw, opens=name))
        elif m.group(4):
            char = _entity(m.group(4))
            if char is None:
                raise MarkupError(f"{raw} is not a character — write &amp; for an '&'")
            tokens.append(_Token(raw, plain=char))
        elif raw in "<>&":
            if raw == ">":
                tokens.append(_Token(raw, plain=">"))
                continue
            raise MarkupError(f"a bare '{raw}' — write {escape(raw)} for the character itself")
        else:
            tokens.append(_Token(raw, plain=raw))
    return tokens


def _entity(name: str) -> str | None:
    """The character an entity stands for; None for codes Telegram does not decode (0, beyond
    Unicode) and for surrogates, which are not characters."""
    if not name.startswith("#"):
        return _ENTITIES[name]
    # "#x", not Python's "0x": base 0 cannot read it
    code = int(name[2:], 16) if name.startswith("#x") else int(name[1:])  # noqa: FURB166
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _check_attributes(tag: str, attributes: str) -> None:
    found = {(m.group(1) or m.group(3) or m.group(5)).lower(): (m.group(2) or m.group(4) or "")
             for m in _ATTR.finditer(attributes)}
    if tag == "a" and not re.match(r"^(https?|tg)://\S+$|^mailto:\S+$", found.get("href", "")):
        raise MarkupError("<a> needs href=\"https://...\"")
    if tag == "span" and found.get("class") != "tg-spoiler":
        raise MarkupError('<span> is only allowed as <span class="tg-spoiler">')


def parse(html: str) -> str:
    """The plain text Telegram would show for `html`; raises MarkupError where Telegram would."""
    stack: list[str] = []
    plain: list[str] = []
    for token in _tokens(html):
        if token.opens:
            stack.append(token.opens)
        elif token.closes:
            if not stack or stack[-1] != token.closes:
                raise MarkupError(f"</{token.closes}> closes a tag that is not open here")
            stack.pop()
        plain.append(token.plain)
    if stack:
        raise MarkupError(f"<{stack[-1]}> is opened but never closed")
    return "".join(plain)


def problem(html: str) -> str | None:
    """Why Telegram would reject `html`, or None."""
    try:
        parse(html)
    except MarkupError as exc:
        return str(exc)
    return None


def length(html: str) -> int:
    """Message length as Telegram counts it."""
    return utf16_len(parse(html))


def split(html: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Valid `html` cut into messages of at most `limit`: at paragraph breaks, else at line breaks,
    else between words; tags open at a cut are closed and opened again in the next part."""
    if length(html) <= limit:
        return [html]
    parts: list[str] = []
    part: list[_Token] = []  # the message being filled, starting with re-opened tags
    size = 0  # of `part`, kept as it grows: long texts are split in linear time
    for token in _pieces(html):
        width = utf16_len(token.plain)
        while size + width > limit and size > 0:  # a cut may leave more than the token allows
            cut = _best_cut(part)
            parts.append(_closed(part[:cut]))
            part = _open_tags(part[:cut]) + part[cut:]
            size = _size(part)
        part.append(token)
        size += width
    parts.append(_closed(part))
    return [p.strip() for p in parts if parse(p).strip()]


def _size(tokens: list[_Token]) -> int:
    return sum(utf16_len(t.plain) for t in tokens)


def _best_cut(tokens: list[_Token]) -> int:
    """Where to end a message: after the last paragraph break, else line break, else anywhere."""
    for mark in ("\n\n", "\n"):
        for i in range(len(tokens) - 1, 0, -1):
            if tokens[i].plain.endswith(mark):
                return i + 1
    return len(tokens)


def _open_tags(tokens: list[_Token]) -> list[_Token]:
    stack: list[_Token] = []
    for token in tokens:
        if token.opens:
            stack.append(token)
        elif token.closes:
            stack.pop()
    return stack


def _closed(tokens: list[_Token]) -> str:
    still_open = _open_tags(tokens)
    return "".join(t.raw for t in tokens) + "".join(f"</{t.opens}>" for t in reversed(still_open))


def _pieces(html: str) -> list[_Token]:
    """Tokens with text broken into words and line ends, so that cuts can fall between them."""
    out: list[_Token] = []
    for token in _tokens(html):
        if token.opens or token.closes or token.raw != token.plain:
            out.append(token)
            continue
        for piece in re.findall(r"[^\S\n]*\n+|[^\s]*[^\S\n]+|[^\s]+", token.raw):
            while utf16_len(piece) > MESSAGE_LIMIT // 4:  # one "word" longer than a message
                out.append(_Token(piece[:1000], plain=piece[:1000]))
                piece = piece[1000:]
            out.append(_Token(piece, plain=piece))
    return out
