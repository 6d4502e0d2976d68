"""The remediation thread as Block Kit: the parent message in the goal's channel and the
checklist in its thread (checkboxes, an owner per item, Resolve). Pure."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    CheckboxesElement,
    ConfirmObject,
    MarkdownTextObject,
    Option,
    SectionBlock,
    UserSelectElement,
)

from bot.constants import (
    CHECKLIST_ACTION,
    ITEM_OWNER_ACTION,
    RESOLVE_ACTION,
    checklist_block_id,
    owner_block_id,
)
from bot.render.alert_parts import (
    DONE,
    ITEM_CHARS,
    MAX_OPTIONS,
    NOT_DONE,
    OPTION_CHARS,
    TREND_EMOJI,
    TRIGGER_EMOJI,
    band_label,
    button,
    done_count,
    due_words,
    status_word,
)
from bot.render.block_kit import MAX_BLOCKS, context_block, section_block
from bot.render.digest import full_line
from bot.render.figures import goal_title
from bot.render.lines import escaped_line, shorten
from bot.render.text import USER_ID, mention
from bot.render.times import local_time, time_left
from jobs.escalation.remediation import ChecklistItem
from jobs.i18n import _
from jobs.messages import (
    ChecklistView,
    RemediationParent,
)

# --- The remediation thread -----------------------------------------------------------------


def remediation_parent(parent: RemediationParent) -> tuple[str, list[Block]]:
    """The channel message that opens a remediation; its thread holds the checklist."""
    line = parent.goal
    title = goal_title(line)
    emoji = TRIGGER_EMOJI.get(parent.trigger, TREND_EMOJI)
    blocks: list[Block] = []
    if parent.recovered_at is not None:
        back = _("*Recovered — back in {band}* since {since}").format(
            band=band_label(line.band), since=local_time(parent.recovered_at, parent.timezone)
        )
        blocks.append(section_block(f"{DONE} {back}"))
    heading = _("Remediation: {title}").format(title=title)
    blocks += [
        section_block(f"{emoji} *{heading}*\n{_trigger(parent)}"),
        section_block(full_line(line)),
    ]
    when = local_time(parent.due_at, parent.timezone)
    if parent.status == "open":
        blocks.append(context_block(_("Due {time} · Checklist in the thread ⤵").format(time=when)))
    else:
        closed = _("Closed: {status}").format(status=status_word(parent.status))
        if parent.closed_at is not None:
            closed += f" · {local_time(parent.closed_at, parent.timezone)}"
        blocks.append(context_block(closed))
    if parent.recovered_at:
        text = _("Remediation: {title} (recovered)").format(title=title)
    else:
        text = _("Remediation: {title} ({status}, due {time})").format(
            title=title, status=status_word(parent.status), time=when
        )
    return text, blocks


def _trigger(parent: RemediationParent) -> str:
    """Why it opened, as it was then (the streak today may be longer, or broken)."""
    if parent.trigger in TRIGGER_EMOJI:
        return _(
            "Opened because it reached {band}: 72 hours to correct it, looking at the whole "
            "user journey."
        ).format(band=band_label(parent.trigger))
    if moves := parent.trigger_moves:
        return _(
            "Opened because of {count} adverse moves in a row: 72 hours to correct it, looking "
            "at the whole user journey."
        ).format(count=moves)
    return _(
        "Opened because of adverse moves in a row: 72 hours to correct it, looking at the "
        "whole user journey."
    )


def checklist(view: ChecklistView) -> tuple[str, list[Block]]:
    """The checklist in the thread: progress, checkboxes, an owner per item and Resolve."""
    line = view.goal
    title = goal_title(line)
    progress = done_count(view.done, len(view.items))
    is_open = view.status == "open"
    due = due_words(view.due_at, view.timezone)
    status = f"{progress} · {time_left(view.due_at, view.now)} · {due}" if is_open else progress
    heading = _("Checklist · {title}").format(title=title)
    blocks: list[Block] = [section_block(f":memo: *{heading}*\n{status}")]
    # Room for the header, the checkboxes, Resolve (or the closing line) and a "more" note.
    room = MAX_BLOCKS - 4
    shown = view.items[:room]
    if is_open:
        tickable = view.items[:MAX_OPTIONS]
        options = {item.key: _option(item) for item in tickable}
        done = [options[item.key] for item in tickable if item.done]
        element = CheckboxesElement(
            action_id=CHECKLIST_ACTION,
            options=list(options.values()),
            # Slack refuses an empty list of initial options: None leaves the key out.
            initial_options=done or None,
        )
        blocks.append(
            ActionsBlock(block_id=checklist_block_id(view.remediation_id), elements=[element])
        )
    blocks += [_item_section(view, item, interactive=is_open) for item in shown]
    if len(view.items) > len(shown):
        more = _("…and {count} more items.").format(count=len(view.items) - len(shown))
        blocks.append(context_block(more))
    if is_open:
        confirm = ConfirmObject(
            title=_("Resolve this remediation?"),
            text=MarkdownTextObject(
                text=_(
                    "This closes the remediation of {title} now, with {progress}. Only the "
                    "goal's owner or lead can do this."
                ).format(title=f"*{title}*", progress=progress)
            ),
            confirm=_("Resolve"),
            deny=_("Cancel"),
        )
        resolve = button(_("Resolve"), RESOLVE_ACTION, str(view.remediation_id), "primary", confirm)
        blocks.append(ActionsBlock(elements=[resolve]))
    else:
        closed = (
            _("Closed: {status} (by {user})").format(
                status=status_word(view.status), user=mention(view.closed_by)
            )
            if view.closed_by
            else _("Closed: {status}").format(status=status_word(view.status))
        )
        blocks.append(context_block(closed))
    if is_open:
        text = _("Checklist for {title}: {progress}, {due}").format(
            title=title, progress=progress, due=due
        )
    else:
        text = _("Checklist for {title}: {progress}").format(title=title, progress=progress)
    return text, blocks


def item_title(item: ChecklistItem) -> str:
    """The item's title as the reader reads it: a default one translated, a typed one as is."""
    return _(item.title)


def _option(item: ChecklistItem) -> Option:
    text = shorten(item_title(item), OPTION_CHARS)
    return Option(value=item.key, text=MarkdownTextObject(text=text))


def _item_section(view: ChecklistView, item: ChecklistItem, *, interactive: bool) -> SectionBlock:
    title = escaped_line(item_title(item), ITEM_CHARS)
    if item.done:
        if item.done_by:
            said = _("{title} — done by {user}").format(
                title=f"*{title}*", user=mention(item.done_by)
            )
        else:
            said = _("{title} — done").format(title=f"*{title}*")
        state = f"{DONE} {said}"
    elif interactive:
        state = f"{NOT_DONE} *{title}*"
    else:
        state = f"{NOT_DONE} " + _("{title} — not done").format(title=f"*{title}*")
    text = f"{state}\n" + _("owner {owner}").format(owner=mention(item.owner_id))
    if not interactive:
        return section_block(text)
    owner = UserSelectElement(
        action_id=ITEM_OWNER_ACTION,
        placeholder=_("Choose an owner"),
        initial_user=item.owner_id if USER_ID.fullmatch(item.owner_id) else None,
    )
    return SectionBlock(
        block_id=owner_block_id(view.remediation_id, item.key),
        text=MarkdownTextObject(text=text),
        accessory=owner,
    )
