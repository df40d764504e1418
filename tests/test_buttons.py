"""What Telegram's buttons carry (`bot.channels.telegram.buttons`): the layouts of the buttons
already in the chats are read as before, every button's data fits Telegram's 64 bytes, and data
no button of ours carries is no button's. Also the one keyboard builder and the largest photo."""
from __future__ import annotations

import pytest
from aiogram.types import PhotoSize

from bot.channels.telegram.buttons import CaseButton, CaseChoice, OptionButton, Packed, keyboard
from bot.channels.telegram.media import largest_photo
from bot.channels.telegram.render import reply_keyboard
from bot.channels.telegram.staff_group import case_keyboard
from bot.core.case_note import OUTCOMES
from bot.core.case_status import CaseStatus
from bot.core.content.checks import CANNED_NAME_BYTES
from bot.core.content.model import Content
from bot.core.events import Button, Choice, Reply
from bot.handoff.delivery import Prompt
from bot.handoff.records import CaseAction
from bot.storage.models import MAX_ID

LIMIT = 64


def test_buttons_sent_before_are_read_as_they_were_meant() -> None:
    assert OptionButton.unpack("3:1").choice == Choice(3, 1)  # before the "o:" prefix
    assert OptionButton.unpack("o:3:1").choice == Choice(3, 1)
    assert CaseButton.unpack("case:claim:12") == CaseButton(action=CaseAction.CLAIM, case=12)
    assert CaseButton.unpack("case:takeover:12").action is CaseAction.TAKEOVER
    assert CaseButton.unpack("case:keep:12").action is CaseAction.KEEP
    assert CaseChoice.unpack("case:outcome:12:answered") == CaseChoice(
        action=CaseAction.OUTCOME, case=12, value="answered")
    assert CaseChoice.unpack("case:canned:7:appointment").value == "appointment"


def test_the_staff_buttons_keep_their_layout() -> None:
    markup = case_keyboard(12, CaseStatus.NEW)
    assert markup is not None
    assert [b.callback_data for b in markup.inline_keyboard[0]] == ["case:claim:12",
                                                                    "case:close:12"]
    assert CaseChoice(action=CaseAction.OUTCOME, case=12, value="no_reply").pack() == \
        "case:outcome:12:no_reply"


@pytest.mark.parametrize("data", ["", "garbage", "1", "1:", ":0", "1:0:0", "١:٠", "o:x:1",
                                  "x" * 200, "case:claim:1", "lang:de"])
def test_data_no_button_of_ours_carries_is_no_persons_button(data: str) -> None:
    with pytest.raises((TypeError, ValueError)):
        OptionButton.unpack(data)


@pytest.mark.parametrize("data", ["case:claim:²", "case:claim:", "case:frobnicate:1",
                                  "claim:1", "o:1:0"])
def test_data_no_case_button_carries_is_none(data: str) -> None:
    for kind in (CaseButton, CaseChoice):
        with pytest.raises((TypeError, ValueError)):
            kind.unpack(data)


def test_every_button_fits_telegrams_64_bytes(shipped_content: Content) -> None:
    """The longest each can get: the highest case number, every canned reply and outcome, a
    person's screen far beyond any conversation's."""
    datas = [CaseButton(action=action, case=MAX_ID).pack() for action in CaseAction]
    datas += [CaseChoice(action=CaseAction.CANNED, case=MAX_ID, value=name).pack()
              for name in shipped_content.canned_replies]
    datas += [CaseChoice(action=CaseAction.OUTCOME, case=MAX_ID, value=name).pack()
              for name in OUTCOMES]
    # the longest name `lotse content check` lets a canned reply have
    datas.append(CaseChoice(action=CaseAction.CANNED, case=MAX_ID,
                            value="x" * CANNED_NAME_BYTES).pack())
    markup = reply_keyboard(Reply("x", ((Button("x", Choice(10**12, 99)),),)))
    assert markup is not None
    datas += [b.callback_data or "" for row in markup.inline_keyboard for b in row]
    assert all(len(data.encode()) <= LIMIT for data in datas), max(datas, key=len)
    with pytest.raises(ValueError):  # aiogram refuses to make a longer one
        CaseChoice(action=CaseAction.CANNED, case=MAX_ID, value="x" * LIMIT).pack()


def test_the_keyboard_builder_makes_links_and_presses_and_nothing_of_no_buttons() -> None:
    markup = keyboard([[("Web", "https://example.org"), ("Ja", CaseButton(
        action=CaseAction.CLAIM, case=3))], []])
    assert markup is not None and len(markup.inline_keyboard) == 1  # the empty row is left out
    web, yes = markup.inline_keyboard[0]
    assert (web.url, web.callback_data) == ("https://example.org", None)
    assert (yes.url, yes.callback_data) == (None, "case:claim:3")
    assert keyboard([]) is None and keyboard([[]]) is None
    assert reply_keyboard(Reply("x")) is None


def test_a_staff_prompts_packed_buttons_come_back_as_the_presses_they_were() -> None:
    """A prompt waits in the outbox with its buttons packed (`Prompt`); delivered, each is the
    press it was made from, not a link."""
    pressed = CaseChoice(action=CaseAction.OUTCOME, case=7, value="answered")
    prompt = Prompt.from_json(Prompt("Ergebnis?", ((("Beantwortet", pressed.pack()),),)).as_json())
    markup = keyboard([(label, Packed(data)) for label, data in row] for row in prompt.buttons)
    assert markup is not None
    (button,), = markup.inline_keyboard
    assert (button.url, button.callback_data) == (None, "case:outcome:7:answered")
    assert CaseChoice.unpack(button.callback_data) == pressed


def test_a_photo_is_sent_on_in_its_largest_size() -> None:
    sizes = [PhotoSize(file_id=name, file_unique_id=name, width=w, height=h, file_size=size)
             for name, w, h, size in [("small", 90, 60, 900), ("large", 1280, 853, 90000),
                                      ("medium", 320, 213, 9000), ("same", 1280, 853, 80000)]]
    assert largest_photo(sizes) == "large"
