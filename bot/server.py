"""The HTTP surface: `POST /slack/events` for Slack, `GET /healthz` for load balancers,
`GET /metrics` for Prometheus and, installed through OAuth, `GET /slack/install` (the "Add to
Slack" page) and `GET /slack/oauth_redirect` (where Slack sends the installer back)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

if TYPE_CHECKING:
    # Typing only: the bare Bolt app of tests/benchmarks/bare_app.py serves through this
    # module too, and its start-up must stay the framework's own.
    from bot.telemetry import Telemetry

SLACK_EVENTS_PATH = "/slack/events"


def build_web_app(bolt_app: AsyncApp, telemetry: Telemetry | None = None) -> web.Application:
    """An aiohttp application serving the Bolt app (Bolt verifies every Slack signature), and
    the process's metrics when `telemetry` is given."""

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await bolt_app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    web_app = web.Application()
    web_app.router.add_post(SLACK_EVENTS_PATH, slack_events)
    flow = bolt_app.oauth_flow
    if flow is not None:
        oauth = flow

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await oauth.handle_installation(await to_bolt_request(request))
            )

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await oauth.handle_callback(await to_bolt_request(request))
            )

        web_app.router.add_get(flow.install_path, install)
        web_app.router.add_get(flow.redirect_uri_path, redirect)
    web_app.router.add_get("/healthz", healthz)
    if telemetry is not None:
        scraped = telemetry

        async def metrics(_request: web.Request) -> web.Response:
            body = await scraped.scrape()
            return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

        web_app.router.add_get("/metrics", metrics)
    return web_app
