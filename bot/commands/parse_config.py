"""`/goal config …` words → a ConfigChange. Pure; refusals are UsageErrors with an example.

`config language zh-CN` sets the channel's language, `config workspace language en` the
workspace's; `off` (or `default`) clears the choice."""

from __future__ import annotations

from bot.commands.words import clock_time, no_more, once, timezone_name, user_mention
from bot.render.text import quoted, unescape_slack
from jobs.customers.measures import TIER_WORDS, TIERS
from jobs.errors import Code, CommandLine, Typed, UsageError, joined, phrase
from jobs.escalation.treatments import tier_named
from jobs.goals.channel_settings import (
    ChecklistChange,
    ConfigChange,
    LanguageChange,
    TreatmentChange,
    checklist_example,
    checklist_title,
    language_example,
    treatment_example,
    treatment_title,
)
from jobs.goals.language import CLEAR_WORDS, language_named
from jobs.i18n import LOCALES, _

# Quotes that may open a checklist item's title (phones type curly ones), and those that close it.
_OPEN_QUOTES = '"\u201c\u201e'
_CLOSE_QUOTES = '"\u201d\u201c'


def parse_config(args: list[str]) -> ConfigChange:
    """The settings after `config`, a checklist change after `config checklist`, or a tier's
    treatment after `config treatment`."""
    if args and args[0].lower() == "checklist":
        return ConfigChange(checklist=_parse_checklist(args[1:]))
    if args and args[0].lower() == "treatment":
        return ConfigChange(treatment=_parse_treatment(args[1:]))
    if args and args[0].lower() == "workspace":
        return ConfigChange(language=_parse_workspace(args[1:]))
    example = CommandLine("config", "lead", "@li", "digest", "09:30", "tz", "Europe/Berlin")
    fields: dict[str, str] = {}
    language: LanguageChange | None = None
    rest = list(args)
    while rest:
        word = rest.pop(0)
        lowered = word.lower()
        value = rest.pop(0) if rest else None
        if lowered in ("ceo", "lead"):
            once(fields, f"{lowered}_id", word, example)
            fields[f"{lowered}_id"] = user_mention(value, lowered, example)
        elif lowered == "digest":
            once(fields, "digest_time", word, example)
            fields["digest_time"] = clock_time(value, example)
        elif lowered in ("tz", "timezone"):
            once(fields, "timezone", word, example)
            fields["timezone"] = timezone_name(value, example)
        elif lowered in ("language", "lang"):
            once(fields, "language", word, example)
            fields["language"] = word
            language = _language(value, workspace=False)
        elif lowered in ("checklist", "treatment", "workspace"):
            raise UsageError(
                _("Change the {setting} in a command of its own, starting with {command}.").format(
                    setting=lowered, command=f"`config {lowered}`"
                ),
                example=_own_command(lowered),
            )
        else:
            raise UsageError(
                _("{word} is not a setting. Settings: {settings}.").format(
                    word=quoted(word), settings=_SETTINGS
                ),
                example=example,
            )
    return ConfigChange(
        ceo_id=fields.get("ceo_id"),
        lead_id=fields.get("lead_id"),
        digest_time=fields.get("digest_time"),
        timezone=fields.get("timezone"),
        language=language,
    )


# Every setting `config` takes, as typed: commands, not translated.
_SETTINGS = (
    "`ceo @user`, `lead @user`, `digest HH:MM`, `tz Area/City`, `language zh-CN|en`, "
    '`workspace language zh-CN|en`, `checklist add|remove "item"`, `treatment tier "text"|reset`'
)


def _own_command(setting: str) -> CommandLine:
    if setting == "checklist":
        return checklist_example()
    if setting == "treatment":
        return treatment_example()
    return language_example(workspace=True)


def _parse_workspace(args: list[str]) -> LanguageChange:
    """`workspace language zh-CN`: the language of every channel that has not chosen one."""
    example = language_example(workspace=True)
    if not args or args[0].lower() not in ("language", "lang"):
        raise UsageError(
            _("The workspace setting `config workspace` changes is `language`."), example=example
        )
    change = _language(args[1] if len(args) > 1 else None, workspace=True)
    if len(args) > 2:
        no_more(args[2:], example)
    return change


def _language(token: str | None, *, workspace: bool) -> LanguageChange:
    """A language a person typed (`zh-CN`, `zh`, `中文`, `en`, `English`), or `off`."""
    example = language_example(workspace=workspace)
    choices = joined((Code(locale) for locale in (*LOCALES, CLEAR_WORDS[0])), _(", "))
    if token is None:
        raise UsageError(
            *phrase(_("`language` needs one of {choices}."), choices=choices), example=example
        )
    if token.lower() in CLEAR_WORDS:
        return LanguageChange(None, workspace=workspace)
    locale = language_named(token)
    if locale is None:
        raise UsageError(
            *phrase(
                _("{language} is not a language goalpulse speaks; use one of {choices}."),
                language=Typed(token),
                choices=choices,
            ),
            example=example,
        )
    return LanguageChange(locale, workspace=workspace)


def _parse_checklist(args: list[str]) -> ChecklistChange:
    """`add "User journey map review"` or `remove "…"`: the title is the rest of the text."""
    if not args:
        raise UsageError(
            _("`checklist` needs `add` or `remove`, then the item's title in quotes."),
            example=checklist_example(),
        )
    action = args[0].lower()
    if action not in ("add", "remove"):
        raise UsageError(
            _("{word} is not something to do with the checklist; use `add` or `remove`.").format(
                word=quoted(args[0])
            ),
            example=checklist_example(),
        )
    text = _unquoted(
        args[1:],
        _("The item's title has an opening quote but no closing one."),
        checklist_example(action),
    )
    return ChecklistChange(
        "add" if action == "add" else "remove", checklist_title(text, action=action)
    )


def _parse_treatment(args: list[str]) -> TreatmentChange:
    """`high_value "Concierge onboarding"` (or `high-value …`), or `churned reset`."""
    tiers = ", ".join(f"`{tier}`" for tier in TIERS)
    if not args:
        raise UsageError(
            _(
                "`treatment` needs a customer tier ({tiers}), then its treatment in quotes "
                "or `reset`."
            ).format(tiers=tiers),
            example=treatment_example(),
        )
    tier = tier_named(args[0])
    if tier is None:
        raise UsageError(
            _("{word} is not a customer tier; the tiers are {tiers}.").format(
                word=quoted(args[0]), tiers=tiers
            ),
            example=treatment_example(),
        )
    if len(args) == 2 and args[1].lower() == "reset":
        return TreatmentChange(tier, None)
    if len(args) == 1:
        raise UsageError(
            _(
                "Give the {tier} tier's treatment in quotes, or `reset` to go back to the default."
            ).format(tier=_(TIER_WORDS[tier])),
            example=treatment_example(tier),
        )
    text = _unquoted(
        args[1:],
        _("The treatment has an opening quote but no closing one."),
        treatment_example(tier),
    )
    return TreatmentChange(tier, treatment_title(text, tier=tier))


def _unquoted(words: list[str], unclosed: str, example: CommandLine) -> str:
    """The words as one text, without the quotes around it; `unclosed` refuses a quote left
    open."""
    # Slack sends typed `&`, `<`, `>` escaped; the title is stored as typed and escaped on output.
    text = unescape_slack(" ".join(words))
    if text[:1] and text[0] in _OPEN_QUOTES:
        if len(text) < 2 or text[-1] not in _CLOSE_QUOTES:
            raise UsageError(unclosed, example=example)
        text = text[1:-1]
    return text
