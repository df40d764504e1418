"""`lotse poster`: the deep link the QR code carries opens what the poster promises, the page is
rendered for real (WeasyPrint, PDFium) and read back as a phone would (zbarimg), and every
language's line is drawn with a Noto font that has each of its glyphs. The check is shown to fail
where no font for Ge'ez is installed (a fontconfig of this test's own with Latin Noto alone)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pypdfium2
import pytest

from bot.cli import build_parser
from bot.config import REPO_ROOT, Settings, SettingsError
from bot.core.content.model import Content
from bot.core.engine import step
from bot.core.events import Start
from bot.core.state import State
from bot.poster import command, glyphs, page, render
from tests.fake_bot_api import FakeBotApi
from tests.fake_bot_api.policies import Faults

NOTO = Path("/usr/share/fonts/truetype/noto")
"""Where Debian's fonts-noto-core puts them (`make services` installs it)."""
USERNAME = "lotse_muster_bot"
PHONE = "+49 89 6221-1800"


@pytest.fixture
def confirmed_root(tmp_path: Path) -> Path:
    """The shipped content with every value of the organisation confirmed."""
    root = tmp_path / "content"
    for folder in ("faq", "flows"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    organisation = root / "faq" / "organisation.yaml"
    text = organisation.read_text(encoding="utf-8")
    assert "  phone: false\n" in text
    organisation.write_text(text.replace(": false\n", ": true\n"), encoding="utf-8")
    return root


def lotse_poster(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "CONTENT_"))}
    environment |= {"BOT_USERNAME": USERNAME, **env}
    return subprocess.run([sys.executable, "-m", "bot", "poster", *args, "--out",
                           str(tmp_path / "out")], capture_output=True, text=True,
                          env=environment, cwd=tmp_path, timeout=120)


def decoded(png: Path) -> list[str]:
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True,
                           text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    return found.stdout.split()


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        assert len(document) == 1
        return " ".join(document[0].get_textpage().get_text_range().split())
    finally:
        document.close()


def not_drawn(pdf: bytes, line: page.Line) -> list[str]:
    """The characters of `line` the PDF does not draw with a glyph of its language's Noto family
    (or of the Latin one, for digits and punctuation)."""
    good = {ch for g in glyphs.drawn(pdf) if not g.missing and g.family in (line.family, page.LATIN)
            for ch in g.text}
    shown = line.name + line.scan + (line.call or "")
    return sorted({ch for ch in shown if not ch.isspace() and unicodedata.category(ch) != "Cf"}
                  - good)


def test_the_deep_link_opens_the_flow_or_entry_it_names(shipped_content: Content) -> None:
    content = shipped_content
    flow = content.flows["work"]
    link = page.deep_link(USERNAME, "work")
    assert link == "https://t.me/lotse_muster_bot?start=work"
    payload = parse_qs(urlsplit(link).query)["start"][0]
    state = step(content, State(), Start(payload, "ar")).state
    assert (state.flow, state.node) == ("work", flow.start)
    replies = step(content, State(), Start("work-permit", "de")).replies
    assert content.entries["work-permit"].text["de"].title in "\n".join(r.text for r in replies)


def test_unknown_ids_and_languages_are_errors(shipped_content: Content,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(_env_file=None, BOT_USERNAME=USERNAME)  # type: ignore[call-arg]

    def run(*argv: str) -> int:
        args = build_parser().parse_args(["poster", *argv])
        return command.run(settings, args, shipped_content)

    assert run("no-such-thing", "--lang", "de") == 2
    assert "'no-such-thing' is neither a flow nor an FAQ entry" in capsys.readouterr().err
    assert run("work", "--lang", "de,xx") == 2
    assert "--lang xx: not one of de, en, ar" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["poster", "work", "--lang", ","])


async def test_the_username_comes_from_the_setting_or_from_getme(fake_api: FakeBotApi) -> None:
    assert await command.bot_username(Settings(  # type: ignore[call-arg]
        _env_file=None, BOT_USERNAME="@" + USERNAME)) == USERNAME
    asked = Settings(_env_file=None, BOT_TOKEN=fake_api.token,  # type: ignore[call-arg]
                     TELEGRAM_API_BASE=fake_api.base_url)
    assert await command.bot_username(asked) == "lotse_test_bot"  # the fake Bot API's bot


async def test_a_failing_getme_is_asked_once() -> None:
    async with FakeBotApi(faults=Faults(rate=1.0, kinds=(502,), methods=("getMe",))) as api:
        failing = Settings(_env_file=None, BOT_TOKEN=api.token,  # type: ignore[call-arg]
                           TELEGRAM_API_BASE=api.base_url)
        with pytest.raises(SettingsError, match="Telegram did not say"):
            await command.bot_username(failing)
    assert api.injected_faults == [("getMe", 502)]  # not retried with back-off


async def test_without_a_username_nor_a_working_token_it_says_what_to_set(
        fake_api: FakeBotApi) -> None:
    with pytest.raises(SettingsError, match="set BOT_USERNAME"):
        await command.bot_username(Settings(_env_file=None))  # type: ignore[call-arg]
    rejected = Settings(_env_file=None, BOT_TOKEN="123456:WRONG",  # type: ignore[call-arg]
                        TELEGRAM_API_BASE=fake_api.base_url)
    with pytest.raises(SettingsError, match="BOT_USERNAME is not set and Telegram did not say"):
        await command.bot_username(rejected)


def test_a_language_the_flow_has_no_text_in_is_refused(shipped_content: Content) -> None:
    work = shipped_content.flows["work"]
    untranslated = work.model_copy(update={"title": {k: v for k, v in work.title.items()
                                                     if k != "ti"}})
    content = replace(shipped_content, flows={**shipped_content.flows, "work": untranslated})
    with pytest.raises(page.PosterError, match="work has no text in ti .* shown in de"):
        page.lines(content, "work", ["ar", "ti"])


def test_an_unconfirmed_phone_number_is_not_printed(shipped_content: Content) -> None:
    assert "phone" in shipped_content.organisation.unconfirmed()  # the shipped example
    lines = page.lines(shipped_content, "work", ["de", "ar"])
    assert [line.call for line in lines] == [None, None]
    html = page.html(shipped_content, "work", page.deep_link(USERNAME, "work"), ["de", "ar"])
    assert PHONE not in html and "ENTWURF – nicht aushängen: phone" in html


@pytest.mark.e2e  # a real `lotse poster`, decoded by zbarimg: seconds
def test_lotse_poster_work_in_arabic_persian_german(tmp_path: Path, confirmed_root: Path) -> None:
    done = lotse_poster(tmp_path, "work", "--lang", "ar,fa,de", CONTENT_ROOT=str(confirmed_root))
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    assert decoded(out / "poster-work-ar-fa-de.png") == [
        "https://t.me/lotse_muster_bot?start=work"]
    text = pdf_text((out / "poster-work-ar-fa-de.pdf").read_bytes())
    assert "Code scannen und Antworten in Ihrer Sprache bekommen: Arbeit" in text
    assert "Kein Smartphone? Rufen Sie an: +49 89 6221-1800" in text
    assert "Integrationskoordination im Landratsamt München" in text
    assert "ENTWURF" not in text and "DRAFT" not in done.stderr


@pytest.mark.e2e  # needs Debian's Pango and Noto fonts (`make services`), as the ones above
@pytest.mark.parametrize("lang", ["de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "ku", "ti"])
def test_every_language_is_drawn_with_a_noto_font_that_has_its_glyphs(
        lang: str, shipped_content: Content) -> None:
    content = replace(shipped_content, organisation=shipped_content.organisation.model_copy(
        update={"confirmed": {"name": True, "phone": True}}))
    html = page.html(content, "work-permit", page.deep_link(USERNAME, "work-permit"), [lang])
    pdf = render.pdf(html)
    [line] = page.lines(content, "work-permit", [lang])
    assert line.call is not None and PHONE in line.call
    assert glyphs.missing(pdf) == []
    assert not_drawn(pdf, line) == []


@pytest.mark.e2e
def test_without_a_font_for_geez_the_check_fails_and_nothing_is_written(
        tmp_path: Path, shipped_content: Content) -> None:
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for name in ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"):
        (fonts / name).symlink_to(NOTO / name)
    config = tmp_path / "fonts.conf"
    config.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                      f"<fontconfig><dir>{fonts}</dir><cachedir>{tmp_path / 'fc-cache'}"
                      f"</cachedir></fontconfig>", encoding="utf-8")
    latin_only = {"FONTCONFIG_FILE": str(config)}

    done = lotse_poster(tmp_path, "work", "--lang", "de,ti", **latin_only)
    assert done.returncode == 1
    assert "lotse: no installed font has ት ግ ር ኛ" in done.stderr
    assert "install the Noto fonts (Debian: fonts-noto-core)" in done.stderr
    assert not (tmp_path / "out").exists()

    # The test's own check fails on that PDF too, naming the Tigrinya line's letters.
    pdf = tmp_path / "ti.pdf"
    script = ("import sys; from pathlib import Path; from bot.cli import live_content; "
              "from bot.config import load_settings; from bot.poster import page, render; "
              "c = live_content(load_settings()); Path(sys.argv[1]).write_bytes(render.pdf("
              "page.html(c, 'work', page.deep_link('x_bot', 'work'), ['ti'])))")
    rendered = subprocess.run([sys.executable, "-c", script, str(pdf)], capture_output=True,
                              text=True, env=os.environ | latin_only,
                              cwd=REPO_ROOT, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    [line] = page.lines(shipped_content, "work", ["ti"])
    assert "ስ" in glyphs.missing(pdf.read_bytes())
    assert {"ስ", "ራ", "ሕ"} <= set(not_drawn(pdf.read_bytes(), line))


def test_languages_are_taken_once_in_the_order_given() -> None:
    args = build_parser().parse_args(["poster", "work", "--lang", "ar, fa,ar"])
    assert (args.lang, args.out) == (["ar", "fa"], Path("."))
