"""`lotse stats` on a year of synthetic traffic whose true figures the generator knows: JSON, CSV,
the text table and the HTML report (also rendered in headless Chromium)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import statistics
import struct
import subprocess
import sys
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import REPO_ROOT
from bot.core.content.model import Content
from bot.core.i18n import german_name
from bot.reports import labels, stats
from bot.reports.html import render
from bot.storage import migrate
from bot.storage.models import Case, UsageEvent
from bot.storage.repository import Storage

pytestmark = pytest.mark.e2e  # real `python -m bot stats` processes and Chromium

YEAR = 2026
LANGS = ["de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "ku", "ti"]
TOPICS = ["language", "work", "training", "counselling"]
FLOWS = {  # a path through each flow and the nodes where a conversation may stop
    "work": (["start", "ask-status", "by-status", "permit-check"], ["start", "ask-status", "talk"]),
    "training": (["start", "ask-status", "by-status", "training-open"], ["start", "ask-status"]),
    "language-courses": (["start", "status", "by-status", "local", "plz", "search"],
                         ["start", "status", "local", "plz", "talk"]),
}
OUTCOMES = ["answered", "referred", "callback", "no_reply"]
RATING_KEYS = {3: "helped", 2: "partly", 1: "not_helped"}
SECRETS = ("Amira Haddad", "+4915112345678", "Wann beginnt mein Kurs in Rastatt")


@dataclass
class Truth:
    """What the generator put in, per month: the figures the report must show."""

    conversations: Counter[str] = field(default_factory=Counter)
    people: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    answers: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    handoffs: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    claim: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    close: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    outcomes: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    ratings: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    entered: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    gave_up: defaultdict[str, defaultdict[str, Counter[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Counter)))
    sessions: set[str] = field(default_factory=set)


class Traffic:
    """Generates a year of events and cases from a seeded random generator, noting the truth."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.truth = Truth()
        self.rows: list[UsageEvent | Case] = []

    def year(self) -> None:
        for month in range(1, 13):
            for _ in range(self.rng.randint(15, 45)):
                self.person(month)
            for _ in range(self.rng.randint(2, 10)):
                self.case(month)
        # Outside the period in the office's time (Europe/Berlin, UTC+1 in winter), though
        # the second is still 2026 in UTC: must not count.
        for when in (dt.datetime(YEAR - 1, 12, 31, 22, 59, tzinfo=dt.UTC),
                     dt.datetime(YEAR, 12, 31, 23, 0, tzinfo=dt.UTC)):
            self.rows += [self.event(when, "outside", "conversation", "de"),
                          self.event(when, "outside", "person", "de")]
        # 31 January in UTC, 1 February in Berlin: a February conversation.
        self.rows.append(self.event(dt.datetime(YEAR, 1, 31, 23, 30, tzinfo=dt.UTC), "midnight",
                                    "conversation", None))
        self.truth.conversations[f"{YEAR}-02"] += 1

    def event(self, when: dt.datetime, session: str, kind: str, locale: str | None,
              **fields: str) -> UsageEvent:
        return UsageEvent(occurred_at=when, session=session, kind=kind, locale=locale, **fields)

    def person(self, month: int) -> None:
        lang, key = self.rng.choice(LANGS), f"{month:02d}"
        label = f"{YEAR}-{key}"
        self.truth.people[label][lang] += 1
        for number in range(self.rng.randint(1, 3)):
            session = f"{self.rng.getrandbits(64):016x}"
            self.truth.sessions.add(session)
            when = dt.datetime(YEAR, month, self.rng.randint(1, 27), self.rng.randint(0, 20),
                               self.rng.randint(0, 59), tzinfo=dt.UTC)
            self.truth.conversations[label] += 1
            self.rows.append(self.event(when, session, "conversation", None))
            if number == 0:  # the first activity of the month; the language may come later
                self.rows.append(self.event(when, session, "person",
                                            None if self.rng.random() < .3 else lang))
            self.conversation(label, session, when, lang)

    def conversation(self, label: str, session: str, when: dt.datetime, lang: str) -> None:
        tick = iter(range(1, 1000))

        def later() -> dt.datetime:
            return when + dt.timedelta(seconds=next(tick))

        def answer(at: dt.datetime) -> None:
            topic = self.rng.choice(TOPICS)
            self.truth.answers[label][topic] += 1
            self.rows.append(self.event(at, session, "answer", lang, topic=topic, entry="e"))

        def walk(flow: str, stop: str) -> dt.datetime:
            self.truth.entered[label][flow] += 1
            path, _ = FLOWS[flow]
            nodes = path[:path.index(stop) + 1] if stop in path else ["start", stop]
            at = when
            for node in nodes:
                at = later()
                self.rows.append(self.event(at, session, "step", lang, flow=flow, node=node))
            return at

        scenario = self.rng.choice(["answers", "give-up", "flow-answer", "switch", "handoff",
                                    "nothing"])
        flow, other = self.rng.sample(sorted(FLOWS), 2)
        if scenario == "answers":
            for _ in range(self.rng.randint(1, 3)):
                answer(later())
        elif scenario in ("give-up", "switch"):
            if scenario == "switch":  # left the first flow for another node: not a give-up there
                walk(other, self.rng.choice(FLOWS[other][1]))
            stop = self.rng.choice(FLOWS[flow][1])
            walk(flow, stop)
            self.truth.gave_up[label][flow][stop] += 1
        elif scenario == "flow-answer":  # an answer node: the step and the answer at one moment
            answer(walk(flow, FLOWS[flow][0][-1]))
        elif scenario == "handoff":
            walk(flow, "talk" if "talk" in FLOWS[flow][1] else "start")
            self.rows.append(self.event(later(), session, "case", lang, topic=flow))
        self.rows.append(self.event(later(), session, "consent", lang))  # not progress

    def case(self, month: int) -> None:
        label = f"{YEAR}-{month:02d}"
        created = dt.datetime(YEAR, month, self.rng.randint(1, 28), self.rng.randint(0, 23),
                              tzinfo=dt.UTC)
        topic = self.rng.choice(TOPICS)
        self.truth.handoffs[label][topic] += 1
        case = Case(topic=topic, locale=self.rng.choice(LANGS), status="new", created_at=created,
                    first_name=SECRETS[0], phone=SECRETS[1], question=SECRETS[2],
                    note=f"{SECRETS[0]} {SECRETS[1]}")
        self.rows.append(case)
        if self.rng.random() < .2:
            return
        claim = self.rng.randint(1, 600) * 60
        self.truth.claim[label].append(claim)
        case.status, case.claimed_at = "claimed", created + dt.timedelta(seconds=claim)
        if self.rng.random() < .2:
            return
        close = claim + self.rng.randint(1, 72) * 3600
        outcome = "deleted" if self.rng.random() < .1 else self.rng.choice(OUTCOMES)
        case.status, case.closed_at = "closed", created + dt.timedelta(seconds=close)
        case.outcome = outcome
        self.truth.outcomes[label][outcome] += 1
        if outcome != "deleted":
            self.truth.close[label].append(close)
        if self.rng.random() < .7:
            rating = self.rng.choice([1, 2, 3])
            case.rating = rating
            self.truth.ratings[label][RATING_KEYS[rating]] += 1


def expected_month(truth: Truth, label: str) -> dict[str, Any]:
    ratings, claim, close = truth.ratings[label], truth.claim[label], truth.close[label]
    rated = sum(ratings.values())
    return {
        "conversations": truth.conversations[label],
        "people": sum(truth.people[label].values()),
        "people_by_language": dict(truth.people[label]),
        "answers_by_topic": dict(truth.answers[label]),
        "handoffs_by_topic": dict(truth.handoffs[label]),
        "median_seconds_to_claim": round(statistics.median(claim)) if claim else None,
        "median_seconds_to_close": round(statistics.median(close)) if close else None,
        "outcomes": dict(truth.outcomes[label]),
        "ratings": {key: ratings[key] for key in RATING_KEYS.values()} if rated else {},
        "rating_shares": ({key: round(ratings[key] / rated, 3) for key in RATING_KEYS.values()}
                          if rated else {}),
        "flow_conversations": dict(truth.entered[label]),
        "gave_up_at": {flow: dict(nodes) for flow, nodes in truth.gave_up[label].items()},
    }


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    import asyncio

    path = tmp_path_factory.mktemp("stats") / "lotse.sqlite3"
    traffic = Traffic(seed=20260101)
    traffic.year()

    async def fill() -> None:
        url = f"sqlite+aiosqlite:///{path}"
        await migrate.upgrade(url)
        storage = Storage.open(url)
        async with storage.session() as session:
            session.add_all(traffic.rows)
        await storage.close()

    asyncio.run(fill())
    return path, traffic.truth


def lotse_stats(database: Path, *args: str,
                period: tuple[str, ...] = ("--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31")
                ) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot", "stats", *period, *args], env=env,
                          cwd=database.parent,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_anonymous(text: str, truth: Truth) -> None:
    for secret in SECRETS:
        assert secret not in text
    assert not any(session in text for session in truth.sessions)


def test_json_has_every_figure_of_the_input(year: tuple[Path, Truth]) -> None:
    database, truth = year
    out = lotse_stats(database, "--format", "json")
    data = json.loads(out)
    months = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    assert list(data["months"]) == months
    for label in months:
        assert data["months"][label] == expected_month(truth, label), label
    total = data["total"]
    people = Counter[str]()
    for label in months:
        people.update(truth.people[label])
    assert total["people_per_month"] == round(sum(people.values()) / 12, 1)
    assert total["people_by_language_per_month"] == {k: round(v / 12, 1) for k, v in people.items()}
    assert total["conversations"] == sum(truth.conversations.values())
    assert total["median_seconds_to_close"] == round(statistics.median(
        [s for label in months for s in truth.close[label]]))
    gave_up = Counter[str]()
    for label in months:
        for flow, nodes in truth.gave_up[label].items():
            gave_up.update({f"{flow}/{node}": n for node, n in nodes.items()})
    assert {f"{flow}/{node}": n for flow, nodes in total["gave_up_at"].items()
            for node, n in nodes.items()} == gave_up
    assert_anonymous(out, truth)


def test_csv_is_one_tidy_table_of_the_same_figures(year: tuple[Path, Truth]) -> None:
    database, truth = year
    out = lotse_stats(database, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["month", "metric", "key", "value"]
    values = {(month, metric, key): float(value) for month, metric, key, value in rows[1:]}
    assert len(values) == len(rows) - 1
    for month in range(1, 13):
        label = f"{YEAR}-{month:02d}"
        expected = expected_month(truth, label)
        for metric, figure in expected.items():
            for key, number in flatten(figure):
                if number is None:
                    assert (label, metric, key) not in values
                    continue
                assert values.pop((label, metric, key)) == number, (label, metric, key)
    assert {month for month, _, _ in values} == {"total"}  # every monthly row was expected
    assert values["total", "conversations", ""] == sum(truth.conversations.values())
    assert_anonymous(out, truth)


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [pair for key, inner in value.items()
                for pair in flatten(inner, f"{prefix}/{key}" if prefix else key)]
    return [(prefix, value)]


def test_text_table_names_the_figures_in_german(year: tuple[Path, Truth]) -> None:
    database, truth = year
    out = lotse_stats(database)
    conversations = next(line for line in out.splitlines() if line.startswith("Gespräche "))
    assert conversations.split()[1:] == [
        *(str(truth.conversations[f"{YEAR}-{m:02d}"]) for m in range(1, 13)),
        f"{sum(truth.conversations.values()):,}".replace(",", ".")]
    assert f"Personen nach Sprache · {german_name('ti')}" in out
    assert_anonymous(out, truth)


def test_html_report_shows_the_figures_and_renders_in_chromium(
        year: tuple[Path, Truth], tmp_path: Path, shipped_content: Content) -> None:
    database, truth = year
    page = tmp_path / "report.html"
    lotse_stats(database, "--format", "json", "--html", str(page))
    html = page.read_text(encoding="utf-8")
    assert_anonymous(html, truth)
    assert not re.search(r"<script|<link|@import|url\(|src=|https?://", html)
    for word in ("Gespräche", "Personen", "Übergaben an die Beratung", "<svg"):
        assert word in html
    data = json.loads(lotse_stats(database, "--format", "json"))
    total = data["total"]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    conversations = [str(truth.conversations[f"{YEAR}-{m:02d}"]) for m in range(1, 13)]
    assert and_follows(cells, "Gespräche", [
        *conversations, german(sum(truth.conversations.values()))])
    for code, average in total["people_by_language_per_month"].items():
        by_month = [str(truth.people[f"{YEAR}-{m:02d}"][code]) for m in range(1, 13)]
        assert and_follows(cells, german_name(code), [*by_month, german(average)]), code
    content = shipped_content
    flows = {chunk.split(" – ")[0]: chunk for chunk in html.split("<h3>")}
    for flow, nodes in total["gave_up_at"].items():
        table = flows[content.flows[flow].title["de"]]
        for node, count in nodes.items():  # each step by its German text, not its id
            text = step_text(content, flow, node)
            assert re.search(rf'<td class="name">[^<:]+: {re.escape(escape(text))}[^<]*</td>'
                             rf"<td>{count}</td>", table), (flow, node, text)
    languages = html.split("<h2>Personen nach Sprache</h2>")[1].split("</svg>")[0]
    averages = total["people_by_language_per_month"]
    assert languages.count("<rect") == len(averages) == len(LANGS)  # one bar per language
    assert re.findall(r'text-anchor="end">([^<]*)</text>', languages) == [
        german_name(code) for code in sorted(averages, key=lambda c: -averages[c])]
    assert f"<b>{german(sum(truth.conversations.values()))}</b>" in html
    screenshot(page, tmp_path)


def step_text(content: Content, flow: str, node: str) -> str:
    """The start of what the person saw at a step: its text, or the title of its answer."""
    step = content.flows[flow].nodes[node]
    if step.type == "answer":
        return content.entries[step.faq].text["de"].title
    return step.text["de"][:40]


def test_without_a_period_the_last_twelve_months(year: tuple[Path, Truth]) -> None:
    database, _ = year
    data = json.loads(lotse_stats(database, "--format", "json", period=()))
    today = dt.datetime.now(ZoneInfo("Europe/Berlin")).date()
    assert data["to"] == today.isoformat()
    assert len(data["months"]) == 12 and list(data["months"])[-1] == today.strftime("%Y-%m")
    assert data["from"] == next(iter(data["months"])) + "-01"


def test_people_are_averaged_from_the_first_month_with_a_conversation() -> None:
    when = dt.datetime(YEAR, 10, 15, 12, tzinfo=dt.UTC)  # in use from October only
    events = [stats.Event(when + dt.timedelta(days=31 * month), f"s{month}{n}", kind, "de", None,
                          None, None)
              for month in range(3) for n in range(month + 1) for kind in ("conversation",
                                                                             "person")]
    data = stats.report_json(stats.compute(dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31), events,
                                           [], "Europe/Berlin"))
    assert data["averaged_months"] == 3
    assert data["total"]["people_per_month"] == 2.0  # (1 + 2 + 3) / 3, not / 12
    assert "über die 3 Monate ab dem ersten Gespräch" in render(data, labels.Names(None))


def german(number: float) -> str:
    whole, _, fraction = f"{number:,}".partition(".")
    return whole.replace(",", ".") + ("," + fraction if fraction and fraction != "0" else "")


def and_follows(cells: list[str], name: str, values: list[str]) -> bool:
    """Whether some table row starts with `name` and continues with `values`."""
    return any(cells[i + 1:i + 1 + len(values)] == values
               for i, cell in enumerate(cells) if cell == name)


def screenshot(page: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is missing: `make services` installs it (Debian package chromium)")
    png = tmp_path / "report.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'chromium'}", f"--screenshot={png}",
                    "--window-size=1200,2000", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert png.stat().st_size > 20_000
    colours = png_colours(png.read_bytes())
    assert len(colours) > 50  # text, lines and charts, not a blank page
    assert (0x00, 0x72, 0xB2) in colours  # the bars of the charts were drawn


def png_colours(data: bytes) -> set[tuple[int, ...]]:
    """The distinct RGB colours of an 8-bit RGB or RGBA PNG (enough to judge a screenshot)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        header = chunk if kind == b"IHDR" else header
        idat += chunk if kind == b"IDAT" else b""
        position += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour_type in (2, 6)
    channels = 3 if colour_type == 2 else 4
    stride, raw = width * channels, zlib.decompress(idat)
    previous, colours = bytearray(stride), set()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[x] = (line[x] + best) & 0xFF
        colours.update(tuple(line[x:x + 3]) for x in range(0, stride, channels))
        previous = line
    return colours
