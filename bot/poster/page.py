"""The poster's page as HTML for `render`: the deep link as a QR code, per language a line saying
what scanning brings and one with the phone number for those without a smartphone, the office's
name on top.

Each language's block names its font by the script the language is written in (`FONTS`, the Noto
families of Debian's fonts-noto-core); `glyphs.drawn` tells afterwards whether every character
found a glyph. The office's phone number is printed only once it is confirmed in
faq/organisation.yaml; until then the page is a draft that says so."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from bot.core import bidi
from bot.core.content.model import Content, Localized
from bot.core.i18n import N_, is_rtl, native_name, script

SCAN = N_("Scan the code for answers in your language: {topic}")
CALL = N_("No smartphone? Call {phone}")

LATIN = "Noto Sans"
"""The family for Latin, Cyrillic and Greek, and for whatever another family lacks (digits)."""
FONTS = {"Arab": "Noto Naskh Arabic", "Ethi": "Noto Sans Ethiopic"}
"""The family per script (ISO 15924) that is not covered by `LATIN`."""
PRINTED = ("name", "phone")
"""The organisation's values the poster prints (faq/organisation.yaml)."""


class PosterError(Exception):
    """The poster cannot say what it should; the message is one line for the admin."""


@dataclass(frozen=True)
class Line:
    """One language's block: its name, what scanning brings, and whom to call without a phone."""

    lang: str
    name: str
    scan: str
    call: str | None
    """None while the phone number is not confirmed (or there is none)."""

    @property
    def family(self) -> str:
        return family(self.lang)


def family(lang: str) -> str:
    return FONTS.get(script(lang), LATIN)


def deep_link(username: str, target: str) -> str:
    """The link that opens the bot on `target` (Telegram's /start payload, bot.core.engine.greet)."""
    return f"https://t.me/{username}?start={target}"


def title(content: Content, target: str, lang: str) -> Localized:
    """The flow's or entry's title, looked up as the engine's greeting opens it: flows first."""
    if target in content.flows:
        return content.pick(content.flows[target].title, lang)
    if target in content.entries:
        entry = content.entries[target]
        code = content.entry_lang(entry, lang)
        return Localized(entry.text[code].title, code, lang)
    raise PosterError(f"{target!r} is neither a flow nor an FAQ entry (flows: "
                      f"{', '.join(sorted(content.flows))})")


def lines(content: Content, target: str, languages: list[str]) -> list[Line]:
    org = content.organisation
    phone = None if org.phone is None or "phone" in org.unconfirmed() else org.phone
    found = []
    for lang in languages:
        topic = title(content, target, lang)
        if topic.fell_back:
            raise PosterError(f"{target} has no text in {lang} (it would be shown in "
                              f"{topic.lang}): a poster must not promise {native_name(lang)}")
        t = content.ui.get(lang)
        call = None if phone is None else t.gettext(CALL).format(phone=phone)
        found.append(Line(lang, native_name(lang), t.gettext(SCAN).format(topic=topic.text),
                          call if call is None or not is_rtl(lang) else bidi.for_rtl(call)))
    return found


def unconfirmed(content: Content) -> list[str]:
    """The printed values nobody has confirmed with the office yet."""
    return [name for name in PRINTED if name in content.organisation.unconfirmed()]


def html(content: Content, target: str, link: str, languages: list[str]) -> str:
    import segno

    blocks = lines(content, target, languages)
    org = content.organisation
    name = org.name.get(content.languages.default_language) or next(iter(org.name.values()))
    qr = segno.make(link, error="m").svg_data_uri(border=4)
    wide = len(blocks) > 4
    draft = unconfirmed(content)
    banner = (f'<p class="draft">ENTWURF – nicht aushängen: {escape(", ".join(draft))} in '
              f'faq/organisation.yaml nicht bestätigt (confirmed:)'
              f'{"; die Telefonnummer fehlt deshalb" if "phone" in draft else ""}.</p>'
              if draft else "")
    return f"""<!DOCTYPE html>
<html lang="{escape(content.languages.default_language)}"><head><meta charset="utf-8">
<title>{escape(target)}</title>
<style>
@page {{ size: A4; margin: 14mm 16mm; }}
body {{ font-family: "{LATIN}"; color: #111; margin: 0; }}
h1 {{ font-size: 19pt; text-align: center; margin: 0 0 4mm; }}
.qr {{ text-align: center; margin: 0; }}
.qr img {{ width: {72 if wide else 100}mm; height: {72 if wide else 100}mm; }}
.link {{ text-align: center; font-size: 10pt; color: #444; margin: 0 0 6mm; }}
.languages {{ column-count: {2 if wide else 1}; column-gap: 8mm; }}
.language {{ break-inside: avoid; border-top: 0.6mm solid #111; padding: 2mm 0 3mm; }}
.language .name {{ font-weight: bold; font-size: {10 if wide else 12}pt; margin: 0; }}
.language .scan {{ font-size: {12 if wide else 18}pt; margin: 1mm 0; }}
.language .call {{ font-size: {10 if wide else 14}pt; margin: 0; }}
.nowrap {{ white-space: nowrap; }}
.draft {{ border: 1mm solid #b00; color: #b00; font-weight: bold; padding: 2mm; }}
</style></head><body>
{banner}
<h1>{escape(name)}</h1>
<p class="qr"><img src="{qr}" alt="{escape(link)}"></p>
<p class="link">{escape(link.removeprefix("https://"))}</p>
<div class="languages">
{"".join(_block(line, org.phone and escape(org.phone)) for line in blocks)}
</div>
</body></html>
"""


def _nowrap(text: str) -> str:
    return f'<span class="nowrap">{text}</span>'


def _block(line: Line, phone: str | None) -> str:
    direction = "rtl" if is_rtl(line.lang) else "ltr"
    call = (f'<p class="call">{escape(line.call).replace(phone, _nowrap(phone))}</p>'
            if line.call and phone else "")
    return (f'<section class="language" lang="{escape(line.lang)}" dir="{direction}" '
            f'style="font-family: &quot;{line.family}&quot;, &quot;{LATIN}&quot;">'
            f'<p class="name">{escape(line.name)}</p><p class="scan">{escape(line.scan)}</p>'
            f'{call}</section>\n')
