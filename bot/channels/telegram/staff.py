"""The counsellors' side: the staff supergroup (STAFF_CHAT_ID), one forum topic per case.

Buttons on the case note claim, take over and close a case; what a counsellor writes in a case's
topic goes to the person; /note keeps an internal note, /canned sends a ready answer in the
person's language, /queue lists the cases nobody holds yet. Only members of the staff group (and
ADMIN_IDS) may act; everything else in the group is left alone. Counsellor-facing text is German.
The bot's answers in the group (`say`) are outbox rows, paced and retried with everything else the
bot posts there; a handler never waits for the group.

A module-level router like `users.py`; `install` includes it and puts what its handlers are given
into the dispatcher's data (aiogram's workflow data): `staff_chat_id`, `cases`, `staff_gate` and
`closed_told` (the cases whose topic was told once that the case is closed); `say` writes to the
`outbox` that `app.make_dispatcher` puts there."""
from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Dispatcher, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message

from bot.channels.telegram.buttons import CaseButton, CaseChoice
from bot.channels.telegram.staff_gate import StaffGate
from bot.channels.telegram.staff_messages import (
    counsellor,
    is_command,
    media_of,
    topic_link,
    topic_of,
    waiting,
)
from bot.clock import utcnow
from bot.core.case_note import OUTCOMES
from bot.core.i18n import german_name
from bot.core.telegram_html import escape
from bot.handoff.cases import Cases
from bot.handoff.delivery import Prompt
from bot.handoff.outbox import OutboxWorker
from bot.handoff.records import CaseAction, CaseRecord, Claim, Counsellor
from bot.services.conversation import Conversations

log = logging.getLogger(__name__)

ONLY_STAFF = "Nur für Beraterinnen und Berater."
CLOSED = "Fall ist geschlossen."
NOT_HERE = "Dieser Knopf gehört zu einem anderen Fall."
OUTDATED = "Dieser Knopf ist veraltet."
"""The answer to a press this version has no meaning for (another version's button, or data no
button of ours carries)."""
NOT_RELAYED = frozenset({"sticker", "animation", "audio", "video_note", "location", "contact",
                         "venue", "poll", "dice"})
"""What a counsellor may write that does not reach the person (they are told); service messages
(topic created, renamed …) are not in it and are ignored."""
IN_A_TOPIC = "Bitte im Thema eines Falls verwenden."


def in_staff_group(message: Message, staff_chat_id: int) -> bool:
    return message.chat.id == staff_chat_id


def pressed_in_staff_group(query: CallbackQuery, staff_chat_id: int) -> bool:
    return query.message is not None and query.message.chat.id == staff_chat_id


router = Router(name="staff")
router.message.filter(in_staff_group)
router.callback_query.filter(pressed_in_staff_group)


def install(dispatcher: Dispatcher, staff_chat_id: int, cases: Cases, gate: StaffGate) -> None:
    """Serve the staff group `staff_chat_id`: the router, and its handlers' data."""
    dispatcher.include_router(router)
    dispatcher["staff_chat_id"] = staff_chat_id
    dispatcher["cases"] = cases
    dispatcher["staff_gate"] = gate
    dispatcher["closed_told"] = set()


async def say(outbox: OutboxWorker, thread_id: int | None, text: str,
              rows: Iterable[Iterable[tuple[str, CallbackData]]] = ()) -> None:
    """A direct answer to a counsellor in the group (HTML) with rows of (label, what pressing
    sends), in topic `thread_id` (None: General): an outbox row (`OutboxWorker.prompt`), so it
    is paced with every other call into the group and retried, and the handler never waits."""
    buttons = tuple(tuple((label, does.pack()) for label, does in row) for row in rows)
    await outbox.prompt(thread_id, Prompt(text, tuple(row for row in buttons if row)))


async def answer(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    try:
        await query.answer(text, show_alert=alert)
    except TelegramAPIError as exc:  # too old, or answered already
        log.info("callback answer failed: %s", type(exc).__name__)


async def drop_buttons(query: CallbackQuery, text: str | None = None) -> None:
    """Take the buttons off a prompt the bot posted (and say what became of it)."""
    message = query.message
    if not isinstance(message, Message):
        return
    try:
        if text is not None:
            await message.edit_text(text, reply_markup=None)
        else:
            await message.edit_reply_markup(reply_markup=None)
    except TelegramAPIError:
        pass


# ----- buttons --------------------------------------------------------------------------------

@router.callback_query(CaseButton.filter())
async def on_case_button(query: CallbackQuery, callback_data: CaseButton,
                         outbox: OutboxWorker, conversations: Conversations, cases: Cases,
                         staff_gate: StaffGate, update_key: str) -> None:
    """A button on a case's note or prompt; `update_key` (the update) keys what it changes, so a
    press delivered again after a crash finds it done and is answered as the first time."""
    action = callback_data.action
    found = await pressed_on(query, action, callback_data.case, cases, staff_gate)
    if found is None:
        return
    case, who = found
    if action in (CaseAction.CLAIM, CaseAction.TAKEOVER):
        await claim(query, outbox, conversations, case, who,
                    takeover=action == CaseAction.TAKEOVER, update_key=update_key)
    elif action == CaseAction.CLOSE:
        await ask_outcome(query, outbox, case)
    elif action == CaseAction.KEEP:
        await answer(query)
        await drop_buttons(query, f"Fall #{case.id} bleibt offen.")
    else:
        await answer(query, OUTDATED)


@router.callback_query(CaseChoice.filter())
async def on_case_choice(query: CallbackQuery, callback_data: CaseChoice,
                         conversations: Conversations, cases: Cases, staff_gate: StaffGate,
                         update_key: str) -> None:
    """A case's button that carries a choice: the outcome to close with, a canned reply."""
    action, value = callback_data.action, callback_data.value
    found = await pressed_on(query, action, callback_data.case, cases, staff_gate)
    if found is None:
        return
    case, who = found
    if action == CaseAction.OUTCOME and value in OUTCOMES:
        await close(query, conversations, case, who, value, update_key)
    elif action == CaseAction.CANNED:
        await send_canned(query, cases, case, value, update_key)
    else:
        await answer(query, OUTDATED)


async def pressed_on(query: CallbackQuery, action: CaseAction, case_id: int, cases: Cases,
                     staff_gate: StaffGate) -> tuple[CaseRecord, Counsellor] | None:
    """The case a button was pressed on and who pressed it; None (the press answered) when a
    non-member pressed it, the case is unknown or the button is in another case's topic."""
    if not await staff_gate.allows(query.from_user.id):
        log.warning("staff action refused user=%s action=%s case=%s",
                    query.from_user.id, action, case_id)
        await answer(query, ONLY_STAFF, alert=True)
        return None
    case = await cases.get(case_id)
    if case is None:
        await answer(query, OUTDATED)
        return None
    thread = topic_of(query.message if isinstance(query.message, Message) else None)
    if case.staff_thread_id is not None and thread != case.staff_thread_id:
        log.warning("button for another topic user=%s case=%s thread=%s",
                    query.from_user.id, case_id, thread)
        await answer(query, NOT_HERE, alert=True)
        return None
    return case, counsellor(query.from_user)


@router.callback_query()
async def on_other_button(query: CallbackQuery) -> None:
    """Every press in the staff group is answered (else the client shows it loading)."""
    await answer(query, OUTDATED)


async def claim(query: CallbackQuery, outbox: OutboxWorker, conversations: Conversations,
                case: CaseRecord, who: Counsellor, takeover: bool, update_key: str) -> None:
    result = await conversations.claim(case.id, who, takeover=takeover, update_key=update_key)
    log.info("claim case=%s user=%s result=%s", case.id, who.id, result.result)
    if result.result == Claim.CLOSED:
        await answer(query, CLOSED)
    elif result.result == Claim.YOURS:
        await answer(query, "Sie haben diesen Fall schon übernommen.")
    elif result.result == Claim.HELD:
        holder = result.holder or "?"
        await answer(query, f"Fall ist bei {holder}. Übernehmen?", alert=False)
        takeover_button = CaseButton(action=CaseAction.TAKEOVER, case=case.id)
        await say(outbox, case.staff_thread_id,
                  f"Fall #{case.id} ist bei {escape(holder)}. Übernehmen?",
                  [[("Ja, übernehmen", takeover_button)]])
    elif result.changed:
        await answer(query, "Fall übernommen.")
        if takeover:  # pressed on the router's prompt, never on the note the worker keeps
            await drop_buttons(query, f"Fall #{case.id} übernommen von {escape(who.name)}.")
    else:
        await answer(query)


async def ask_outcome(query: CallbackQuery, outbox: OutboxWorker, case: CaseRecord) -> None:
    if case.closed:
        await answer(query, CLOSED)
        return
    await answer(query)
    def outcome(name: str) -> tuple[str, CallbackData]:
        return OUTCOMES[name], CaseChoice(action=CaseAction.OUTCOME, case=case.id, value=name)

    rows: list[list[tuple[str, CallbackData]]] = [
        [outcome("answered"), outcome("referred")], [outcome("callback"), outcome("no_reply")],
        [("Abbrechen", CaseButton(action=CaseAction.KEEP, case=case.id))]]
    await say(outbox, case.staff_thread_id,
              f"Fall #{case.id} schließen – mit welchem Ergebnis?", rows)


async def close(query: CallbackQuery, conversations: Conversations, case: CaseRecord,
                who: Counsellor, outcome: str, update_key: str) -> None:
    closed = await conversations.close(case.id, who, outcome, update_key)
    log.info("close case=%s user=%s outcome=%s done=%s", case.id, who.id, outcome, closed)
    if not closed:
        await answer(query, CLOSED)
        await drop_buttons(query)
        return
    await answer(query, "Fall geschlossen.")
    await drop_buttons(query, f"Fall #{case.id} geschlossen: {escape(OUTCOMES[outcome])}.")


async def send_canned(query: CallbackQuery, cases: Cases, case: CaseRecord, name: str,
                      update_key: str) -> None:
    sent = await cases.canned(case.id, name, update_key)
    if sent is None:
        await answer(query, CLOSED if case.closed else "Diesen Textbaustein gibt es nicht mehr.")
        return
    log.info("canned case=%s user=%s reply=%s", case.id, query.from_user.id, name)
    await answer(query, "Gesendet.")
    await drop_buttons(query)


# ----- commands -------------------------------------------------------------------------------

async def acting(message: Message, staff_gate: StaffGate) -> Counsellor | None:
    """The counsellor behind a message, or None (logged) when they may not act."""
    user = message.from_user
    if user is None or user.is_bot:
        return None
    if not await staff_gate.allows(user.id):
        log.warning("staff message refused user=%s", user.id)
        return None
    return counsellor(user)


@router.message(Command("queue"))
async def on_queue(message: Message, outbox: OutboxWorker, conversations: Conversations,
                   cases: Cases, staff_gate: StaffGate, staff_chat_id: int) -> None:
    if await acting(message, staff_gate) is None:
        return
    content = conversations.content()
    now = utcnow()
    lines = []
    for case in await cases.queue():
        number = f"#{case.id}"
        link = topic_link(staff_chat_id, case.staff_thread_id)
        if link:
            number = f'<a href="{escape(link)}">{number}</a>'
        topic = content.vocabulary_label("topic", case.topic or "other", "de")
        lines.append(f"{number} · {escape(topic)} · {escape(german_name(case.locale))} · "
                     f"wartet seit {waiting(case.created_at, now)}")
    text = ("<b>Offene Fälle ohne Bearbeitung</b> (älteste zuerst):\n" + "\n".join(lines)
            if lines else "Keine offenen Fälle ohne Bearbeitung.")
    await say(outbox, topic_of(message), text)


@router.message(Command("note"))
async def on_note(message: Message, command: CommandObject, outbox: OutboxWorker,
                  cases: Cases, staff_gate: StaffGate, update_key: str) -> None:
    found = await command_in_case(message, outbox, cases, staff_gate)
    if found is None:
        return
    who, case = found
    text = (command.args or "").strip()
    if not text:
        await say(outbox, case.staff_thread_id,
                  "So geht es: <code>/note Text der Notiz</code>")
        return
    await cases.add_note(case.id, who, text, update_key)
    log.info("note case=%s user=%s", case.id, who.id)


@router.message(Command("canned"))
async def on_canned(message: Message, outbox: OutboxWorker, conversations: Conversations,
                    cases: Cases, staff_gate: StaffGate) -> None:
    found = await command_in_case(message, outbox, cases, staff_gate)
    if found is None:
        return
    _, case = found
    if case.closed:
        await say(outbox, case.staff_thread_id, CLOSED)
        return
    replies = conversations.content().canned_replies
    if not replies:
        await say(outbox, case.staff_thread_id, "Es gibt keine Textbausteine.")
        return
    rows = [[(reply.title, CaseChoice(action=CaseAction.CANNED, case=case.id, value=name))]
            for name, reply in replies.items()]
    await say(outbox, case.staff_thread_id,
              f"Textbaustein für Fall #{case.id} – die Person erhält ihn in ihrer Sprache "
              f"({escape(german_name(case.locale))}):", rows)


async def case_here(message: Message, cases: Cases) -> CaseRecord | None:
    thread = topic_of(message)
    return None if thread is None else await cases.in_topic(thread)


async def command_in_case(message: Message, outbox: OutboxWorker, cases: Cases,
                          staff_gate: StaffGate) -> tuple[Counsellor, CaseRecord] | None:
    """Who gave a case command and in which case's topic; None (with a hint to a counsellor
    who wrote it outside a case topic) when nothing is to be done."""
    who = await acting(message, staff_gate)
    case = await case_here(message, cases)
    if who is None or case is None:
        if who is not None:
            await say(outbox, topic_of(message), IN_A_TOPIC)
        return None
    return who, case


# ----- relay ----------------------------------------------------------------------------------

@router.message()
async def on_message(message: Message, outbox: OutboxWorker, cases: Cases, staff_gate: StaffGate,
                     closed_told: set[int], update_key: str) -> None:
    thread = topic_of(message)
    if thread is None or message.from_user is None or message.from_user.is_bot:
        return  # General, service messages, other bots
    kind, file_id = media_of(message)
    text = message.text if kind == "text" else message.caption
    if kind is None:
        if message.content_type in NOT_RELAYED:
            case = await cases.in_topic(thread)
            if case is not None and await acting(message, staff_gate) is not None:
                await say(outbox, thread,
                          "Diese Art Nachricht kann nicht weitergeleitet werden. Möglich "
                          "sind Text, Fotos, Dokumente und Sprachnachrichten.")
        return
    case = await cases.in_topic(thread)
    if case is None:
        return
    who = await acting(message, staff_gate)
    if who is None:
        return
    if kind == "text" and text and text.startswith("/") and is_command(message):
        await say(outbox, thread, "Unbekannter Befehl. Möglich sind /note, "
                  "/canned, /orig, /translation und /queue.")
        return
    if case.closed:
        if case.id not in closed_told:
            closed_told.add(case.id)
            await say(outbox, thread, CLOSED)
        return
    sent = await cases.relay_to_user(case.id, kind, text, file_id, update_key)
    if sent is None:
        await say(outbox, thread, CLOSED)
        return
    log.info("relay to user case=%s user=%s kind=%s", case.id, who.id, kind)
