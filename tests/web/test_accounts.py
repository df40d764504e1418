"""The workspace's accounts through `lotse staff` (a real SQLite file, the command as an admin
runs it), their Argon2id hashes, and the case note's Telegram HTML as the pages show it."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.channels.web.render import telegram_html
from bot.cli import main


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "lotse.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    return path


def staff(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["staff", *args])


def test_staff_add_list_and_disable(database: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert staff(monkeypatch, "add", "lena", "--name", "Lena B.",
                 stdin="a long enough password\n") == 0
    assert staff(monkeypatch, "add", "admin", "--name", "Amt", "--role", "admin",
                 stdin="another long password\n") == 0
    assert staff(monkeypatch, "list") == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "admin\tadmin\tactive\tAmt", "lena\tcounsellor\tactive\tLena B."]
    assert staff(monkeypatch, "disable", "lena") == 0
    assert staff(monkeypatch, "list") == 0
    assert "lena\tcounsellor\tdisabled\tLena B." in capsys.readouterr().out
    assert b"a long enough password" not in database.read_bytes()
    assert b"$argon2id$" in database.read_bytes()


def test_staff_add_refuses_a_short_password_a_taken_login_and_an_unknown_one(
        database: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert staff(monkeypatch, "add", "lena", "--name", "Lena", stdin="short\n") == 1
    assert "at least 12 characters" in capsys.readouterr().err
    assert staff(monkeypatch, "add", "lena", "--name", "Lena", stdin="long enough pass\n") == 0
    assert staff(monkeypatch, "add", "lena", "--name", "Lena", stdin="long enough pass\n") == 1
    assert "taken" in capsys.readouterr().err
    assert staff(monkeypatch, "add", "le na", "--name", "X", stdin="long enough pass\n") == 1
    assert staff(monkeypatch, "disable", "nobody") == 1


@pytest.mark.parametrize(("note", "shown"), [
    ("<b>Fall #1</b> · neu", "<b>Fall #1</b> · neu"),
    ("Anliegen: &lt;script&gt;alert(1)&lt;/script&gt;", "Anliegen: &lt;script&gt;alert(1)&lt;/script&gt;"),
    ("<script>alert(1)</script>", "alert(1)"),
    ('<a href="javascript:alert(1)">x</a>', "x"),
    ('<a href="https://example.org/?a=1&amp;b=2">Link</a>',
     '<a href="https://example.org/?a=1&amp;b=2" rel="noopener noreferrer">Link</a>'),
    ('<b onclick="alert(1)">x</b>', "<b>x</b>"),
])
def test_the_case_notes_html_keeps_its_few_tags_and_nothing_else(note: str, shown: str) -> None:
    assert str(telegram_html(note)) == shown
