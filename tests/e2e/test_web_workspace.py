"""The web workspace in a browser: Debian's Chromium, driven by Playwright, against the real
`lotse run` process (WEB_LISTEN and the Telegram staff group at once) and the fake Bot API. A
person talks to the bot in Arabic; a counsellor signs in, sees the case arrive without reloading,
claims it, replies, sees the answer arrive (right to left), keeps a note, sends a canned reply
that reaches the person in Arabic, and closes it with an outcome; the Telegram topic stays in
step; a second counsellor sees the case held; a signed-out browser and a forged form are
refused. The run writes screenshots of the queue and the case (into docs/screenshots/ with
LOTSE_WRITE_SCREENSHOTS=1, which the README links)."""
from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.core.content.model import Content
from tests.e2e.harness import REPO, base_environment
from tests.e2e.test_staff import STAFF, case_topic, patient, plain, staff_bot
from tests.e2e.test_staff import intake as person_intake
from tests.fake_bot_api import FakeBotApi

PASSWORD = "ein langes Passwort"
SCREENSHOTS = REPO / "docs" / "screenshots"
PATIENCE_MS = 30_000
"""How long the browser waits for what a live update brings (the machine is shared)."""


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path="/usr/bin/chromium")
        yield chromium
        await chromium.close()


async def add_account(folder: Path, login: str, name: str) -> None:
    """`lotse staff add`, as an admin runs it, the password on standard input."""
    env = base_environment() | {"DATABASE_URL": f"sqlite:///{folder / 'lotse.sqlite3'}"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "staff", "add", login, "--name", name, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate(f"{PASSWORD}\n".encode())
    assert process.returncode == 0, err.decode()
    assert out.decode().startswith(f"added {login}")


async def sign_in(browser: Browser, base: str, login: str) -> Page:
    page = await (await browser.new_context(locale="de-DE")).new_page()
    page.set_default_timeout(PATIENCE_MS)
    await page.goto(f"{base}/")
    assert page.url == f"{base}/signin"  # signed out: sent to sign in
    await page.get_by_label("Benutzername").fill(login)
    await page.get_by_label("Passwort").fill(PASSWORD)
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("heading", name="Fälle")).to_be_visible()
    return page


async def shot(page: Page, tmp_path: Path, name: str) -> None:
    await page.screenshot(path=tmp_path / name, full_page=True)
    if os.environ.get("LOTSE_WRITE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / name, full_page=True)


async def test_a_case_from_arrival_to_close_in_the_browser_with_the_telegram_topic_in_step(
        fake_api: FakeBotApi, tmp_path: Path, content: Content, browser: Browser,
        unused_tcp_port: int) -> None:
    api = patient(fake_api)
    amira = api.user(1001, "Amira", language_code="ar")
    kerem = api.user(7002, "Kerem")  # a counsellor in the Telegram group
    group = api.group(STAFF, "Beratung", members=[kerem])
    ar = content.ui.get("ar")
    base = f"http://127.0.0.1:{unused_tcp_port}"
    await add_account(tmp_path, "lena", "Lena")
    await add_account(tmp_path, "jonas", "Jonas")
    async with staff_bot(api, tmp_path, WEB_LISTEN=f"127.0.0.1:{unused_tcp_port}",
                         WEB_COOKIE_SECURE="false"):
        lena = await sign_in(browser, base, "lena")
        await expect(lena.get_by_text("Keine Fälle.")).to_be_visible()

        # The case arrives while the queue is open, without a reload.
        await person_intake(api, amira, content, "ar", "أين أجد دورة لغة قريبة؟")
        row = lena.locator('tr[data-case="1"]')
        await expect(row).to_contain_text("Arabisch")
        await expect(row).to_contain_text("nicht übernommen")
        await shot(lena, tmp_path, "web-queue.png")

        # Claim: the person is told, the Telegram topic says who.
        await row.get_by_role("link", name="#1").click()
        await lena.get_by_role("button", name="Übernehmen").click()
        await expect(lena.get_by_role("status")).to_contain_text("Sie haben den Fall jetzt.")
        told = ar.gettext("A counsellor has taken your case #{number} and will write to you "
                          "here.").format(number="1")
        await api.wait_for(amira, lambda m: plain(m.text) == told)
        thread, _ = await case_topic(api, group, 1)
        await api.wait_for(group, lambda m: m.text == "Übernommen von Lena.", thread_id=thread)

        # A reply reaches the person; the person's answer appears, right to left.
        await lena.get_by_label("Antwort an die Person").fill("Guten Tag! Wie kann ich helfen?")
        await lena.get_by_role("button", name="Antwort senden").click()
        await api.wait_for(amira, lambda m: m.text == "Guten Tag! Wie kann ich helfen?")
        await amira.send("شكراً، أبحث عن دورة في المساء")
        answer = lena.locator(".talk li.user p", has_text="أبحث عن دورة")
        await expect(answer).to_have_attribute("dir", "rtl")
        assert await answer.evaluate("p => getComputedStyle(p).direction") == "rtl"
        await api.wait_for(group, lambda m: "أبحث عن دورة" in (m.text or ""), thread_id=thread)

        # A note from the Telegram topic appears here too; a note from here stays internal.
        await kerem.send("/note Kurs am Abend suchen", chat=group, thread_id=thread)
        await expect(lena.locator(".talk li.note")).to_contain_text("Kurs am Abend suchen")
        await lena.get_by_label("Interne Notiz (wird nie an die Person gesendet)").fill(
            "Rückruf morgen früh")
        await lena.get_by_role("button", name="Notiz speichern").click()
        await expect(lena.locator(".talk li.note", has_text="Rückruf morgen früh")).to_be_visible()

        # A canned reply reaches the person in Arabic.
        await lena.get_by_label("Textbaustein (in der Sprache der Person gesendet)") \
            .select_option("documents")
        await lena.get_by_role("button", name="Textbaustein senden").click()
        documents = content.canned_replies["documents"].text["ar"]
        await api.wait_for(amira, lambda m: plain(m.text) == documents)
        assert not any("Rückruf morgen" in (m.text or "") for m in api.messages(amira))

        # A second counsellor sees the case held, and may only take it over.
        jonas = await sign_in(browser, base, "jonas")
        await jonas.goto(f"{base}/cases/1")
        await expect(jonas.locator("#case-live .state")).to_contain_text("bei Lena")
        await expect(jonas.get_by_role("button", name="Übernehmen")).to_be_visible()
        await expect(jonas.get_by_role("button", name="Schließen")).to_have_count(0)
        await shot(lena, tmp_path, "web-case.png")

        # A forged form (no CSRF token) from a signed-in browser, and a signed-out one.
        forged = await jonas.request.post(f"{base}/cases/1/takeover",
                                          form={"key": "f" * 32})
        assert forged.status == 403
        stranger = await (await browser.new_context()).new_page()
        await stranger.goto(f"{base}/cases/1")
        assert stranger.url == f"{base}/signin"
        refused = await stranger.request.post(f"{base}/cases/1/claim", form={"key": "e" * 32})
        assert refused.status == 403

        # Close with an outcome: the person is asked to rate; the topic says so.
        await lena.get_by_label("Ergebnis").select_option("answered")
        await lena.get_by_role("button", name="Schließen").click()
        await expect(lena.get_by_role("status")).to_contain_text("Der Fall ist geschlossen.")
        await api.wait_for(amira, lambda m: ar.gettext("Did we help you?") in plain(m.text))
        await api.wait_for(group, lambda m: (m.text or "").startswith("Geschlossen von Lena"),
                           thread_id=thread)
        await expect(jonas.locator("#case-live .state")).to_contain_text("geschlossen")
