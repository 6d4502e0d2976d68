"""`goalpulse demo`: goals set through `/goal`, then pull → evaluate → digest on sample data."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.demo import CHARTS_DIR, GUTTER, METRICS_PATH, TEAM_ID, run_demo, run_step, script
from bot.services import Services
from jobs.metrics import load_catalog
from storage import goals as goal_store
from storage.db import Database

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The demo's output (a StringIO, so no colour), run in an empty folder, and that folder."""
    folder = tmp_path_factory.mktemp("demo-cwd")
    before = Path.cwd()
    os.chdir(folder)
    try:
        stream = io.StringIO()
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
    assert pulled.pop("refund_rate").startswith("FAILED: column 'refund_rate' has non-numeric")
    assert set(pulled.values()) == {"30 days stored"}
    assert len(pulled) == 9  # eight CSV metrics and the derived health index
    entry = digest_entry(output, "ops", "refund_rate")
    assert entry.startswith("⚪ Refund rate")
    assert "source failing: refund_rate: column 'refund_rate'" in entry
    assert "('#DIV/0!')" in entry


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
    assert "remediation threads are not part of this version yet" in output
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
    services = Services(database=database, catalog=load_catalog(METRICS_PATH))
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
