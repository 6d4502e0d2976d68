"""`goalpulse demo --lang zh-CN`: the whole walk-through in Simplified Chinese, the demo's own
narration and every reply and message it shows; `--lang` takes only a language goalpulse speaks."""

from __future__ import annotations

import asyncio
import io
import os
import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo import CHARTS_DIR, METRICS_PATH, run_demo
from bot.demo_transcript import GUTTER, NARRATION_WIDTH
from bot.render.terminal import display_width
from jobs.metrics.catalog import load_catalog
from tests.bot.test_demo import no_network
from tests.support.chinese import english_left


@pytest.fixture(scope="module")
def chinese(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`goalpulse demo --lang zh-CN`'s output (a StringIO, so no colour), with no network, in
    an empty folder."""
    before = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("demo-zh"))
    try:
        stream = io.StringIO()
        with no_network():
            asyncio.run(run_demo(stream, lang="zh-CN"))
    finally:
        os.chdir(before)
    return stream.getvalue()


# The metric titles in the sample metrics.yml stay as written there, and paths as they are.
DEMO_NAMES = (*(metric.title for metric in load_catalog(METRICS_PATH)), CHARTS_DIR)


def narration(output: str) -> list[str]:
    """The demo's own lines: the narration, headings, who typed what and where each message
    went; not the replies and messages in the gutter, nor a failed pull's source error."""
    return [
        line.partition("失败：")[0]
        for line in output.splitlines()
        if not line.startswith(GUTTER.rstrip())
    ]


def english_lines(lines: list[str]) -> list[str]:
    """The lines with English left in them (each line alone: a typed `/goal` command ends
    at its line's end)."""
    return [line for line in lines if english_left(line, allowed=DEMO_NAMES)]


def unwrapped(output: str) -> list[str]:
    """The output's lines with each paragraph of a reply or message joined into one line, so
    that a metric title the terminal wrapped reads whole."""
    found: list[str] = []
    paragraph: list[str] = []
    for line in output.splitlines():
        gutter = line.startswith(GUTTER.rstrip())
        text = line.removeprefix(GUTTER.rstrip()).strip()
        if gutter and text:
            paragraph.append(text)
            continue
        if paragraph:
            found.append(" ".join(paragraph))
            paragraph = []
        if not gutter:
            found.append(line)
    return found + ([" ".join(paragraph)] if paragraph else [])


def test_the_chinese_demo_narrates_in_chinese(chinese: str) -> None:
    """The narration, the transcript's lines and the messages' headings are Chinese, and no
    line is wider than the transcript."""
    assert english_lines(narration(chinese)) == []
    assert max(display_width(line) for line in narration(chinese)) <= NARRATION_WIDTH


@pytest.mark.parametrize(
    "expected",
    [
        pytest.param(r"^@ana 在 #growth ▸ /goal set dau 30%$", id="command"),
        pytest.param(r"^── 升级：conversion_rate 下滑 ─+$", id="chapter"),
        pytest.param(
            r"^第 1 天 · \d{1,2}月\d{1,2}日 周[一二三四五六日] 08:01 UTC$", id="story-day"
        ),
        pytest.param(r"^\d{1,2}月\d{1,2}日 周一 柏林时间 09:30（08:30 UTC）$", id="check-in-day"),
        pytest.param(r"^@li 回答：进度正常；变化原因：“上线了推荐横幅”。$", id="answer"),
        pytest.param(r"^  ── 发给 @wei 的私信 ──$", id="dm-heading"),
        pytest.param(r"^  dau +已存储 30 天$", id="pulled"),
    ],
)
def test_chinese_demo_lines(chinese: str, expected: str) -> None:
    assert re.search(expected, chinese, re.MULTILINE), expected


def test_the_whole_chinese_demo_has_no_english_left(chinese: str) -> None:
    """Every reply and message the demo shows too: rendered by the areas' own renderers, under
    the workspace language the demo sets (metric keys, titles and typed commands aside)."""
    assert english_lines(unwrapped(chinese)) == []


def test_an_unknown_demo_language_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--lang", "fr"])
    assert exited.value.code == 2
    assert "invalid choice: 'fr'" in capsys.readouterr().err
