"""What one person can cause: the token bucket behind the throttle, and the cap on the messages
one update sends."""
from __future__ import annotations

from bot.channels.telegram.render import MAX_MESSAGES_PER_UPDATE, outgoing
from bot.channels.telegram.throttle import FORGET_AFTER, TokenBuckets, Verdict
from bot.core import telegram_html
from bot.core.events import Button, Reply, ReplyKind


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_passes_the_burst_is_warned_once_and_the_rest_is_dropped() -> None:
    clock = Clock()
    buckets = TokenBuckets(burst=8, per_second=1.0, clock=clock)
    verdicts = [buckets.take(7) for _ in range(30)]
    assert verdicts == [Verdict.PASS] * 8 + [Verdict.WARN] + [Verdict.DROP] * 21
    assert buckets.take(8) is Verdict.PASS  # someone else is not affected

    clock.now += 1.0  # one token back: one message passes, the flood goes on without a new warning
    assert [buckets.take(7) for _ in range(3)] == [Verdict.PASS, Verdict.DROP, Verdict.DROP]
    clock.now += 2.5
    assert [buckets.take(7) for _ in range(3)] == [Verdict.PASS, Verdict.PASS, Verdict.DROP]

    clock.now += 8.0  # quiet until the bucket is full: a new flood is warned about again
    verdicts = [buckets.take(7) for _ in range(10)]
    assert verdicts == [Verdict.PASS] * 8 + [Verdict.WARN, Verdict.DROP]


def test_steady_writing_within_the_rate_is_never_throttled() -> None:
    clock = Clock()
    buckets = TokenBuckets(burst=3, per_second=0.5, clock=clock)
    for _ in range(100):
        assert buckets.take(1) is Verdict.PASS
        clock.now += 2.0


def test_quiet_people_are_forgotten() -> None:
    clock = Clock()
    buckets = TokenBuckets(burst=2, per_second=1.0, clock=clock)
    for key in range(FORGET_AFTER):
        buckets.take(key)
    buckets.take(-1)  # nobody is quiet yet: all are kept
    assert len(buckets.buckets) == FORGET_AFTER + 1
    clock.now += 1.0
    buckets.take(-2)  # everyone's bucket is full again
    assert list(buckets.buckets) == [-2]


def reply(paragraphs: int, kind: ReplyKind = ReplyKind.ANSWER) -> Reply:
    text = "\n\n".join(f"<b>{i}</b> " + "word " * 700 for i in range(paragraphs))
    return Reply(text, ((Button("Menu", data="1:0"),),), kind)


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
