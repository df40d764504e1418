"""The YAML content format, as pydantic models: what an admin may write in `faq/` and `flows/`.

Models are frozen and strict (a number is not text, `yes` is not true) and forbid unknown keys, so
every mistake becomes a problem with a file and line (see `loader`)."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)

Slug = Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40)]
LangCode = Annotated[StrictStr, Field(pattern=r"^[a-z]{2,3}$")]
Text = Annotated[StrictStr, Field(min_length=1)]
Localized = dict[LangCode, Text]
"""One text in several languages: `{de: ..., en: ...}`."""
TranslationStatus = Literal["reviewed", "machine"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TimeRange = Annotated[StrictStr, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Link(Model):
    url: Annotated[StrictStr, Field(pattern=r"^https?://\S+$")]
    label: Localized


# ----- faq/languages.yaml ---------------------------------------------------------------------


class LanguageSettings(Model):
    default_language: LangCode
    languages: list[LangCode] = Field(min_length=1)
    fallback: dict[StrictStr, list[LangCode]] = {}
    """Where to look when a text is missing; `default` applies to every language not listed."""

    def chain(self, lang: str) -> list[str]:
        """The languages to try for `lang`, in order, starting with `lang` itself."""
        tail = self.fallback.get(lang, self.fallback.get("default", [self.default_language, "en"]))
        seen: list[str] = []
        for code in [lang, *tail, self.default_language]:
            if code not in seen:
                seen.append(code)
        return seen


# ----- faq/organisation.yaml ------------------------------------------------------------------


class OfficeHours(Model):
    timezone: StrictStr
    days: dict[Weekday, list[TimeRange]]


OrganisationValue = Literal["name", "phone", "email", "website", "address", "office_hours",
                            "response_time", "data_protection_authority", "translation_service"]
"""The organisation's values people are shown, each to be confirmed with the office."""
PLACEHOLDERS = ("name", "name_of", "phone", "email", "website", "address", "office_hours",
                "data_protection_authority", "translation_service")
"""What texts may write in braces, e.g. {phone}: filled from faq/organisation.yaml."""


class Organisation(Model):
    name: Localized
    """The name as it stands alone (a heading, a list)."""
    name_of: Localized
    """The name as it stands after "the assistant …" or "a counsellor …", with the article,
    preposition or case its language needs there: de "der Integrationskoordination im
    Landratsamt", en "of the integration coordination …", uk in the genitive. Texts use it as
    {name_of}, so that no sentence has to guess the name's grammar."""
    phone: StrictStr | None = None
    email: StrictStr | None = None
    website: Annotated[StrictStr, Field(pattern=r"^https?://\S+$")] | None = None
    address: StrictStr | None = None
    office_hours: OfficeHours
    response_time: Localized | None = None
    """What the office promises, e.g. "within two working days"."""
    links: list[Link] = []
    data_protection_authority: Link | None = None
    """Where people may complain about how the office handles their data: the supervisory
    authority of this office (a Bavarian Landratsamt: the Bayerischer Landesbeauftragte für den
    Datenschutz, not the federal BfDI). {data_protection_authority} is its linked name."""
    translation_service: Localized | None = None
    """Who machine-translates the messages between a person and a counsellor (TRANSLATION_ROUTES,
    bot/translation/), as it stands after "translated by …" in each language: de "einem
    Übersetzungsdienst, den das Landratsamt … selbst betreibt". The privacy answer
    ({translation_service}), the consent screen and /privacy name it; `lotse doctor` fails when
    translation is configured and this is not."""
    source: Text
    reviewed: dt.date
    confirmed: dict[OrganisationValue, StrictBool] = {}
    """Which values an admin has checked with the office (true) and which not yet (false)."""

    def unconfirmed(self) -> list[str]:
        """The values people are shown that nobody has confirmed yet (false or not listed)."""
        return [name for name in get_args(OrganisationValue)
                if getattr(self, name) is not None and not self.confirmed.get(name, False)]


# ----- faq/vocabularies.yaml ------------------------------------------------------------------


class Vocabulary(Model):
    label: Localized
    values: dict[Slug, Localized] = Field(min_length=1)
    sentence: dict[Slug, Text] = {}
    """Each value as it reads inside a German sentence of the case note ("Rückruf unter … am
    Nachmittag"), where its label ("Nachmittags") would not fit; German only (counsellors read
    the note in German). The vocabularies of `IN_SENTENCES` need one for every value."""


IN_SENTENCES = ("preferred_time",)
"""The vocabularies whose values the case note writes inside a German sentence."""


# ----- faq/canned-replies.yaml ---------------------------------------------------------------


class CannedReply(Model):
    """A ready answer a counsellor sends with one tap; the person gets it in their language."""

    title: Text
    """What the counsellor sees on the button (in the default language)."""
    text: Localized


# ----- faq/entries/**/*.yaml ------------------------------------------------------------------


SourceHash = Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{8}$")]
"""The short hash of the German text a translation was made from (`bot.core.content.freshness`)."""


class EntryText(Model):
    status: TranslationStatus = "reviewed"
    translated_from: SourceHash | None = None
    """Written by `lotse content stamp` on every language but German."""
    title: Text
    answer: Text
    """What applies to everyone; `{sections}` on a line of its own marks where the sections that
    apply go (without it they follow the answer)."""
    sections: dict[Slug, dict[StrictStr, Text]] = {}
    """Texts that apply only to some people, by vocabulary and value (`bot.core.content.sections`):
    `residence_status: {duldung: …, "asylum, duldung": …, default: …}`."""
    questions: list[Text] = []
    audio: Text | None = None
    """A county's own recording of this text read aloud (an OGG/Opus file, relative to the
    content root): sent for 🔊 instead of a synthetic voice."""


class FaqEntry(Model):
    id: Slug
    topic: Slug
    source: Text
    reviewed: dt.date
    reviewed_by: Text | None = None
    """Who checked the German text against its source on `reviewed` (a person or a team of the
    office); without it the German is not signed off (`lotse content coverage` shows ?)."""
    offer_counsellor: StrictBool = True
    links: list[Link] = []
    text: dict[LangCode, EntryText] = Field(min_length=1)


# ----- faq/signals/<lang>.yaml --------------------------------------------------------------

CrisisKindName = Literal["danger_to_life", "violence", "suicide", "no_place_to_sleep",
                         "child_in_danger"]


class CrisisPhrases(Model):
    clear: list[Text] = []
    """A crisis beyond doubt: the emergency numbers at once."""
    unsure: list[Text] = []
    """Possibly a crisis: Lotse asks whether the person is in danger right now."""


class SignalPhrases(Model):
    """One language's signal phrases (syntax: `bot.core.phrases`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)
    crisis: dict[CrisisKindName, CrisisPhrases] = {}
    ordinary: list[Text] = []
    """Everyday words: with one of them in the message an `unsure` crisis phrase is not read."""
    not_: list[Text] = Field(default=[], alias="not")
    """Phrases that are no crisis although they hold crisis words ("kill time")."""
    human: list[Text] = []
    """Ways to ask for a human: they lead to the counsellor offer."""
    human_vague: list[Text] = []
    """Words that ask for a human or only say a question is hard ("I don't understand", "is there
    someone"): the counsellor offer, and beside a long question its likely answers too."""
    courtesy: list[Text] = []
    """Greetings, thanks and please: words that say nothing about the question, which the FAQ
    matcher leaves out of questions and variants alike."""


# ----- faq/signals/examples/<lang>.yaml -----------------------------------------------------

class SignalExamples(Model):
    """One language's example messages, as people wrote them (`bot.core.learned_signals`)."""

    crisis: dict[CrisisKindName, list[Text]] = {}
    """Crises no phrase may name: Lotse asks about messages like them."""
    human: list[Text] = []
    """Requests for a human: they lead to the counsellor offer."""
    calm: list[Text] = []
    """Ordinary messages, above all those that share words with a crisis."""


# ----- faq/concepts.yaml ----------------------------------------------------------------------


class Concept(RootModel[dict[LangCode, list[Text]]]):
    """One meaning that questions of several entries share, as phrases per language."""

    model_config = ConfigDict(frozen=True, strict=True)


# ----- faq/glossary.yaml ----------------------------------------------------------------------


class GlossaryTerm(RootModel[dict[LangCode, Text]]):
    """A German office term that machine translation keeps, with its explanation per language
    (written in brackets after it); empty: kept, never explained."""

    model_config = ConfigDict(frozen=True, strict=True)


# ----- flows/*.yaml ---------------------------------------------------------------------------


class Button(Model):
    """A button in a flow: goes to a node of the same flow, shows an FAQ entry, or opens a flow."""

    label: Localized
    goto: Slug | None = None
    faq: Slug | None = None
    flow: Slug | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Button:
        if sum(t is not None for t in (self.goto, self.faq, self.flow)) != 1:
            raise ValueError("a button needs exactly one of goto, faq or flow")
        return self


class Option(Model):
    value: Slug
    label: Localized


InputFormat = Literal["text", "number", "postcode", "year"]


class Input(Model):
    format: InputFormat
    error: Localized | None = None
    """What to say when the typed value does not fit; a general sentence is used otherwise."""


class MenuNode(Model):
    type: Literal["menu"]
    text: Localized
    buttons: list[Button] = Field(min_length=1)


class AskNode(Model):
    type: Literal["ask"]
    text: Localized
    field: Slug
    vocabulary: Slug | None = None
    options: list[Option] | None = None
    input: Input | None = None
    next: Slug

    @model_validator(mode="after")
    def _one_source(self) -> AskNode:
        if sum(s is not None for s in (self.vocabulary, self.options, self.input)) != 1:
            raise ValueError("an ask node needs exactly one of vocabulary, options or input")
        return self


class AnswerNode(Model):
    type: Literal["answer"]
    faq: Slug
    buttons: list[Button] = []
    next: Slug | None = None


class BranchNode(Model):
    type: Literal["branch"]
    field: Slug
    cases: dict[StrictStr, Slug] = Field(min_length=1)
    default: Slug


class HandoffNode(Model):
    type: Literal["handoff"]
    text: Localized | None = None


Node = Annotated[MenuNode | AskNode | AnswerNode | BranchNode | HandoffNode,
                 Field(discriminator="type")]
NODE_TYPES = ("menu", "ask", "answer", "branch", "handoff")


class Flow(Model):
    id: Slug
    topic: Slug
    source: Text
    """Where the flow's facts come from (its questions route by them), as for an entry."""
    reviewed: dt.date
    reviewed_by: Text | None = None
    """As for an entry: who signed off the German texts."""
    title: Localized
    menu: StrictBool = True
    """Whether the flow has a button in the main menu (otherwise only deep links and buttons open it)."""
    order: StrictInt = 100
    start: Slug
    status: dict[LangCode, TranslationStatus] = {}
    translated_from: dict[LangCode, SourceHash] = {}
    """Per language, the hash of the German flow it was made from (`lotse content stamp`)."""
    nodes: dict[Slug, Node] = Field(min_length=1)
