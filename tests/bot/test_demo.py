"""`goalpulse demo`: goals set through `/goal`, then pull → evaluate → digest on sample data,
then the escalation life of one slipping goal as the demo's clock moves on, then a week of one
owner's daily check-ins and the weekly summary."""

from __future__ import annotations

import asyncio
import io
import os
import re
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.demo import CHARTS_DIR, METRICS_PATH, TEAM_ID, run_demo, run_step, script
from bot.demo_checkins import CHECKIN_GOAL, shown
from bot.demo_messenger import SettableClock, TerminalMessenger
from bot.demo_story import STORY_GOAL
from bot.demo_transcript import GUTTER
from bot.services import Services, utc_now
from jobs.context import EngineContext
from jobs.engine import Engine
from jobs.messages import (
    CheckinAnswered,
    CheckinPrompt,
    Outgoing,
    Recovered,
    WeeklyCheckinSummary,
    metric_of,
)
from jobs.metrics.catalog import load_catalog
from jobs.metrics.sources import SourceFetcher
from storage import goals as goal_store
from storage.db import Database
from tests.bot.test_render_escalation import GOAL

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
STORY_HEADING = f"── Escalation: {STORY_GOAL} slips"
CHECKINS_HEADING = f"── Check-ins: @li reports on {CHECKIN_GOAL} every morning"
SHORTCODE = re.compile(r":[a-z_+-][a-z0-9_+-]*:")


def reply_to(output: str, heading: str) -> list[str]:
    """The gutter lines printed under the first line ending with `heading`, stripped."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(heading))
    reply = []
    for line in lines[start + 1 :]:
        if not line.startswith(GUTTER.rstrip()):
            break
        reply.append(line.removeprefix(GUTTER.rstrip()).strip())
    return reply


def digest_entry(output: str, channel: str, key: str) -> str:
    """A goal's entry in a channel's digest: its line and the notes line under it, joined."""
    lines = reply_to(output, f"#{channel} digest:")
    start = next(i for i, line in enumerate(lines) if f"`{key}`" in line)
    entry = []
    for line in lines[start:]:
        if not line:
            break
        entry.append(line)
    return " ".join(entry)


def story_messages(output: str, heading: str = STORY_HEADING) -> list[tuple[str, str]]:
    """The messages of the chapter under `heading` (the escalation story's by default) in
    order: (where it went, its text joined by newlines)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    found: list[tuple[str, list[str]]] = []
    for line in lines[start + 1 :]:
        if line.startswith("── "):  # the next chapter
            break
        if line.startswith("  ── ") and line.endswith(" ──"):
            found.append((line.strip(" ─"), []))
        elif found and line.startswith(GUTTER.rstrip()):
            found[-1][1].append(line.removeprefix(GUTTER.rstrip()).strip())
    return [(where, "\n".join(body)) for where, body in found]


def first(messages: list[tuple[str, str]], where: str, *texts: str, after: int = -1) -> int:
    """The index of the first message after `after` sent to `where` that says all `texts`."""
    return next(
        i
        for i, (to, body) in enumerate(messages)
        if i > after and to.startswith(where) and all(text in body for text in texts)
    )


@contextmanager
def no_network() -> Iterator[None]:
    """Any attempt to resolve a name or open a connection fails the run."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the demo tried to use the network: {args!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        yield


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The demo's output (a StringIO, so no colour), run in an empty folder with no network,
    and that folder."""
    folder = tmp_path_factory.mktemp("demo-cwd")
    before = Path.cwd()
    os.chdir(folder)
    try:
        stream = io.StringIO()
        with no_network():
            asyncio.run(run_demo(stream))
    finally:
        os.chdir(before)
    return stream.getvalue(), folder


@pytest.fixture(scope="module")
def output(run: tuple[str, Path]) -> str:
    """The demo's output."""
    return run[0]


@pytest.mark.parametrize(
    ("channel", "key", "expected"),
    [
        ("growth", "dau", ["🟠 Daily active users", "119.6k vs 150k", "−20.3%", "task force"]),
        ("growth", "next_day_retention", ["🔴 Next-day retention", "24% vs 35%", "−31.4%"]),
        ("growth", "conversion_rate", ["🟢 Conversion rate", "↘ 3 days down", "red in ~"]),
        ("growth", "gmv", ["🟢 Gross merchandise value", "vs ¥2.5M"]),
        ("ops", "complaint_rate", ["🟠 Complaint rate", "2.5% vs 2%", "+25.5%", "task force"]),
        ("ops", "nps", ["🟢 Net promoter score", "43 vs 40", "+7.5%"]),
    ],
    ids=["dau-orange", "retention-red", "conversion-trend", "gmv-green", "complaints", "nps"],
)
def test_each_case_lands_in_its_band(
    output: str, channel: str, key: str, expected: list[str]
) -> None:
    """Each classic case is in its channel's digest with the right band, numbers and notes."""
    entry = digest_entry(output, channel, key)
    for text in expected:
        assert text in entry


def test_broken_source_is_shown_and_the_rest_evaluated(output: str) -> None:
    """The `#DIV/0!` export fails its pull and shows in the digest; every other pull stores."""
    pulled = dict(re.findall(r"^  (\w+) +(\d+ days stored|FAILED: .*)$", output, re.MULTILINE))
    assert pulled.pop("refund_rate").startswith("FAILED: `column 'refund_rate' has non-numeric")
    assert set(pulled.values()) == {"30 days stored"}
    assert len(pulled) == 9  # eight CSV metrics and the derived health index
    entry = digest_entry(output, "ops", "refund_rate")
    assert entry.startswith("⚪ Refund rate")
    assert "source failing: non-numeric values" in entry  # the export's text stays out
    assert "#DIV/0!" not in entry


def test_health_index_and_checkin(output: str) -> None:
    """#growth has the index's three parts, so its digest ends with it; nps came by checkin."""
    growth = " ".join(reply_to(output, "#growth digest:"))
    assert "User health index" in growth
    assert "30-day active rate" in growth
    assert "Recorded `nps` = 43" in " ".join(
        reply_to(output, "/goal checkin nps 43 quarterly survey, 1,204 answers")
    )


def test_lists_show_measured_goals(output: str) -> None:
    """After the pull, each channel's `/goal list` shows only its own goals, measured."""
    growth = " ".join(reply_to(output, "@ana in #growth ▸ /goal list"))
    ops = " ".join(reply_to(output, "@mei in #ops ▸ /goal list"))
    assert "Goals in this channel (7)" in growth
    assert "Goals in this channel (3)" in ops
    assert "🟠 Daily active users (`dau`) 119.6k (−20.3%) · target 150k" in growth
    assert "complaint_rate" not in growth
    assert "dau" not in ops
    assert "no data yet" not in growth


def test_charts_are_written(run: tuple[str, Path]) -> None:
    """One PNG per channel in ./goalpulse-demo-charts, and the output says where."""
    output, folder = run
    charts = sorted((folder / CHARTS_DIR).iterdir())
    assert [path.name.split("-")[0] for path in charts] == ["growth", "ops"]
    for path in charts:
        assert path.read_bytes().startswith(PNG_MAGIC)
        assert f"  {path.name}\n" in output
    assert f"2 PNGs in ./{CHARTS_DIR}/" in output


def test_a_mistake_gets_the_real_error_reply(output: str) -> None:
    """The typo step shows what was wrong and a corrected example, and changes nothing."""
    reply = " ".join(reply_to(output, "@ana in #growth ▸ /goal set dau 30%"))
    assert reply.startswith("⚠️ `dau` is a count metric")
    assert "Try: `/goal set dau 150k" in reply


def test_output_is_honest_plain_text(output: str) -> None:
    """The demo runs to the end, says what is not there yet and prints no colour codes."""
    assert output.startswith("goalpulse demo\n")
    assert "not part of this version" not in output
    assert "Something went wrong" not in output
    assert "\033" not in output


def test_temporary_database_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SQLite file and sample data live in a temporary folder that is gone at the end."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    asyncio.run(run_demo(io.StringIO(), charts_dir=tmp_path / "charts"))
    assert list((tmp_path / "tmp").iterdir()) == []


async def test_steps_store_goals_like_slash_commands(database: Database) -> None:
    """The demo's steps go through parse and execute, so the goals are stored as typed."""
    catalog = load_catalog(METRICS_PATH)
    engine = Engine(
        context=EngineContext(
            database=database,
            messenger=TerminalMessenger(
                show=lambda where, blocks: None, clock=utc_now, channels={}, users={}
            ),
            catalog=catalog,
            clock=utc_now,
            timezone="UTC",
        ),
        fetcher=SourceFetcher(base_dir=METRICS_PATH.parent, env={}),
    )
    services = Services(database=database, catalog=catalog, engine=engine)
    for _, steps in script(services.today()):
        for step in steps:
            await run_step(step, services)
    async with database.transaction() as session:
        growth = await goal_store.list_goals(
            session=session, team_id=TEAM_ID, channel_id="C0GROWTH"
        )
    stored = {(g.metric_key, g.target, g.yellow) for g in growth}
    assert ("dau", 150_000, 0.05) in stored
    assert ("gmv", 2_500_000, 0.10) in stored
    assert len(stored) == 7


def test_console_script_prints_the_demo(tmp_path: Path, output: str) -> None:
    """`python -m bot demo` from an empty folder (no .env) exits 0 and prints the same demo."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GOALPULSE_"))}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env={**env, "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    if datetime.now(UTC).date().isoformat() in output:  # not run across midnight
        assert result.stdout == output
    assert len(list((tmp_path / CHARTS_DIR).glob("*.png"))) == 2


def test_slipping_goal_life_in_order(output: str) -> None:
    """Parent, checklist, lead DM, CEO DM, +24h reminder and the overdue close-out, in order."""
    messages = story_messages(output)
    parent = first(messages, "#growth · new message", "Remediation: Conversion rate")
    checklist = first(messages, "#growth · in the thread of", "Checklist · Conversion rate")
    lead_note = first(messages, "#growth · in the thread of", "@li — Conversion rate is")
    lead_dm = first(messages, "DM to @li", "Conversion rate is now orange")
    ceo_dm = first(messages, "DM to @wei", "Conversion rate rose to red")
    reminder = first(messages, "#growth · in the thread of", "Checklist reminder", "48h left")
    close_out = first(messages, "#growth · in the thread of", "Overdue", "Escalated to")
    assert parent < checklist < lead_note < lead_dm < ceo_dm < reminder < close_out
    thread = messages[parent][0].rsplit(" ", 1)[-1]  # the parent's ts
    assert all(
        messages[i][0] == f"#growth · in the thread of {thread}"
        for i in (checklist, lead_note, reminder, close_out)
    )


def test_checklist_shows_items_with_owners(output: str) -> None:
    """The checklist has an unticked box and an owner for each default item, and Resolve."""
    messages = story_messages(output)
    body = messages[first(messages, "#growth · in the thread of", "Checklist")][1]
    for item in ("Behaviour heatmap review", "Customer-service script A/B test", "Competitor scan"):
        assert f"☐ {item}" in body
        assert re.search(rf"⬜ {re.escape(item)} +\[ @ana ▾ \]\nowner @ana", body)
    assert "0/3 done · 71h left" in body
    assert body.endswith("[ Resolve ]")


def test_lead_dm_has_buttons_and_thread_link(output: str) -> None:
    """The lead's DM gives the numbers, Acknowledge and Snooze, and a link to the thread."""
    messages = story_messages(output)
    parent_ts = messages[first(messages, "#growth · new message")][0].rsplit(" ", 1)[-1]
    body = messages[first(messages, "DM to @li", "is now orange")][1]
    assert "You are the lead for this goal in #growth" in body
    assert "−22.9%" in body
    link = f"https://acme.slack.com/archives/C0GROWTH/p{parent_ts.replace('.', '')}"
    assert f"👉 Open the remediation thread ({link})" in body
    assert body.endswith("[ Acknowledge ]  [ Snooze 24h ]")


def test_red_reaches_the_ceo(output: str) -> None:
    """Red mentions the CEO in the thread and DMs them, with the numbers and the link."""
    messages = story_messages(output)
    note = first(messages, "#growth · in the thread of", "@wei (CEO) — Conversion rate is")
    dm = first(messages, "DM to @wei", "rose to red", after=note)
    body = messages[dm][1]
    assert "As CEO you take direct charge" in body
    assert "2.4% (" in body
    assert "−31.4%" in body
    assert "Open the remediation thread (https://acme.slack.com/" in body


def test_reminders_repeat_and_acknowledge(output: str) -> None:
    """Reminders mention the owner; the DM repeats until acknowledged, then is redrawn."""
    messages = story_messages(output)
    day2 = first(messages, "#growth · in the thread of", "@ana: 0/3 done · 48h left")
    repeat = first(messages, "DM to @li", "still red — reminder 1 of 5", after=day2)
    ack = first(messages, "#growth · in the thread of", "Acknowledged by @li", after=repeat)
    redrawn = first(messages, "DM to @li · edited in place", after=ack)
    assert "[ Acknowledge ]" not in messages[redrawn][1]
    assert messages[redrawn][1].endswith("Acknowledged by @li")
    ticked = first(messages, "#growth · message", "☑ Behaviour heatmap review", after=redrawn)
    first(messages, "#growth · in the thread of", "@ana: 1/3 done · 24h left", after=ticked)
    assert not any("reminder 2 of 5" in body for _, body in messages)  # acknowledged


def test_close_out_is_overdue_and_escalated(output: str) -> None:
    """At +72h the close-out says overdue and escalated; the DMs follow, the thread closes."""
    messages = story_messages(output)
    close = first(messages, "#growth · in the thread of", "🚨 Overdue")
    body = messages[close][1]
    assert "1/3 done" in body
    assert "Overdue: 1/3 items done; metric still adverse." in body
    assert "Escalated to @li (lead), @wei (CEO)" in body
    first(messages, "DM to @li", "remediation overdue", after=close)
    first(messages, "DM to @wei", "remediation overdue", after=close)
    first(messages, "#growth · message", "Checklist", "Closed: overdue", after=close)
    first(messages, "#growth · message", "Remediation: Conversion rate", "Closed: overdue")
    assert "[ Acknowledge ]" not in messages[-1][1] + messages[-2][1]


def test_story_follows_one_goal(output: str) -> None:
    """Only the slipping goal's messages are printed; the others are counted, not shown."""
    messages = story_messages(output)
    others = ("Daily active users", "Next-day retention", "Complaint rate")
    assert not any(title in body for _, body in messages for title in others)
    assert not any(where.startswith("DM to @mei") for where, _ in messages)
    assert re.search(
        r"Not shown: \d+ messages about complaint_rate, dau and\s+next_day_retention", output
    )
    assert re.search(r"Nor the DM telling goal owners that the source of\s+refund_rate", output)


def test_no_raw_emoji_shortcodes(output: str) -> None:
    """Every shortcode the renderers use has a terminal equivalent: none is printed raw."""
    assert SHORTCODE.findall(output) == []


async def test_terminal_messenger_where_and_ids() -> None:
    """The messenger prints where each message went and returns Slack-shaped, increasing ids."""
    shown: list[str] = []
    clock = SettableClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    messenger = TerminalMessenger(
        show=lambda where, blocks: shown.append(where),
        clock=clock,
        channels={"C0GROWTH": "growth"},
        users={"U0LI": "li"},
        shown=lambda message: metric_of(message) != "hidden",
    )
    goal = GOAL
    parent = await messenger.post("C0GROWTH", Recovered(goal))
    reply = await messenger.post("C0GROWTH", Recovered(goal), thread_ts=parent)
    channel, dm = await messenger.send_dm("U0LI", Recovered(goal))
    await messenger.update(channel, dm, Recovered(goal))
    await messenger.post("C0GROWTH", Recovered(replace(goal, metric_key="hidden")))
    assert shown == [
        f"#growth · new message {parent}",
        f"#growth · in the thread of {parent}",
        "DM to @li",
        "DM to @li · edited in place",
    ]
    assert parent < reply < dm
    assert parent.startswith(f"{int(clock().timestamp())}.")
    assert messenger.hidden == {"hidden": 1}
    assert messenger.dms["U0LI", goal.metric_key] == (channel, dm)
    assert await messenger.user_timezone("U0LI") == "Europe/Berlin"
    link = await messenger.permalink("C0GROWTH", parent)
    assert link == f"https://acme.slack.com/archives/C0GROWTH/p{parent.replace('.', '')}"
    clock.advance(timedelta(hours=1))
    with pytest.raises(ValueError, match="forward"):
        clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def test_check_in_week_prompts_reminds_and_redraws(output: str) -> None:
    """Five morning prompts with a Check in button, one reminder on the unanswered day, and
    each answer redrawn in the DM, in the order the week was told."""
    assert "@li in #growth ▸ /goal checkins gmv daily 09:30" in output
    messages = story_messages(output, CHECKINS_HEADING)
    check_ins = ("📝 Time to check in on", "⏰ Reminder: time to check in on", "✅ Checked in on")
    for where, body in messages:  # @li's other goals' DMs are not printed, only these
        if where.startswith("DM to "):
            assert where.startswith("DM to @li")
            assert body.startswith(tuple(f"{kind} Gross merchandise value" for kind in check_ins))
        else:
            assert where.startswith(("#growth · digest", "#growth · in the thread of"))
    prompts = [
        i
        for i, (_, body) in enumerate(messages)
        if "📝 Time to check in on Gross merchandise value" in body
    ]
    assert len(prompts) == 5
    assert all(
        messages[i][1].endswith("You are asked every day at 09:30, in your own time zone.")
        for i in prompts
    )
    assert all("[ Check in ]" in messages[i][1] for i in prompts)
    [reminder] = [
        i for i, (_, body) in enumerate(messages) if "⏰ Reminder: time to check in" in body
    ]
    assert prompts[3] < reminder < prompts[4]  # Thursday's, before Friday's prompt
    redrawn = [body for where, body in messages if where == "DM to @li · edited in place"]
    confidences = [
        found[0] for body in redrawn if (found := re.search(r"On track|At risk|Off track", body))
    ]
    assert confidences == ["On track", "On track", "At risk", "Off track"]
    assert not any("[ Check in ]" in body for body in redrawn)
    assert "What moved it\nLaunched the referral banner" in redrawn[0]


def test_missed_day_and_off_track_raise_reach_the_digest(output: str) -> None:
    """Thursday's check-in is recorded missed the next morning; the week's first digest shows the
    owner on track, next Monday's the off-track answer raising the green goal to yellow."""
    chapter = output[output.index(CHECKINS_HEADING) :]
    assert re.search(
        r"Thursday's check-in has gone 24 hours unanswered: it is\s+recorded missed", chapter
    )
    messages = story_messages(output, CHECKINS_HEADING)
    digests = [body for where, body in messages if where.startswith("#growth · digest")]
    assert len(digests) == 2
    first_gmv, next_gmv = (_goal_entry(body, CHECKIN_GOAL) for body in digests)
    assert first_gmv.startswith("🟢 Gross merchandise value")
    assert "Owner: on track" in first_gmv
    assert next_gmv.startswith("🟡 Gross merchandise value")
    assert "+0.4%" in next_gmv  # its numbers are still on target
    assert "Owner: off track — raised to yellow" in next_gmv


def test_weekly_summary_goes_in_the_thread_of_the_weeks_first_digest(output: str) -> None:
    """After next Monday's digest, the week's summary: each answer with its confidence, the notes
    quoted under the owner's name, the missed Thursday, in the first digest's thread."""
    messages = story_messages(output, CHECKINS_HEADING)
    first_digest = next(where for where, _ in messages if where.startswith("#growth · digest"))
    [(where, summary)] = [(w, body) for w, body in messages if "Check-ins for week" in body]
    assert where == f"#growth · in the thread of {first_digest.rsplit(' ', 1)[-1]}"
    assert summary.startswith("📋 Check-ins for week")
    assert "Gross merchandise value `gmv`" in summary
    assert "🟡 at risk (was on track)" in summary
    assert "🔴 off track (was at risk)" in summary
    assert "What moved it (@li): “Launched the referral banner”" in summary
    assert "Blockers (@li): “Waiting on legal review of the coupon copy”" in summary
    assert re.search(r"Missed: @li \(Thu \d+ \w+\)", summary)
    assert summary.endswith("4 answered · 1 missed")
    assert messages.index((where, summary)) == len(messages) - 1  # after the digest


def _goal_entry(digest: str, key: str) -> str:
    """A goal's entry in a printed digest: its line and the notes under it, joined."""
    lines = digest.splitlines()
    start = next(i for i, line in enumerate(lines) if f"`{key}`" in line)
    entry = []
    for line in lines[start:]:
        if not line:
            break
        entry.append(line)
    return " ".join(entry)


PROMPT = CheckinPrompt(replace(GOAL, metric_key=CHECKIN_GOAL), 1, None, None)


@pytest.mark.parametrize(
    ("message", "printed"),
    [
        pytest.param(PROMPT, True, id="prompt"),
        pytest.param(replace(PROMPT, reminder=True), True, id="reminder"),
        pytest.param(
            CheckinAnswered(PROMPT.goal, 1, "on_track", None, None, None, datetime.now(UTC)),
            True,
            id="answered",
        ),
        pytest.param(
            WeeklyCheckinSummary("C0GROWTH", "2026-W50", date(2026, 12, 7), date(2026, 12, 13), ()),
            True,
            id="summary",
        ),
        pytest.param(replace(PROMPT, goal=GOAL), False, id="another-goals-prompt"),
        pytest.param(Recovered(PROMPT.goal), False, id="the-goals-escalation"),
    ],
)
def test_check_in_chapter_prints_only_its_goals_check_ins(message: Outgoing, printed: bool) -> None:
    """The chapter's messages are the followed goal's check-in DMs and the weekly summary."""
    assert shown(message) is printed
