"""The one JSON form of a `Reply` (`Reply.as_json` / `Reply.from_json`), which the replay record
and the outbox's reply rows keep, and the two forms kept before it, still read."""
from __future__ import annotations

import json

from bot.core.events import Button, Choice, Reply, ReplyKind

REPLY = Reply("<b>Hallo</b> 🙂", ((Button("Ja", Choice(3, 0)), Button("Nein", Choice(3, 1))), (),
                                 (Button("🔗 Web", url="https://example.org/?a=1&b=2"),)),
              ReplyKind.MENU)


def test_a_reply_comes_back_as_it_went_through_json() -> None:
    stored = json.loads(json.dumps(REPLY.as_json()))  # as the database's JSON column keeps it
    assert Reply.from_json(stored) == REPLY
    assert Reply.from_json(Reply("Nur Text").as_json()) == Reply("Nur Text")


def test_the_forms_kept_before_are_read() -> None:
    replay_record = {"text": "<b>Hallo</b> 🙂", "kind": "menu", "buttons": [
        [["Ja", "3:0", None], ["Nein", "3:1", None]], [],
        [["🔗 Web", None, "https://example.org/?a=1&b=2"]]]}
    assert Reply.from_json(replay_record) == REPLY
    outbox_row = {"text": "Fertig", "buttons": [[{"label": "👍", "data": "4:0"}],
                                                [{"label": "Web", "url": "https://example.org"}]]}
    assert Reply.from_json(outbox_row) == Reply(
        "Fertig", ((Button("👍", Choice(4, 0)),), (Button("Web", url="https://example.org"),)))
    assert Reply.from_json({"text": "Termin", "buttons": []}) == Reply("Termin")
