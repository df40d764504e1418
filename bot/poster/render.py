"""The poster's HTML as a PDF (WeasyPrint: Pango and HarfBuzz shape Arabic, Persian, Pashto and
Ge'ez, right to left where the text is) and its page as a PNG for messengers (PDFium, pypdfium2)."""
from __future__ import annotations

import io

PNG_DPI = 150
"""A4 at 150 dpi is 1241 × 1754 pixels: sharp on a phone, small enough to send."""


def pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def png(document: bytes, dpi: int = PNG_DPI) -> bytes:
    """The PDF's first page as a PNG."""
    import pypdfium2

    pages = pypdfium2.PdfDocument(document)
    try:
        image = pages[0].render(scale=dpi / 72).to_pil()
    finally:
        pages.close()
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()
