"""Facts of the shipped content pinned to their entries (issue 12; sources in
../shared/domain-facts.md and each entry's `source`): a fact corrected once must not come back,
and every language must carry the same number."""
from __future__ import annotations

import pytest

from bot.core.content.model import Content


@pytest.fixture(scope="module")
def content(shipped_content: Content) -> Content:
    return shipped_content


def answers(content: Content, entry_id: str) -> dict[str, str]:
    """Each language's whole answer: the common part and every section."""
    return {lang: "\n\n".join([text.answer, *(section for sections in text.sections.values()
                                               for section in sections.values())])
            for lang, text in content.entries[entry_id].text.items()}


def test_the_benefit_is_called_grundsicherung_now(content: Content) -> None:
    # "Neue Grundsicherung", in force largely from 2026-07-01; the Jobcenter stays responsible.
    german = answers(content, "job-search")["de"]
    assert "Grundsicherung" in german and "umbenannt" not in german
    assert all("Grundsicherung" in answer for answer in answers(content, "job-search").values())


@pytest.mark.parametrize("entry_id", ["integration-course-costs", "job-language-course"])
def test_bürgergeld_is_only_named_as_the_former_name(content: Content, entry_id: str) -> None:
    german = answers(content, entry_id)["de"]
    assert german.count("Bürgergeld") == 1 and "Grundsicherung (früher Bürgergeld)" in german


def test_the_youth_migration_service_is_for_ages_12_to_27(content: Content) -> None:
    for entry_id in ("school-education", "other-counselling"):
        for lang, answer in answers(content, entry_id).items():
            assert "27" in answer and "26" not in answer, (entry_id, lang)


def test_the_bamf_course_finder_is_bamf_navi(content: Content) -> None:
    entry = content.entries["course-search"]
    assert entry.source == "https://bamf-navi.bamf.de/"
    assert "https://bamf-navi.bamf.de/" in [link.url for link in entry.links]
    for answer in answers(content, "course-search").values():
        assert "https://bamf-navi.bamf.de/" in answer and '"https://navi.bamf.de' not in answer


def test_the_emergency_page_names_the_medical_on_call_service(content: Content) -> None:
    for lang, answer in answers(content, "emergency").items():
        assert "116 117" in answer and "112" in answer and "110" in answer, lang


def test_the_minimum_wage_is_for_workers_from_18_and_apprentices_get_their_own(
        content: Content) -> None:
    german = answers(content, "worker-rights")["de"]
    assert "13,90 €" in german and "ab 18 Jahren" in german and "gilt für alle," not in german
    assert all("Mindestausbildungsvergütung" in answer
               for answer in answers(content, "worker-rights").values())


def test_apprentices_are_paid_an_ausbildungsvergütung(content: Content) -> None:
    german = answers(content, "training-support")["de"]
    assert "Ausbildungsvergütung" in german and "Ausbildungsgeld" not in german


@pytest.mark.parametrize("entry_id", ["integration-course-access", "integration-course-costs"])
def test_self_payers_pay_at_least_the_bamf_rate(content: Content, entry_id: str) -> None:
    for lang, answer in answers(content, entry_id).items():
        assert "4,58 €" in answer or "€4.58" in answer, lang
    assert "hängt von der Kursschule ab" not in answers(content, "integration-course-access")["de"]


def test_a_gestattung_alone_does_not_make_the_course_free(content: Content) -> None:
    # BAMF FAQ: free without application for asylum seekers with good prospects to stay, or who
    # arrived before 2019-08-01 and are close to the job market; not for every Gestattung.
    german = answers(content, "integration-course-costs")["de"]
    assert "Kostenlos ohne Antrag:</b> Menschen mit Aufenthaltsgestattung" not in german
    assert "guter Bleibeperspektive" in german and "1. August 2019" in german
    assert "Eine Aufenthaltsgestattung allein macht den Kurs nicht kostenlos" in german
    for lang, answer in answers(content, "integration-course-costs").items():
        assert "2019" in answer, lang


def test_work_access_in_the_asylum_procedure_is_said_to_be_changing(content: Content) -> None:
    # GEAS adaptation law and the EU list of safe countries: the entry states no rule as settled
    # and sends the person to a counsellor (the published text was not confirmed on 2026-12-03).
    entry = content.entries["work-permit"]
    assert entry.offer_counsellor
    for lang, answer in answers(content, "work-permit").items():
        assert "GEAS" in answer and "2026" in answer, lang
    # § 61 Abs. 1 AsylG: after six months in initial reception the permit "ist zu erlauben"
    german = answers(content, "work-permit")["de"]
    assert "sollen Sie die Erlaubnis nach 6 Monaten bekommen" not in german
    assert "muss die Ausländerbehörde Ihnen die Erlaubnis nach 6 Monaten geben" in german


def test_the_office_name_reads_correctly_inside_sentences(content: Content) -> None:
    # "Sie erreichen Integrationskoordination …" had no article, "помічник Координація" the
    # wrong case: sentences use the organisation's own {name_of} now.
    from bot.core.engine import step
    from bot.core.events import Start
    from bot.core.state import State
    from bot.core.texts import entry_answer

    def greeting(lang: str) -> str:
        return step(content, State(), Start(None, lang)).replies[0].text

    assert greeting("de").startswith("Hallo! Ich bin Lotse, der digitale Assistent der "
                                      "Integrationskoordination im Landratsamt München.")
    assert "цифровий помічник Координації інтеграції" in greeting("uk")
    assert "цифровой помощник Координации интеграции" in greeting("ru")
    hotline = entry_answer(content, content.entries["contact-hotline"], content.ui.get("de"), "de")
    assert "Sie erreichen die Beratung der Integrationskoordination im Landratsamt München am " \
           "Telefon" in hotline
    for entry in content.entries.values():
        for lang, text in entry.text.items():
            assert "{name}" not in text.answer, (entry.id, lang)  # the name alone: headings only


def test_privacy_names_the_bavarian_supervisory_authority(content: Content) -> None:
    # A Landratsamt is supervised by the Bayerischer Landesbeauftragte für den Datenschutz
    # (BayLfD), not the federal BfDI; the authority is organisation data.
    from bot.core.texts import entry_answer

    authority = content.organisation.data_protection_authority
    assert authority is not None and authority.url == "https://www.datenschutz-bayern.de/"
    assert "BayLfD" in authority.label["de"]
    privacy = content.entries["privacy"]
    assert all(link.url != "https://www.bfdi.bund.de/" for link in privacy.links)
    for lang in privacy.text:
        shown = entry_answer(content, privacy, content.ui.get(lang), lang)
        assert '<a href="https://www.datenschutz-bayern.de/">' in shown, lang
        assert "bfdi" not in shown.lower(), lang


def test_the_2025_cuts_of_job_language_courses_are_not_stated_for_2026(content: Content) -> None:
    # BAMF documents the suspended Berufssprachkurse for 2025; the 2026 situation is unconfirmed.
    german = answers(content, "job-language-course")["de"]
    assert "zurzeit ausgesetzt" not in german and "nicht bestätigt" in german
    for lang, answer in answers(content, "job-language-course").items():
        assert "2025" in answer and "2026" in answer, lang
