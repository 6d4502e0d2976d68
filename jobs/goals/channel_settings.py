"""The `config` command: the CEO and channel lead, when and in which timezone digests go out,
the checklist items the workspace adds to every remediation, its customer tiers' treatments, and
the language a channel (or the whole workspace) reads (jobs/goals/language.py).

The lead gets the channel's escalations (and may acknowledge and resolve them), so changing it
needs the current lead, an owner of one of the channel's goals or a workspace admin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.errors import (
    CommandLine,
    Part,
    PermissionDeniedError,
    Person,
    Typed,
    UsageError,
    joined,
    phrase,
)
from jobs.escalation.treatments import changed_treatments
from jobs.goals.checklist_items import (
    EXAMPLE_ITEMS,
    MAX_EXTRA_ITEMS,
    MAX_ITEM_CHARS,
    SHOW_CONFIG,
    ChecklistChange,
    changed_checklist,
    checklist_example,
    checklist_title,
    treatment_example,
    treatment_title,
)
from jobs.goals.language import language_named
from jobs.goals.service import Actor, remembering
from jobs.i18n import N_, _
from storage import audit, workspace
from storage import goals as goal_store

DEFAULT_DIGEST_TIME = "09:30"
# Re-exported: the checklist's limits and titles live in jobs/goals/checklist_items.py.
__all__ = [
    "DEFAULT_DIGEST_TIME",
    "EXAMPLE_ITEMS",
    "MAX_EXTRA_ITEMS",
    "MAX_ITEM_CHARS",
    "SHOW_CONFIG",
    "ChecklistChange",
    "ConfigChange",
    "ConfigOutcome",
    "EffectiveConfig",
    "LanguageChange",
    "TreatmentChange",
    "changed_checklist",
    "checklist_example",
    "checklist_title",
    "configure",
    "effective_config",
    "language_example",
    "treatment_example",
    "treatment_title",
]


@dataclass(frozen=True)
class TreatmentChange:
    """Set a customer tier's treatment (`title`), or put the default back (`title` None)."""

    tier: str
    title: str | None


@dataclass(frozen=True)
class LanguageChange:
    """Set the language a channel (or, `workspace`, every channel without its own) reads;
    `locale` None clears the choice: the channel reads its workspace's, the workspace English."""

    locale: str | None
    workspace: bool = False


@dataclass(frozen=True)
class ConfigChange:
    """Settings to change; None means "leave as it is"."""

    ceo_id: str | None = None
    lead_id: str | None = None
    digest_time: str | None = None
    timezone: str | None = None
    checklist: ChecklistChange | None = None
    treatment: TreatmentChange | None = None
    language: LanguageChange | None = None

    @property
    def is_empty(self) -> bool:
        settings = (self.ceo_id, self.lead_id, self.digest_time, self.timezone)
        return not any((*settings, self.checklist, self.treatment, self.language))


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
    # The locale the channel reads and where it came from (`channel`, `workspace`, `default`).
    language: str = "en"
    language_source: str = "default"


def language_example(*, workspace: bool = False, locale: str = "zh-CN") -> CommandLine:
    """A `config [workspace] language …` command that parses."""
    return CommandLine("config", *(("workspace",) if workspace else ()), "language", locale)


# Settings only a workspace admin may change: (whether the change sets it, why not, an example
# the refused user can run instead). Checked in this order; the refusals are N_-marked and
# translated when raised.
_ADMIN_ONLY: tuple[tuple[Callable[[ConfigChange], bool], str, CommandLine], ...] = (
    (
        lambda change: change.ceo_id is not None,
        N_(
            "Only a workspace admin or owner can set the CEO. "
            "Ask an admin to run the command, or set the channel lead instead."
        ),
        CommandLine("config", "lead", "@li"),
    ),
    (
        lambda change: change.checklist is not None,
        N_(
            "Only a workspace admin or owner can change the remediation checklist. "
            "Ask an admin to run the command; {show} shows the current checklist."
        ),
        SHOW_CONFIG,
    ),
    (
        lambda change: change.treatment is not None,
        N_(
            "Only a workspace admin or owner can change a customer tier's treatment. "
            "Ask an admin to run the command; {show} shows the current treatments."
        ),
        SHOW_CONFIG,
    ),
    (
        lambda change: change.language is not None and change.language.workspace,
        N_(
            "Only a workspace admin or owner can change the workspace's language. "
            "Ask an admin to run the command, or set this channel's own language instead."
        ),
        language_example(),
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
            raise PermissionDeniedError(*phrase(_(refusal), show=SHOW_CONFIG), example=example)
    # What the audit event records, in the order it was changed.
    details: dict[str, str] = {}
    language = change.language
    if (
        change.ceo_id is not None
        or change.checklist is not None
        or change.treatment is not None
        or (language is not None and language.workspace)
    ):
        await _change_workspace(session, team_id, change, now, details)
    replaced: str | None = None
    if any(getattr(change, name) for name in _CHANNEL_FIELDS) or (
        language is not None and not language.workspace
    ):
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
    if (language := change.language) is not None and language.workspace:
        row.language = _stored_language(language)
        details["workspace_language"] = row.language or "default"


def _stored_language(change: LanguageChange) -> str | None:
    """The locale to store (checked again: a change may come from elsewhere than the parser)."""
    if change.locale is None:
        return None
    locale = language_named(change.locale)
    if locale is None:
        raise UsageError(
            *phrase(
                _("{language} is not a language goalpulse speaks."),
                language=Typed(change.locale),
            ),
            example=language_example(workspace=change.workspace),
        )
    return locale


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
    if (language := change.language) is not None and not language.workspace:
        channel.language = _stored_language(language)
        details["language"] = channel.language or "default"
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
    named = joined((Person(owner) for owner in owners), _(", "))
    message: tuple[Part, ...]
    if lead is None and owners:
        message = phrase(
            _(
                "This channel has no lead yet; only an owner of one of its goals ({owners}) or a "
                "workspace admin can set the first one, since the lead gets the channel's "
                "escalations."
            ),
            owners=named,
        )
    elif lead is None:
        message = (
            _(
                "This channel has no lead yet; only a workspace admin can set the first one, "
                "since the lead gets the channel's escalations."
            ),
        )
    elif owners:
        message = phrase(
            _(
                "Only the channel's lead ({lead}), an owner of one of its goals ({owners}) or a "
                "workspace admin can change the channel lead, since the lead gets the channel's "
                "escalations."
            ),
            lead=Person(lead),
            owners=named,
        )
    else:
        message = phrase(
            _(
                "Only the channel's lead ({lead}) or a workspace admin can change the channel "
                "lead, since the lead gets the channel's escalations."
            ),
            lead=Person(lead),
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
    language, language_source = _first(
        (ch.language if ch else None, "channel"),
        (ws.language if ws else None, "workspace"),
        ("en", "default"),
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
        language=language,
        language_source=language_source,
    )


def _first(*candidates: tuple[str | None, str]) -> tuple[str, str]:
    for value, source in candidates:
        if value:
            return value, source
    raise ValueError("no candidate had a value")
