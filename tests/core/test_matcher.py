"""FAQ matcher: normalisation, ranking, confidence decisions and evaluation."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.match_eval import EvalCase, evaluate, load_eval_cases
from bot.core.matcher import Confidence, MatchDoc, Matcher, MatchResult
from bot.core.normalize import normalize
from bot.core.phrases import PhraseSet, parse_phrase
from bot.core.signals import SignalPhrases, Signals

CORPUS: dict[str, dict[str, list[str]]] = {
    "integration-course": {
        "de": ["Integrationskurs", "Wie melde ich mich zum Integrationskurs an?",
               "Wo kann ich einen Deutschkurs machen?"],
        "en": ["Integration course", "How do I register for an integration course?",
               "Where can I learn German?"],
        "ar": ["دورة الاندماج", "كيف أسجل في دورة الاندماج؟", "أين يمكنني تعلم اللغة الألمانية؟"],
        "fa": ["کلاس ادغام", "چطور در کلاس ادغام ثبت نام کنم؟", "کجا می‌توانم آلمانی یاد بگیرم؟"],
    },
    "integration-course-costs": {
        "de": ["Kosten des Integrationskurses", "Was kostet der Integrationskurs?",
               "Integrationskurs Kosten"],
        "en": ["Integration course costs", "How much does the integration course cost?"],
        "ar": ["تكلفة دورة الاندماج", "كم تكلف دورة الاندماج؟"],
        "fa": ["هزینه کلاس ادغام", "کلاس ادغام چقدر هزینه دارد؟"],
    },
    "work-permit": {
        "de": ["Arbeitserlaubnis", "Darf ich arbeiten?", "Wie bekomme ich eine Arbeitserlaubnis?"],
        "en": ["Work permit", "Am I allowed to work?", "How do I get a work permit?"],
        "ar": ["تصريح العمل", "هل يسمح لي بالعمل؟", "كيف أحصل على تصريح عمل؟"],
        "fa": ["اجازه کار", "آیا اجازه دارم کار کنم؟", "چطور اجازه کار بگیرم؟"],
    },
    "job-search": {
        "de": ["Arbeitssuche", "Wie finde ich eine Arbeit?", "Ich suche einen Job"],
        "en": ["Finding a job", "How do I find a job?", "I am looking for work"],
        "ar": ["البحث عن عمل", "كيف أجد عملا؟", "أبحث عن وظيفة"],
        "fa": ["کاریابی", "چطور کار پیدا کنم؟", "دنبال کار می‌گردم"],
    },
    "recognition": {
        "de": ["Anerkennung von Abschlüssen", "Wird mein Abschluss anerkannt?",
               "Anerkennung meines Zeugnisses"],
        "en": ["Recognition of qualifications", "Is my degree recognised in Germany?"],
        "ar": ["الاعتراف بالشهادات", "هل تعترف ألمانيا بشهادتي؟"],
        "fa": ["ارزشیابی مدرک", "آیا مدرک من در آلمان قبول می‌شود؟"],
    },
    "vocational-training": {
        "de": ["Ausbildung", "Wie finde ich einen Ausbildungsplatz?",
               "Kann ich eine Ausbildung machen?"],
        "en": ["Vocational training", "How do I find an apprenticeship?"],
        "ar": ["التدريب المهني", "كيف أجد مكان تدريب مهني؟"],
        "fa": ["آموزش حرفه‌ای", "چطور جای آموزش حرفه‌ای پیدا کنم؟"],
    },
    "training-residence": {
        "de": ["Aufenthalt während der Ausbildung", "Darf ich während der Ausbildung bleiben?",
               "Ausbildungsduldung"],
        "en": ["Residence during training", "Can I stay in Germany during my apprenticeship?"],
        "ar": ["الإقامة أثناء التدريب", "هل يمكنني البقاء أثناء التدريب المهني؟"],
        "fa": ["اقامت در دوران آموزش", "آیا در دوران آموزش حرفه‌ای می‌توانم بمانم؟"],
    },
    "counselling-offer": {
        "de": ["Beratungsangebot", "Wo bekomme ich Beratung?",
               "Ich möchte mit einem Berater sprechen"],
        "en": ["Counselling", "Where can I get advice?", "I want to talk to a counsellor"],
        "ar": ["الاستشارة", "أين أحصل على استشارة؟", "أريد التحدث مع مستشار"],
        "fa": ["مشاوره", "کجا مشاوره بگیرم؟", "می‌خواهم با مشاور صحبت کنم"],
    },
}

DOCS = [
    MatchDoc(entry_id, lang, text)
    for entry_id, by_lang in CORPUS.items()
    for lang, texts in by_lang.items()
    for text in texts
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(DOCS)


# --- normalize -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Was kostet der Integrationskurs?", "was kostet der integrationskurs"),
        ("Straße, Übergang – ÉCOLE!", "strasse ubergang ecole"),
        ("كَيْفَ أُسَجِّلُ فِي دَوْرَةِ الاندماج؟", "کیف اسجل فی دوره الاندماج"),
        ("كيف اسجل في دورة", "کیف اسجل فی دوره"),
        ("إقامة ـــ مؤقتة، آمنة", "اقامه موقته امنه"),
        ("شماره ۱۲۳ و ٤٥٦", "شماره 123 و 456"),
        ("Ёлка, йогурт, сім’я, їжак", "елка йогурт сімя їжак"),
        ("ኣብ ትምህርቲ ቋንቋ፧ ምዝገባ።", "ኣብ ትምህርቲ ቋንቋ ምዝገባ"),
        ("İstanbul ılık şöyle çok", "istanbul ilik soyle cok"),
        ("a\u202eb\u200bc\u0000d\te\n\nf", "abcd e f"),
        ("😀 hi!!  \u00a0 there", "hi there"),
    ],
)
def test_normalize_folds_what_people_vary(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


UNICODE_MESS = st.text(
    alphabet=st.one_of(
        st.characters(codec=None),
        st.sampled_from("\u202e\u202d\u200f\u200b\u200c\ufeff\u0000\u0007\x85\u2028😀👍🏽🇩🇪ـً"),
    )
)


@settings(max_examples=300, deadline=None)
@given(UNICODE_MESS)
def test_normalize_is_total_and_clean(text: str) -> None:
    result = normalize(text)
    assert result == result.strip()
    assert "  " not in result
    assert all(ch.isprintable() for ch in result)


@pytest.mark.parametrize("char", ["a", "\ud800", "😀", "\u202e", "ك", "\u0301"])
def test_normalize_handles_100k_chars(char: str) -> None:
    assert isinstance(normalize(char * 100_000), str)


# --- rank / match ----------------------------------------------------------------------------


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: f"{d.entry_id}/{d.lang}/{d.text}")
def test_exact_variant_is_confident(matcher: Matcher, doc: MatchDoc) -> None:
    result = matcher.match(doc.text, doc.lang)
    assert result.confidence is Confidence.CONFIDENT
    assert [c.entry_id for c in result.candidates] == [doc.entry_id]


@pytest.mark.parametrize(
    ("text", "lang", "expect"),
    [
        ("integrationskurss kosten", "de", "integration-course-costs"),
        ("arbeitserlaubniss bekomen", "de", "work-permit"),
        ("how much is the integration cours", "en", "integration-course-costs"),
        # Arabic without hamza/harakat, with Persian yeh and kaf, and with full harakat.
        ("کیف اسجل فی دوره الاندماج", "ar", "integration-course"),
        ("كَيْفَ أُسَجِّلُ فِي دَوْرَةِ الِانْدِمَاجِ", "ar", "integration-course"),
        ("اجازه كار", "fa", "work-permit"),
        # A German word inside an Arabic or Farsi sentence.
        ("أريد التسجيل في Integrationskurs", "ar", "integration-course"),
        ("میخواهم در Integrationskurs ثبت نام کنم", "fa", "integration-course"),
        ("كيف أجد Ausbildung", "ar", "vocational-training"),
        # No docs in the user's language: other languages still count, with a penalty.
        ("Arbeitserlaubnis bekommen", "uk", "work-permit"),
    ],
)
def test_informal_questions_rank_the_right_entry_first(
    matcher: Matcher, text: str, lang: str, expect: str
) -> None:
    result = matcher.match(text, lang)
    assert result.confidence is not Confidence.NONE
    assert result.candidates[0].entry_id == expect


def test_keyword_wins_over_the_rest_of_the_sentence_matching_another_entry(
    matcher: Matcher,
) -> None:
    # "چطور ... پیدا کنم" (how do I find) is nearly a job-search variant and "ausbildung" alone a
    # vocational-training one; the entries' variants together say it is about the training.
    assert matcher.rank("ausbildung چطور پیدا کنم", "fa")[0].entry_id == "vocational-training"


@pytest.mark.parametrize(
    "text", ["xqzv blorft wmpk", "asdfgh", "ok", "é", "12345", "٣٤٥", "😀😀😀", "   ", "?!"]
)
def test_gibberish_short_and_digits_match_nothing(matcher: Matcher, text: str) -> None:
    assert matcher.match(text, "de") == MatchResult(Confidence.NONE, ())


@pytest.mark.parametrize(("text", "lang"), [("kurs", "de"), ("course", "en")])
def test_ambiguous_question_offers_a_few_distinct_entries(
    matcher: Matcher, text: str, lang: str
) -> None:
    result = matcher.match(text, lang)
    ids = [c.entry_id for c in result.candidates]
    assert result.confidence is Confidence.UNSURE
    assert 2 <= len(ids) <= 3
    assert len(set(ids)) == len(ids)
    assert {"integration-course", "integration-course-costs"} <= set(ids)
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)


def test_rank_is_deterministic_and_independent_of_doc_order(matcher: Matcher) -> None:
    reordered = Matcher(reversed(DOCS))
    for text, lang in [("kurs", "de"), ("ich suche arbeit", "de"), ("دورة", "ar"), ("کار", "fa")]:
        first = matcher.rank(text, lang, limit=8)
        assert matcher.rank(text, lang, limit=8) == first
        assert reordered.rank(text, lang, limit=8) == first


def test_rank_respects_limit_and_returns_distinct_entries(matcher: Matcher) -> None:
    ranked = matcher.rank("Integrationskurs", "de", limit=2)
    assert len(ranked) == 2
    assert len({c.entry_id for c in ranked}) == 2
    assert matcher.rank("Integrationskurs", "de", limit=0) == []


def test_courtesy_words_are_left_out_of_questions_and_variants() -> None:
    """A greeting in one long variant would tie every greeting to it, and a greeting before a
    question would weigh against the variants that do not greet."""
    docs = [MatchDoc("privacy", "en", "Hello, I want to delete everything I wrote in this chat"),
            MatchDoc("job-search", "en", "How do I find a job?")]
    plain = Matcher(docs)
    polite = Matcher(docs, courtesy=PhraseSet([("courtesy", parse_phrase("hello|hi|please")),
                                               ("courtesy", parse_phrase("thank you"))]))
    assert plain.match("hello", "en").confidence is not Confidence.NONE  # the premise
    assert polite.match("hello", "en") == MatchResult(Confidence.NONE, ())
    assert polite.match("hi, thank you", "en") == MatchResult(Confidence.NONE, ())
    assert polite.rank("hi please how do I find a job", "en", 1)[0].score == pytest.approx(
        polite.rank("how do I find a job", "en", 1)[0].score)
    assert polite.match("i want to delete everything i wrote in this chat", "en").candidates[
        0].score == 100.0  # the variant without its greeting, word for word


def test_empty_matcher_matches_nothing() -> None:
    assert Matcher([]).match("Integrationskurs", "de") == MatchResult(Confidence.NONE, ())


@settings(max_examples=200, deadline=None)
@given(text=UNICODE_MESS, lang=st.sampled_from(["de", "ar", "fa", "ti", ""]))
def test_rank_and_match_never_raise(matcher: Matcher, text: str, lang: str) -> None:
    ranked = matcher.rank(text, lang)
    assert all(0 <= c.score <= 100 for c in ranked)
    result = matcher.match(text, lang)
    assert len(result.candidates) <= 3


@pytest.mark.parametrize("unit", ["Integrationskurs ", "\u202eكيف ", "😀\u0000", "x"])
def test_rank_and_match_survive_100k_chars(matcher: Matcher, unit: str) -> None:
    text = (unit * 100_000)[:100_000]
    assert isinstance(matcher.rank(text, "de"), list)
    assert isinstance(matcher.match(text, "ar"), MatchResult)


# --- evaluation ------------------------------------------------------------------------------


def test_evaluate_counts_top1_and_top3(matcher: Matcher) -> None:
    cases = [
        EvalCase("Was kostet der Integrationskurs?", "de", "integration-course-costs"),  # top 1
        EvalCase("kurs", "de", "integration-course-costs"),  # offered second: top 3 only
        EvalCase("xqzv blorft wmpk", "de", None),  # nothing expected, nothing shown
        EvalCase("Arbeitserlaubnis", "de", "job-search"),  # miss
    ]
    report = evaluate(matcher, Signals([]), cases, emergency_id=None)
    assert (report.n, report.top1, report.top3) == (4, 0.5, 0.75)
    assert {key: value for key, value in report.to_json().items()
            if key in ("n", "top1", "top3", "misses")} == {
        "n": 4,
        "top1": 0.5,
        "top3": 0.75,
        "misses": [
            {"text": "kurs", "lang": "de", "expect": "integration-course-costs",
             "got": ["integration-course", "integration-course-costs"]},
            {"text": "Arbeitserlaubnis", "lang": "de", "expect": "job-search",
             "got": ["work-permit"]},
        ],
    }


def test_evaluate_judges_crises_and_requests_for_a_human_by_the_signals(matcher: Matcher) -> None:
    signals = Signals([SignalPhrases("en", (
        ("crisis:violence:clear", parse_phrase("kill me")),
        ("crisis:suicide:unsure", parse_phrase("end it")),
        ("human", parse_phrase("talk person")),
    ))])
    cases = [
        EvalCase("he wants to kill me", "en", "emergency"),  # at once
        EvalCase("i want to end it", "en", "emergency"),  # asked about
        EvalCase("my house is on fire", "en", "emergency"),  # missed
        EvalCase("can i talk to a person", "en", "counsellor"),  # recognised
        EvalCase("they kill me with their music all night", "en", None,
                 tag="near-miss"),  # a false alarm: the emergency page
        EvalCase("they kill me, was kostet der integrationskurs", "de", "integration-course-costs",
                 tag="near-miss"),  # asks a question too: asked about, "no" leads to the answer
    ]
    report = evaluate(matcher, signals, cases, emergency_id=None)
    overall = report.overall
    assert (overall["crisis_recall"], overall["crisis_recall_asked"]) == (1 / 3, 2 / 3)
    assert (overall["human_recall"], overall["false_alarms"], overall["near_miss_alarms"]) == (
        1.0, 1 / 3, 1 / 2)
    assert overall["danger_asked"] == 1 / 3, report.misses
    assert (overall["questions"], overall["top1"]) == (2, 0.5), report.misses
    assert report.misses[-1]["got"] == ["emergency"]
    assert set(report.languages) == {"de", "en"} and report.languages["en"]["crises"] == 3
    assert {"expect": "emergency", "got": None, "count": 1} in report.confused


def test_evaluate_of_no_cases_is_empty(matcher: Matcher) -> None:
    assert evaluate(matcher, Signals([]), [], emergency_id=None).to_json() == {
        "n": 0, "top1": 0.0, "top3": 0.0, "misses": [], "overall": {}, "languages": {},
        "confused": []}


def test_load_eval_cases_reads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(
        "- {text: 'Was kostet der Kurs?', lang: de, expect: integration-course-costs}\n"
        "- text: asdf qwer\n  lang: en\n  expect: null\n"
        "- {text: 'Notfall Kurs', lang: de, expect: course-search, tag: near-miss}\n",
        encoding="utf-8",
    )
    assert load_eval_cases(path) == [
        EvalCase("Was kostet der Kurs?", "de", "integration-course-costs"),
        EvalCase("asdf qwer", "en", None),
        EvalCase("Notfall Kurs", "de", "course-search", "near-miss"),
    ]


def test_load_eval_cases_reads_a_folder_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "en.yaml").write_text("- {text: help, lang: en, expect: counsellor}\n",
                                      encoding="utf-8")
    (tmp_path / "de.yaml").write_text("- {text: Hilfe, lang: de, expect: counsellor}\n",
                                      encoding="utf-8")
    (tmp_path / "README.md").write_text("not a set", encoding="utf-8")
    assert load_eval_cases(tmp_path) == [EvalCase("Hilfe", "de", "counsellor"),
                                         EvalCase("help", "en", "counsellor")]


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("- {text: a, lang: de, expect: x}\n- {text: b, expect: y}\n", r"item 1: 'lang'"),
        ("- {text: a, lang: de}\n", r"item 0: 'expect' is missing"),
        ("- {text: a, lang: de, expect: x, extra: 1}\n", r"item 0: unknown key\(s\) extra"),
        ("- just a string\n", r"item 0: expected a mapping"),
        ("- {text: a, lang: de, expect: [x]}\n", r"item 0: 'expect' must be"),
        ("- {text: a, lang: de, expect: x, tag: 3}\n", r"item 0: 'tag' must be"),
        ("text: a\n", r"expected a list"),
        ("- [unclosed\n", r"not valid YAML"),
    ],
)
def test_load_eval_cases_names_the_malformed_item(
    tmp_path: Path, yaml_text: str, message: str
) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_eval_cases(path)
