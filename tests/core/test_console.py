"""The real `python -m bot chat` in a subprocess: a scripted session piped in, state kept in a
real SQLite file between two runs."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from content_cases import BASE

pytestmark = pytest.mark.e2e  # real `python -m bot chat` processes: seconds each

REPO = Path(__file__).resolve().parent.parent.parent


def chat(tmp_path: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "REDIS_URL")}
    env.update(PYTHONPATH=str(REPO), DATABASE_URL=f"sqlite:///{tmp_path / 'real.sqlite3'}",
               CONSOLE_DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
               CONTENT_ROOT=str(BASE), LOG_LEVEL="WARNING")
    return subprocess.run([sys.executable, "-m", "bot", "chat", *args], input="\n".join(lines) + "\n",
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def screens(output: str) -> list[str]:
    return [s for s in output.split("\n\n") if s.strip()]


def test_a_scripted_session_and_its_continuation(tmp_path: Path) -> None:
    first = chat(tmp_path, [
        "1",                       # main menu → German courses
        "3",                       # → Costs (an FAQ answer from the flow)
        "/menu",
        "how long does the integration course take",   # free text, matched
        "xyzzy banana",            # no answer
        "2",                       # → Talk to a counsellor
    ], "--lang", "en")
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert out.startswith("Hello! I am Lotse, the digital assistant of the Test Town Advice Centre.")
    assert "  [1] German courses\n  [2] Work\n  [3] 👤 Talk to a counsellor\n  [4] 🌐 Language" in out
    assert "What would you like to know about German courses?\n  [1] What is an integration course?" \
        in out
    assert "How much does the course cost?\n\nThe course costs 2.29 euros per lesson.\n" \
           "  [1] ◀ Back\n  [2] ☰ Menu" in out
    assert ("What is an integration course?\n\nThe integration course has a language part and an "
            "orientation part.\n\nQuestions? Call +49 89 1234-5678.\n"
            "   🔗 More about the course: https://example.org/integration-course\n"
            "  [1] 👤 Talk to a counsellor\n  [2] ☰ Menu") in out
    assert "Sorry, I found no answer to that. Try other words, choose a topic, or talk to a " \
           "counsellor.\n  [1] ☰ Menu\n  [2] 👤 Talk to a counsellor" in out
    # "Talk to a counsellor": consent comes first, in plain words, with Agree / No thanks
    assert out.rstrip().endswith("Do you agree?\n  [1] ✓ I agree\n  [2] ✗ No, thanks")
    assert "Before a counsellor can help you:\n\n• We will ask you a few questions" in out
    assert "<b>" not in out and "\u200f" not in out and "Traceback" not in first.stderr
    # piped input is echoed above its answer: the output reads as a transcript
    assert "  [4] 🌐 Language\n\n> 1\nWhat would you like to know about German courses?" in out
    assert "\n\n> how long does the integration course take\nWhat is an integration course?" \
        in out

    # The same database: the language is remembered (no picker) and so is the miss count.
    second = chat(tmp_path, ["qwertz uiop", "1"])
    assert second.returncode == 0, second.stderr
    out = second.stdout
    assert out.startswith("Hello! I am Lotse") and "Please choose your language" not in out
    # the second miss in a row (the first was in the last run): the counsellor comes first
    assert ("I still have no answer to that. A counsellor can help you personally.\n"
            "  [1] 👤 Talk to a counsellor\n  [2] ☰ Menu") in out
    assert out.rstrip().endswith("Do you agree?\n  [1] ✓ I agree\n  [2] ✗ No, thanks")


def saved_state(tmp_path: Path) -> dict[str, object]:
    with sqlite3.connect(tmp_path / "x.sqlite3") as db:
        rows = db.execute("SELECT data FROM conversation_states").fetchall()
    assert len(rows) == 1
    return json.loads(rows[0][0])


def test_the_second_run_keeps_what_the_first_collected(tmp_path: Path) -> None:
    first = chat(tmp_path, ["2", "2", "2020"], "--lang", "en")  # Work → year → postcode?
    assert first.returncode == 0, first.stderr
    assert first.stdout.rstrip().endswith("What is your postcode?\n  [1] ◀ Back\n"
                                          "  [2] ☰ Menu\n  [3] 👤 Counsellor")
    state = saved_state(tmp_path)
    assert (state["locale"], state["flow"], state["node"]) == ("en", "work", "ask-postcode")
    assert state["fields"] == {"arrival_year": "2020"}
    screen = state["screen"]

    # Opening the chat again greets with the main menu; typed numbers act on what it shows.
    second = chat(tmp_path, ["2", "2", "1999", "12345"])
    assert second.returncode == 0, second.stderr
    assert "Please choose your language" not in second.stdout
    assert "In which year did you arrive?" in second.stdout
    assert "How do I find a job?\n\nThe job centre helps you look for work." in second.stdout
    state = saved_state(tmp_path)
    assert state["fields"] == {"arrival_year": "1999", "postcode": "12345"}
    assert state["shown"] == ["job-search"] and state["screen"] > screen


def test_a_case_tried_in_the_console_stays_in_the_consoles_database(tmp_path: Path) -> None:
    result = chat(tmp_path, [
        "3", "1",                               # Talk to a counsellor → I agree
        "1", "1", "1", "how do I register",     # topic, residence, German level, question
        "2", "+49 151 23456789", "1", "Amal",   # phone call back, the number, morning, name
        "1",                                    # ✓ Send
    ], "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "Sent. Your case number is #1." in result.stdout
    assert "own database (CONSOLE_DATABASE_URL)" in result.stderr
    with sqlite3.connect(tmp_path / "x.sqlite3") as db:
        counts = [db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("cases", "outbox_messages")]
    assert counts == [1, 1]  # the case and its note wait in the console's database …
    assert not (tmp_path / "real.sqlite3").exists()  # … the real one was never even opened


def test_the_console_refuses_the_database_lotse_run_serves_from(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "REDIS_URL")}
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    env.update(PYTHONPATH=str(REPO), DATABASE_URL=url, CONSOLE_DATABASE_URL=url,
               CONTENT_ROOT=str(BASE))
    result = subprocess.run([sys.executable, "-m", "bot", "chat"], input="", cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "CONSOLE_DATABASE_URL" in result.stderr
    assert not (tmp_path / "x.sqlite3").exists()


def test_end_of_input_right_away_and_quit(tmp_path: Path) -> None:
    result = chat(tmp_path, ["/quit", "1"], "--lang", "ar")
    assert result.returncode == 0, result.stderr
    assert "[1] دورات اللغة الألمانية" in result.stdout
    # the organisation's name and the work flow have no Arabic: the default chain (ar → de)
    assert "Beratungsstelle Teststadt" in result.stdout and "[2] Arbeit" in result.stdout
    assert result.stdout.rstrip().endswith("[4] 🌐 اللغة\n\n> /quit")  # nothing after /quit


def test_unknown_language_is_refused(tmp_path: Path) -> None:
    result = chat(tmp_path, [], "--lang", "xx")
    assert result.returncode == 2
    assert "--lang xx: not one of de, en, ar, fa" in result.stderr


def test_content_match_refuses_an_unknown_language(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CONTENT_ROOT": str(BASE)}
    result = subprocess.run([sys.executable, "-m", "bot", "content", "match", "kurs", "--lang",
                             "xx"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and result.stdout == ""  # was "none:" and 0
    assert "--lang xx: not one of de, en, ar, fa" in result.stderr


def test_typing_a_number_at_the_language_picker_chooses_it(tmp_path: Path) -> None:
    result = chat(tmp_path, ["2", "1"])  # English, then the first topic
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Please choose your language." in out and "  [2] English" in out
    assert "Hello! I am Lotse, the digital assistant of the Test Town Advice Centre." in out
    assert "What would you like to know about German courses?" in out


def test_the_console_journey_intake_restart_delete_and_afresh(tmp_path: Path) -> None:
    """Start, a case with a phone number, a restart that continues, /delete in the open case,
    and a start afresh; the served database is never opened, so `lotse run` on it has nothing
    of this to deliver, and the console's own file keeps no trace of the name or the number."""
    first = chat(tmp_path, [
        "3", "1", "1", "1", "1", "how do I register",  # counsellor, agree, intake
        "2", "+49 151 23456789", "1", "Amal", "1",     # call back on this number, morning, send
    ], "--lang", "en")
    assert first.returncode == 0, first.stderr
    assert "Sent. Your case number is #1." in first.stdout

    second = chat(tmp_path, ["/delete", "1"])  # a restart: the case is still open
    assert second.returncode == 0, second.stderr
    assert "Please choose your language" not in second.stdout  # it continued
    assert "Delete everything?" in second.stdout
    assert "Done: everything is deleted." in second.stdout

    with sqlite3.connect(tmp_path / "x.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM users").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM conversation_states").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM outbox_messages").fetchone() == (0,)
        assert db.execute("SELECT user_id, phone, first_name, question, outcome FROM cases"
                          ).fetchall() == [(None, None, None, None, "deleted")]
    for file in tmp_path.glob("x.sqlite3*"):  # the database and any journal beside it
        data = file.read_bytes()
        assert b"23456789" not in data and b"Amal" not in data and b"register" not in data, file

    third = chat(tmp_path, ["1"])
    assert third.returncode == 0, third.stderr
    assert "Please choose your language" in third.stdout  # afresh: nothing was kept
    assert not (tmp_path / "real.sqlite3").exists()  # `lotse run`'s database was never opened
