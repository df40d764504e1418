"""What `/metrics` shows, in Prometheus' text format: the counters Lotse keeps as it works, the
outbox backlog read from the database at scrape time, and the process's own figures.

Labels name kinds of things (an update type, a match outcome, a case outcome, a retry reason),
never a person: no user id, chat id, name or text ever becomes a label value. Each process keeps
its own counters; with several instances Prometheus scrapes each one and sums them."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder

from bot.core.case_note import OUTCOMES
from bot.core.events import CrisisSignal, Effect, Matched
from bot.core.matcher import Confidence
from bot.core.signals import CrisisKind

REGISTRY = CollectorRegistry()
"""Lotse's metrics and the process collectors (not prometheus_client's global registry)."""

disable_created_metrics()  # no `*_created` series: Prometheus knows when a counter restarted
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

UPDATES = Counter("lotse_updates", "Telegram updates handled (after de-duplication), by type.",
                  ["type"], registry=REGISTRY)
DUPLICATE_UPDATES = Counter("lotse_updates_duplicate", "Updates ignored because they were "
                            "handled before (Telegram delivered them again).", registry=REGISTRY)
REPLIES = Counter("lotse_replies", "Direct replies to people: messages sent, or menus edited in "
                  "place.", ["how"], registry=REGISTRY)
MATCHES = Counter("lotse_matches", "Typed questions through the FAQ matcher, by outcome: "
                  "confident (answered), unsure (choices offered), none.", ["outcome"],
                  registry=REGISTRY)
CASES_OPENED = Counter("lotse_cases_opened", "Cases opened (handoffs to a counsellor).",
                       registry=REGISTRY)
CASES_CLAIMED = Counter("lotse_cases_claimed", "Cases claimed by a counsellor: claimed, or "
                        "taken_over from another.", ["how"], registry=REGISTRY)
CASES_CLOSED = Counter("lotse_cases_closed", "Cases closed, by outcome (deleted: the person "
                       "erased their data).", ["outcome"], registry=REGISTRY)
OUTBOX_DELIVERED = Counter("lotse_outbox_delivered", "Outbox messages delivered, by kind.",
                           ["kind"], registry=REGISTRY)
OUTBOX_DROPPED = Counter("lotse_outbox_dropped", "Outbox messages that can never arrive (blocked, "
                         "gone, given up), by kind.", ["kind"], registry=REGISTRY)
SEND_RETRIES = Counter("lotse_send_retries", "Calls to Telegram that failed and are tried again, "
                       "by path (reply, outbox, setup) and reason (429, 5xx, network, other).",
                       ["path", "reason"], registry=REGISTRY)
OUTBOX_BACKLOG = Gauge("lotse_outbox_backlog", "Outbox messages waiting for delivery, by kind "
                       "and destination (read from the database at scrape time).",
                       ["kind", "destination"], registry=REGISTRY)
OUTBOX_OLDEST = Gauge("lotse_outbox_oldest_seconds", "Age of the oldest outbox message waiting "
                      "for delivery, by kind and destination.", ["kind", "destination"],
                      registry=REGISTRY)

CRISIS_SIGNALS = Counter("lotse_crisis_signals", "Messages read as a crisis, by kind "
                         "(bot/core/signals.py) and whether it was clear (certain=true: the "
                         "emergency numbers at once, or a 'yes' to the question) or possible "
                         "(certain=false: asked 'Are you in danger right now?').",
                         ["kind", "certain"], registry=REGISTRY)
SEMANTIC_REQUESTS = Counter("lotse_semantic_requests", "Typed questions for the optional "
                            "semantic layer (bot/semantic/layer.py), by outcome: ok, timeout, error "
                            "(the embeddings server's), not_ready (not sent: its index for the "
                            "live content is not built).", ["outcome"], registry=REGISTRY)

TRANSLATIONS = Counter("lotse_translations", "Texts through the machine translator "
                       "(bot/translation/), by provider and outcome: translated, cached (a "
                       "provider's earlier answer), passed (not sent: not routed, same language, "
                       "nothing to translate), failed (the original went through, marked).",
                       ["provider", "outcome"], registry=REGISTRY)
TRANSLATION_FAILURES = Counter("lotse_translation_failures", "Translations that failed, by "
                               "provider and reason (timeout, server_error, rate_limited, "
                               "rejected, network, malformed, placeholders, markup, unexpected).",
                               ["provider", "reason"], registry=REGISTRY)
TRANSLATION_SECONDS = Histogram("lotse_translation_seconds", "Seconds a text waited for its "
                                "provider, retries included (not the cached ones), by provider.",
                                ["provider"], registry=REGISTRY,
                                buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30))

VOICE_NOTES = Counter("lotse_voice_notes", "Texts read aloud as voice notes, by how: piper, "
                      "espeak (synthesized), recording (the county's), reused (Telegram's file "
                      "id of one sent before), no_voice (the person's language has none).",
                      ["how"], registry=REGISTRY)
TRANSCRIPTIONS = Counter("lotse_transcriptions", "Voice notes from people, by outcome: "
                         "understood, empty (nothing understood, failed or timed out), "
                         "too_long, not_covered (a language the transcriber does not cover, "
                         "or none configured).", ["outcome"], registry=REGISTRY)
VOICE_LANGUAGES = Gauge("lotse_voice_languages", "Languages with a voice that reads aloud "
                        "(what=speaker) and with a transcriber (what=transcriber).", ["what"],
                        registry=REGISTRY)

RETRY_REASONS = ("429", "5xx", "network", "other")
VOICE_NOTE_HOWS = ("piper", "espeak", "recording", "reused", "no_voice")
TRANSCRIPTION_OUTCOMES = ("understood", "empty", "too_long", "not_covered")
SEMANTIC_OUTCOMES = ("ok", "timeout", "error", "not_ready")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _start_at_zero() -> None:
    """Show the label values known in advance at 0 from the start, so that rate() and alerts
    see them before the first one happens."""
    for confidence in Confidence:
        MATCHES.labels(confidence.value)
    for how in ("sent", "edited"):
        REPLIES.labels(how)
    for how in ("claimed", "taken_over"):
        CASES_CLAIMED.labels(how)
    for outcome in OUTCOMES:
        CASES_CLOSED.labels(outcome)
    for path in ("reply", "outbox", "setup"):
        for reason in RETRY_REASONS:
            SEND_RETRIES.labels(path, reason)
    for outcome in SEMANTIC_OUTCOMES:
        SEMANTIC_REQUESTS.labels(outcome)
    for how in VOICE_NOTE_HOWS:
        VOICE_NOTES.labels(how)
    for outcome in TRANSCRIPTION_OUTCOMES:
        TRANSCRIPTIONS.labels(outcome)
    for what in ("speaker", "transcriber"):
        VOICE_LANGUAGES.labels(what)
    for kind in CrisisKind:
        for certain in (True, False):
            CRISIS_SIGNALS.labels(kind.value, _flag(certain))


_start_at_zero()


def retry_reason(exc: BaseException) -> str:
    """The `reason` label of a failed call: 429, 5xx, network (timeout, connection) or other."""
    # Imported here, not at the top: importing aiogram costs seconds of CPU, and every `lotse`
    # command imports this module (through bot.services.conversation), the console chat and the content
    # commands too, which never talk to Telegram. A failed Bot API call has imported it already.
    from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError

    if isinstance(exc, TelegramRetryAfter):
        return "429"
    if isinstance(exc, TelegramServerError):
        return "5xx"
    if isinstance(exc, TelegramNetworkError):
        return "network"
    return "other"


def count_crisis(signal: CrisisSignal) -> None:
    CRISIS_SIGNALS.labels(signal.kind, _flag(signal.certain)).inc()


def count_matches(effects: Iterable[Effect]) -> None:
    for effect in effects:
        if isinstance(effect, Matched):
            MATCHES.labels(effect.confidence.value).inc()


@dataclass(frozen=True)
class Waiting:
    """Outbox messages of one kind waiting for delivery (`bot.handoff.outbox.backlog` reads
    them)."""

    kind: str
    destination: str
    count: int
    oldest_seconds: float


def show_outbox_backlog(backlog: Iterable[Waiting]) -> None:
    """Set the backlog gauges; kinds with nothing waiting disappear from the output."""
    OUTBOX_BACKLOG.clear()
    OUTBOX_OLDEST.clear()
    for waiting in backlog:
        OUTBOX_BACKLOG.labels(waiting.kind, waiting.destination).set(waiting.count)
        OUTBOX_OLDEST.labels(waiting.kind, waiting.destination).set(waiting.oldest_seconds)


def exposition(accept: str | None) -> tuple[bytes, str]:
    """Everything in the registry and its content type: Prometheus' text format, or OpenMetrics
    when the scraper's Accept header asks for it."""
    encode, content_type = choose_encoder(accept or "")
    return encode(REGISTRY), content_type
