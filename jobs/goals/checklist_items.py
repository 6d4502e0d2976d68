"""The workspace's remediation checklist items and its customer tiers' treatments: the titles
people type for them and the changes they make to the list. Pure."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from jobs.customers.measures import TIER_WORDS
from jobs.errors import Code, CommandLine, NotFoundError, UsageError, joined, phrase
from jobs.escalation.remediation import DEFAULT_ITEMS, MAX_ITEMS
from jobs.escalation.treatments import DEFAULT_TREATMENTS
from jobs.i18n import _

# Slack shows at most MAX_ITEMS (10) checkboxes in one group: the default items take 3 of them
# and a goal on a customer-tier metric one more, its tier's treatment, which comes first.
MAX_EXTRA_ITEMS = MAX_ITEMS - len(DEFAULT_ITEMS) - 1
# Slack's limit for a checkbox option's text.
MAX_ITEM_CHARS = 75
EXAMPLE_ITEMS = ("User journey map review", "Pricing page review", "Onboarding funnel review")


@dataclass(frozen=True)
class ChecklistChange:
    """Add an item to, or remove one from, the workspace's remediation checklist."""

    action: Literal["add", "remove"]
    title: str


SHOW_CONFIG = CommandLine("config")
"""The command that shows a channel's settings and the checklist."""


def checklist_example(action: str = "add", title: str | None = None) -> CommandLine:
    """A `config checklist …` command that parses."""
    return CommandLine("config", "checklist", action, f'"{title or EXAMPLE_ITEMS[0]}"')


def treatment_example(tier: str = "high_value", title: str | None = None) -> CommandLine:
    """A `config treatment …` command that parses; `reset` as the title puts the default back."""
    text = title if title == "reset" else f'"{title or DEFAULT_TREATMENTS[tier]}"'
    return CommandLine("config", "treatment", tier, text)


def checklist_title(text: str, *, action: str = "add") -> str:
    """A checklist item's title: one line of 1–75 characters, no control characters."""
    return _item_title(text, checklist_example(action), None)


def treatment_title(text: str, *, tier: str) -> str:
    """A tier's treatment, a checklist item's title too: as `checklist_title`."""
    return _item_title(text, treatment_example(tier), tier)


def _item_title(text: str, example: CommandLine, tier: str | None) -> str:
    """A checklist title (a `tier`'s treatment when one is given), or a refusal."""
    title = " ".join(text.split())
    if not title:
        empty = (
            _("Give the {tier} tier's treatment, in quotes.").format(tier=_(TIER_WORDS[tier]))
            if tier is not None
            else _("Give the checklist item's title, in quotes.")
        )
        raise UsageError(empty, example=example)
    if len(title) > MAX_ITEM_CHARS:
        raise UsageError(
            _(
                "That title is {length} characters long; Slack shows at most {limit} on a "
                "checklist item."
            ).format(length=len(title), limit=MAX_ITEM_CHARS),
            example=example,
        )
    if any(unicodedata.category(char) == "Cc" for char in title):
        raise UsageError(
            _("A checklist item's title can't contain control characters."), example=example
        )
    return title


def changed_checklist(items: Sequence[str], change: ChecklistChange) -> list[str]:
    """The workspace's extra items after `change` (pure); a typed error when it can't apply."""
    title = checklist_title(change.title, action=change.action)
    return _changed_items(items, change, title)


def _changed_items(items: Sequence[str], change: ChecklistChange, title: str) -> list[str]:
    key = title.casefold()
    defaults = {item.casefold() for item in DEFAULT_ITEMS}
    if change.action == "add":
        if key in defaults or key in {item.casefold() for item in items}:
            taken = {key, *(item.casefold() for item in items)}
            fresh = [t for t in EXAMPLE_ITEMS if t.casefold() not in taken]
            template = (
                _("{title} is one of the default items; each item can appear once.")
                if key in defaults
                else _("{title} is already on the checklist; each item can appear once.")
            )
            raise UsageError(
                *phrase(template, title=Code(title)),
                example=checklist_example("add", fresh[0]) if fresh else SHOW_CONFIG,
            )
        if len(items) >= MAX_EXTRA_ITEMS:
            raise UsageError(
                _(
                    "The checklist already has {count} workspace items, the most Slack can show "
                    "next to the {defaults} default ones and a customer tier's treatment. "
                    "Remove one first."
                ).format(count=len(items), defaults=len(DEFAULT_ITEMS)),
                example=checklist_example("remove", items[0]),
            )
        return [*items, title]
    if key in defaults:
        raise UsageError(
            *phrase(
                _(
                    "{title} is one of the default items every remediation gets; only the "
                    "workspace's own items can be removed."
                ),
                title=Code(title),
            ),
            example=checklist_example("remove", items[0]) if items else SHOW_CONFIG,
        )
    kept = [item for item in items if item.casefold() != key]
    if len(kept) == len(items):
        known = joined((Code(item) for item in items), _(", ")) or (_("none yet"),)
        raise NotFoundError(
            *phrase(
                _("The checklist has no item {title}. The workspace's items: {items}."),
                title=Code(title),
                items=known,
            ),
            example=checklist_example("remove", items[0]) if items else checklist_example(),
        )
    return kept
