"""The `config` command: the CEO and channel lead, when and in which timezone digests go out,
the checklist items the workspace adds to every remediation and its customer tiers' treatments.

The lead gets the channel's escalations (and may acknowledge and resolve them), so changing it
needs the current lead, an owner of one of the channel's goals or a workspace admin.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.customers.measures import TIER_WORDS
from jobs.errors import (
    Code,
    CommandLine,
    NotFoundError,
    Part,
    PermissionDeniedError,
    Person,
    UsageError,
    joined,
)
from jobs.escalation.remediation import DEFAULT_ITEMS, MAX_ITEMS
from jobs.escalation.treatments import DEFAULT_TREATMENTS, changed_treatments
from jobs.goals.service import Actor, remembering
from storage import audit, workspace
from storage import goals as goal_store

DEFAULT_DIGEST_TIME = "09:30"
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


@dataclass(frozen=True)
class TreatmentChange:
    """Set a customer tier's treatment (`title`), or put the default back (`title` None)."""

    tier: str
    title: str | None


@dataclass(frozen=True)
class ConfigChange:
    """Settings to change; None means "leave as it is"."""

    ceo_id: str | None = None
    lead_id: str | None = None
    digest_time: str | None = None
    timezone: str | None = None
    checklist: ChecklistChange | None = None
    treatment: TreatmentChange | None = None

    @property
    def is_empty(self) -> bool:
        settings = (self.ceo_id, self.lead_id, self.digest_time, self.timezone)
        return not any((*settings, self.checklist, self.treatment))


@dataclass(frozen=True)
class ConfigOutcome:
    """What a change did that others should hear about: the channel lead it replaced."""

    new_lead: str | None = None
    # The lead before the change, when the change made someone else the lead.
    replaced_lead: str | None = None


@dataclass(frozen=True)
class EffectiveConfig:
    """What applies to a channel, and where each value came from."""

    ceo_id: str | None
    lead_id: str | None
    digest_time: str
    digest_time_source: str
    timezone: str
    timezone_source: str
    # The workspace's own checklist items, after the default ones.
    checklist_items: tuple[str, ...] = ()
    # The treatments the workspace replaced, by tier; the other tiers get DEFAULT_TREATMENTS.
    tier_treatments: dict[str, str] = field(default_factory=dict)


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
    return _item_title(text, checklist_example(action), "the checklist item's title")


def treatment_title(text: str, *, tier: str) -> str:
    """A tier's treatment, a checklist item's title too: as `checklist_title`."""
    words = f"the {TIER_WORDS[tier]} tier's treatment"
    return _item_title(text, treatment_example(tier), words)


def _item_title(text: str, example: CommandLine, what: str) -> str:
    title = " ".join(text.split())
    if not title:
        raise UsageError(f"Give {what}, in quotes.", example=example)
    if len(title) > MAX_ITEM_CHARS:
        raise UsageError(
            f"That title is {len(title)} characters long; Slack shows at most "
            f"{MAX_ITEM_CHARS} on a checklist item.",
            example=example,
        )
    if any(unicodedata.category(char) == "Cc" for char in title):
        raise UsageError(
            "A checklist item's title can't contain control characters.", example=example
        )
    return title


def changed_checklist(items: Sequence[str], change: ChecklistChange) -> list[str]:
    """The workspace's extra items after `change` (pure); a typed error when it can't apply."""
    title = checklist_title(change.title, action=change.action)
    key = title.casefold()
    defaults = {item.casefold() for item in DEFAULT_ITEMS}
    if change.action == "add":
        if key in defaults or key in {item.casefold() for item in items}:
            where = "one of the default items" if key in defaults else "already on the checklist"
            taken = {key, *(item.casefold() for item in items)}
            fresh = [t for t in EXAMPLE_ITEMS if t.casefold() not in taken]
            raise UsageError(
                Code(title),
                f" is {where}; each item can appear once.",
                example=checklist_example("add", fresh[0]) if fresh else SHOW_CONFIG,
            )
        if len(items) >= MAX_EXTRA_ITEMS:
            raise UsageError(
                f"The checklist already has {len(items)} workspace items, the most Slack can show "
                f"next to the {len(DEFAULT_ITEMS)} default ones and a customer tier's treatment. "
                "Remove one first.",
                example=checklist_example("remove", items[0]),
            )
        return [*items, title]
    if key in defaults:
        raise UsageError(
            Code(title),
            " is one of the default items every remediation gets; only the "
            "workspace's own items can be removed.",
            example=checklist_example("remove", items[0]) if items else SHOW_CONFIG,
        )
    kept = [item for item in items if item.casefold() != key]
    if len(kept) == len(items):
        known = joined(Code(item) for item in items) or ("none yet",)
        raise NotFoundError(
            "The checklist has no item ",
            Code(title),
            ". The workspace's items: ",
            *known,
            ".",
            example=checklist_example("remove", items[0]) if items else checklist_example(),
        )
    return kept


# Settings only a workspace admin may change: (whether the change sets it, why not, an example
# the refused user can run instead). Checked in this order.
_ADMIN_ONLY: tuple[tuple[Callable[[ConfigChange], bool], tuple[Part, ...], CommandLine], ...] = (
    (
        lambda change: change.ceo_id is not None,
        (
            "Only a workspace admin or owner can set the CEO. "
            "Ask an admin to run the command, or set the channel lead instead.",
        ),
        CommandLine("config", "lead", "@li"),
    ),
    (
        lambda change: change.checklist is not None,
        (
            "Only a workspace admin or owner can change the remediation checklist. "
            "Ask an admin to run the command; ",
            SHOW_CONFIG,
            " shows the current checklist.",
        ),
        SHOW_CONFIG,
    ),
    (
        lambda change: change.treatment is not None,
        (
            "Only a workspace admin or owner can change a customer tier's treatment. "
            "Ask an admin to run the command; ",
            SHOW_CONFIG,
            " shows the current treatments.",
        ),
        SHOW_CONFIG,
    ),
)
# The channel settings a change sets as given; the lead only as `_require_lead_setter` allows.
_CHANNEL_FIELDS = ("lead_id", "digest_time", "timezone")


async def configure(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    actor: Actor,
    change: ConfigChange,
    now: datetime,
) -> ConfigOutcome:
    """Apply a change; the CEO, the checklist and the treatments can only be changed by a
    workspace admin, the channel lead only as `_require_lead_setter` allows."""
    actor = remembering(actor)
    for sets, refusal, example in _ADMIN_ONLY:
        if sets(change) and not await actor.is_admin():
            raise PermissionDeniedError(*refusal, example=example)
    # What the audit event records, in the order it was changed.
    details: dict[str, str] = {}
    if change.ceo_id is not None or change.checklist is not None or change.treatment is not None:
        await _change_workspace(session, team_id, change, now, details)
    replaced: str | None = None
    if any(getattr(change, name) for name in _CHANNEL_FIELDS):
        replaced = await _change_channel(session, team_id, channel_id, actor, change, now, details)
    await audit.record_event(
        session=session,
        team_id=team_id,
        channel_id=channel_id,
        actor_id=actor.user_id,
        action="config.update",
        subject="config",
        details=details,
        at=now,
    )
    return ConfigOutcome(new_lead=change.lead_id, replaced_lead=replaced)


async def _change_workspace(
    session: AsyncSession,
    team_id: str,
    change: ConfigChange,
    now: datetime,
    details: dict[str, str],
) -> None:
    """Set the CEO, change the checklist and a treatment, adding what changed to `details`."""
    row = await workspace.workspace_settings_for_update(session=session, team_id=team_id, now=now)
    if change.ceo_id is not None:
        row.ceo_id = details["ceo_id"] = change.ceo_id
    if change.checklist is not None:
        # A new list, so the JSON column is seen as changed.
        row.checklist_items = changed_checklist(row.checklist_items, change.checklist)
        details[f"checklist_{change.checklist.action}"] = checklist_title(change.checklist.title)
    if (treatment := change.treatment) is not None:
        title = treatment_title(treatment.title, tier=treatment.tier) if treatment.title else None
        # A new dict, so the JSON column is seen as changed.
        row.tier_treatments = changed_treatments(row.tier_treatments, treatment.tier, title)
        details["treatment_tier"] = treatment.tier
        details["treatment" if title else "treatment_reset"] = title or "default"


async def _change_channel(
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    actor: Actor,
    change: ConfigChange,
    now: datetime,
    details: dict[str, str],
) -> str | None:
    """Set the channel's settings, adding what changed to `details`; returns the lead replaced
    by someone else, if any."""
    channel = await workspace.channel_settings_for_update(
        session=session, team_id=team_id, channel_id=channel_id, now=now
    )
    replaced: str | None = None
    if change.lead_id is not None and change.lead_id != channel.lead_id:
        await _require_lead_setter(session, team_id, channel_id, actor, channel.lead_id)
        if channel.lead_id is not None:
            replaced = details["previous_lead_id"] = channel.lead_id
    for name in _CHANNEL_FIELDS:
        value = getattr(change, name)
        if value is not None:
            setattr(channel, name, value)
            details[name] = value
    return replaced


async def _require_lead_setter(
    session: AsyncSession, team_id: str, channel_id: str, actor: Actor, lead: str | None
) -> None:
    """The channel lead may be changed by the current lead, an owner of one of the channel's
    goals or a workspace admin; the first one by a goal owner or an admin."""
    if lead is not None and actor.user_id == lead:
        return
    goals = await goal_store.list_goals(session=session, team_id=team_id, channel_id=channel_id)
    owners = sorted({goal.owner_id or goal.created_by for goal in goals})
    if actor.user_id in owners or await actor.is_admin():
        return
    named = joined(Person(owner) for owner in owners)
    message: tuple[Part, ...]
    if lead is None:
        who = ("an owner of one of its goals (", *named, ") or ") if owners else ()
        message = (
            "This channel has no lead yet; only ",
            *who,
            "a workspace admin can set the first one, "
            "since the lead gets the channel's escalations.",
        )
    else:
        who = (", an owner of one of its goals (", *named, ")") if owners else ()
        message = (
            "Only the channel's lead (",
            Person(lead),
            ")",
            *who,
            " or a workspace admin can change the "
            "channel lead, since the lead gets the channel's escalations.",
        )
    raise PermissionDeniedError(*message, example=SHOW_CONFIG)


async def effective_config(
    *, session: AsyncSession, team_id: str, channel_id: str, default_timezone: str
) -> EffectiveConfig:
    """The settings that apply to a channel: channel, else workspace, else deployment default."""
    ws = await workspace.get_workspace_settings(session=session, team_id=team_id)
    ch = await workspace.get_channel_settings(
        session=session, team_id=team_id, channel_id=channel_id
    )
    digest, digest_source = _first(
        (ch.digest_time if ch else None, "channel"),
        (ws.digest_time if ws else None, "workspace"),
        (DEFAULT_DIGEST_TIME, "default"),
    )
    zone, zone_source = _first(
        (ch.timezone if ch else None, "channel"),
        (ws.timezone if ws else None, "workspace"),
        (default_timezone, "default"),
    )
    return EffectiveConfig(
        ceo_id=ws.ceo_id if ws else None,
        lead_id=ch.lead_id if ch else None,
        digest_time=digest,
        digest_time_source=digest_source,
        timezone=zone,
        timezone_source=zone_source,
        checklist_items=tuple(ws.checklist_items) if ws else (),
        tier_treatments=dict(ws.tier_treatments) if ws else {},
    )


def _first(*candidates: tuple[str | None, str]) -> tuple[str, str]:
    for value, source in candidates:
        if value:
            return value, source
    raise ValueError("no candidate had a value")
