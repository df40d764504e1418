"""Unanswered questions: clustered per language with the closest FAQ entries (`lotse content
gaps`), on a real SQLite file, and purged after the retention period."""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import string
import subprocess
import sys

import pytest

from bot.config import REPO_ROOT
from bot.core.clusters import cluster
from bot.core.content.model import Content
from bot.ops.retention import purge
from bot.reports.gaps import find_gaps
from bot.storage import migrate
from bot.storage.models import UnansweredQuestion
from bot.storage.repository import Storage
from bot.storage.usage import unanswered_questions

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def shipped(shipped_content: Content) -> Content:
    return shipped_content  # loaded once for the whole run (tests/conftest.py)


async def store(url: str, rows: list[tuple[int, str, str]]) -> None:
    """(days ago, language, text) rows in a migrated database at `url`."""
    await migrate.upgrade(url)
    storage = Storage.open(url)
    async with storage.session() as session:
        session.add_all([UnansweredQuestion(asked_at=NOW - dt.timedelta(days=days), locale=lang,
                                            text=text) for days, lang, text in rows])
    await storage.close()


def test_similar_questions_form_one_cluster_most_frequent_first() -> None:
    questions = (["Wo kann ich schwimmen lernen?"] * 3 + ["wo kann ich schwimmen lernen"] +
                 ["Wo kann man schwimmen lernen"] * 2 + ["wo kann ich schwimen lernen"] +
                 ["hallo"] * 4 + ["Hallo, ich brauche Hilfe mit der Wohnung"] +
                 ["wie finde ich eine wohnung", "wie finde ich einen arzt"])
    clusters = cluster(questions)
    assert [(c.count, c.questions) for c in clusters] == [
        (7, ("Wo kann ich schwimmen lernen?", "Wo kann man schwimmen lernen",
             "wo kann ich schwimen lernen", "wo kann ich schwimmen lernen")),
        (4, ("hallo",)),
        (1, ("Hallo, ich brauche Hilfe mit der Wohnung",)),
        (1, ("wie finde ich eine wohnung",)),
        (1, ("wie finde ich einen arzt",)),
    ]


def synthetic_questions(count: int, seed: int = 7) -> tuple[list[str], dict[str, str]]:
    """`count` questions about 60 invented topics (Zipf-distributed, in six wordings, a third
    with a typo) and 20 % one-off gibberish; with each topic question's topic."""
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(6, 11)))

    topics = [f"{word()} {word()}" for _ in range(60)]
    wordings = ["{}", "wo {}", "{} bitte", "wie {}", "frage {}", "{} hilfe"]
    weights = [1 / rank for rank in range(1, len(topics) + 1)]
    questions: list[str] = []
    topic_of: dict[str, str] = {}
    for _ in range(count):
        if rng.random() < 0.2:
            questions.append(" ".join(word() for _ in range(rng.randint(2, 5))))
            continue
        topic = rng.choices(topics, weights)[0]
        text = rng.choice(wordings).format(topic)
        if rng.random() < 0.33:
            cut = rng.randrange(len(text))
            text = text[:cut] + text[cut + 1:]
        questions.append(text)
        topic_of[text] = topic
    return questions, topic_of


def test_twenty_thousand_synthetic_questions_find_their_topics() -> None:
    questions, topic_of = synthetic_questions(20_000)
    clusters = cluster(questions)
    per_topic: dict[str, int] = {}
    for found in clusters:
        topics = {topic_of.get(q) for q in found.questions}
        assert len(topics) == 1, found.questions[:5]  # no cluster mixes topics or gibberish
        topic = topics.pop()
        if topic is not None:
            per_topic[topic] = max(per_topic.get(topic, 0), found.count)
    asked = {topic: sum(1 for q in questions if topic_of.get(q) == topic)
             for topic in set(topic_of.values())}
    # Nearly every question of a topic is in its largest cluster (a typo in a short word can
    # make a stray), and the most asked topics come first.
    assert sum(per_topic.values()) >= 0.97 * sum(asked.values())
    assert [topic_of[c.representative] for c in clusters[:3]] == \
        sorted(asked, key=asked.__getitem__, reverse=True)[:3]


async def test_report_per_language_with_the_closest_entries(database_url: str,
                                                            shipped: Content) -> None:
    await store(database_url, [(1, "de", "wann fährt der bus nach ebersberg")] * 3 +
                [(2, "de", "Wann fährt der Bus nach Ebersberg?"),
                 (2, "de", "wann fahrt der bus nach ebersberg"),
                 (3, "de", "wie viel kostet der integrationskurs"),
                 (3, "de", "was kostet der integrationskurs"),
                 (40, "ar", "كم تكلفة دورة الاندماج"),
                 (5, "ar", "ما هي مواعيد الباص")])
    storage = Storage.open(database_url)
    try:
        questions = await unanswered_questions(storage)
        recent = await unanswered_questions(storage, NOW - dt.timedelta(days=30), "ar")
    finally:
        await storage.close()
    assert recent == {"ar": ["ما هي مواعيد الباص"]}
    gaps = [g.to_json() for g in find_gaps(shipped, questions)]
    assert [(g["lang"], g["count"], g["question"], g["examples"], g["verdict"]) for g in gaps] == [
        ("de", 5, "wann fährt der bus nach ebersberg",
         ["Wann fährt der Bus nach Ebersberg?", "wann fahrt der bus nach ebersberg"],
         "nothing close"),
        ("de", 2, "was kostet der integrationskurs", ["wie viel kostet der integrationskurs"],
         "answered now"),
        ("ar", 1, "كم تكلفة دورة الاندماج", [], "answered now"),
        ("ar", 1, "ما هي مواعيد الباص", [], gaps[3]["verdict"]),
    ]
    ranked = shipped.matcher.rank("was kostet der integrationskurs", "de", 3)
    assert gaps[1]["closest"] == [{"id": c.entry_id, "score": round(c.score, 1)} for c in ranked]
    assert gaps[1]["closest"][0]["id"] == "integration-course-costs"


async def test_purge_deletes_only_what_is_older(database_url: str) -> None:
    await store(database_url, [(100, "de", "alt"), (91, "en", "old"), (89, "de", "neu"),
                               (0, "uk", "нове")])
    storage = Storage.open(database_url)
    try:
        assert (await purge(storage, NOW, 90)).questions == 2  # the retention job
        assert (await purge(storage, NOW, 90)).questions == 0
        assert await unanswered_questions(storage) == {"de": ["neu"], "uk": ["нове"]}
    finally:
        await storage.close()


def lotse(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "bot", "content", "gaps", *args],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.e2e  # a real `python -m bot content gaps` process
async def test_the_command(database_url: str) -> None:
    await store(database_url, [(400, "de", "wann fährt der bus nach ebersberg"),
                               (1, "de", "wann fährt der bus nach ebersberg?"),
                               (1, "de", "Wann fährt der Bus nach Ebersberg"),
                               (1, "en", "when does the bus leave")])
    since = (NOW - dt.timedelta(days=30)).date().isoformat()
    done = lotse(database_url, "--since", since, "--lang", "de")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == [
        "de: 2 question(s) in 1 cluster(s)",
        "      2×  Wann fährt der Bus nach Ebersberg",
        "         also: wann fährt der bus nach ebersberg?",
    ]
    assert lines[3].startswith("         nothing close; closest: ")
    everything = json.loads(lotse(database_url, "--json").stdout)
    assert [(c["lang"], c["count"]) for c in everything["clusters"]] == [("de", 3), ("en", 1)]
    assert lotse(database_url, "--lang", "xx").returncode == 2
    wrong_date = lotse(database_url, "--since", "2026-13-01")
    assert wrong_date.returncode == 2 and "is not a date like 2026-01-31" in wrong_date.stderr
