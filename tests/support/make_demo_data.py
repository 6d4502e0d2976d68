"""Writes the demo's customer datasets: bot/demo_data/orders.csv and activity.parquet.

    .venv/bin/python -m tests.support.make_demo_data

Seeded, so a re-run writes the same files. Days are `days_ago` (0 is today) and a `time` of
day; `goalpulse demo` turns the two into timestamps counted back from the day it runs.

The shop: 400 customers at the export's first day, then 9 new users a day; exactly 2 of each
day's newcomers come back within their first week (retention_7d 22.2%, over the demo's 20%
goal); after that week each user turns up on one day in 100 (a 30-day active rate near 45%).
About 40 orders a day at ¥180 on average (the goal is ¥175), one in twenty refunded or
cancelled. Activity events are app opens and page views; marketing email opens
are in the export too, and metrics.yml's `events:` leaves them out.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[2] / "bot" / "demo_data"
SEED = 7
DAYS = 60
LAUNCH = 400
NEW_A_DAY = 9
RETURNERS = 2
LATER_CHANCE = 0.01
ORDERS_A_DAY = 40


def _time(rng: random.Random) -> str:
    return f"{rng.randrange(7, 23):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"


def activity(rng: random.Random) -> pd.DataFrame:
    """One row an event: days_ago, time, user_id, event."""
    rows: list[tuple[int, str, str, str]] = []
    for joined in range(DAYS - 1, -1, -1):  # days_ago of the joining day, oldest first
        count = LAUNCH if joined == DAYS - 1 else NEW_A_DAY
        users = [f"u{joined:02d}{n:03d}" for n in range(count)]
        back = set(rng.sample(users, RETURNERS))
        for user in users:
            rows.append((joined, _time(rng), user, "app_open"))
            if user in back:  # one visit in days 1–7 after joining
                rows.append((joined - rng.randrange(1, 8), _time(rng), user, "page_view"))
            for later in range(joined - 8, -1, -1):
                if rng.random() < LATER_CHANCE:
                    rows.append((later, _time(rng), user, rng.choice(("app_open", "page_view"))))
            if rng.random() < 0.3:  # an email open the datasets' `events:` leaves out
                rows.append((max(joined - rng.randrange(1, 4), 0), _time(rng), user, "email_open"))
    kept = [row for row in rows if row[0] >= 0]
    frame = pd.DataFrame(kept, columns=["days_ago", "time", "user_id", "event"])
    return frame.sort_values(["days_ago", "time"], ascending=[False, True], ignore_index=True)


def orders(rng: random.Random, users: list[tuple[int, str]]) -> pd.DataFrame:
    """One row an order: days_ago, time, order_id, customer_id, amount, status."""
    rows = []
    number = 1000
    for days_ago in range(DAYS - 1, -1, -1):
        seen = [user for joined, user in users if joined >= days_ago]
        for _ in range(ORDERS_A_DAY + rng.randrange(-5, 6)):
            number += 1
            amount = round(rng.lognormvariate(5.17, 0.35), 2)
            status = rng.choices(("paid", "refunded", "cancelled"), (95, 3, 2))[0]
            rows.append((days_ago, _time(rng), f"A{number}", rng.choice(seen), amount, status))
    return pd.DataFrame(
        rows, columns=["days_ago", "time", "order_id", "customer_id", "amount", "status"]
    )


def main() -> None:
    rng = random.Random(SEED)
    events = activity(rng)
    first = events.groupby("user_id")["days_ago"].max()
    users = sorted(((int(days), str(user)) for user, days in first.items()), reverse=True)
    events.to_parquet(OUT / "activity.parquet", index=False)
    orders(rng, users).to_csv(OUT / "orders.csv", index=False)
    print(f"wrote {OUT / 'activity.parquet'} and {OUT / 'orders.csv'}")


if __name__ == "__main__":
    main()
