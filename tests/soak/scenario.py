"""The soak's story: four channels' goals over a few days, and the people who check in.

Deterministic: the same check-ins at the same simulated times in every run, so two runs —
one with Slack, the database and the processes misbehaving, one without — should make Slack
accept the same messages.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

TEAM = "T0001"
OWNER, LEAD, CEO = "U0ANA", "U0LI", "U0ADMIN"
START = datetime(2026, 11, 23, 7, tzinfo=UTC)  # a Monday, 08:00 in Berlin
DAYS = 5  # check-ins on the first four; the fifth lets the 72-hour remediations close
TAIL = timedelta(hours=3)  # after the last day: no faults, the retries catch up

METRICS_YML = """\
metrics:
  aov:
    title: Average order value
    unit: currency
    currency: "¥"
    source: {kind: manual}
  nps:
    title: Net promoter score
    unit: ratio
    source: {kind: manual}
  signups:
    title: Signups
    source: {kind: manual}
  refunds:
    title: Refunds
    direction: lower
    source: {kind: manual}
"""

TARGETS = {"aov": 500, "nps": 40, "signups": 1000, "refunds": 50}
CHANNELS = {
    "C0GROWTH": ["aov", "nps"],
    "C0SALES": ["signups", "refunds"],
    "C0OPS": ["aov"],
    "C0BROKEN": ["nps"],  # the bot was never invited: Slack refuses every post there
}
BROKEN = "C0BROKEN"
# Each day's check-in at 10:00 UTC: orange, red, recovery, and steady ones.
CHECKINS = {
    "aov": [500, 395, 335, 495],
    "nps": [40, 41, 27, 27],
    "signups": [1000, 1010, 990, 1000],
    "refunds": [50, 58, 66, 50],
}


def setup_commands() -> list[tuple[str, str, str, str]]:
    """(channel, user, /goal text, what the reply says) that set the story up, in order."""
    commands = [("C0GROWTH", CEO, f"config ceo <@{CEO}|root>", "Settings saved")]
    for channel, metrics in CHANNELS.items():
        commands += [
            (channel, OWNER, f"set {key} {TARGETS[key]}", "Created the goal") for key in metrics
        ]
        commands += [
            (channel, OWNER, f"config lead <@{LEAD}|li>", "Settings saved"),
            (channel, OWNER, "config digest 09:30", "Settings saved"),
        ]
    return commands


def checkins() -> list[tuple[datetime, str, str]]:
    """(when, channel, /goal text) for every check-in of the story."""
    where = {key: next(c for c, keys in CHANNELS.items() if key in keys) for key in CHECKINS}
    return [
        (START + timedelta(days=day, hours=3), where[key], f"checkin {key} {values[day]}")
        for key, values in CHECKINS.items()
        for day in range(len(values))
    ]


def end() -> datetime:
    return START + timedelta(days=DAYS)
