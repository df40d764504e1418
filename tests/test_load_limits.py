"""What one person can cause: the cap on the messages one update sends (the throttle's token
bucket: tests/shared/test_buckets.py)."""
from __future__ import annotations

from bot.channels.telegram.render import MAX_MESSAGES_PER_UPDATE, outgoing
from bot.core import telegram_html
from bot.core.events import Button, Choice, Reply, ReplyKind


def reply(paragraphs: int, kind: ReplyKind = ReplyKind.ANSWER) -> Reply:
    text = "\n\n".join(f"<b>{i}</b> " + "word " * 700 for i in range(paragraphs))
    return Reply(text, ((Button("Menu", data=Choice(1, 0)),),), kind)


def test_one_update_never_sends_more_than_five_messages() -> None:
    long = reply(12)  # about 4 messages on its own
    assert len(telegram_html.split(long.text)) > MAX_MESSAGES_PER_UPDATE - 2
    sent = outgoing([long, reply(1), reply(6, ReplyKind.MENU)])
    counts = [len(parts) for _, parts in sent]
    assert sum(counts) == MAX_MESSAGES_PER_UPDATE and counts[1] == 1 and counts[2] >= 1
    for original, parts in sent:
        assert parts[-1].keyboard is not None  # the buttons survive the cut
        assert all(p.keyboard is None for p in parts[:-1])
        assert parts[0].text == telegram_html.split(original.text)[0]
    many = outgoing([reply(1)] * 7 + [reply(1, ReplyKind.MENU)])
    assert len(many) == MAX_MESSAGES_PER_UPDATE and many[-1][0].kind is ReplyKind.MENU


def test_short_replies_are_not_touched() -> None:
    replies = [reply(1), reply(1, ReplyKind.MENU)]
    assert [len(parts) for _, parts in outgoing(replies)] == [1, 1]
