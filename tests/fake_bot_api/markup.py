"""Telegram's HTML parse mode, re-implemented after tdlib's `parse_html` (MessageEntity.cpp).

`parse_html` returns the plain text and the message entities Telegram would store, or raises
`HtmlParseError` with the reason Telegram reports after "Bad Request: can't parse entities: ".
Offsets in reasons are UTF-8 byte offsets into the text as sent; entity offsets and lengths are
UTF-16 code units, like in the Bot API.

Deviation on purpose, switchable with `strict_ampersand`: Telegram keeps an "&" that does not start
one of its entities as a literal character, although the Bot API documentation says it must be
escaped. With `strict_ampersand=True` such an "&" is an error instead, so that unescaped user input
is caught in tests (the reason text for that case is the fake's own, Telegram has none).
"""
from __future__ import annotations

from dataclasses import dataclass

SUPPORTED_TAGS = frozenset({
    "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
    "span", "pre", "code", "blockquote",
})
_SIMPLE_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = b" \t\r\n\x0b\x0c"
_NAME_TOKEN = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"
# tdlib trims these from both ends of a message text or caption.
TRIMMED = " \t\r\n\x0b\x0c"


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; `str(error)` is Telegram's reason."""


@dataclass(frozen=True)
class ParsedText:
    """Plain text plus Bot API entity dicts, as stored in the sent message."""

    text: str
    entities: tuple[dict[str, object], ...] = ()


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit Telegram counts text limits and offsets in."""
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(data: bytes, pos: int) -> tuple[str, int] | None:
    """Decode the HTML entity at `data[pos] == "&"`; None if it is not one Telegram knows."""
    end = pos + 1
    if data[end:end + 1] == b"#":
        end += 1
        base, digits = (10, b"0123456789")
        if data[end:end + 1] == b"x":
            base, digits, end = 16, b"0123456789abcdefABCDEF", end + 1
        start = end
        while end < len(data) and data[end] in digits:
            end += 1
        if end == start or end - pos >= 10:
            return None
        code = int(data[start:end], base)
        if code == 0 or code >= 0x10FFFF:
            return None
        char = chr(code)
    else:
        while end < len(data) and chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        name = data[pos + 1:end].decode("ascii")
        if name not in _NAMED_ENTITIES:
            return None
        char = _NAMED_ENTITIES[name]
    if data[end:end + 1] == b";":
        end += 1
    return char, end


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int  # UTF-16 offset in the result
    result_pos: int  # character index in the result


class _HtmlParser:
    def __init__(self, html: str, strict_ampersand: bool) -> None:
        self.data = html.encode("utf-8")
        self.strict_ampersand = strict_ampersand
        self.result: list[str] = []
        self.utf16_offset = 0
        self.entities: list[dict[str, object]] = []
        self.open: list[_OpenTag] = []

    def at(self, i: int) -> int:
        """The byte at i, or 0 past the end (tdlib reads a NUL-terminated string)."""
        return self.data[i] if i < len(self.data) else 0

    def emit(self, chars: str) -> None:
        self.result.append(chars)
        self.utf16_offset += utf16_len(chars)

    def parse(self) -> ParsedText:
        data, i = self.data, 0
        while i < len(data):
            byte = data[i]
            if byte == ord("&"):
                decoded = _decode_entity(data, i)
                if decoded is not None:
                    self.emit(decoded[0])
                    i = decoded[1]
                    continue
                if self.strict_ampersand:
                    raise HtmlParseError(
                        f'Unescaped "&" at byte offset {i}; write &amp; (strict check of the fake)')
            if byte != ord("<"):
                end = i + 1
                while end < len(data) and data[end] & 0xC0 == 0x80:
                    end += 1
                self.emit(data[i:end].decode("utf-8"))
                i = end
                continue
            i = self.end_tag(i) if self.at(i + 1) == ord("/") else self.start_tag(i)
        if self.open:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.open[-1].name}"')
        ordered = sorted(self.entities, key=lambda e: (int(str(e["offset"])),
                                                       -int(str(e["length"]))))
        return ParsedText("".join(self.result), tuple(ordered))

    def start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.at(i) and self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        if not self.at(i):
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        tag = self.data[begin + 1:i].decode("utf-8", "replace").lower()
        if tag not in SUPPORTED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument = ""
        while self.at(i) != ord(">"):
            while self.at(i) and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == ord(">"):
                break
            name_start = i
            while self.at(i) and self.at(i) not in _SPACES and self.at(i) not in b"=>":
                i += 1
            attribute = self.data[name_start:i].decode("utf-8", "replace")
            if not attribute:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
            while self.at(i) and self.at(i) in _SPACES:
                i += 1
            if self.at(i) != ord("="):
                if tag == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                    continue
                raise HtmlParseError('Expected equal sign in declaration of an attribute of the '
                                     f'tag "{tag}" at byte offset {begin}')
            i += 1
            while self.at(i) and self.at(i) in _SPACES:
                i += 1
            if not self.at(i):
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            value, i = self.attribute_value(i)
            if not self.at(i):
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            if tag == "a" and attribute == "href":
                argument = value
            elif tag == "code" and attribute == "class" and value.startswith("language-"):
                argument = value.removeprefix("language-")
            elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value.removeprefix("tg-")
            elif tag == "tg-emoji" and attribute == "emoji-id":
                argument = value
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        self.open.append(_OpenTag(tag, argument, self.utf16_offset, len("".join(self.result))))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in b"'\"":
            start = i
            while self.at(i) and self.at(i) in _NAME_TOKEN:
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != ord(">"):
                raise HtmlParseError(f"Unexpected end of name token at byte offset {start}")
            return self.data[start:i].decode("ascii").lower(), i
        i += 1
        value = bytearray()
        while self.at(i) and self.at(i) != quote:
            if self.at(i) == ord("&") and (decoded := _decode_entity(self.data, i)) is not None:
                value += decoded[0].encode("utf-8")
                i = decoded[1]
                continue
            value.append(self.at(i))
            i += 1
        if self.at(i) == quote:
            i += 1
        return value.decode("utf-8", "replace"), i

    def end_tag(self, begin: int) -> int:
        if not self.open:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while self.at(i) and self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        end_name = self.data[begin + 2:i].decode("utf-8", "replace")
        while self.at(i) and self.at(i) in _SPACES:
            i += 1
        if self.at(i) != ord(">"):
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        tag = self.open.pop()
        if end_name and end_name != tag.name:
            raise HtmlParseError(f'Unmatched end tag at byte offset {begin}, '
                                 f'expected "</{tag.name}>", found "</{end_name}>"')
        if self.utf16_offset > tag.offset:
            self.add_entity(tag)
        return i + 1

    def add_entity(self, tag: _OpenTag) -> None:
        span: dict[str, object] = {"offset": tag.offset, "length": self.utf16_offset - tag.offset}
        if tag.name in _SIMPLE_ENTITY_TYPES:
            self.entities.append({"type": _SIMPLE_ENTITY_TYPES[tag.name], **span})
        elif tag.name == "blockquote":
            kind = "expandable_blockquote" if tag.argument else "blockquote"
            self.entities.append({"type": kind, **span})
        elif tag.name == "tg-emoji":
            self.entities.append({"type": "custom_emoji", **span, "custom_emoji_id": tag.argument})
        elif tag.name == "a":
            url = tag.argument or "".join(self.result)[tag.result_pos:]
            if url.startswith(("http://", "https://", "tg://")) or "." in url:
                self.entities.append({"type": "text_link", **span, "url": url})
        elif tag.name == "code" and tag.argument and self.open and self.open[-1].name == "pre":
            self.open[-1].argument = tag.argument
        elif tag.name == "code":
            self.entities.append({"type": "code", **span})
        elif tag.name == "pre":
            # A <code> spanning the whole <pre> is absorbed into it, as Telegram does.
            self.entities = [e for e in self.entities if e != {"type": "code", **span}]
            language = {"language": tag.argument} if tag.argument else {}
            self.entities.append({"type": "pre", **span, **language})


def parse_html(html: str, *, strict_ampersand: bool = False) -> ParsedText:
    """Parse `html` like Telegram's parse_mode=HTML; HtmlParseError carries Telegram's reason."""
    return _HtmlParser(html, strict_ampersand).parse()


def trim(parsed: ParsedText) -> ParsedText:
    """Strip leading/trailing whitespace like tdlib, shifting and clipping entities to match."""
    text = parsed.text
    stripped = text.strip(TRIMMED)
    if stripped == text:
        return parsed
    shift = utf16_len(text[:len(text) - len(text.lstrip(TRIMMED))])
    limit = utf16_len(stripped)
    entities = []
    for entity in parsed.entities:
        offset, length = int(str(entity["offset"])), int(str(entity["length"]))
        start, end = max(offset - shift, 0), min(offset + length - shift, limit)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, tuple(entities))
