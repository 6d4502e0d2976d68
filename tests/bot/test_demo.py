"""`goalpulse demo`: sample goals set through the real `/goal` path, shown in the terminal."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.demo import GUTTER, METRICS_PATH, TEAM_ID, run_demo, run_step, script
from bot.services import Services
from jobs.metrics import load_catalog
from storage import goals as goal_store
from storage.db import Database


def reply_to(output: str, command: str) -> str:
    """The bot's reply printed under the first line ending with `command`, as one line."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(command))
    reply = []
    for line in lines[start + 1 :]:
        if not line.startswith(GUTTER.rstrip()):
            break
        reply.append(line.removeprefix(GUTTER.rstrip()).strip())
    return " ".join(" ".join(reply).split())


@pytest.fixture(scope="module")
def output() -> str:
    """The demo's output, written to a StringIO (not a terminal, so no colour)."""
    stream = io.StringIO()
    asyncio.run(run_demo(stream))
    return stream.getvalue()


NEXT_YEAR = datetime.now(UTC).year + 1  # the demo's due date is next year's 31 March

GOALS = [
    (
        "@ana in #growth ▸ /goal set dau 150k owner @ana lead @li",
        "Created the goal Daily active users (`dau`): 150k, higher is better, "
        "owner @ana, lead @li.",
    ),
    (
        "@ana in #growth ▸ /goal set next_day_retention 35% lead @li",
        "Next-day retention (`next_day_retention`): 35%, higher is better, owner @ana, lead @li.",
    ),
    (
        f"@li in #growth ▸ /goal set gmv ¥2.5M by {NEXT_YEAR}-03-31",
        f"(`gmv`): ¥2.5M, higher is better, by {NEXT_YEAR}-03-31, owner @li.",
    ),
    (
        "@mei in #ops ▸ /goal set complaint_rate 2% lower",
        "Complaint rate (`complaint_rate`): 2%, lower is better, owner @mei.",
    ),
    (
        "@mei in #ops ▸ /goal set nps 40 owner @mei lead @li",
        "Net promoter score (`nps`): 40, higher is better, owner @mei, lead @li.",
    ),
]


@pytest.mark.parametrize(
    ("command", "confirmation"), GOALS, ids=["dau", "retention", "gmv", "complaints", "nps"]
)
def test_each_goal_is_confirmed(output: str, command: str, confirmation: str) -> None:
    """Each sample `/goal set` is printed as typed and answered with its formatted target."""
    assert confirmation in reply_to(output, command)


@pytest.mark.parametrize(
    ("command", "present", "absent"),
    [
        (
            "@ana in #growth ▸ /goal list",
            [
                "Goals in this channel (3)",
                "Daily active users (`dau`) no data yet · target 150k, higher is better · "
                "owner @ana",
                "Gross merchandise value (`gmv`) no data yet · target ¥2.5M",
                "Next-day retention (`next_day_retention`) no data yet · target 35%",
            ],
            ["complaint_rate", "nps", "🟢", "🟡", "🟠", "🔴"],
        ),
        (
            "@mei in #ops ▸ /goal list",
            [
                "Goals in this channel (2)",
                "Complaint rate (`complaint_rate`) no data yet · target 2%, lower is better · "
                "owner @mei",
                "Net promoter score (`nps`) no data yet · target 40",
            ],
            ["dau", "gmv", "🟢", "🟡", "🟠", "🔴"],
        ),
        (
            "@ana in #growth ▸ /goal show dau",
            [
                "Daily active users",
                "150k (higher is better)",
                "no due date",
                "Owner Lead @ana @li",
                "🟡 5% · 🟠 15% · 🔴 25%",
                "created by @ana",
            ],
            ["🟢"],
        ),
    ],
    ids=["growth-list", "ops-list", "show-dau"],
)
def test_channels_show_their_goals(
    output: str, command: str, present: list[str], absent: list[str]
) -> None:
    """Lists show only that channel's goals, unmeasured; `/goal show dau` its people and bands."""
    reply = reply_to(output, command)
    for text in present:
        assert text in reply
    for text in absent:
        assert text not in reply


def test_a_mistake_gets_the_real_error_reply(output: str) -> None:
    """The typo step shows what was wrong and a corrected example, and changes nothing."""
    reply = reply_to(output, "@ana in #growth ▸ /goal set dau 30%")
    assert reply.startswith("⚠️ `dau` is a count metric")
    assert "Try: `/goal set dau 150k" in reply
    assert "target 150k" in reply_to(output, "@ana in #growth ▸ /goal list")


def test_output_is_honest_plain_text(output: str) -> None:
    """The demo runs to the end, claims no measured values and prints no colour codes."""
    assert output.startswith("goalpulse demo\n")
    assert "arrive in later" in output
    assert output.count("no data yet") == 7  # five list lines, `show dau`, the closing note
    assert "Something went wrong" not in output
    assert "\033" not in output


def test_temporary_database_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SQLite file lives in a temporary folder that is gone when the demo ends."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    asyncio.run(run_demo(io.StringIO()))
    assert list(tmp_path.iterdir()) == []


async def test_steps_store_goals_like_slash_commands(database: Database) -> None:
    """The demo's steps go through parse and execute, so the goals are stored as typed."""
    services = Services(database=database, catalog=load_catalog(METRICS_PATH))
    for _, steps in script(services.today()):
        for step in steps:
            await run_step(step, services)
    async with database.transaction() as session:
        growth = await goal_store.list_goals(
            session=session, team_id=TEAM_ID, channel_id="C0GROWTH"
        )
    stored = {(g.metric_key, g.target, g.owner_id, g.lead_id, g.yellow) for g in growth}
    assert stored == {
        ("dau", 150_000, "U0ANA", "U0LI", 0.05),
        ("gmv", 2_500_000, "U0LI", None, 0.10),
        ("next_day_retention", 0.35, "U0ANA", "U0LI", 0.10),
    }


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
    assert result.stdout == output
