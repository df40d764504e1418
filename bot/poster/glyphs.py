"""What a PDF's text was drawn with: per embedded font, its family (from the font's own name
table) and, per glyph it draws, the text the glyph stands for (the font's ToUnicode map) and
whether the font has that glyph at all.

A character that no installed font covers is drawn by WeasyPrint with a glyph id past the end of
the font (its .notdef box) and logged; here it shows as `Glyph.missing`, found in the file itself,
whatever made it. Glyph 0 (.notdef) counts as missing too."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.DOTALL)
BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.DOTALL)
HEX = re.compile(rb"<([0-9a-fA-F]*)>")


@dataclass(frozen=True)
class Glyph:
    family: str
    """The font's family as it names itself, e.g. "Noto Sans Ethiopic"."""
    text: str
    """What the glyph stands for: a character, or several for a ligature."""
    missing: bool


def drawn(document: bytes) -> list[Glyph]:
    """Every glyph the PDF's pages draw with an embedded TrueType/OpenType font."""
    from pypdf import PdfReader

    glyphs = []
    for page in PdfReader(io.BytesIO(document)).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            if font.get("/Subtype") != "/Type0" or "/ToUnicode" not in font:
                continue
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
            if program is None:
                continue
            family, count = _family_and_count(program.get_object().get_data())
            glyphs += [Glyph(family, text, gid == 0 or gid >= count)
                       for gid, text in to_unicode(font["/ToUnicode"].get_object().get_data())]
    return glyphs


def missing(document: bytes) -> list[str]:
    """The texts the PDF could not draw, in the order found, each once."""
    return list(dict.fromkeys(g.text for g in drawn(document) if g.missing))


def to_unicode(cmap: bytes) -> list[tuple[int, str]]:
    """A ToUnicode CMap's glyph ids (2-byte codes, Identity-H) and the text of each."""
    pairs = []
    for block in BFCHAR.findall(cmap):
        codes = HEX.findall(block)
        pairs += [(int(code, 16), _text(dest)) for code, dest in zip(codes[::2], codes[1::2])]
    for block in BFRANGE.findall(cmap):
        for line in block.splitlines():
            codes = HEX.findall(line)
            if len(codes) < 3:
                continue
            low, high = int(codes[0], 16), int(codes[1], 16)
            if b"[" in line:  # one destination per code
                pairs += [(low + i, _text(dest)) for i, dest in enumerate(codes[2:])]
            else:  # consecutive codes, consecutive last character
                first = _text(codes[2])
                pairs += [(code, first[:-1] + chr(ord(first[-1]) + code - low))
                          for code in range(low, high + 1)]
    return pairs


def _text(utf16: bytes) -> str:
    return bytes.fromhex(utf16.decode()).decode("utf-16-be")


def _family_and_count(program: bytes) -> tuple[str, int]:
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(program), lazy=True)
    names = font["name"]
    family = names.getDebugName(16) or names.getDebugName(1) or "?"
    return family, font["maxp"].numGlyphs
