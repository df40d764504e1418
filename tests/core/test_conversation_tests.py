"""The conversation-test runner on the fixture content (tests/data/content_check/base): a passing
script, each kind of failed expectation with its exact line, and files an admin got wrong."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.core.content.model import Content
from bot.core.conversation_tests import run_folder, summary


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty conversations/ folder, named relative to the working folder as in the CLI."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conversations").mkdir()
    return tmp_path / "conversations"


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def lines(content: Content, folder: Path) -> list[str]:
    return [str(p) for p in run_folder(content, folder).problems]


def test_a_passing_conversation(content: Content, folder: Path) -> None:
    write(folder, "courses.yaml", """
        - name: residence permit, then beginner
          language: en
          steps:
            - expect: {text: "What would you like to know?", buttons: [German courses]}
            - press: german courses          # labels compare without case and symbols
              expect: {node: courses/start}
            - press: May I take part?
              expect: {asks: residence_status, node: courses/ask-status}
            - press: Residence permit
              expect:
                entry: integration-course
                asks: german_level
                buttons: [Beginner, Advanced, Back, Menu]
            - type: "1"
              expect: {entry: course-costs, text: "The course costs 2.29 euros per lesson."}
            - command: counsellor
              expect: {asks: consent, buttons: [I agree, "No, thanks"]}
        - name: typed in German
          language: de
          steps:
            - type: was kostet der integrationskurs
              expect: {entry: course-costs}
            - command: language en
              expect: {text: "What would you like to know?"}
        """)
    result = run_folder(content, folder)
    assert result.problems == []
    assert (result.files, result.conversations, result.failed) == (1, 2, 0)
    assert summary(result) == "2 of 2 conversation(s) passed, 0 failed, in 1 file(s)"


def test_each_failed_expectation_names_its_line(content: Content, folder: Path) -> None:
    write(folder, "failing.yaml", """
        - name: wrong entry
          language: en
          steps:
            - type: how much does the integration course cost
              expect: {entry: integration-course}
        - name: wrong question
          language: en
          steps:
            - press: German courses
            - press: May I take part?
              expect:
                node: courses/ask-status
                asks: german_level
        - name: wrong node
          language: en
          steps:
            - press: German courses
              expect: {node: courses/ask-status}
        - name: wrong text
          language: en
          steps:
            - press: German courses
              expect: {text: "What do you want to know?"}
        - name: missing button
          language: en
          steps:
            - press: German courses
              expect: {buttons: [Costs, Prices]}
        - name: no such button
          language: en
          steps:
            - press: Housing
            - press: German courses
        - name: nothing asked in the menu
          language: en
          steps:
            - expect: {asks: consent, entry: course-costs}
        """)
    result = run_folder(content, folder)
    assert (result.conversations, result.failed) == (7, 7)
    assert [str(p) for p in result.problems] == [
        "conversations/failing.yaml:5: wrong entry: expected FAQ entry integration-course, "
        "got course-costs",
        "conversations/failing.yaml:13: wrong question: expected a question for german_level, "
        "got a question for residence_status",
        "conversations/failing.yaml:18: wrong node: expected node courses/ask-status, "
        "got node courses/start",
        "conversations/failing.yaml:23: wrong text: expected a text containing \"What do you "
        "want to know?\", got \"What would you like to know about German courses?\"",
        "conversations/failing.yaml:28: missing button: expected buttons \"Costs\", \"Prices\", "
        "got \"What is an integration course?\", \"May I take part?\", \"Costs\", "
        "\"Work and jobs\", \"◀ Back\", \"☰ Menu\", \"👤 Counsellor\"",
        "conversations/failing.yaml:32: no such button: expected a button \"Housing\", "
        "got \"German courses\", \"Work\", \"👤 Talk to a counsellor\", \"🌐 Language\"",
        "conversations/failing.yaml:37: nothing asked in the menu: expected FAQ entry "
        "course-costs, got no entry; expected a question for consent, got no question",
    ]


def test_sections_and_absent_text_name_their_lines(shipped_content: Content,
                                                   folder: Path) -> None:
    write(folder, "sections.yaml", """
        - name: the Duldung rule, expected for the asylum procedure
          language: de
          steps:
            - type: darf ich arbeiten
              expect: {sections: {}, not_text: § 60b}
            - press: Duldung
              expect: {sections: {residence_status: [asylum]}}
        - name: a rule that must not be shown
          language: de
          steps:
            - type: darf ich arbeiten
            - press: Duldung
              expect: {not_text: § 60b}
        """)
    assert lines(shipped_content, folder) == [
        "conversations/sections.yaml:7: the Duldung rule, expected for the asylum procedure: "
        "expected the sections residence_status: asylum, got residence_status: asylum, "
        "duldung, residence_status: duldung",
        "conversations/sections.yaml:13: a rule that must not be shown: expected a text "
        "without \"§ 60b\", got \"Darf ich arbeiten? Duldung: Die Erlaubnis wird in der Regel "
        "erteilt. Ausnahmen: ein Arbeitsverbot na…\""]


def test_a_conversation_stops_at_its_first_failure(content: Content, folder: Path) -> None:
    write(folder, "stops.yaml", """
        - name: two wrong steps
          language: en
          steps:
            - press: German courses
              expect: {node: courses/ask-status}
            - press: Costs
              expect: {entry: integration-course}
        """)
    assert lines(content, folder) == [
        "conversations/stops.yaml:5: two wrong steps: expected node courses/ask-status, "
        "got node courses/start"]


def test_mistakes_in_the_files_are_reported_like_the_content_check(content: Content,
                                                                   folder: Path) -> None:
    write(folder, "a-syntax.yaml", """
        - name: broken
          language: en
          steps: [
        """)
    write(folder, "b-not-a-list.yaml", """
        name: not a list
        language: en
        """)
    write(folder, "c-keys.yaml", """
        - name: misspelt key
          language: en
          steps:
            - press: German courses
              expct: {node: courses/start}
        - name: two actions
          language: en
          steps:
            - press: German courses
              type: costs
        - name: a number
          language: en
          steps:
            - type: 85521
        - name: empty expect
          language: en
          steps:
            - expect: {}
        - language: en
          steps:
            - command: menu
        """)
    write(folder, "d-references.yaml", """
        - name: unknown things
          language: xx
          steps:
            - expect: {entry: course-cost, node: courses/asks-status, asks: residence}
        - name: fine
          language: en
          steps:
            - command: menu
        """)
    result = run_folder(content, folder)
    assert [str(p) for p in result.problems] == [
        "conversations/a-syntax.yaml:4: YAML syntax: expected the node content, but found "
        "'<stream end>'",
        "conversations/b-not-a-list.yaml:1: expected a list of conversations, each starting "
        "with '- name:' and having 'language' and 'steps'",
        "conversations/c-keys.yaml:5: unknown key 'expct'; did you mean 'expect'?",
        "conversations/c-keys.yaml:9: a step is one of 'type', 'press' or 'command' (with an "
        "optional 'expect'), or an 'expect' alone",
        "conversations/c-keys.yaml:14: 'type': YAML reads 85521 as the number 85521, not as "
        "text; put it in quotes: \"85521\"",
        "conversations/c-keys.yaml:18: 'expect' needs at least one of entry, asks, node, text, "
        "not_text, buttons, sections",
        "conversations/c-keys.yaml:19: missing key 'name'",
        "conversations/d-references.yaml:2: language 'xx' is not listed in faq/languages.yaml",
        "conversations/d-references.yaml:4: FAQ entry 'course-cost' does not exist; did you "
        "mean 'course-costs'?",
        "conversations/d-references.yaml:4: node 'courses/asks-status' does not exist; did you "
        "mean 'courses/ask-status'?",
        "conversations/d-references.yaml:4: no flow or intake step asks for 'residence'; did you "
        "mean 'residence_status'?",
    ]
    assert (result.files, result.conversations, result.failed) == (4, 7, 6)


def test_no_folder_means_nothing_to_run(content: Content, tmp_path: Path) -> None:
    result = run_folder(content, tmp_path / "conversations")
    assert (result.files, result.conversations, result.problems) == (0, 0, [])
