"""How fast Slack gets its ack: goalpulse's `/goal` beside a bare Bolt app that only acks.

Both servers run as their own processes (`goalpulse run`, and this module with `--serve-bare`),
so the load generator and the fake Slack Web API here never share their event loop.
Run: `python -m tests.benchmarks.ack_latency [--requests N]`. Prints a table; not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.app import build_client
from bot.server import build_web_app
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
METRIC_COUNT = 20
CASES = ("list", "set m00 150k", "help", "set m00 lots")


def write_metrics(folder: Path) -> Path:
    """A catalog with enough metrics for a channel of 20 goals."""
    lines = ["metrics:"]
    lines += [f"  m{i:02d}: {{unit: count, source: {{kind: manual}}}}" for i in range(METRIC_COUNT)]
    path = folder / "metrics.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def serve_bare(port: int, api_url: str) -> None:
    """The floor: the same HTTP stack and signature check, a listener that only acks."""
    app = AsyncApp(
        client=build_client(TOKEN, api_url=api_url),
        signing_secret=SECRET,
        process_before_response=True,
    )

    @app.command("/goal")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    runner = web.AppRunner(build_web_app(app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def server(args: list[str], env: dict[str, str]) -> AsyncIterator[None]:
    """A server subprocess; stopping it waits without blocking the fake Slack it talks to."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, env={**os.environ, **env}, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        yield
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


async def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.post(url) as response:
                    if response.status in (200, 401):
                        return
            except aiohttp.ClientError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)


async def measure(
    client: SignedSlack, slack: FakeSlack, text: str, requests: int, *, replies_later: bool = True
) -> tuple[list[float], list[float]]:
    """Ack and reply latency (ms) of each command, one user typing one after another.

    Like a person, the next command is sent only after the previous one was answered, so acks
    are measured against a bot that is not still working through a backlog.
    """
    acks, replies = [], []
    for _ in range(requests):
        body, tag = client.command_body(text)
        replies_before = len(slack.calls_to("response_url"))
        started = time.perf_counter()
        status, raw = await client.post(body)
        acks.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
        if replies_later and not raw:  # acked empty: the answer comes via response_url
            await reply_arrived(slack, tag, replies_before)
            replies.append((time.perf_counter() - started) * 1000)
    return acks, replies


async def reply_arrived(slack: FakeSlack, tag: str, replies_before: int) -> None:
    replies = await slack.wait_for("response_url", count=replies_before + 1, timeout=10)
    assert replies[-1].tag == tag, f"expected the reply to {tag}, got {replies[-1].tag}"


def summary(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95)], p99


Percentiles = tuple[float, float, float]


async def run(requests: int) -> dict[str, tuple[Percentiles, Percentiles | None]]:
    """Measure and return {case: (ack p50/p95/p99, reply p50/p95/p99 or None)} in ms."""
    results: dict[str, tuple[Percentiles, Percentiles | None]] = {}
    bot_port, bare_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as folder:
        async with FakeSlack(token=TOKEN) as slack:
            bot_env = {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.api_url,
                "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/bench.db",
                "GOALPULSE_METRICS": str(write_metrics(Path(folder))),
                "PORT": str(bot_port),
            }
            bare_args = ["-m", "tests.benchmarks.ack_latency", "--serve-bare", str(bare_port)]
            async with (
                server(["-m", "bot", "run"], bot_env),
                server([*bare_args, "--api-url", slack.api_url], {}),
            ):
                goalpulse_url = f"http://127.0.0.1:{bot_port}"
                bare_url = f"http://127.0.0.1:{bare_port}"
                await wait_until_up(f"{goalpulse_url}/slack/events")
                await wait_until_up(f"{bare_url}/slack/events")
                async with (
                    SignedSlack(
                        bot_url=goalpulse_url,
                        signing_secret=SECRET,
                        response_url=slack.response_url,
                    ) as goalpulse,
                    SignedSlack(
                        bot_url=bare_url, signing_secret=SECRET, response_url=slack.response_url
                    ) as bare,
                ):
                    for i in range(METRIC_COUNT):
                        await goalpulse.post(goalpulse.command_body(f"set m{i:02d} {i + 1}k")[0])
                    await slack.wait_for("response_url", count=METRIC_COUNT, timeout=30)
                    await measure(bare, slack, "list", 50, replies_later=False)  # warm-up
                    await measure(goalpulse, slack, "list", 50)
                    acks, _ = await measure(bare, slack, "list", requests, replies_later=False)
                    results["bare Bolt app, ack only"] = (summary(acks), None)
                    for text in CASES:
                        acks, replies = await measure(goalpulse, slack, text, requests)
                        results[f"goalpulse /goal {text}"] = (
                            summary(acks),
                            summary(replies) if replies else None,
                        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        asyncio.run(serve_bare(args.serve_bare, args.api_url))
        return
    results = asyncio.run(run(args.requests))
    print(f"Latency over {args.requests} signed commands, one after another (ms, client side)")
    print(
        f"{'case':30} {'ack p50':>8} {'p95':>7} {'p99':>7}  {'reply p50':>9} {'p95':>7} {'p99':>7}"
    )
    for case, (ack, reply) in results.items():
        line = f"{case:30} {ack[0]:8.2f} {ack[1]:7.2f} {ack[2]:7.2f}"
        if reply is not None:
            line += f"  {reply[0]:9.2f} {reply[1]:7.2f} {reply[2]:7.2f}"
        else:
            line += f"  {'(in ack)':>9}"
        print(line)


if __name__ == "__main__":
    main()
