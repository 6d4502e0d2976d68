"""`/goal config …` words → a ConfigChange. Pure; refusals are UsageErrors with an example."""

from __future__ import annotations

from bot.commands.words import clock_time, once, timezone_name, user_mention
from bot.render.text import quoted, unescape_slack
from jobs.customers.measures import TIER_WORDS, TIERS
from jobs.errors import CommandLine, UsageError
from jobs.escalation.treatments import tier_named
from jobs.goals.channel_settings import (
    ChecklistChange,
    ConfigChange,
    TreatmentChange,
    checklist_example,
    checklist_title,
    treatment_example,
    treatment_title,
)

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
    example = CommandLine("config", "lead", "@li", "digest", "09:30", "tz", "Europe/Berlin")
    fields: dict[str, str] = {}
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
        elif lowered in ("checklist", "treatment"):
            raise UsageError(
                f"Change the {lowered} in a command of its own, starting with `config {lowered}`.",
                example=checklist_example() if lowered == "checklist" else treatment_example(),
            )
        else:
            raise UsageError(
                f"{quoted(word)} is not a setting. Settings: `ceo @user`, `lead @user`, "
                '`digest HH:MM`, `tz Area/City`, `checklist add|remove "item"`, '
                '`treatment tier "text"|reset`.',
                example=example,
            )
    return ConfigChange(
        ceo_id=fields.get("ceo_id"),
        lead_id=fields.get("lead_id"),
        digest_time=fields.get("digest_time"),
        timezone=fields.get("timezone"),
    )


def _parse_checklist(args: list[str]) -> ChecklistChange:
    """`add "User journey map review"` or `remove "…"`: the title is the rest of the text."""
    if not args:
        raise UsageError(
            "`checklist` needs `add` or `remove`, then the item's title in quotes.",
            example=checklist_example(),
        )
    action = args[0].lower()
    if action not in ("add", "remove"):
        raise UsageError(
            f"{quoted(args[0])} is not something to do with the checklist; use `add` or `remove`.",
            example=checklist_example(),
        )
    text = _unquoted(args[1:], "item's title", checklist_example(action))
    return ChecklistChange(
        "add" if action == "add" else "remove", checklist_title(text, action=action)
    )


def _parse_treatment(args: list[str]) -> TreatmentChange:
    """`high_value "Concierge onboarding"` (or `high-value …`), or `churned reset`."""
    tiers = ", ".join(f"`{tier}`" for tier in TIERS)
    if not args:
        raise UsageError(
            f"`treatment` needs a customer tier ({tiers}), then its treatment in quotes "
            "or `reset`.",
            example=treatment_example(),
        )
    tier = tier_named(args[0])
    if tier is None:
        raise UsageError(
            f"{quoted(args[0])} is not a customer tier; the tiers are {tiers}.",
            example=treatment_example(),
        )
    if len(args) == 2 and args[1].lower() == "reset":
        return TreatmentChange(tier, None)
    if len(args) == 1:
        raise UsageError(
            f"Give the {TIER_WORDS[tier]} tier's treatment in quotes, or `reset` to go back to "
            "the default.",
            example=treatment_example(tier),
        )
    text = _unquoted(args[1:], "treatment", treatment_example(tier))
    return TreatmentChange(tier, treatment_title(text, tier=tier))


def _unquoted(words: list[str], what: str, example: CommandLine) -> str:
    """The words as one text, without the quotes around it."""
    # Slack sends typed `&`, `<`, `>` escaped; the title is stored as typed and escaped on output.
    text = unescape_slack(" ".join(words))
    if text[:1] and text[0] in _OPEN_QUOTES:
        if len(text) < 2 or text[-1] not in _CLOSE_QUOTES:
            raise UsageError(
                f"The {what} has an opening quote but no closing one.", example=example
            )
        text = text[1:-1]
    return text
