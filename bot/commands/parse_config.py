"""`/goal config …` words → a ConfigChange. Pure; refusals are UsageErrors with an example."""

from __future__ import annotations

from bot.commands.words import clock_time, once, timezone_name, user_mention
from bot.render.text import quoted, unescape_slack
from jobs.errors import CommandLine, UsageError
from jobs.goals.channel_settings import (
    ChecklistChange,
    ConfigChange,
    checklist_example,
    checklist_title,
)

# Quotes that may open a checklist item's title (phones type curly ones), and those that close it.
_OPEN_QUOTES = '"\u201c\u201e'
_CLOSE_QUOTES = '"\u201d\u201c'


def parse_config(args: list[str]) -> ConfigChange:
    """The settings after `config`, or a checklist change after `config checklist`."""
    if args and args[0].lower() == "checklist":
        return ConfigChange(checklist=_parse_checklist(args[1:]))
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
        elif lowered == "checklist":
            raise UsageError(
                "Change the checklist in a command of its own, starting with `config checklist`.",
                example=checklist_example(),
            )
        else:
            raise UsageError(
                f"{quoted(word)} is not a setting. Settings: `ceo @user`, `lead @user`, "
                '`digest HH:MM`, `tz Area/City`, `checklist add|remove "item"`.',
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
    # Slack sends typed `&`, `<`, `>` escaped; the title is stored as typed and escaped on output.
    text = unescape_slack(" ".join(args[1:]))
    if text[:1] and text[0] in _OPEN_QUOTES:
        if len(text) < 2 or text[-1] not in _CLOSE_QUOTES:
            raise UsageError(
                "The item's title has an opening quote but no closing one.",
                example=checklist_example(action),
            )
        text = text[1:-1]
    return ChecklistChange(
        "add" if action == "add" else "remove", checklist_title(text, action=action)
    )
