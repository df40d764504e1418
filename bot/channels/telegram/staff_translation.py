"""The counsellors' control of machine translation in a case's topic (`bot.handoff.
relay_translation`): `/orig Text` sends one message to the person as written, untranslated;
`/translation off` and `/translation on` turn translation of the case's relays off and on again
(kept in the case). A router of its own, included before the staff router (`app.make_dispatcher`),
whose last handler relays everything else a counsellor writes."""
from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.channels.telegram.staff import CLOSED, command_in_case, in_staff_group, say
from bot.channels.telegram.staff_gate import StaffGate
from bot.handoff.cases import Cases
from bot.handoff.outbox import OutboxWorker

log = logging.getLogger(__name__)
router = Router(name="staff_translation")
router.message.filter(in_staff_group)

ORIG_USAGE = "So geht es: <code>/orig Text</code> – geht unübersetzt an die Person."
SWITCH_USAGE = ("So geht es: <code>/translation off</code> (Übersetzung in diesem Fall aus) oder "
                "<code>/translation on</code> (wieder an).")
SWITCHED = {True: "🌐 Maschinelle Übersetzung in diesem Fall an.",
            False: "Maschinelle Übersetzung in diesem Fall aus: Nachrichten gehen, wie sie "
                   "geschrieben wurden."}
WORDS = {"on": True, "an": True, "ein": True, "off": False, "aus": False}


@router.message(Command("orig"))
async def on_orig(message: Message, command: CommandObject, outbox: OutboxWorker, cases: Cases,
                  staff_gate: StaffGate, update_key: str) -> None:
    found = await command_in_case(message, outbox, cases, staff_gate)
    if found is None:
        return
    who, case = found
    text = (command.args or "").strip()
    if not text:
        await say(outbox, case.staff_thread_id, ORIG_USAGE)
        return
    if case.closed or await cases.relay_to_user(case.id, "text", text, None, update_key,
                                                untranslated=True) is None:
        await say(outbox, case.staff_thread_id, CLOSED)
        return
    log.info("relay to user untranslated case=%s user=%s", case.id, who.id)


@router.message(Command("translation"))
async def on_translation(message: Message, command: CommandObject, outbox: OutboxWorker,
                         cases: Cases, staff_gate: StaffGate) -> None:
    found = await command_in_case(message, outbox, cases, staff_gate)
    if found is None:
        return
    who, case = found
    on = WORDS.get((command.args or "").strip().lower())
    if on is None:
        await say(outbox, case.staff_thread_id, SWITCH_USAGE)
        return
    await cases.set_translation(case.id, on)
    log.info("translation %s case=%s user=%s", "on" if on else "off", case.id, who.id)
    await say(outbox, case.staff_thread_id, SWITCHED[on])
