"""The cross-language check of numbers, URLs and § (`bot.core.content.same_facts`)."""
from __future__ import annotations

import pytest

from bot.core.content.same_facts import fact_differences, facts


def test_the_facts_of_a_text() -> None:
    text = ("Der Kurs kostet 2,29 € (seit 1.3.2024), Tel. 089 1234 567, § 60c AufenthG, "
            "https://bamf-navi.bamf.de/de/.")
    assert facts(text) == {"229": 1, "2024": 1, "0891234567": 1, "§60c": 1,
                           "https://bamf-navi.bamf.de/de/": 1}


@pytest.mark.parametrize(("german", "translation"), [
    ("Der Kurs kostet 2,29 € pro Stunde.", "The course costs €2.29 per lesson."),
    ("Ab 1.000 Stunden", "From 1,000 lessons"),
    ("Der Kurs kostet 2,29 €.", "الدورة تكلف ۲٫۲۹ يورو."),
    ("seit 30.06.2027", "since 30 June 2027"),
    ("Die Ausbildung dauert 2 Jahre.", "مدة التدريب سنتين."),  # one digit: may be a word
    ("§ 16g AufenthG", "§16g"),
])
def test_the_same_facts_written_the_way_of_each_language(german: str, translation: str) -> None:
    assert fact_differences(german, translation) == ([], [])


def test_a_changed_amount_and_a_missing_link_are_differences() -> None:
    german = "Der Kurs kostet 2,50 €. Mehr: https://www.bamf.de/kurs"
    assert fact_differences(german, "The course costs €2.29.") == (
        ["250", "https://www.bamf.de/kurs"], ["229"])
