"""From "talk to a counsellor" to a case: consent first, then a short intake, then the person's
side of an open case (relay, claim, close and rating)."""
from __future__ import annotations

import datetime as dt

import phonenumbers
from babel.dates import format_skeleton, format_time

from bot.core import office_hours, texts
from bot.core.events import (
    CaseClaimed,
    CaseClosed,
    CaseOpened,
    GiveConsent,
    MediaKind,
    OpenCase,
    RateCase,
    RefusedButton,
    RelayToCase,
)
from bot.core.handling import Handling
from bot.core.i18n import N_
from bot.core.state import Action
from bot.core.telegram_html import escape, truncate

STEPS = ("topic", "residence_status", "german_level", "question", "contact_preference", "phone",
         "preferred_time", "first_name", "review")
CHOICE_STEPS = ("topic", "residence_status", "german_level", "contact_preference",
                "preferred_time")
QUESTIONS = {
    "topic": N_("What is your question about?"),
    "residence_status": N_("What is your residence status? The rules often depend on it."),
    "german_level": N_("How well do you speak German?"),
    "question": N_("Please write your question in your own words. You can write in your "
                   "language."),
    "contact_preference": N_("How should the counsellor reach you?"),
    "phone": N_("Please write your phone number, for example 0151 23456789 or +49 151 "
                "23456789."),
    "preferred_time": N_("When is the best time to call you?"),
    "first_name": N_("What is your first name? This is optional."),
}
FIELD_LABELS = {"question": N_("Question"), "phone": N_("Phone"), "first_name": N_("First name")}
RELAYED_KINDS = (MediaKind.PHOTO, MediaKind.DOCUMENT, MediaKind.VOICE, MediaKind.VIDEO)
MAX_QUESTION = 2000
"""In UTF-16 code units, as Telegram counts: the case note (question and all) fits one message."""
MAX_NAME = 60
RATINGS = ((3, "👍", N_("It helped")), (2, "😐", N_("Partly")), (1, "👎", N_("It did not help")))


def normalise_phone(text: str, region: str = "DE") -> str | None:
    """A phone number in E.164 (+4915123456789), or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class IntakeHandling(Handling):
    # ----- consent ----------------------------------------------------------------------------

    def counsellor(self) -> None:
        if self.state.case is not None:
            self.say(self._("Your case #{number} is open. Write here what you want to add; your "
                            "counsellor will see it.", number=str(self.state.case)),
                     [[self.menu_button()]])
            return
        self.state.intake = self.known_facts()
        self.state.intake_step = "consent"
        org = self.label(self.content.organisation.name_of)
        self.say(self._("Before a counsellor can help you:") + "\n\n" +
                 "• " + self._("We will ask you a few questions: your topic, residence status, "
                               "German level, your question and how to reach you.") + "\n" +
                 "• " + self._("Only the counsellors {name_of} see your answers.", name_of=org) +
                 "\n" +
                 "• " + self._("We delete them {days} days after your case is closed.",
                               days=str(self.content.retention_days)) + "\n" +
                 "".join(f"• {line}\n" for line in self.machine_translation_notice()) +
                 "• " + self._("You can delete everything at any time with /delete.") + "\n\n" +
                 self._("Do you agree?"),
                 [[("✓ " + self.t.gettext("I agree"), ("consent", "yes")),
                   ("✗ " + self.t.gettext("No, thanks"), ("consent", "no"))]])

    def machine_translation_notice(self) -> list[str]:
        """Who may machine-translate the chat with a counsellor (the organisation's
        `translation_service`), for the consent screen and /privacy; nothing when it names none."""
        service = self.content.organisation.translation_service
        if not service:
            return []
        return [self._("Your messages to a counsellor may be machine-translated by "
                       "{translation_service}. Only the text of a message goes there, not your "
                       "name.", translation_service=self.label(service))]

    def known_facts(self) -> dict[str, str]:
        """What the flows already asked, so that intake does not ask again."""
        facts = {k: v for k, v in self.state.fields.items()
                 if k in ("residence_status", "german_level")}
        flow_id = self.state.flow or next(
            (p.split("/")[0] for p in reversed(self.state.path)), None)
        flow = self.content.flows.get(flow_id or "")
        if flow is not None:
            facts["topic"] = flow.topic
        return facts

    def consent(self, answer: str) -> None:
        if self.state.intake_step != "consent":
            self.stale_intake()
            return
        if answer != "yes":
            self.end_intake()
            self.say(self._("That is fine. You can also call us:") + "\n\n" +
                     texts.hotline(self.content, self.t, self.locale), [[self.menu_button()]])
            return
        self.effects.append(GiveConsent())
        self.next_step()

    # ----- intake -----------------------------------------------------------------------------

    def next_step(self) -> None:
        intake = self.state.intake
        for name in STEPS:
            if name in intake:
                continue
            if name == "phone" and intake.get("contact_preference") != "phone":
                continue
            if name == "preferred_time" and not intake.get("phone"):
                continue
            self.state.intake_step = name
            self.ask(name)
            return

    def ask(self, name: str) -> None:
        controls = [("⏭ " + self.t.gettext("Skip"), ("skip", name)),
                    ("✗ " + self.t.gettext("Cancel"), ("cancel", ""))]
        if name == "review":
            self.review()
            return
        rows: list[list[tuple[str, Action]]] = []
        if name in CHOICE_STEPS:
            values = [(self.label(label), ("intake", value)) for value, label in
                      self.content.vocabularies[name].values.items() if value != "emergency"]
            width = 2 if len(values) > 4 else 1
            rows = [values[i:i + width] for i in range(0, len(values), width)]
        self.say(self._(QUESTIONS[name]), [*rows, controls])

    def review(self) -> None:
        lines = [self._("Please check what the counsellor will receive:"), ""]
        for name in STEPS[:-1]:
            value = self.state.intake.get(name)
            if not value:
                continue
            shown = (self.content.vocabulary_label(name, value, self.locale)
                     if name in CHOICE_STEPS else value)
            label = (self.label(self.content.vocabularies[name].label)
                     if name in self.content.vocabularies else self.t.gettext(FIELD_LABELS[name]))
            lines.append(f"<b>{escape(label)}:</b> {escape(shown)}")
        self.say("\n".join(lines), [[("✓ " + self.t.gettext("Send"), ("send", "")),
                                     ("✗ " + self.t.gettext("Cancel"), ("cancel", ""))]])

    def answer_step(self, value: str) -> None:
        step = self.state.intake_step
        if step is None or step in ("consent", "review"):
            self.stale_intake()
            return
        self.state.intake[step] = value
        self.next_step()

    def skip(self, step: str) -> None:
        if self.state.intake_step != step:
            self.stale_intake()
            return
        self.answer_step("")

    def intake_text(self, text: str) -> None:
        """Typed text while intake waits: the question, phone number or name."""
        step = self.state.intake_step
        if step == "question":
            self.answer_step(truncate(text, MAX_QUESTION).strip())
        elif step == "phone":
            phone = normalise_phone(text)
            if phone is None:
                self.say(self._("This does not look like a phone number. Please check it, or "
                                "press Skip."), [[("⏭ " + self.t.gettext("Skip"),
                                                  ("skip", "phone"))]])
                return
            self.answer_step(phone)
        elif step == "first_name":
            self.answer_step(text[:MAX_NAME].strip())
        else:
            self.say(self._("Please choose one of the buttons above, or press Skip."))

    def cancel(self) -> None:
        self.end_intake()
        self.say(self._("Cancelled. Nothing was sent and your answers were deleted."),
                 [[self.menu_button()]])

    def end_intake(self) -> None:
        self.state.intake_step = None
        self.state.intake = {}

    def stale_intake(self) -> None:
        self.effects.append(RefusedButton())
        if self.state.intake_step:
            self.say(self._("This button belongs to an older message."))
            if self.state.intake_step == "consent":
                self.counsellor()
            else:
                self.next_step()
        else:
            self.main_menu()

    def send(self) -> None:
        if self.state.intake_step != "review":
            self.stale_intake()
            return
        intake = {k: v for k, v in self.state.intake.items() if v}
        self.effects.append(OpenCase(intake, self.locale, tuple(self.state.shown),
                                     tuple(self.state.path), urgent=self.state.urgent,
                                     crisis=self.state.crisis))
        self.state.urgent, self.state.crisis = False, None
        self.end_intake()

    # ----- the open case ----------------------------------------------------------------------

    def case_opened(self, event: CaseOpened) -> None:
        self.state.case = event.case_id
        self.state.case_claimed = False
        self.state.case_acknowledged = False
        org = self.content.organisation
        reach = (self._("A counsellor will call you.") if event.by_phone else
                 self._("A counsellor will answer you here in this chat."))
        if office_hours.is_open(org.office_hours, event.now):
            when = self._("We answer {time}.", time=self.label(org.response_time)) \
                if org.response_time else ""
        else:
            opening = office_hours.next_opening(org.office_hours, event.now)
            when = self._("The office is closed now. It opens again on {day} at {time}.",
                          day=self.day(opening), time=format_time(opening, "short",
                                                                  locale=self.babel_locale)) \
                if opening else ""
        self.say("✓ " + self._("Sent. Your case number is #{number}.",
                               number=str(event.case_id)) + "\n\n" +
                 f"{reach} {when}".strip() + "\n\n" +
                 self._("You can write more here at any time: it goes to your counsellor."),
                 [[self.menu_button()]])

    @property
    def babel_locale(self) -> str:
        try:
            format_time(dt.time(9), "short", locale=self.locale)
        except (ValueError, LookupError):
            return "en"
        return self.locale

    def day(self, when: dt.datetime) -> str:
        return format_skeleton("MMMMEd", when, locale=self.babel_locale)

    def case_claimed(self, event: CaseClaimed) -> None:
        if self.state.case != event.case_id:
            return
        self.state.case_claimed = True
        self.say(self._("A counsellor has taken your case #{number} and will write to you here.",
                        number=str(event.case_id)))

    def case_closed(self, event: CaseClosed) -> None:
        if self.state.case != event.case_id:
            return
        self.state.case = None
        self.state.case_claimed = False
        self.state.urgent, self.state.crisis = False, None  # that case had it; a new one starts calm
        rows = [[(f"{icon} {self.t.gettext(text)}", ("rate", f"{event.case_id}:{value}"))]
                for value, icon, text in RATINGS]
        self.say(self._("Your case #{number} is closed. You can write to us again at any time.",
                        number=str(event.case_id)) + "\n\n" + self._("Did we help you?"),
                 [*rows, [self.menu_button()]])

    def rate(self, arg: str) -> None:
        case, _, value = arg.partition(":")
        if case.isdigit() and value in ("1", "2", "3"):
            self.effects.append(RateCase(int(case), int(value)))
        self.say(self._("Thank you for telling us!"), [[self.menu_button()]])

    def relay(self, text: str | None = None, kind: MediaKind | None = None,
              ref: str | None = None) -> None:
        """The person wrote while their case is open: it goes to the counsellor."""
        assert self.state.case is not None
        self.effects.append(RelayToCase(self.state.case, text, kind, ref))
        if not self.state.case_claimed and not self.state.case_acknowledged:
            self.state.case_acknowledged = True
            self.say(self._("Thank you. I passed this on to the counsellor (case #{number}).",
                            number=str(self.state.case)), [[self.menu_button()]])
