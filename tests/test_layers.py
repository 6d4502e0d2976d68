"""jobs/ carries data and bot/ renders it: no Slack words in jobs/ source, not even in comments.

Mentions, channel links, broadcasts, the slash command's name, mrkdwn entities and escaping
helpers belong to bot/ (bot/render/text.py); jobs/ says what to show as parts (jobs/errors.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JOBS = sorted((ROOT / "jobs").rglob("*.py"))
SLACK_WORDS = [
    pytest.param("<@", id="user-mention"),
    pytest.param("<!", id="broadcast-or-special"),
    pytest.param("<#", id="channel-link"),
    pytest.param("/goal ", id="slash-command"),
    pytest.param("&lt;", id="entity-lt"),
    pytest.param("&gt;", id="entity-gt"),
    pytest.param("&amp;", id="entity-amp"),
    pytest.param("escape_mrkdwn", id="escape-helper"),
    pytest.param("unescape_slack", id="unescape-helper"),
    pytest.param("quoted(", id="quoting-helper"),
    pytest.param("mrkdwn", id="mrkdwn"),
]


def hits(path: str, text: str, word: str) -> list[str]:
    """`path:line: text` for each line of `text` holding `word`."""
    return [
        f"{path}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if word.lower() in line.lower()
    ]


@pytest.mark.parametrize("word", SLACK_WORDS)
def test_jobs_source_has_no_slack_words(word: str) -> None:
    """No .py file under jobs/ holds a mention, link, broadcast, `/goal `, entity or escaper."""
    assert JOBS, "found no jobs/ sources"
    found = [
        hit
        for path in JOBS
        for hit in hits(path.relative_to(ROOT).as_posix(), path.read_text("utf-8"), word)
    ]
    assert not found, "Slack words in jobs/ (render them in bot/):\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("line", "word"),
    [
        pytest.param('who = f"the channel lead (<@{lead}>)"', "<@", id="mention"),
        pytest.param('f"removed from <#{goal.channel_id}>"', "<#", id="channel"),
        pytest.param('example="/goal config lead @li",', "/goal ", id="example"),
        pytest.param('"""Make text inert: no `<!channel>`."""', "<!", id="docstring"),
        pytest.param('return text.replace("&", "&amp;")', "&amp;", id="entity"),
        pytest.param("def escape_mrkdwn(text: str) -> str:", "escape_mrkdwn", id="escaper"),
        pytest.param('f"{quoted(key)} is not a metric"', "quoted(", id="quoting"),
        pytest.param("# Mrkdwn code span", "mrkdwn", id="any-case"),
    ],
)
def test_the_check_catches_slack_words(line: str, word: str) -> None:
    """Lines as jobs/ used to have them are caught, with file and line number."""
    assert hits("jobs/x.py", f"\n{line}\n", word) == [f"jobs/x.py:2: {line}"]
