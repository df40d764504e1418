"""The content that ships: clean, complete in ten languages, and matched well."""
from __future__ import annotations

from collections import Counter

import pytest

from bot.config import REPO_ROOT as REPO
from bot.core.content.model import Content
from bot.core.content.problems import Problem
from bot.core.match_eval import evaluate, load_eval_cases
from tests.shipped import UNCONFIRMED, on_purpose, unexpected

LANGUAGES = ["de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "ku", "ti"]
ENTRY_IDS = {
    "integration-course", "integration-course-access", "integration-course-costs",
    "course-search", "job-language-course", "local-course-funding", "self-study",
    "language-certificate", "work-permit", "job-search", "recognition", "worker-rights",
    "vocational-training", "training-residence", "training-support", "school-education",
    "counselling-offer", "contact-hotline", "other-counselling", "privacy", "emergency"}


@pytest.fixture(scope="module")
def shipped(shipped_load: tuple[Content | None, list[Problem]]) -> Content:
    content, problems = shipped_load  # loaded once for the whole run (tests/conftest.py)
    assert unexpected(problems) == []  # no errors, no warnings but the example organisation's
    assert sum(map(on_purpose, problems)) == len(UNCONFIRMED)
    assert content is not None
    return content


def test_every_entry_in_every_language(shipped: Content) -> None:
    assert shipped.languages.languages == LANGUAGES
    assert ENTRY_IDS <= set(shipped.entries)
    for entry in shipped.entries.values():
        assert sorted(entry.text) == sorted(LANGUAGES), entry.id
        for lang, text in entry.text.items():
            assert len(text.questions) >= 6, (entry.id, lang)
            if lang not in ("de",):
                assert text.status == "machine", (entry.id, lang)  # until a person reviews it
    for flow in shipped.flows.values():
        assert sorted(flow.title) == sorted(LANGUAGES), flow.id


def test_interface_strings_in_every_language(shipped: Content) -> None:
    for lang in LANGUAGES:
        assert shipped.ui.get(lang).gettext("Talk to a counsellor") != "Talk to a counsellor" \
            or lang == "en", lang


def test_matching_reaches_the_targets(shipped: Content) -> None:
    cases = load_eval_cases(REPO / "tests" / "data" / "match_eval.yaml")
    assert len(cases) >= 300
    assert set(Counter(c.lang for c in cases)) == set(LANGUAGES)
    report = evaluate(shipped.matcher, shipped.signals, cases,
                      emergency_id=shipped.emergency_entry.id)
    # A guard against regressions on the development set (tuned on, so these are not the
    # figures to report: BENCHMARKS.md has the held-out ones).
    overall = report.overall
    assert overall["top1"] >= 0.84 and overall["top3"] >= 0.88, report.misses
    assert overall["crisis_recall_asked"] >= 0.99 and overall["false_alarms"] == 0.0
    assert overall["human_recall"] == 1.0


def test_catalogs_are_complete_and_keep_placeholders() -> None:
    import re

    from babel.messages.pofile import read_po

    template = read_po((REPO / "translations" / "lotse.pot").open("rb"))
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    for lang in LANGUAGES[:1] + LANGUAGES[2:]:  # English is the source of the message ids
        path = REPO / "translations" / lang / "LC_MESSAGES" / "lotse.po"
        catalog = read_po(path.open("rb"), locale=lang)
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            strings = [message.string] if isinstance(message.string, str) else message.string
            assert all(strings) and "fuzzy" not in message.flags, (lang, key)
            for string in strings:
                assert set(re.findall(r"\{\w+\}", string)) <= set(re.findall(r"\{\w+\}", key)), \
                    (lang, key, string)
            wanted_here = set(re.findall(r"\{\w+\}", key))
            assert all(p in " ".join(strings) for p in wanted_here), (lang, key)
        assert wanted <= {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}, lang
