"""Telegram's HTML parse mode as re-implemented in markup.py."""
from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fake_bot_api.markup import HtmlParseError, ParsedText, parse_html, trim, utf16_len


@pytest.mark.parametrize(("source", "reason"), [
    ("Hallo <foo>x</foo>", 'Unsupported start tag "foo" at byte offset 6'),
    ("Grüße <br>", 'Unsupported start tag "br" at byte offset 8'),  # byte, not character offset
    ("<b>fett", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
    ("ende <", "Unclosed start tag at byte offset 5"),
    ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ("<a href>x</a>", 'Expected equal sign in declaration of an attribute of the tag "a" at byte '
                      "offset 0"),
])
def test_invalid_html_gives_telegrams_reason(source: str, reason: str) -> None:
    with pytest.raises(HtmlParseError) as error:
        parse_html(source)
    assert str(error.value) == reason


def test_entities_are_decoded_and_tags_become_utf16_entities() -> None:
    parsed = parse_html('😀 <b>fett</b> &lt;&#65;&#x42;&gt; &quot;'
                        '<a href="https://x.de/?a=1&amp;b">l</a>')
    assert parsed.text == '😀 fett <AB> "l'
    assert parsed.entities == (
        {"type": "bold", "offset": 3, "length": 4},  # the emoji is two UTF-16 units
        {"type": "text_link", "offset": 14, "length": 1, "url": "https://x.de/?a=1&b"},
    )


def test_pre_with_language_and_expandable_blockquote() -> None:
    parsed = parse_html('<pre><code class="language-python">x = 1</code></pre>'
                        "<blockquote expandable>q</blockquote><tg-spoiler>s</tg-spoiler>")
    assert [e["type"] for e in parsed.entities] == ["pre", "expandable_blockquote", "spoiler"]
    assert parsed.entities[0]["language"] == "python"


def test_bare_ampersand_is_literal_like_telegram_unless_strict() -> None:
    assert parse_html("AT&T &nbsp;").text == "AT&T &nbsp;"
    with pytest.raises(HtmlParseError, match='Unescaped "&" at byte offset 2'):
        parse_html("AT&T", strict_ampersand=True)


def test_trim_shifts_entities() -> None:
    assert trim(parse_html("  <b>x</b> \n")) == ParsedText("x", ({"type": "bold", "offset": 0,
                                                                  "length": 1},))


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_escaped_text_round_trips(text: str) -> None:
    parsed = parse_html(html.escape(text), strict_ampersand=True)
    assert parsed.text == text
    assert parsed.entities == ()
    assert utf16_len(text) == len(text.encode("utf-16-le")) // 2
