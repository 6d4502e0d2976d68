"""The self-check's DM to an admin as Block Kit (through `bot.render.escalation.render`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.render.escalation import render
from jobs.messages import SelfCheckNotice
from tests.support.fake_slack import message_error

SEEN = datetime(2026, 11, 25, 9, 11, tzinfo=UTC)
STUCK = SelfCheckNotice(
    problem="outbox", since=SEEN - timedelta(minutes=11), seen_at=SEEN, waiting=3
)
FAILING = SelfCheckNotice(
    problem="source",
    since=SEEN - timedelta(days=1, hours=2),
    seen_at=SEEN,
    metric_key="dau",
    title="Daily active users",
    error="dau: HTTP 503 from bi.example",
)


def body(notice: SelfCheckNotice) -> dict[str, Any]:
    text, blocks = render(notice)
    return {"text": text, "blocks": [block.to_dict() for block in blocks]}


@pytest.mark.parametrize(
    ("notice", "expected"),
    [
        pytest.param(STUCK, "3 messages waiting to go out for more than 10 minutes", id="outbox"),
        pytest.param(
            FAILING,
            "The source of Daily active users has been failing for more than a day",
            id="source",
        ),
    ],
)
def test_notice_says_what_is_wrong_in_valid_blocks(notice: SelfCheckNotice, expected: str) -> None:
    rendered = body(notice)
    assert expected in rendered["text"]
    assert message_error(rendered) is None
    assert "once a day" in json.dumps(rendered["blocks"])


def test_one_waiting_message_is_singular() -> None:
    text = body(SelfCheckNotice(problem="outbox", since=SEEN, seen_at=SEEN, waiting=1))["text"]
    assert "has 1 message waiting" in text


def test_source_text_from_configuration_cannot_ping_or_break_out() -> None:
    hostile = SelfCheckNotice(
        problem="source",
        since=SEEN,
        seen_at=SEEN,
        metric_key="dau",
        title="<!channel> DAU",
        error="`<https://evil.example|click>`",
    )
    blocks = json.dumps(body(hostile)["blocks"])
    assert "<!channel>" not in blocks
    assert "&lt;!channel&gt;" in blocks
    assert "<https://evil.example" not in blocks
