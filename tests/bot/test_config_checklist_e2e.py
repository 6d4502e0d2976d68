"""`/goal config checklist add|remove`: workspace checklist items, through the real endpoint."""

from __future__ import annotations

import pytest

from bot.runtime import RunningBot
from storage import workspace
from tests.support.conversation import TEAM, audit_actions, reply_text, run
from tests.support.fake_slack import FakeSlack
from tests.support.rows import audit_events
from tests.support.signing import SignedSlack

ADMIN = "U0ADMIN"


async def stored_items(bot: RunningBot) -> list[str]:
    async with bot.services.database.transaction() as session:
        return await workspace.workspace_checklist_items(session=session, team_id=TEAM)


async def test_admin_adds_an_item_and_sees_it_in_config(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """An admin's new item is stored, audited and listed after the defaults in `/goal config`."""
    text = await run(
        slack, fake_slack, 'config checklist add "User journey map review"', user=ADMIN
    )
    assert "Added *User journey map review* to the checklist" in text
    assert await stored_items(bot) == ["User journey map review"]
    shown = await run(slack, fake_slack, "config")
    assert "Remediation checklist" in shown
    assert "• Behaviour heatmap review _(default)_" in shown
    assert "• Competitor scan _(default)_\n• User journey map review" in shown
    assert "add up to 5 more" in shown
    assert await audit_actions(bot) == ["config.update"]
    async with bot.services.database.transaction() as session:
        [event] = await audit_events(session=session, team_id=TEAM)
    assert (event.actor_id, event.details) == (ADMIN, {"checklist_add": "User journey map review"})


async def test_admin_removes_an_item(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """Removing matches the title case-insensitively; an unknown title is a clear error."""
    await run(slack, fake_slack, "config checklist add “Pricing page review”", user=ADMIN)
    await run(slack, fake_slack, 'config checklist add "Onboarding funnel"', user=ADMIN)
    text = await run(slack, fake_slack, 'config checklist remove "pricing PAGE review"', user=ADMIN)
    assert "Removed *pricing PAGE review*" in text
    assert await stored_items(bot) == ["Onboarding funnel"]
    missing = await run(slack, fake_slack, 'config checklist remove "Nope"', user=ADMIN)
    assert "The checklist has no item `Nope`" in missing
    assert "`Onboarding funnel`" in missing
    assert 'Try: `/goal config checklist remove "Onboarding funnel"`' in missing
    default = await run(slack, fake_slack, 'config checklist remove "Competitor scan"', user=ADMIN)
    assert "one of the default items" in default
    assert await stored_items(bot) == ["Onboarding funnel"]


async def test_non_admin_is_refused_and_nothing_changes(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """Someone who is not a workspace admin is refused ephemerally; nothing is stored or audited."""
    text = await run(slack, fake_slack, 'config checklist add "User journey map review"')
    assert "Only a workspace admin or owner can change the remediation checklist" in text
    assert "Try: `/goal config`" in text
    assert await stored_items(bot) == []
    assert await audit_actions(bot) == []


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("competitor SCAN", "`competitor SCAN` is one of the default items"),
        ("user journey map review", "`user journey map review` is already on the checklist"),
    ],
    ids=["duplicate-of-default", "duplicate-of-workspace-item"],
)
async def test_duplicates_are_refused_with_an_example(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, title: str, expected: str
) -> None:
    """A title already on the checklist (ignoring case) is refused with a working example."""
    await run(slack, fake_slack, 'config checklist add "User journey map review"', user=ADMIN)
    text = await run(slack, fake_slack, f'config checklist add "{title}"', user=ADMIN)
    assert expected in text
    assert 'Try: `/goal config checklist add "Pricing page review"`' in text
    assert await stored_items(bot) == ["User journey map review"]


async def test_too_long_title_is_refused_in_the_ack(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """A title over 75 characters is refused before any I/O, with an example."""
    status, ack, _ = await slack.command(f'config checklist add "{"x" * 76}"', user=ADMIN)
    assert status == 200
    assert ack is not None
    assert ack["response_type"] == "ephemeral"
    text = reply_text(ack)
    assert "That title is 76 characters long" in text
    assert '/goal config checklist add "User journey map review"' in text
    assert await stored_items(bot) == []


async def test_the_seventh_workspace_item_is_refused(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """Six workspace items, the three defaults and a customer tier's treatment fill Slack's ten
    checkboxes; no more fit."""
    for n in range(6):
        await run(slack, fake_slack, f'config checklist add "Review {n}"', user=ADMIN)
    text = await run(slack, fake_slack, 'config checklist add "Review 6"', user=ADMIN)
    assert "already has 6 workspace items" in text
    assert 'Try: `/goal config checklist remove "Review 0"`' in text
    assert await stored_items(bot) == [f"Review {n}" for n in range(6)]
    assert "add up to" not in await run(slack, fake_slack, "config")


async def test_broadcast_in_a_title_is_shown_escaped(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """A title with `<!channel>` is stored as typed and never reaches Slack as a live mention."""
    text = await run(slack, fake_slack, 'config checklist add "<!channel> & review"', user=ADMIN)
    assert "&lt;!channel&gt; &amp; review" in text
    assert await stored_items(bot) == ["<!channel> & review"]
    shown = await run(slack, fake_slack, "config")
    assert "• &lt;!channel&gt; &amp; review" in shown
    assert "<!channel>" not in shown
    assert all("<!channel>" not in str(call.body) for call in fake_slack.calls_to("response_url"))
