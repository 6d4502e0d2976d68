"""Block Kit rendered for a terminal: `bot.render.terminal`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

import bot
from bot.render.blocks import error_blocks
from bot.render.escalation import render
from bot.render.terminal import (
    BOLD,
    DIM,
    EMOJI,
    RESET,
    blocks_to_text,
    display_width,
    mrkdwn_to_text,
)
from jobs.errors import CommandLine, UsageError
from jobs.escalation.remediation import ChecklistItem
from jobs.messages import ChecklistView
from tests.bot.test_render_escalation import GOAL

USERS = {"U0ANA": "ana", "U0LI": "li"}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*Daily active users* is up", "Daily active users is up"),
        ("_(paused)_ and ~gone~", "(paused) and gone"),
        ("owner <@U0ANA>, lead <@U0LI|li>", "owner @ana, lead @li"),
        ("owner <@U0BOB>", "owner @U0BOB"),
        ("owner <@U0BOB|bob>", "owner @bob"),
        ("in <#C0OPS|ops>, <!here>", "in #ops, @here"),
        ("see <https://x.example/a_b_c|the docs>", "see the docs (https://x.example/a_b_c)"),
        ("&lt;!channel&gt; &amp; co &amp;lt;", "<!channel> & co &lt;"),
        (":large_orange_circle: orange :red_circle:", "🟠 orange 🔴"),
        (":warning: :dart: :gear: :boom:", "⚠️ 🎯 ⚙️ 💥"),
        (":unicorn_face: unknown stays", ":unicorn_face: unknown stays"),
        ("`*not bold* <@U0ANA> &lt;x&gt;`", "`*not bold* <@U0ANA> <x>`"),
        ("next_day_retention and 2*3*4", "next_day_retention and 2*3*4"),
        ("digest at 09:30:00", "digest at 09:30:00"),
    ],
    ids=[
        "bold",
        "italic-strike",
        "mentions",
        "unknown-user-id",
        "unknown-user-label",
        "channel-and-here",
        "link-with-label",
        "escapes",
        "band-emoji",
        "notice-emoji",
        "unknown-emoji",
        "code-span-literal",
        "underscores-in-words",
        "clock-is-not-emoji",
    ],
)
def test_mrkdwn_translation(text: str, expected: str) -> None:
    """Slack mrkdwn becomes plain terminal text: markup dropped, mentions named, escapes undone."""
    assert mrkdwn_to_text(text, users=USERS) == expected


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([{"type": "header", "text": {"type": "plain_text", "text": "Goals"}}], "Goals\n─────"),
        (
            [section("*Target*"), context("Alerts at 10%")],
            "Target\nAlerts at 10%",
        ),
        (
            [
                {
                    "type": "section",
                    "fields": [
                        {"type": "mrkdwn", "text": "*Target*\n150k"},
                        {"type": "mrkdwn", "text": "*Due*\nno due date"},
                        {"type": "mrkdwn", "text": "*Owner*\n<@U0ANA>"},
                    ],
                }
            ],
            "Target    Due\n150k      no due date\n\nOwner\n@ana",
        ),
        (
            [
                {"type": "section", "fields": [{"type": "mrkdwn", "text": "*A*\n1"}]},
                context("after fields"),
            ],
            "A\n1\n\nafter fields",
        ),
        ([section("one"), {"type": "divider"}, section("two")], f"one\n\n{'─' * 80}\n\ntwo"),
        (
            [{"type": "actions", "elements": [{"type": "button", "text": {"text": "Resolve"}}]}],
            "[ Resolve ]",
        ),
        ([section("shown"), {"type": "input", "label": "?"}], "shown"),
    ],
    ids=[
        "header-underlined",
        "section-then-context",
        "fields-two-per-row",
        "context-after-fields-spaced",
        "divider",
        "buttons",
        "unknown-block-skipped",
    ],
)
def test_blocks_to_text(blocks: list[dict[str, Any]], expected: str) -> None:
    """Each block kind renders as readable lines, without colour by default."""
    assert blocks_to_text(blocks, users=USERS) == expected


def test_block_objects_render_like_dicts() -> None:
    """slack_sdk Block objects give the same text as their dict form."""
    blocks = [
        HeaderBlock(text="Goals in this channel (1)"),
        SectionBlock(text=MarkdownTextObject(text=":white_circle: *DAU* owner <@U0ANA>")),
        DividerBlock(),
        ContextBlock(elements=[MarkdownTextObject(text="`dau`")]),
    ]
    assert blocks_to_text(blocks, users=USERS) == blocks_to_text(
        [block.to_dict() for block in blocks], users=USERS
    )
    assert "⚪ DAU owner @ana" in blocks_to_text(blocks, users=USERS)


def test_color_styles_header_bold_and_context_dim() -> None:
    """With colour on, headers are bold, bold text is bold, and context lines are dim."""
    text = blocks_to_text(
        [
            {"type": "header", "text": {"type": "plain_text", "text": "Goals"}},
            section("a *bold* word"),
            context("small print"),
        ],
        color=True,
    )
    assert text.splitlines()[0].startswith(BOLD)
    assert f"a {BOLD}bold{RESET} word" in text
    assert f"{DIM}small print{RESET}" in text
    assert "\033" not in blocks_to_text([section("a *bold* word")])


def test_long_text_wraps_without_splitting_code() -> None:
    """Long section text wraps at the width, but an inline command stays on one line."""
    text = blocks_to_text(
        [section("Alerts at 10% off target. Change with `/goal thresholds dau 10% 20% 30%`.")],
        width=40,
    )
    assert text.splitlines() == [
        "Alerts at 10% off target. Change with",
        "`/goal thresholds dau 10% 20% 30%`.",
    ]


def test_real_error_reply_renders() -> None:
    """The bot's own error reply reads as a warning line and a corrected example."""
    blocks = error_blocks(
        UsageError("`dau` is a count metric.", example=CommandLine("set", "dau", "150k"))
    )
    assert blocks_to_text(blocks) == "⚠️ `dau` is a count metric.\nTry: `/goal set dau 150k`"


@pytest.mark.parametrize(
    ("text", "width"),
    [("abc", 3), ("🟡 5%", 5), ("⚠️ x", 4), ("¥2.5M", 5), ("目标", 4), (f"{BOLD}ab{RESET}", 2)],
    ids=["ascii", "wide-emoji", "emoji-variation", "yen", "cjk", "ansi-ignored"],
)
def test_display_width(text: str, width: int) -> None:
    """Widths count terminal columns, so field columns line up."""
    assert display_width(text) == width


def test_rendered_checklist_reads_in_a_terminal() -> None:
    """A remediation checklist shows ticked boxes, each item's owner and the Resolve button."""
    now = datetime(2025, 11, 25, 16, 30, tzinfo=UTC)
    items = (
        ChecklistItem("heatmap", "Behaviour heatmap review", "U0ANA", "U0LI", now),
        ChecklistItem("scan", "Competitor scan", "U0LI"),
    )
    view = ChecklistView(
        GOAL, 42, items, now + timedelta(hours=41, minutes=5), "open", "Europe/Berlin", now
    )
    text = blocks_to_text(render(view)[1], users=USERS)
    assert text.splitlines()[:5] == [
        "📝 Checklist · Daily active users",
        "1/2 done · 41h left · due Thu 27 Nov, 10:35 CET",
        "",
        "☑ Behaviour heatmap review",
        "☐ Competitor scan",
    ]
    lines = text.splitlines()
    heatmap = lines.index(next(line for line in lines if line.startswith("✅ Behaviour")))
    assert re.fullmatch(r"✅ Behaviour heatmap review — done by @li +\[ @ana ▾ \]", lines[heatmap])
    assert lines[heatmap + 1] == "owner @ana"
    assert re.search(r"\n⬜ Competitor scan +\[ @li ▾ \]\nowner @li\n", text)
    assert all(display_width(line) <= 80 for line in lines)
    assert text.endswith("[ Resolve ]")


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        (
            {
                "type": "checkboxes",
                "options": [
                    {"text": {"type": "mrkdwn", "text": "a &amp; b"}, "value": "a"},
                    {"text": {"type": "plain_text", "text": "c"}, "value": "c"},
                ],
                "initial_options": [{"text": {"type": "mrkdwn", "text": "a"}, "value": "a"}],
            },
            "☑ a & b\n☐ c",
        ),
        ({"type": "checkboxes", "options": [{"text": {"text": "x"}, "value": "x"}]}, "☐ x"),
        ({"type": "users_select", "initial_user": "U0ANA"}, "[ @ana ▾ ]"),
        (
            {"type": "users_select", "placeholder": {"type": "plain_text", "text": "Pick one"}},
            "[ Pick one ▾ ]",
        ),
        ({"type": "users_select"}, "[ Choose a user ▾ ]"),
        ({"type": "datepicker"}, ""),
    ],
    ids=[
        "checkboxes",
        "checkboxes-none-ticked",
        "users-select",
        "users-select-placeholder",
        "users-select-empty",
        "unknown",
    ],
)
def test_interactive_elements(element: dict[str, Any], expected: str) -> None:
    """Checkboxes, user selects and buttons in an actions block read as text."""
    button = {"type": "button", "text": {"type": "plain_text", "text": "Snooze 24h"}}
    blocks = [{"type": "actions", "elements": [element, button]}]
    assert blocks_to_text(blocks, users=USERS) == "\n".join(
        line for line in (expected, "[ Snooze 24h ]") if line
    )


def test_section_accessory_select() -> None:
    """A section's one-line accessory sits on the right of its first line, as in Slack."""
    block = {**section("⬜ *Scan*"), "accessory": {"type": "users_select", "initial_user": "U0LI"}}
    assert blocks_to_text([block], users=USERS, width=30) == "⬜ Scan" + " " * 14 + "[ @li ▾ ]"


def test_section_accessory_narrows_the_text() -> None:
    """Long text wraps in the room left of the accessory; the lines stay within the width."""
    words = "word " * 12
    block = {**section(words.strip()), "accessory": {"type": "users_select"}}
    text = blocks_to_text([block], width=40)
    lines = text.splitlines()
    assert lines[0].endswith("[ Choose a user ▾ ]")
    assert all(display_width(line) <= 40 for line in lines)
    assert " ".join(" ".join(lines).replace("[ Choose a user ▾ ]", "").split()) == words.strip()


def test_section_without_text_keeps_accessory_below() -> None:
    """A fields-only section shows its accessory under the fields."""
    block = {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": "*Owner*"}],
        "accessory": {"type": "users_select", "initial_user": "U0ANA"},
    }
    assert blocks_to_text([block], users=USERS) == "Owner\n[ @ana ▾ ]"


def test_channel_mentions_use_names() -> None:
    """`<#C…>` reads as the channel's name when known, else its label, else its id."""
    text = "in <#C0GROWTH>, <#C0OPS|ops> and <#C0NEW>"
    channels = {"C0GROWTH": "growth"}
    assert mrkdwn_to_text(text, channels=channels) == "in #growth, #ops and #C0NEW"
    blocks = [section(text)]
    assert blocks_to_text(blocks, channels=channels) == "in #growth, #ops and #C0NEW"


def test_every_shortcode_goalpulse_sends_has_an_emoji() -> None:
    """No `:shortcode:` in the bot's source is left without a terminal equivalent."""
    sources = Path(bot.__file__).parent.rglob("*.py")
    used = {
        code
        for path in sources
        for code in re.findall(r"(?<![\w:]):([a-z][a-z0-9_]*):(?![\w:])", path.read_text())
    }
    assert {"clipboard", "rotating_light", "gear"} <= used, "the shortcodes were not found"
    assert sorted(used - EMOJI.keys()) == []
    assert mrkdwn_to_text(":clipboard: :rotating_light:") == "📋 🚨"
