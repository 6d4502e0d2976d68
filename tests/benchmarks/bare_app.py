"""The floor for goalpulse's figures: a bare Bolt AsyncApp on the same HTTP stack (aiohttp, the
signature check) whose only listener acks. Imports nothing of goalpulse but its HTTP wiring, so
its start-up is the framework's own.

Run: `python -m tests.benchmarks.bare_app PORT API_URL SIGNING_SECRET`.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.server import build_web_app


async def serve_bare(port: int, api_url: str, signing_secret: str) -> None:
    """Serve until killed."""
    app = AsyncApp(
        client=AsyncWebClient(token="xoxb-bare", base_url=api_url),
        signing_secret=signing_secret,
        process_before_response=True,
    )

    @app.command("/goal")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    runner = web.AppRunner(build_web_app(app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    port, api_url, secret = sys.argv[1:4]
    asyncio.run(serve_bare(int(port), api_url, secret))
