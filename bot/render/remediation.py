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
)
from bot.render.block_kit import MAX_BLOCKS, context_block, section_block
from bot.render.digest import full_line
from bot.render.figures import goal_title
from bot.render.lines import escaped_line, shorten
from bot.render.text import USER_ID, mention
from bot.render.times import local_time, time_left
from jobs.escalation.remediation import ChecklistItem
from jobs.messages import (
    ChecklistView,
    RemediationParent,
)

# --- The remediation thread -----------------------------------------------------------------


def remediation_parent(parent: RemediationParent) -> tuple[str, list[Block]]:
    """The channel message that opens a remediation; its thread holds the checklist."""
    line = parent.goal
    emoji = TRIGGER_EMOJI.get(parent.trigger, TREND_EMOJI)
    blocks: list[Block] = []
    if parent.recovered_at is not None:
        since = local_time(parent.recovered_at, parent.timezone)
        blocks.append(
            section_block(f"{DONE} *Recovered — back in {band_label(line.band)}* since {since}")
        )
    blocks += [
        section_block(
            f"{emoji} *Remediation: {goal_title(line)}*\n"
            f"Opened because {_trigger(parent)}: 72 hours to correct it, "
            "looking at the whole user journey."
        ),
        section_block(full_line(line)),
    ]
    when = local_time(parent.due_at, parent.timezone)
    if parent.status == "open":
        blocks.append(context_block(f"Due {when} · Checklist in the thread ⤵"))
    else:
        closed = f"Closed: {parent.status}"
        if parent.closed_at is not None:
            closed += f" · {local_time(parent.closed_at, parent.timezone)}"
        blocks.append(context_block(closed))
    state = "recovered" if parent.recovered_at else f"{parent.status}, due {when}"
    return f"Remediation: {goal_title(line)} ({state})", blocks


def _trigger(parent: RemediationParent) -> str:
    """Why it opened, as it was then (the streak today may be longer, or broken)."""
    if parent.trigger in TRIGGER_EMOJI:
        return f"it reached {parent.trigger}"
    moves = parent.trigger_moves
    return f"of {moves} adverse moves in a row" if moves else "of adverse moves in a row"


def checklist(view: ChecklistView) -> tuple[str, list[Block]]:
    """The checklist in the thread: progress, checkboxes, an owner per item and Resolve."""
    line = view.goal
    total = len(view.items)
    progress = f"{view.done}/{total} done"
    is_open = view.status == "open"
    due = f"due {local_time(view.due_at, view.timezone)}"
    status = f"{progress} · {time_left(view.due_at, view.now)} · {due}" if is_open else progress
    blocks: list[Block] = [section_block(f":memo: *Checklist · {goal_title(line)}*\n{status}")]
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
        blocks.append(context_block(f"…and {len(view.items) - len(shown)} more items."))
    if is_open:
        confirm = ConfirmObject(
            title="Resolve this remediation?",
            text=MarkdownTextObject(
                text=f"This closes the remediation of *{goal_title(line)}* now, "
                f"with {progress}. Only the goal's owner or lead can do this."
            ),
            confirm="Resolve",
            deny="Cancel",
        )
        resolve = button("Resolve", RESOLVE_ACTION, str(view.remediation_id), "primary", confirm)
        blocks.append(ActionsBlock(elements=[resolve]))
    else:
        by = f" (by {mention(view.closed_by)})" if view.closed_by else ""
        blocks.append(context_block(f"Closed: {view.status}{by}"))
    text = f"Checklist for {goal_title(line)}: {progress}" + (f", {due}" if is_open else "")
    return text, blocks


def _option(item: ChecklistItem) -> Option:
    return Option(value=item.key, text=MarkdownTextObject(text=shorten(item.title, OPTION_CHARS)))


def _item_section(view: ChecklistView, item: ChecklistItem, *, interactive: bool) -> SectionBlock:
    title = escaped_line(item.title, ITEM_CHARS)
    if item.done:
        by = f" by {mention(item.done_by)}" if item.done_by else ""
        state = f"{DONE} *{title}* — done{by}"
    else:
        state = f"{NOT_DONE} *{title}*" + ("" if interactive else " — not done")
    text = f"{state}\nowner {mention(item.owner_id)}"
    if not interactive:
        return section_block(text)
    owner = UserSelectElement(
        action_id=ITEM_OWNER_ACTION,
        placeholder="Choose an owner",
        initial_user=item.owner_id if USER_ID.fullmatch(item.owner_id) else None,
    )
    return SectionBlock(
        block_id=owner_block_id(view.remediation_id, item.key),
        text=MarkdownTextObject(text=text),
        accessory=owner,
    )
